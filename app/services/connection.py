"""One client connection's life, whatever its wire protocol or transport: commands in, a
verdict out, replies on their way to the client through its Recipient. No sockets here."""

import re
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Final, assert_never

from app.domain.commands import (
    Command,
    Enter,
    FetchHistory,
    Join,
    Leave,
    ListUsers,
    Malformed,
    Part,
    Ping,
    Rename,
    SayPrivate,
    SayPublic,
    ShowStats,
    costs_a_message,
)
from app.domain.errors import (
    ChatError,
    InvalidFrame,
    InvalidText,
    NotRegistered,
    RateLimited,
    ServerClosing,
    StorageFailed,
)
from app.domain.events import Refusal
from app.domain.flood import FloodGuard, FloodLimits, FrameKind
from app.services.ports import Clock, EventLog, Recipient
from app.services.room_api import ChatRoom

DEFAULT_REGISTER_TIMEOUT: Final = 30.0


@dataclass(frozen=True)
class ConnectionPolicy:
    """What one client may do before it is cut off, for every protocol alike."""

    flood: FloodLimits = field(default_factory=FloodLimits)
    register_timeout: float = DEFAULT_REGISTER_TIMEOUT  # seconds to say hello


class Verdict(Enum):
    CONTINUE = auto()
    CLOSE = auto()  # serve nothing more: send what the client is owed, then close


class Connection:
    """The rules of a connection's life, in one place: registration within the timeout,
    flood control (which commands count as messages), the run of invalid input that ends a
    connection, and quit. Like h11's Connection: the caller feeds it what arrived and the
    time, and acts on the verdict; the chat service does the rest.
    """

    __slots__ = (
        "_chat",
        "_client",
        "_clock",
        "_events",
        "_flood",
        "_heard_since_resume",
        "_in_refused_run",
        "_keeps_session",
        "_policy",
        "_resumed_unconfirmed",
        "nick",
        "open",
    )

    def __init__(
        self,
        chat: ChatRoom,
        client: Recipient,
        *,
        policy: ConnectionPolicy,
        clock: Clock,
        events: EventLog,
        now: float,
        keeps_session: bool = True,
    ) -> None:
        """`keeps_session`: a lost connection's session waits for a resume (protocol v1);
        else it ends there, as IRC clients, which never resume, expect."""
        self._chat = chat
        self._keeps_session = keeps_session
        self._client = client
        self._policy = policy
        self._clock = clock
        self._events = events
        self._flood = FloodGuard(policy.flood, now)
        self._in_refused_run = False  # the last command was refused for the rate limit
        # Resumed, and nothing heard since the welcome went out: what came in the same read
        # as the hello was sent before the client could have seen the welcome.
        self._resumed_unconfirmed = False
        self._heard_since_resume = False
        self.open = True  # False once it is closing: nothing more is served
        self.nick: str | None = None  # its nick as of the last hello or rename it made

    def receive(self, item: Command | Malformed, now: float) -> Verdict:
        """Serve (or refuse) one command; `now` is monotonic seconds, for flood control."""
        if not self.open:
            return Verdict.CLOSE
        if self._resumed_unconfirmed and self._heard_since_resume:
            self._resumed_unconfirmed = False  # it got the welcome, and its new token with it
            self._chat.confirm(self._client)
        kind = FrameKind.MESSAGE if costs_a_message(item) else FrameKind.CONTROL
        if not self._flood.allow(kind, now):
            self._chat.telemetry.frame_rate_limited()
            # One console line per run of refusals: a flood must not flood the console too.
            self._refuse(RateLimited(self._rate_limit_text(kind)), quietly=self._in_refused_run)
            self._in_refused_run = True
            return self._tally(valid=not isinstance(item, Malformed))
        self._in_refused_run = False
        if isinstance(item, Malformed):
            self._refuse(item.error)
            return self._tally(valid=False)
        try:
            verdict = self._serve(item)
        except ServerClosing:
            return Verdict.CONTINUE  # the shutdown frame is already on its way
        except ChatError as error:
            if isinstance(error, StorageFailed):  # the operator must hear of this one
                self._events.error("storage_failed", reason=str(error.__cause__))
            self._refuse(error)
            return self._tally(valid=not isinstance(error, InvalidText))
        self._tally(valid=True)
        return verdict

    def wait_time(self, kind: FrameKind, now: float) -> float:
        """Seconds until a command of this kind would be within the flood limits (0: now).
        For a protocol that paces what its client sends rather than refusing it."""
        return self._flood.wait_time(kind, now)

    def spend(self, kind: FrameKind, now: float) -> bool:
        """Take the allowance of a request the protocol answers itself (no chat command);
        False if over the limits."""
        return self._flood.allow(kind, now)

    def record(self, *, valid: bool) -> Verdict:
        """Count a request the protocol answered itself, valid or not (see _tally)."""
        return self._tally(valid=valid)

    def new_read(self) -> None:
        """What follows arrived after everything this connection was sent so far."""
        self._heard_since_resume = self._resumed_unconfirmed

    def registration_due(self) -> Verdict:
        """The hello timeout has passed: close, unless the client has said hello."""
        if not self.open or self._chat.is_registered(self._client):
            return Verdict.CONTINUE
        seconds = self._policy.register_timeout
        self._refuse(NotRegistered(f"no hello within {seconds:g} seconds: goodbye"))
        self.open = False
        return Verdict.CLOSE

    def lost(self, reason: str) -> None:
        """The connection is gone (or is being cut): the session waits for a resume."""
        self.open = False
        if self._keeps_session:
            nick = self._chat.drop(self._client, reason)
        else:
            departure = self._chat.quit(self._client, reason)
            nick = None if departure is None else departure.nick
        if nick is not None:
            self._events.info("client_left", nick=nick, reason=reason)

    def _serve(self, command: Command) -> Verdict:
        chat, client = self._chat, self._client
        match command:
            case Join():
                joined = chat.join(
                    client,
                    command.nick,
                    command.resume,
                    exact=command.exact,
                    present=command.present,
                    resumable=command.resumable,
                )
                self.nick = joined.nick
                self._resumed_unconfirmed = joined.resumed
                self._heard_since_resume = False
                self._events.info(
                    "client_resumed" if joined.resumed else "client_registered",
                    nick=joined.nick,
                    requested=command.nick,
                    renamed=joined.renamed,
                )
            case SayPublic():
                chat.say_public(client, command.text)
            case SayPrivate():
                chat.say_private(client, command.to, command.text)
            case ListUsers():
                chat.list_users(client)
            case Rename():
                changed = chat.rename(client, command.nick)
                self.nick = changed.new
                if changed.old != changed.new:
                    self._events.info("nick_changed", old=changed.old, new=changed.new)
            case ShowStats():
                chat.report_stats(client)
            case Ping():
                chat.ping(client, command.token)
            case FetchHistory():
                chat.history(client, command.before, command.limit)
            case Part():
                parted = chat.part(client, command.message)
                if parted is not None:  # the goodbye logged is the one the others were shown
                    said = {"said": parted.message} if parted.message else {}
                    self._events.info("client_parted", **said)
            case Enter():
                if chat.enter(client, backlog=command.backlog):
                    self._events.info("client_entered")
            case Leave():
                departure = chat.quit(client, "quit", command.reason)
                if departure is None:
                    raise NotRegistered()
                # Only the goodbye the others were shown is logged: a refused one could hold
                # escape sequences, or fill the console.
                dropped = {"dropped": departure.dropped} if departure.dropped else {}
                self._events.info(
                    "client_left",
                    nick=departure.nick,
                    reason="quit",
                    said=departure.message,
                    **dropped,
                )
                self.open = False
                return Verdict.CLOSE
            case _:
                assert_never(command)
        return Verdict.CONTINUE

    def _tally(self, *, valid: bool) -> Verdict:
        """Count one command's validity; too many invalid ones in a row end the connection."""
        if not self._flood.record(valid=valid) or not self.open:
            return Verdict.CONTINUE
        limit = self._policy.flood.max_invalid_streak
        self.open = False  # the refusal is a goodbye (IRC sends it as ERROR)
        self._refuse(InvalidFrame(f"{limit} invalid frames in a row: goodbye"))
        self.lost("invalid_frames")
        return Verdict.CLOSE

    def _refuse(self, error: ChatError, *, quietly: bool = False) -> None:
        """The one place a client's mistake becomes a reply (and a console line)."""
        if self._chat.closing:
            return  # nothing is answered after the shutdown frame
        if not quietly:
            self._events.info("client_error", error=error_name(error), message=str(error))
        self._client.deliver(Refusal(error=error, at=self._clock.now()))

    def _rate_limit_text(self, kind: FrameKind) -> str:
        flood = self._policy.flood
        if kind is FrameKind.MESSAGE:
            per_second = "1 message" if flood.rate == 1 else f"{flood.rate:g} messages"
            return f"too fast: this server takes {per_second} a second, {flood.burst} at once"
        return "too many requests at once: wait a moment before the next"


def error_name(error: ChatError) -> str:
    """'RateLimited' -> 'rate_limited': a name for console lines, whatever the protocol."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()
