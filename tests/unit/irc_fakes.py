"""An IRC session on a real chat service, over a fake connection: what the unit tests of the
IRC gateway drive. No sockets, no threads: time moves when the test says so."""

from collections.abc import Callable, Iterator

from app.adapters.irc.message import IrcMessage, parse_line
from app.adapters.irc.protocol import IrcProtocol
from app.adapters.irc.session import IrcSession
from app.adapters.irc.settings import IrcSettings
from app.adapters.tcp.limits import ConnectionLimits
from app.adapters.tcp.loop import Timer
from app.adapters.tcp.peer_log import PeerLog
from app.domain.events import ChatEvent, History
from app.domain.flood import FloodLimits
from app.services.connection import Verdict
from tests.fakes import ManualMonotonic
from tests.unit.room_harness import RoomHarness

SERVER = "irc.test"


class FakeTimer(Timer):
    """A call due at a moment on the fake monotonic clock; `cancel` makes it a no-op."""

    __slots__ = ()

    def __init__(self, due: float, call: Callable[[], None]) -> None:  # no loop to tally in
        self.due = due
        self.call = call
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeHost:
    """The connection an IrcSession serves (a SessionHost, and the room's Recipient).

    What the session sends itself and what the room delivers to it alone are kept in the
    order they were handed over; the room feed it follows is read on demand, from the
    position it started following at (as its Outbox would), through the session's FeedView.
    """

    def __init__(self, monotonic: ManualMonotonic) -> None:
        self._monotonic = monotonic
        self._session: IrcSession | None = None
        self.sent: list[bytes] = []  # its own bytes, in order: replies and delivered events
        self._taken = 0  # how many lines `take` has handed out already
        self.timers: list[FakeTimer] = []
        self.close_asked = 0  # how many times close_soon was called
        self.ended: str | None = None
        self.cursor: int | None = None  # the next feed entry owed; None: never followed
        self.stop: int | None = None  # owed the feed only up to here (it left the room)

    @property
    def session(self) -> IrcSession:
        assert self._session is not None, "no session on this host yet"
        return self._session

    def attach(self, session: IrcSession) -> None:
        self._session = session

    # --- Recipient ------------------------------------------------------------------------

    def deliver(self, event: ChatEvent) -> None:
        self.sent.append(self.session.encode(event))

    def deliver_pages(self, pages: Iterator[History]) -> None:
        self.sent.extend(self.session.encode(page) for page in pages)

    def follow(self) -> None:
        self.cursor, self.stop = self.session.feed.end, None

    def unfollow(self) -> None:
        if self.cursor is not None and self.stop is None:
            self.stop = self.session.feed.end

    def end(self, reason: str) -> None:
        self.ended = reason

    # --- SessionHost ----------------------------------------------------------------------

    def send_bytes(self, data: bytes) -> None:
        if data:
            self.sent.append(data)

    def call_later(self, delay: float, call: Callable[[], None]) -> Timer:
        timer = FakeTimer(self._monotonic() + delay, call)
        self.timers.append(timer)
        return timer

    def close_soon(self) -> None:
        self.close_asked += 1

    # --- for the test ---------------------------------------------------------------------

    @property
    def following(self) -> bool:
        return self.cursor is not None and self.stop is None

    def pending_timers(self) -> list[FakeTimer]:
        return [timer for timer in self.timers if not timer.cancelled]

    def run_due(self) -> int:
        """Run every timer due by now (and those they schedule that are due too), earliest
        first, as the loop would; returns how many ran."""
        ran = 0
        while (timer := self._next_timer(self._monotonic())) is not None:
            timer.cancelled = True  # taken out of the heap to run, as the loop does
            timer.call()
            ran += 1
        return ran

    def advance(self, seconds: float) -> int:
        """Let `seconds` pass on the monotonic clock, each timer running at its due time
        (as a loop that is never late would run it); returns how many ran."""
        until = self._monotonic() + seconds
        ran = 0
        while (timer := self._next_timer(until)) is not None:
            self._monotonic.now = max(self._monotonic.now, timer.due)
            ran += self.run_due()
        self._monotonic.now = until
        return ran + self.run_due()

    def _next_timer(self, by: float) -> FakeTimer | None:
        due = [timer for timer in self.timers if not timer.cancelled and timer.due <= by]
        return min(due, key=lambda timer: timer.due, default=None)

    def received(self, *lines: str) -> Verdict:
        """The client sends these lines, in one read."""
        return self.session.received("".join(f"{line}\r\n" for line in lines).encode())

    def lines(self) -> list[IrcMessage]:
        """Every line sent to it alone so far, parsed, in order."""
        return _parse_all(b"".join(self.sent))

    def take(self) -> list[IrcMessage]:
        """The lines sent to it alone since the last `take`."""
        every = self.lines()
        taken, self._taken = every[self._taken :], len(every)
        return taken

    def commands(self) -> list[str]:
        """The commands (numerics included) of the lines since the last `take`."""
        return [line.command for line in self.take()]

    def feed_lines(self) -> list[IrcMessage]:
        """What the room feed owes it since the last read, as its FeedView reads it."""
        if self.cursor is None:
            return []
        feed = self.session.feed
        limit = feed.end if self.stop is None else min(feed.end, self.stop)
        if self.cursor >= limit:
            return []
        data, self.cursor = feed.read(self.cursor, limit, 1 << 20)
        return _parse_all(bytes(data))


def _parse_all(data: bytes) -> list[IrcMessage]:
    parsed = []
    for raw in data.split(b"\r\n"):
        message = parse_line(raw)
        if message is not None:
            parsed.append(message)
    return parsed


class IrcRig:
    """A chat service on the tests' in-memory store, an IRC gateway on it, and a way to
    connect clients to it. `room` is the RoomHarness underneath (its store, its clock, and
    people who use the room without IRC)."""

    def __init__(
        self,
        *,
        rate: float = 0,
        burst: int = 0,
        backlog: int = 50,
        settings: IrcSettings | None = None,
    ) -> None:
        self.room = RoomHarness(backlog=backlog)
        self.chat = self.room.chat
        self.store = self.room.store
        self.monotonic = ManualMonotonic()
        self.settings = settings or IrcSettings(server=SERVER)
        self.limits = ConnectionLimits(
            flood=FloodLimits(rate=rate, burst=burst), monotonic=self.monotonic
        )
        self.protocol = IrcProtocol(self.chat, self.room.clock, self.limits, self.settings)
        self.chat.feed.subscribe(self.protocol.publish)  # as the TCP server does

    def connect(self) -> FakeHost:
        host = FakeHost(self.monotonic)
        host.attach(self.protocol.open_session(host, PeerLog("irc-test")))
        return host

    def registered(self, nick: str, *caps: str) -> FakeHost:
        """A client that asked for `caps` (if any) and registered as `nick`, its welcome
        taken (what it was sent, and the feed up to now)."""
        host = self.connect()
        lines = [f"CAP REQ :{' '.join(caps)}"] if caps else []
        lines += [f"NICK {nick}", f"USER {nick} 0 * :{nick.title()}"]
        if caps:
            lines.append("CAP END")
        host.received(*lines)
        assert self.chat.is_registered(host), f"{nick} did not register: {host.lines()}"
        host.take()
        host.feed_lines()
        return host

    def public_texts(self) -> list[str]:
        return [message.text for message in self.store.public]
