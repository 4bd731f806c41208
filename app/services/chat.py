"""ChatService: one method per thing a client can ask of the room."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from app.domain.commands import HISTORY_MAX_LIMIT, ResumeRequest
from app.domain.drafts import Draft, PrivateDraft, PublicDraft
from app.domain.errors import (
    AlreadyRegistered,
    InvalidFrame,
    NotRegistered,
    ServerClosing,
    StorageFailed,
)
from app.domain.events import (
    Message,
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
from app.domain.metrics import MetricsSnapshot
from app.domain.nicknames import NicknameRegistry
from app.domain.room import Room
from app.domain.sessions import DEFAULT_RESUME_GRACE, Session
from app.domain.text import validate_text
from app.services.feed import RoomFeed
from app.services.history import newest_page, replay
from app.services.ports import Clock, EventLog, Recipient, RoomLog, SessionStore
from app.services.session_book import DEFAULT_MAX_WAITING, SessionBook

DEFAULT_BACKLOG: Final = 50


@dataclass(frozen=True)
class RoomSettings:
    backlog: int = DEFAULT_BACKLOG  # public messages shown on joining; 0: none
    resume_grace: float = DEFAULT_RESUME_GRACE  # seconds a dropped session waits
    max_waiting: int = DEFAULT_MAX_WAITING  # dropped sessions waiting at once, at most


@dataclass(frozen=True)
class Joined:
    nick: str
    renamed: bool  # the nick asked for was taken
    resumed: bool  # an earlier session continues


class ChatService:
    """The room's use cases, safe to call from any thread.

    Accepting and delivering are two steps. Under one lock a message is validated and
    appended to the room log, which gives it its id, and published to the room feed (or, if
    private, handed to its two clients); each connection then sends the feed from its own
    position. Nothing here waits for a socket, so a slow client slows only itself, and
    "replay from the log up to id N, then follow the feed" has no gap and no duplicate.
    """

    def __init__(
        self,
        *,
        log: RoomLog,
        sessions: SessionStore,
        clock: Clock,
        suggest_name: Callable[[], str],
        make_secret: Callable[[], str],
        events: EventLog,
        nick_skeleton: Callable[[str], str] | None = None,
        settings: RoomSettings | None = None,
    ) -> None:
        """`nick_skeleton` makes look-alike nicks count as taken (see NicknameRegistry);
        `make_secret` gives a fresh unguessable string (session ids, resume tokens)."""
        self.feed = RoomFeed()
        self._log = log
        self._clock = clock
        self._settings = settings or RoomSettings()
        self._room: Room[str] = Room(NicknameRegistry(suggest_name, nick_skeleton))
        grace = timedelta(seconds=self._settings.resume_grace)
        self._book = SessionBook(
            sessions, grace, make_secret, events, max_waiting=self._settings.max_waiting
        )
        self._make_secret = make_secret
        self._session_of: dict[Recipient, str] = {}  # connected clients -> their sessions
        self._client_of: dict[str, Recipient] = {}
        self._closing = False
        self._lock = threading.Lock()
        for session in self._book.restore(clock.now()):
            if not self._room.restore(session.id, session.nick):  # two held one nick: keep one
                self._book.close(session.id)

    # --- joining and leaving --------------------------------------------------------------

    def join(
        self, client: Recipient, wanted: str | None, resume: ResumeRequest | None = None
    ) -> Joined:
        """A hello: the session `resume` names, if it is live; otherwise a new one."""
        with self._lock:
            self._refuse_if_closing()
            if client in self._session_of:
                raise AlreadyRegistered(self._nick(client))
            now = self._clock.now()
            self._close_expired(now)
            session = self._book.claim(resume.token, now) if resume is not None else None
            if session is not None:
                assert resume is not None
                return self._resume(client, session, wanted, resume.last_id, now)
            return self._open(client, wanted, now)

    def quit(self, client: Recipient, reason: str) -> str | None:
        """The client leaves for good: its session ends. Returns its nick, if it had one."""
        with self._lock:
            session_id = self._detach(client)
            if session_id is None:
                return None
            nick = self._room.nick_of(session_id)
            self._room.remove(session_id)
            self._book.close(session_id)
            self._announce(UserLeft(nick=nick, reason=reason, at=self._clock.now()))
            return nick

    def drop(self, client: Recipient, reason: str) -> str | None:
        """The connection is gone but the client may be back: its session waits the grace."""
        with self._lock:
            session_id = self._detach(client)
            if session_id is None:
                return None
            now = self._clock.now()
            self._room.step_away(session_id)
            self._book.drop(session_id, now)
            nick = self._room.nick_of(session_id)
            self._announce(UserLeft(nick=nick, reason=reason, at=now))
            return nick

    def shut_down(self, reason: str) -> None:
        """Tell everyone the server is closing; from now on nothing new is accepted. The
        sessions held now wait the grace from this moment, so their clients can resume."""
        with self._lock:
            self._closing = True
            now = self._clock.now()
            for session in self._book.held():
                self._book.drop(session.id, now)
            self.feed.publish(ServerShutdown(reason=reason, at=now))

    # --- saying things --------------------------------------------------------------------

    def say_public(self, client: Recipient, text: str) -> PublicMessage:
        with self._lock:
            session_id = self._session_id(client)
            validate_text(text)
            self._refuse_if_closing()
            draft = PublicDraft(
                sender=self._room.nick_of(session_id),
                text=text,
                sent_at=self._clock.now(),
                sender_session=session_id,
            )
            message = self._append(draft)
            assert isinstance(message, PublicMessage)
            self.feed.publish(message)
            return message

    def say_private(self, client: Recipient, to: str, text: str) -> PrivateMessage:
        with self._lock:
            sender_id = self._session_id(client)
            recipient_id = self._room.find(to)
            validate_text(text)
            self._refuse_if_closing()
            draft = PrivateDraft(
                sender=self._room.nick_of(sender_id),
                recipient=self._room.nick_of(recipient_id),
                text=text,
                sent_at=self._clock.now(),
                sender_session=sender_id,
                recipient_session=recipient_id,
            )
            message = self._append(draft)
            assert isinstance(message, PrivateMessage)
            # The sender gets an echo; a note to oneself arrives once.
            for member in dict.fromkeys((self._client_of[recipient_id], client)):
                member.deliver(message)
            return message

    def rename(self, client: Recipient, wanted: str) -> NickChanged:
        with self._lock:
            self._refuse_if_closing()
            session_id = self._session_id(client)
            self._close_expired(self._clock.now())
            old, new = self._room.rename(session_id, wanted)
            self._book.rename(session_id, new)
            event = NickChanged(old=old, new=new, at=self._clock.now())
            if old != new:
                self.feed.publish(event)
            else:  # nobody else needs to hear of a "change" to the very same nick
                client.deliver(event)
            return event

    # --- asking ---------------------------------------------------------------------------

    def list_users(self, client: Recipient) -> None:
        with self._lock:
            self._session_id(client)
            client.deliver(UserList(users=self._room.nicks(), at=self._clock.now()))

    def report_stats(self, client: Recipient) -> None:
        with self._lock:
            self._session_id(client)
            figures = self._snapshot()
            client.deliver(
                StatsReport(
                    users=figures.users,
                    public_total=figures.public_total,
                    private_total=figures.private_total,
                    at=self._clock.now(),
                )
            )

    def ping(self, client: Recipient, token: str | None) -> None:
        with self._lock:
            self._session_id(client)
            client.deliver(Pong(token=token, at=self._clock.now()))

    def history(self, client: Recipient, before: int | None, limit: int) -> None:
        """Older public messages (never private ones: a nick may have changed hands)."""
        if not 1 <= limit <= HISTORY_MAX_LIMIT:
            raise InvalidFrame(f"a history limit is 1 to {HISTORY_MAX_LIMIT}, not {limit}")
        with self._lock:
            self._session_id(client)
            try:
                page = newest_page(self._log, "request", limit, before, self._clock.now())
            except OSError as error:
                raise StorageFailed("the server could not read the room's history") from error
            client.deliver(page)

    def is_registered(self, client: Recipient) -> bool:
        with self._lock:
            return client in self._session_of

    def snapshot(self) -> MetricsSnapshot:
        with self._lock:
            self._close_expired(self._clock.now())
            return self._snapshot()

    # --- inside the lock ------------------------------------------------------------------

    def _open(self, client: Recipient, wanted: str | None, now: datetime) -> Joined:
        session_id = self._make_secret()
        claim = self._room.admit(session_id, wanted)
        session, token = self._book.open(session_id, claim.nick, first_id=self._log.last_id())
        self._welcome(client, session, token, wanted, now, renamed=claim.renamed, resumed=False)
        if self._settings.backlog and session.first_id:
            self._send_backlog(client, now)
        return Joined(nick=claim.nick, renamed=claim.renamed, resumed=False)

    def _resume(
        self, client: Recipient, session: Session, wanted: str | None, seen: int, now: datetime
    ) -> Joined:
        holder = self._client_of.get(session.id)
        if holder is not None:
            # Its old connection still looks alive to us (a half-open socket, say): the one
            # that holds the token wins, and the old one is closed as if it had dropped.
            self._detach(holder)
            holder.end("replaced")
            self.feed.publish(UserLeft(nick=session.nick, reason="disconnected", at=now))
        session, token = self._book.renew(session.id)
        self._room.come_back(session.id)
        upto = self._welcome(client, session, token, wanted, now, renamed=False, resumed=True)
        # Before its first hello it saw nothing live: those messages are not "missed".
        after = min(max(seen, session.first_id), upto)
        gap = after < upto and self._log.first_kept_id() > after + 1
        client.deliver_pages(
            replay(self._log, session.id, after, upto, gap=gap, now=self._clock.now)
        )
        return Joined(nick=session.nick, renamed=False, resumed=True)

    def _welcome(
        self,
        client: Recipient,
        session: Session,
        token: str,
        wanted: str | None,
        now: datetime,
        *,
        renamed: bool,
        resumed: bool,
    ) -> int:
        """Announce the client, start its feed after that, welcome it; returns its last_id."""
        self._session_of[client] = session.id
        self._client_of[session.id] = client
        self.feed.publish(UserJoined(nick=session.nick, at=now))
        client.follow()
        last_id = self._log.last_id()
        client.deliver(
            Welcome(
                nick=session.nick,
                requested=wanted,
                renamed=renamed,
                users=self._room.nicks(),
                at=now,
                resume_token=token,
                resumed=resumed,
                last_id=last_id,
            )
        )
        return last_id

    def _send_backlog(self, client: Recipient, now: datetime) -> None:
        try:
            page = newest_page(self._log, "backlog", self._settings.backlog, None, now)
        except OSError:
            return  # a welcome without a backlog beats no welcome; appends will say more
        if page.messages:
            client.deliver(page)

    def _detach(self, client: Recipient) -> str | None:
        """Part `client` from its session; it hears no broadcast from now on."""
        session_id = self._session_of.pop(client, None)
        if session_id is not None:
            del self._client_of[session_id]
            client.unfollow()
        return session_id

    def _announce(self, event: UserLeft) -> None:
        # Once the shutdown frame is out, a stream of leaves after it would only be noise.
        if not self._closing:
            self.feed.publish(event)

    def _close_expired(self, now: datetime) -> None:
        for session in self._book.expired(now):
            self._room.remove(session.id)
            self._book.close(session.id)

    def _append(self, draft: Draft) -> Message:
        try:
            return self._log.append(draft)
        except OSError as error:
            raise StorageFailed() from error

    def _snapshot(self) -> MetricsSnapshot:
        totals = self._log.totals()
        return MetricsSnapshot(
            users=len(self._room), public_total=totals.public, private_total=totals.private
        )

    def _session_id(self, client: Recipient) -> str:
        try:
            return self._session_of[client]
        except KeyError:
            raise NotRegistered() from None

    def _nick(self, client: Recipient) -> str:
        return self._room.nick_of(self._session_id(client))

    def _refuse_if_closing(self) -> None:
        if self._closing:
            raise ServerClosing()
