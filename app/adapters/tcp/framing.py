"""Bytes to lines, with a cap on line length. Pure: no socket in sight."""

from dataclasses import dataclass
from typing import Final

MAX_FRAME_BYTES: Final = 16_384  # a client frame, "\n" included


@dataclass(frozen=True)
class Oversized:
    """Stands in for a line that was longer than the limit and has been dropped."""


class LineSplitter:
    """Cuts a byte stream into lines ending in "\\n" (a "\\r" before it is dropped).

    A line longer than `limit` bytes (its "\\n" included) comes out as one Oversized, as soon
    as that is known, and the rest of it is skipped up to its "\\n", so memory stays bounded.
    """

    __slots__ = ("_discarding", "_limit", "_pending")

    def __init__(self, limit: int = MAX_FRAME_BYTES) -> None:
        self._limit = limit
        self._pending = bytearray()
        self._discarding = False  # inside an over-long line: skip to its "\n"

    def feed(self, chunk: bytes) -> list[bytes | Oversized]:
        self._pending += chunk
        lines: list[bytes | Oversized] = []
        start = 0
        while (end := self._pending.find(b"\n", start)) != -1:
            if self._discarding:
                self._discarding = False
            elif end + 1 - start > self._limit:
                lines.append(Oversized())
            else:
                lines.append(bytes(self._pending[start:end]).removesuffix(b"\r"))
            start = end + 1
        del self._pending[:start]
        if self._discarding:
            self._pending.clear()
        elif len(self._pending) >= self._limit:  # even the "\n" no longer fits: say so now
            self._pending.clear()
            self._discarding = True
            lines.append(Oversized())
        return lines

    @property
    def buffered(self) -> int:
        """Bytes of an unfinished line held back, waiting for its end."""
        return len(self._pending)
