"""Stand-ins for the client's outside world: the window it draws on, the server it talks to.

The chat session sends from a thread of its own, so each fake lets a test wait for what it
expects (with a timeout) instead of sleeping.
"""

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Protocol

from app.adapters.tcp.wire import (
    ClientFrame,
    HistoryFrame,
    PrivateFrame,
    ProtocolError,
    PublicFrame,
    ServerFrame,
    WelcomeFrame,
)
from app.adapters.terminal.pacing import MessagePacer
from app.adapters.terminal.render import Fragments, clock_time, plain
from app.adapters.terminal.session import ChatSession
from tests.fakes import T0, ManualMonotonic

WAIT_SECONDS = 5.0  # how long a test waits for the sender thread before it fails
AT = clock_time(T0)  # the time on lines the client writes itself (its clock is stopped at T0)
T1 = T0 + timedelta(seconds=5)  # when the server says it took a message
AT1 = clock_time(T1)


class RecordingDisplay:
    """A fake Display: the transcript as a window lays it out, as plain text. A pending line
    is replaced in place when it is confirmed (settled) or refused."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._keys = itertools.count(1)
        self._rows: list[tuple[str, Fragments]] = []  # (shown | pending | confirmed | refused)
        self._row_of: dict[int, int] = {}  # a pending line's key -> its row
        self.reasons: list[str] = []  # why each refusal was made, in order
        self.bells = 0
        self.changes = 0

    # -- the Display port ----------------------------------------------------------------

    def show(self, line: Fragments) -> None:
        with self._changed:
            self._rows.append(("shown", line))
            self._changed.notify_all()

    def pending(self, line: Fragments) -> int:
        with self._changed:
            key = next(self._keys)
            self._row_of[key] = len(self._rows)
            self._rows.append(("pending", line))
            self._changed.notify_all()
            return key

    def settle(self, key: int, line: Fragments) -> None:
        with self._changed:
            self._replace(key, "confirmed", line)

    def refused(self, key: int | None, line: Fragments, reason: str) -> None:
        with self._changed:
            self.reasons.append(reason)
            if key is None:
                self._rows.append(("refused", line))
                self._changed.notify_all()
            else:
                self._replace(key, "refused", line)

    def bell(self) -> None:
        with self._changed:
            self.bells += 1
            self._changed.notify_all()

    def changed(self) -> None:
        with self._changed:
            self.changes += 1
            self._changed.notify_all()

    # -- the window for the test ---------------------------------------------------------

    def transcript(self) -> list[str]:
        with self._changed:
            return [plain(line) for _, line in self._rows]

    def lines(self) -> list[Fragments]:
        with self._changed:
            return [line for _, line in self._rows]

    def rows(self, kind: str) -> list[str]:
        """The lines of one kind: shown, pending (still), confirmed or refused."""
        with self._changed:
            return [plain(line) for state, line in self._rows if state == kind]

    def wait_for(self, condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> bool:
        """Wait until `condition` holds, checked after each call the session makes."""
        with self._changed:
            return self._changed.wait_for(condition, timeout)

    def _replace(self, key: int, state: str, line: Fragments) -> None:
        row = self._row_of.pop(key)  # a KeyError: settled or refused twice, or never pending
        self._rows[row] = (state, line)
        self._changed.notify_all()


class FakeServerConnection:
    """A ServerConnection to a pretend server. The test says what the server sends
    (`arrive`) and waits for what the client sent (`wait_for_sent`). Reading yields what has
    arrived and then ends, as if the server closed the connection there."""

    def __init__(self, *frames: ServerFrame | ProtocolError) -> None:
        self._changed = threading.Condition()
        self._incoming: deque[ServerFrame | ProtocolError] = deque(frames)
        self._sent: list[ClientFrame] = []
        self.closed = False

    def arrive(self, *frames: ServerFrame | ProtocolError) -> None:
        with self._changed:
            self._incoming.extend(frames)

    @property
    def sent(self) -> list[ClientFrame]:
        with self._changed:
            return list(self._sent)

    def wait_for_sent(self, count: int, timeout: float = WAIT_SECONDS) -> list[ClientFrame]:
        """Everything sent, once at least `count` frames have been; fails after `timeout`."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._sent) >= count, timeout):
                raise AssertionError(f"expected {count} frames sent, got {self._sent}")
            return list(self._sent)

    # -- what the session calls ----------------------------------------------------------

    def send(self, frame: ClientFrame) -> None:
        with self._changed:
            self._sent.append(frame)
            self._changed.notify_all()

    def read_frame(self, timeout: float | None = None) -> ServerFrame | ProtocolError | None:
        with self._changed:
            return self._incoming.popleft() if self._incoming else None

    def frames(self) -> Iterator[ServerFrame | ProtocolError]:
        while (frame := self.read_frame()) is not None:
            yield frame

    def close(self) -> None:
        self.closed = True


class NewSession(Protocol):
    """The `new_session` fixture (tests/unit/conftest.py)."""

    def __call__(
        self,
        connection: FakeServerConnection,
        *,
        nick: str = "ann",
        online: bool = True,
        marker: str | None = None,
        pacer: MessagePacer | None = None,
    ) -> tuple[ChatSession, RecordingDisplay]: ...


def unhurried_pacer() -> MessagePacer:
    """The real pacer on a clock that jumps instead of sleeping: no test waits for it."""
    clock = ManualMonotonic()
    return MessagePacer(monotonic=clock, sleep=clock.advance)


def public(number: int, text: str = "", sender: str = "bob", at: datetime = T0) -> PublicFrame:
    return PublicFrame(id=number, sender=sender, text=text or f"m{number}", ts=at)


def private(
    number: int, text: str, sender: str = "bob", to: str = "ann", at: datetime = T0
) -> PrivateFrame:
    return PrivateFrame(id=number, sender=sender, to=to, text=text, ts=at)


def welcome(
    *, resumed: bool, last_id: int = 0, token: str = "t2", nick: str = "ann"
) -> WelcomeFrame:
    return WelcomeFrame(
        nick=nick,
        requested=nick,
        renamed=False,
        users=[nick, "bob"],
        ts=T0,
        resume_token=token,
        resumed=resumed,
        last_id=last_id,
    )


def history(reason: str, *messages: PublicFrame | PrivateFrame, **flags: bool) -> HistoryFrame:
    return HistoryFrame(
        reason=reason,  # type: ignore[arg-type]
        messages=list(messages),
        more=flags.get("more", False),
        gap=flags.get("gap", False),
        ts=T0,
    )
