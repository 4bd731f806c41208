"""Bytes on their way to one client's socket."""

from collections import deque


class Outbox:
    """Any thread may `put`; only the connection's loop thread gathers and sends.

    A deque append is atomic, so putting takes no lock and never waits. Queued items are
    shared: a broadcast is encoded once and every recipient's queue holds the same bytes
    object, copied into `unsent` only when that recipient's loop gets round to it.
    """

    def __init__(self) -> None:
        self._queue: deque[bytes] = deque()
        self.unsent = bytearray()  # loop thread only
        self.put = self._queue.append  # the deque's own method: no extra call per put

    def gather(self) -> int:
        """Move everything put so far behind what is unsent; returns the bytes now waiting."""
        queue, unsent = self._queue, self.unsent
        # Pop a counted number of items: puts from other threads may land meanwhile, and
        # they wait for the next gather rather than race this one.
        for _ in range(len(queue)):
            unsent += queue.popleft()
        return len(unsent)

    def next_chunk(self) -> bytes | bytearray:
        """What to hand to `send` next: everything waiting, in order.

        The common case of a quiet room, one frame waiting and nothing left over, hands out
        the shared frame itself rather than a copy of it.
        """
        if not self.unsent and len(self._queue) == 1:
            return self._queue.popleft()
        self.gather()
        return self.unsent

    def sent(self, chunk: bytes | bytearray, count: int) -> None:
        """`count` bytes of `chunk` (from next_chunk) went out; keep the rest, in order."""
        if chunk is self.unsent:
            del self.unsent[:count]
        elif count < len(chunk):
            self.unsent += chunk[count:]

    def clear(self) -> None:
        self._queue.clear()
        self.unsent.clear()
