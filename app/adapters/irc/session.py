"""One IRC client's connection: lines in (paced by the flood limits, as IRC servers do),
the room's commands out through the protocol-neutral Connection, the room's events back as
IRC lines. The commands themselves are in handlers.py; registration and pacing are here."""

import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from app.adapters.irc.caps import Capabilities
from app.adapters.irc.encoder import EventEncoder
from app.adapters.irc.feed import FeedView
from app.adapters.irc.message import MAX_TAGGED_LINE_BYTES, IrcMessage, IrcParseError, parse_line
from app.adapters.tcp.framing import LineSplitter, Oversized
from app.adapters.tcp.loop import Timer
from app.adapters.tcp.peer_log import PeerLog
from app.adapters.tcp.wire_session import SessionHost
from app.domain import commands
from app.domain.events import ChatEvent
from app.domain.flood import FrameKind
from app.services.connection import Verdict

if TYPE_CHECKING:
    from app.adapters.irc.protocol import IrcProtocol

# What a client may send before it is registered; anything else gets 451.
_BEFORE_REGISTRATION: Final = frozenset({"CAP", "NICK", "USER", "PASS", "PING", "QUIT"})
# Commands that draw on the message allowance (the others on the larger control one).
_MESSAGES: Final = frozenset({"PRIVMSG", "NOTICE", "CHATHISTORY"})


class IrcSession:
    """The WireSession of an IRC client. Loop thread, but for `encode` (see EventEncoder)."""

    def __init__(self, host: SessionHost, log: PeerLog, protocol: "IrcProtocol") -> None:
        self.feed = FeedView(protocol.feed)
        self.host = host
        self.chat = protocol.chat
        self.settings = protocol.settings
        self.render = protocol.renderer
        self.caps = Capabilities()
        self.encoder = EventEncoder(self)
        self.log = log
        limits = protocol.limits
        self._monotonic = limits.monotonic
        self.connection = limits.connection(
            protocol.chat,
            host,
            clock=protocol.clock,
            events=log,
            keeps_session=False,  # IRC clients never resume: a lost one has quit
        )
        self._splitter = LineSplitter(MAX_TAGGED_LINE_BYTES)
        self._queue: deque[IrcMessage | IrcParseError] = deque()
        self._pacing: Timer | None = None
        self._pinging: Timer | None = None
        self._heard_at = self._monotonic()
        self._pinged = False
        self.wanted_nick: str | None = None
        self.user: str | None = None
        self.welcomed = False  # 001 is out: registered
        self.has_been_in = False  # in the channel at some point (it had the backlog then)
        self.serving: IrcMessage | None = None  # the line being served, for error replies
        self.serving_thread = 0  # ... on this thread (a cluster node's refusals come on another)
        self._charged = False  # the line being served went to the room (its allowance taken)
        self._line_invalid = False  # the line being served was answered with an error
        self._input_ended = False  # the client half-closed: serve what waits, then close
        self._closing = False  # the connection is closing: serve nothing more
        self.clock = protocol.clock
        self._handlers: dict[str, Callable[[IrcMessage], Verdict]] = protocol.handlers(self)

    # --- the WireSession port -------------------------------------------------------------

    def received(self, data: bytes) -> Verdict:
        self._heard_at = self._monotonic()
        self._pinged = False
        if self._pinging is None:
            self._pinging = self.host.call_later(self.settings.ping_after, self._idle_check)
        self.connection.new_read()
        for line in self._splitter.feed(data):
            item = self._parsed(line)
            if item is None:
                continue
            if isinstance(item, IrcMessage) and item.command == "PONG":
                continue  # never queued behind anything: hearing it is all it is for
            self._queue.append(item)
        verdict = self._drain()
        if verdict is Verdict.CONTINUE and len(self._queue) > self.settings.max_queued_lines:
            # Still more waiting than a paste: it keeps flooding (one read is at most 64 KiB).
            self.close_with("Excess Flood", reason="excess_flood")
            return Verdict.CLOSE
        return verdict

    def encode(self, event: ChatEvent) -> bytes:
        return self.encoder.encode(event)

    def input_ended(self) -> Verdict:
        if not self._queue:
            self.connection.lost("disconnected")
            return Verdict.CLOSE
        self._input_ended = True  # a paste then a half-close (a bot's pipe): all of it goes
        return Verdict.CONTINUE

    def closing(self) -> None:
        self._closing = True
        self._stop_timers()
        self._queue.clear()

    def registration_due(self) -> Verdict:
        if not self.connection.open or self.chat.is_registered(self.host):
            return Verdict.CONTINUE
        self.close_with("Registration timed out", reason="registration_timeout")
        return Verdict.CLOSE

    def lost(self, reason: str) -> None:
        self.closing()
        self.connection.lost(reason)

    def _stop_timers(self) -> None:
        for timer in (self._pacing, self._pinging):
            if timer is not None:
                timer.cancel()
        self._pacing = self._pinging = None

    # --- for the handlers -----------------------------------------------------------------

    @property
    def nick(self) -> str:
        """Its nick now, as numerics address it ('*' before registration). Lines sent to
        it after a rename come after the NICK line (see Outbox), so they may use the new one
        at once; its feed reads by the nick as of each entry (FeedView.nick)."""
        nick = self.connection.nick
        return nick if self.welcomed and nick is not None else self.feed.nick

    def send(self, data: bytes) -> None:
        self.host.send_bytes(data)

    def reply(self, numeric: str, *params: str) -> Verdict:
        """A numeric to this client, answering its line."""
        self.send(self.render.reply(numeric, self.nick, *params))
        return Verdict.CONTINUE

    def refuse(self, numeric: str, *params: str) -> Verdict:
        """An error numeric: the line was not valid (a run of such lines, counted once a
        line, ends the connection)."""
        self.send(self.render.reply(numeric, self.nick, *params))
        self._line_invalid = True
        return Verdict.CONTINUE

    def fail(self, data: bytes) -> Verdict:
        """A reply of another form than a numeric (FAIL) that says the line was not valid."""
        self.send(data)
        self._line_invalid = True
        return Verdict.CONTINUE

    def run(self, command: commands.Command) -> Verdict:
        """Hand a command to the room through the Connection rules (which take its flood
        allowance)."""
        self._charged = True
        return self.connection.receive(command, self._monotonic())

    def close_with(self, text: str, *, reason: str) -> None:
        """ERROR and goodbye: what IRC says before it closes a connection."""
        self.send(self.render.closing(text))
        self.connection.lost(reason)

    def try_to_register(self) -> Verdict:
        """NICK, USER and no CAP negotiation under way: join the room under that nick (IRC
        clients expect 433 for a taken one, and pick another)."""
        if self.welcomed or self.caps.holding or self.wanted_nick is None or self.user is None:
            return Verdict.CONTINUE
        if self.chat.is_registered(self.host):
            return Verdict.CONTINUE  # on a cluster node, its welcome is on its way
        join = commands.Join(
            nick=self.wanted_nick, exact=True, present=self.settings.autojoin, resumable=False
        )
        verdict = self.run(join)
        if not self.chat.is_registered(self.host):
            self.wanted_nick = None  # refused (433, 432): it must send another NICK
        return verdict

    # --- pacing ---------------------------------------------------------------------------

    def _parsed(self, line: bytes | Oversized) -> IrcMessage | IrcParseError | None:
        if isinstance(line, Oversized):
            return IrcParseError("the line was too long", too_long=True)
        try:
            return parse_line(line)
        except IrcParseError as error:
            return error

    def _drain(self) -> Verdict:
        """Serve what waits, in order, as fast as the flood limits allow: what is over them
        waits its turn (IRC servers pace a paste rather than refuse it)."""
        while self._queue:
            if not self.connection.open:
                return Verdict.CLOSE
            item = self._queue[0]
            kind = FrameKind.MESSAGE if _costs_a_message(item) else FrameKind.CONTROL
            wait = self.connection.wait_time(kind, self._monotonic())
            if wait > 0:
                if self._pacing is None:
                    self._pacing = self.host.call_later(wait, self._paced)
                return Verdict.CONTINUE
            self._queue.popleft()
            if self._serve(item, kind) is Verdict.CLOSE:
                return Verdict.CLOSE
        if self._input_ended:  # all served: now it is gone
            self.connection.lost("disconnected")
            return Verdict.CLOSE
        return Verdict.CONTINUE

    def _paced(self) -> None:
        self._pacing = None
        if self._closing:
            return
        try:
            verdict = self._drain()
        except Exception:  # our own bug: it ends this connection, not its queue's progress
            self.log.exception("connection_failed")
            self.connection.lost("server_error")
            verdict = Verdict.CLOSE
        if verdict is Verdict.CLOSE:
            self.host.close_soon()

    def _serve(self, item: IrcMessage | IrcParseError, kind: FrameKind) -> Verdict:
        self._charged = self._line_invalid = False
        if isinstance(item, IrcParseError):
            if item.too_long:
                self.refuse("417", "Input line was too long")
            else:
                self.refuse("NOTICE", f"line dropped: {item.reason}")
            return self._answered_here(kind)
        handler = self._handlers.get(item.command)
        if handler is None:
            self.refuse("421", item.command, "Unknown command")
        elif item.command not in _BEFORE_REGISTRATION and not self.welcomed:
            self.refuse("451", "You have not registered")
        else:
            self.serving, self.serving_thread = item, threading.get_ident()
            try:
                verdict = handler(item)
            finally:
                self.serving = None
            if self._charged or verdict is Verdict.CLOSE:
                return verdict  # the Connection took its allowance and counted it
        return self._answered_here(kind)

    def _answered_here(self, kind: FrameKind) -> Verdict:
        """A line the gateway answered without the room: it costs its allowance all the
        same, and counts as valid or not (a run of invalid ones ends the connection)."""
        self.connection.spend(kind, self._monotonic())
        return self.connection.record(valid=not self._line_invalid)

    def _idle_check(self) -> None:
        """PING a client that has gone quiet; cut it off if it stays quiet."""
        self._pinging = None
        if not self.connection.open:
            return
        silent = self._monotonic() - self._heard_at
        if self._closing:
            return
        if self._pinged and silent >= self.settings.ping_after + self.settings.ping_timeout:
            self.close_with("Ping timeout", reason="ping_timeout")
            self.host.close_soon()
            return
        if not self._pinged and silent >= self.settings.ping_after:
            self._pinged = True
            self.send(self.render.reply_plain("PING", self.render.server))
            delay = self.settings.ping_timeout
        else:
            delay = max(0.1, self.settings.ping_after - silent)
        self._pinging = self.host.call_later(delay, self._idle_check)


def _costs_a_message(item: IrcMessage | IrcParseError) -> bool:
    """Messages (and history requests) draw on the message allowance. A CTCP request other
    than ACTION is answered by the gateway, as a question: the control one."""
    if not isinstance(item, IrcMessage) or item.command not in _MESSAGES:
        return False
    text = item.params[1] if len(item.params) > 1 else ""
    return not text.startswith("\x01") or text[1:7].upper() == "ACTION"
