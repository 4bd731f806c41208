"""The bottom row of the operator's terminal, kept for the room's figures while the events
scroll above it (a scroll region, as irssi's and tmux's status bars do)."""

import contextlib
import shutil
import threading
from collections.abc import Callable
from typing import TextIO

from app.domain.metrics import MetricsSnapshot

Size = Callable[[], tuple[int, int]]  # (columns, rows)

_SAVE, _RESTORE = "\x1b7", "\x1b8"
_CLEAR_LINE = "\x1b[2K"


def status_text(snapshot: MetricsSnapshot, per_second: float, uptime: float) -> str:
    """The figures in the order a person reads them: who is here, what was said, how busy,
    how long up."""
    here = "" if snapshot.here is None else f" ({snapshot.here} here)"
    return (
        f"users {snapshot.users}{here} | public {snapshot.public_total}"
        f" | private {snapshot.private_total} | {per_second:.1f} msg/s | up {_duration(uptime)}"
    )


def _duration(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    days, hour = divmod(hours, 24)
    if days:
        return f"{days}d{hour:02d}h"
    if hours:
        return f"{hours}h{minute:02d}m"
    return f"{minute}m{second:02d}s"


def _terminal_size() -> tuple[int, int]:
    size = shutil.get_terminal_size()
    return size.columns, size.lines


class StatusLine:
    """Everything written to `stream` goes through `lock` (see console/logs.py), so a log
    line never lands inside the escape sequences that draw the status row."""

    def __init__(self, stream: TextIO, lock: threading.Lock, size: Size = _terminal_size) -> None:
        self._stream = stream
        self._lock = lock
        self._size = size
        self._rows = 0
        self._text = ""
        self._closed = False

    def show(self, text: str) -> None:
        """Draw `text` on the bottom row; after a resize, keep that row out of the scrolling
        region again. Nothing once closed."""
        with self._lock:
            if not self._closed:
                self._draw(text)

    def _draw(self, text: str) -> None:
        columns, rows = self._size()
        drawn = ""
        if rows != self._rows:
            if 0 < self._rows < rows:  # taller now: the old status row is in the events' way
                drawn += f"{_SAVE}\x1b[{self._rows};1H{_CLEAR_LINE}{_RESTORE}"
            # A line down and back up leaves a row free below the cursor (scrolling if it
            # was at the bottom); then the rows above the last become the scrolling region,
            # and the cursor goes back where it was (setting a region moves it home).
            drawn += f"\n\x1b[A{_SAVE}\x1b[1;{rows - 1}r{_RESTORE}"
            self._rows = rows
        self._text = text
        line = text[: max(0, columns - 1)]  # never the last column: no automatic wrap
        drawn += f"{_SAVE}\x1b[{rows};1H{_CLEAR_LINE}\x1b[7m{line}\x1b[0m{_RESTORE}"
        self._write(drawn)

    def refresh(self) -> None:
        """Redraw after a possible resize, with the last figures."""
        with self._lock:
            if not self._closed and self._rows and self._size()[1] != self._rows:
                self._draw(self._text)

    def close(self) -> None:
        """Give the whole terminal back to scrolling, the status row emptied; for good."""
        with self._lock:
            self._closed = True
            if self._rows:
                rows = self._size()[1]
                self._write(f"\x1b[r\x1b[{rows};1H{_CLEAR_LINE}")
                self._rows = 0

    def _write(self, text: str) -> None:
        """Under the lock already. A terminal that went away is no reason to fail."""
        with contextlib.suppress(OSError):
            self._stream.write(text)
            self._stream.flush()
