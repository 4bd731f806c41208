"""The room feed as protocol v1 bytes: every broadcast encoded once, shared by every client."""

import bisect
import threading
from typing import Final

# Freeing the front of the buffer moves nothing, but trimming the offsets list does: free in
# steps of at least this many bytes, not at every pass.
_RELEASE_STEP: Final = 64 << 10


class EncodedFeed:
    """Broadcast frames back to back, numbered from 0; a client is a position (the number of
    the next entry it is owed). Entries are kept while some client still owes them.

    Appends come under the chat service's lock, reads from the I/O loops: a lock of its own
    keeps a read from seeing an entry half-added or a prefix half-freed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data = bytearray()
        # _starts[i] is where entry `_first + i` starts, counted in bytes since the feed began;
        # its last element is where the next entry will start.
        self._starts: list[int] = [0]
        self._first = 0  # the oldest entry kept
        self._freed = 0  # bytes freed from the front: the feed-wide offset of _data[0]
        self.end = 0  # the number the next entry will get (read without the lock: one int)

    def append(self, frame: bytes) -> None:
        with self._lock:
            self._data += frame
            self._starts.append(self._starts[-1] + len(frame))
            self.end += 1

    def read(self, start: int, stop: int, budget: int) -> tuple[bytearray, int]:
        """Entries from `start` up to `stop`, but no more than `budget` bytes of them (at
        least one entry, though). Returns the bytes and the position after the last one."""
        with self._lock:
            first = self._checked(start)
            starts = self._starts
            begin = starts[start - first]
            if starts[stop - first] - begin > budget:
                # The last entry that still ends within the budget (at least one entry).
                within = bisect.bisect_right(
                    starts, begin + budget, start - first + 1, stop - first
                )
                stop = max(start + 1, first + within - 1)
            end = starts[stop - first]
            return self._data[begin - self._freed : end - self._freed], stop

    def size(self, start: int, stop: int) -> int:
        """Bytes in the entries from `start` up to `stop`."""
        if start >= stop:
            return 0
        with self._lock:
            first = self._checked(start)
            return self._starts[stop - first] - self._starts[start - first]

    def release(self, before: int) -> None:
        """Entries before `before` are owed to nobody any more: free them."""
        with self._lock:
            count = before - self._first
            if count <= 0:
                return
            cut = self._starts[count] - self._freed
            if cut < _RELEASE_STEP and before < self.end:  # all owed out: free it all now
                return
            del self._data[:cut]
            del self._starts[:count]
            self._first = before
            self._freed += cut

    def _checked(self, start: int) -> int:
        """The oldest entry kept, which `start` must not be below (that is a bug of ours:
        better an exception, which ends one connection, than garbage on the wire)."""
        if start < self._first:
            raise LookupError(f"feed entry {start} was freed (the oldest kept is {self._first})")
        return self._first

    @property
    def kept_bytes(self) -> int:
        return len(self._data)
