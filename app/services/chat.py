"""ChatService: one method per thing a client can ask for."""

import threading
from collections.abc import Callable
from typing import TypeVar

from app.domain.errors import ServerClosing, StorageFailed
from app.domain.events import (
    ChatEvent,
    NickChanged,
    Pong,
    PrivateMessage,
    PublicMessage,
    ServerShutdown,
    StatsReport,
    UserJoined,
    UserLeft,
    UserList,
    Welcome,
)
from app.domain.metrics import ChatMetrics, MetricsSnapshot
from app.domain.nicknames import Claim, NicknameRegistry
from app.domain.room import Room
from app.domain.text import validate_text
from app.services.ports import Clock, MessageLog, Recipient

Logged = TypeVar("Logged", PublicMessage, PrivateMessage)


class ChatService:
    """The room's use cases, safe to call from any thread.

    One lock guards room state, message ids and the log append. `deliver` only enqueues, so it
    runs under the lock and every client sees messages in id order; a slow client cannot
    hold anyone up because nothing here waits for a socket.
    """

    def __init__(
        self,
        *,
        log: MessageLog,
        clock: Clock,
        suggest_name: Callable[[], str],
        nick_skeleton: Callable[[str], str] | None = None,
    ) -> None:
        """`nick_skeleton` makes look-alike nicks count as taken (see NicknameRegistry)."""
        totals = log.totals()
        self._log = log
        self._clock = clock
        self._room: Room[Recipient] = Room(NicknameRegistry(suggest_name, nick_skeleton))
        self._metrics = ChatMetrics(public_total=totals.public, private_total=totals.private)
        # Ids continue after the logged messages, so an id never names two messages.
        self._last_id = totals.public + totals.private
        self._closing = False
        self._lock = threading.Lock()

    def join(self, member: Recipient, wanted_nick: str | None) -> Claim:
        with self._lock:
            self._refuse_if_closing()
            claim = self._room.admit(member, wanted_nick)
            now = self._clock.now()
            member.deliver(
                Welcome(
                    nick=claim.nick,
                    requested=wanted_nick,
                    renamed=claim.renamed,
                    users=self._room.nicks(),
                    at=now,
                )
            )
            self._send_to(self._room.others(member), UserJoined(nick=claim.nick, at=now))
            return claim

    def say_public(self, sender: Recipient, text: str) -> PublicMessage:
        with self._lock:
            nick = self._room.nick_of(sender)
            validate_text(text)
            self._refuse_if_closing()
            message = PublicMessage(
                id=self._last_id + 1, sender=nick, text=text, sent_at=self._clock.now()
            )
            # Log before fan-out: a message someone has seen must already be on record.
            self._record(self._log.append_public, message)
            self._metrics.count_public()
            self._send_to(self._room.members(), message)
            return message

    def say_private(self, sender: Recipient, to: str, text: str) -> PrivateMessage:
        with self._lock:
            nick = self._room.nick_of(sender)
            recipient = self._room.find(to)
            validate_text(text)
            self._refuse_if_closing()
            message = PrivateMessage(
                id=self._last_id + 1,
                sender=nick,
                recipient=self._room.nick_of(recipient),
                text=text,
                sent_at=self._clock.now(),
            )
            self._record(self._log.append_private, message)
            self._metrics.count_private()
            # The sender gets an echo; a note to oneself arrives once.
            self._send_to(list(dict.fromkeys((recipient, sender))), message)
            return message

    def rename(self, member: Recipient, wanted_nick: str) -> NickChanged:
        with self._lock:
            self._refuse_if_closing()
            old, new = self._room.rename(member, wanted_nick)
            event = NickChanged(old=old, new=new, at=self._clock.now())
            # Nobody else needs to hear of a "change" to the very same nick.
            self._send_to(self._room.members() if old != new else [member], event)
            return event

    def list_users(self, member: Recipient) -> None:
        with self._lock:
            self._room.nick_of(member)
            member.deliver(UserList(users=self._room.nicks(), at=self._clock.now()))

    def report_stats(self, member: Recipient) -> None:
        with self._lock:
            self._room.nick_of(member)
            snapshot = self._metrics.snapshot(users=len(self._room))
            member.deliver(
                StatsReport(
                    users=snapshot.users,
                    public_total=snapshot.public_total,
                    private_total=snapshot.private_total,
                    at=self._clock.now(),
                )
            )

    def ping(self, member: Recipient, token: str | None) -> None:
        with self._lock:
            self._room.nick_of(member)
            member.deliver(Pong(token=token, at=self._clock.now()))

    def leave(self, member: Recipient, reason: str) -> str | None:
        """Remove `member`; everyone left hears of it once. Returns the nick it had, if any."""
        with self._lock:
            nick = self._room.remove(member)
            # Once the shutdown frame is out, a stream of leaves after it would only be noise.
            if nick is not None and not self._closing:
                event = UserLeft(nick=nick, reason=reason, at=self._clock.now())
                self._send_to(self._room.members(), event)
            return nick

    def shut_down(self, reason: str) -> None:
        """Tell everyone the server is closing; from now on nothing new is accepted."""
        with self._lock:
            self._closing = True
            self._send_to(self._room.members(), ServerShutdown(reason=reason, at=self._clock.now()))

    def is_registered(self, member: Recipient) -> bool:
        with self._lock:
            return member in self._room

    def snapshot(self) -> MetricsSnapshot:
        with self._lock:
            return self._metrics.snapshot(users=len(self._room))

    def _refuse_if_closing(self) -> None:
        if self._closing:
            raise ServerClosing()

    def _record(self, append: Callable[[Logged], None], message: Logged) -> None:
        try:
            append(message)
        except OSError as error:
            raise StorageFailed() from error
        self._last_id += 1

    @staticmethod
    def _send_to(members: list[Recipient], event: ChatEvent) -> None:
        for member in members:
            member.deliver(event)
