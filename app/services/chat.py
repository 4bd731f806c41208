"""ChatService: one method per thing a client can ask of the room."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.domain.commands import ResumeRequest
from app.domain.drafts import Draft, PrivateDraft, PublicDraft
from app.domain.errors import InvalidText, ServerClosing, StorageFailed
from app.domain.events import (
    Message,
    NickChanged,
    Pong,
    PrivateMessage,
    PublicMessage,
    ServerShutdown,
    StatsReport,
    UserLeft,
    UserList,
)
from app.domain.metrics import MetricsSnapshot
from app.domain.text import validate_quit_message, validate_text
from app.services.feed import RoomFeed
from app.services.history import check_history_request, newest_page
from app.services.membership import Joined, Membership, RoomSettings
from app.services.ports import (
    Clock,
    EventLog,
    NoTelemetry,
    Recipient,
    RoomLog,
    SessionStore,
    Telemetry,
)


@dataclass(frozen=True)
class Departure:
    """A quit, as the room took it."""

    nick: str
    message: str | None  # the goodbye the others were shown, if any
    dropped: str | None = None  # why the client's goodbye was not shown, if it was refused


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
        telemetry: Telemetry | None = None,
    ) -> None:
        """`nick_skeleton` makes look-alike nicks count as taken (see NicknameRegistry);
        `make_secret` gives a fresh unguessable string (session ids, resume tokens)."""
        self.feed = RoomFeed()
        self.telemetry: Telemetry = telemetry or NoTelemetry()
        self._log = log
        self._clock = clock
        self._members = Membership(
            log=log,
            sessions=sessions,
            feed=self.feed,
            clock=clock,
            suggest_name=suggest_name,
            make_secret=make_secret,
            events=events,
            nick_skeleton=nick_skeleton,
            settings=settings or RoomSettings(),
        )
        self._closing = False
        self._lock = threading.Lock()

    # --- joining and leaving --------------------------------------------------------------

    def join(
        self,
        client: Recipient,
        wanted: str | None,
        resume: ResumeRequest | None = None,
        *,
        exact: bool = False,
        present: bool = True,
        resumable: bool = True,
    ) -> Joined:
        """A hello: the session `resume` names, if it is live; otherwise a new one (see
        commands.Join for `exact` and `present`)."""
        with self._lock:
            self._refuse_if_closing()
            return self._members.join(
                client,
                wanted,
                resume,
                self._clock.now(),
                exact=exact,
                present=present,
                resumable=resumable,
            )

    def part(self, client: Recipient, said: str | None = None) -> Departure | None:
        """Out of the room, still registered (its nick held, private messages reach it);
        the others see it leave with `said` (if valid: see quit). None if it was not in."""
        message, dropped = split_goodbye(said)
        with self._lock:
            self._refuse_if_closing()
            nick = self._members.part(client)
            if nick is None:
                return None
            now = self._clock.now()
            self._announce(UserLeft(nick=nick, reason="part", at=now, message=message))
            client.unfollow()  # after its own part: it sees it in its place, as IRC expects
            return Departure(nick=nick, message=message, dropped=dropped)

    def enter(self, client: Recipient, *, backlog: bool = True) -> bool:
        """Into the room after a part (or a join that was not `present`), with the backlog
        if asked; False if it was in already."""
        with self._lock:
            self._refuse_if_closing()
            return self._members.enter(client, self._clock.now(), backlog=backlog)

    def is_in(self, client: Recipient) -> bool:
        with self._lock:
            return self._members.is_in(client)

    def confirm(self, client: Recipient) -> None:
        """The client sent something after resuming: it has its new resume token."""
        with self._lock:
            self._members.confirm(client)

    def quit(self, client: Recipient, reason: str, said: str | None = None) -> Departure | None:
        """The client leaves for good: its session ends. None if it had not said hello.

        `said` is its goodbye, shown to the others in the leave. One that breaks the rules
        (see validate_quit_message) is dropped, not refused: a bad goodbye never keeps a
        client in the room.
        """
        message, dropped = split_goodbye(said)
        with self._lock:
            quitting = self._members.quit(client)
            if quitting is None:
                return None
            nick, was_in = quitting
            if was_in:
                now = self._clock.now()
                self._announce(UserLeft(nick=nick, reason=reason, at=now, message=message))
            return Departure(nick=nick, message=message, dropped=dropped)

    def drop(self, client: Recipient, reason: str) -> str | None:
        """The connection is gone but the client may be back: its session waits the grace."""
        with self._lock:
            now = self._clock.now()
            dropped = self._members.drop(client, now)
            if dropped is None:
                return None
            nick, was_in = dropped
            if was_in:
                self._announce(UserLeft(nick=nick, reason=reason, at=now))
            return nick

    def shut_down(self, reason: str) -> ServerShutdown:
        """Tell everyone the server is closing; from now on nothing new is accepted. The
        sessions held now wait the grace from this moment, so their clients can resume."""
        with self._lock:
            self._closing = True
            event = ServerShutdown(reason=reason, at=self._clock.now())
            self._members.drop_all(event.at)
            self.feed.publish(event)
            return event

    # --- saying things --------------------------------------------------------------------

    @property
    def closing(self) -> bool:
        """The shutdown frame is out: nothing more is accepted, or answered."""
        return self._closing

    def say_public(self, client: Recipient, text: str) -> PublicMessage:
        with self._lock:
            self._refuse_if_closing()
            session_id = self._members.session_id(client)
            validate_text(text)
            draft = PublicDraft(
                sender=self._members.nick(session_id),
                text=text,
                sent_at=self._clock.now(),
                sender_session=session_id,
            )
            message = self._append(draft)
            assert isinstance(message, PublicMessage)
            self.telemetry.message_accepted("public")
            self.feed.publish(message)
            return message

    def say_private(self, client: Recipient, to: str, text: str) -> PrivateMessage:
        with self._lock:
            self._refuse_if_closing()
            sender_id = self._members.session_id(client)
            recipient_id = self._members.room.find(to)
            validate_text(text)
            draft = PrivateDraft(
                sender=self._members.nick(sender_id),
                recipient=self._members.nick(recipient_id),
                text=text,
                sent_at=self._clock.now(),
                sender_session=sender_id,
                recipient_session=recipient_id,
            )
            message = self._append(draft)
            assert isinstance(message, PrivateMessage)
            self.telemetry.message_accepted("private")
            # The sender gets an echo; a note to oneself arrives once.
            for member in dict.fromkeys((self._members.client(recipient_id), client)):
                member.deliver(message)
            return message

    def rename(self, client: Recipient, wanted: str) -> NickChanged:
        with self._lock:
            self._refuse_if_closing()
            now = self._clock.now()
            old, new = self._members.rename(client, wanted, now)
            event = NickChanged(old=old, new=new, at=now)
            if old != new and self._members.is_in(client):
                self.feed.publish(event)
            else:  # nobody else needs to hear of a "change" to the very same nick, or of
                client.deliver(event)  # one by somebody not in the room
            return event

    # --- asking ---------------------------------------------------------------------------

    def list_users(self, client: Recipient) -> None:
        with self._lock:
            self._asking(client)
            client.deliver(UserList(users=self._members.room.nicks(), at=self._clock.now()))

    def report_stats(self, client: Recipient) -> None:
        with self._lock:
            self._asking(client)
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
            self._asking(client)
            client.deliver(Pong(token=token, at=self._clock.now()))

    def history(self, client: Recipient, before: int | None, limit: int) -> None:
        """Older public messages (never private ones: a nick may have changed hands)."""
        check_history_request(before, limit)
        with self._lock:
            self._asking(client)
            try:
                page = newest_page(self._log, "request", limit, before, self._clock.now())
            except OSError as error:
                raise StorageFailed("the server could not read the room's history") from error
            client.deliver(page)

    def is_registered(self, client: Recipient) -> bool:
        with self._lock:
            return self._members.is_registered(client)

    def snapshot(self) -> MetricsSnapshot:
        with self._lock:
            self._members.close_expired(self._clock.now())
            return self._snapshot()

    # --- inside the lock ------------------------------------------------------------------

    def _asking(self, client: Recipient) -> None:
        """Nothing follows the shutdown frame, and only a registered client is answered."""
        self._refuse_if_closing()
        self._members.session_id(client)

    def _announce(self, event: UserLeft) -> None:
        # Once the shutdown frame is out, a stream of leaves after it would only be noise.
        if not self._closing:
            self.feed.publish(event)

    def _append(self, draft: Draft) -> Message:
        started = time.perf_counter()  # for monitoring only: no chat rule reads it
        try:
            message = self._log.append(draft)
        except OSError as error:
            raise StorageFailed() from error
        self.telemetry.append_took(time.perf_counter() - started)
        return message

    def _snapshot(self) -> MetricsSnapshot:
        totals = self._log.totals()
        return MetricsSnapshot(
            users=len(self._members.room), public_total=totals.public, private_total=totals.private
        )

    def _refuse_if_closing(self) -> None:
        if self._closing:
            raise ServerClosing()


def split_goodbye(said: str | None) -> tuple[str | None, str | None]:
    """A quit's reason as (what the others may be shown, why it was dropped)."""
    if not said or said.isspace():
        return None, None  # no goodbye given: nothing to show, nothing wrong
    try:
        return validate_quit_message(said), None
    except InvalidText as error:
        return None, str(error)
