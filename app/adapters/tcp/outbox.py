"""What one client is owed, in the order it is owed: its place in the shared feed, the
frames meant for it alone, and what a send left over."""

import threading
from collections import deque
from collections.abc import Iterator
from typing import Final

from app.adapters.tcp.wire_session import FeedReader

# Draw more from the feed or a replay only when less than this is waiting for the socket:
# what a client is behind on stays in the shared feed, not in a copy of its own.
REFILL_BELOW: Final = 64 << 10
CHUNK_BYTES: Final = 256 << 10
_ALL: Final = 1 << 62

Pages = Iterator[bytes]
Owed = tuple[int, bytes | Pages]  # (feed position, frame)
# Guards making and dropping a client's queue of its own frames (a queue exists only while
# frames wait: an empty deque costs 600 bytes, times every idle client). One lock for every
# outbox: it is taken only when a frame is put and when the queue empties, never per send.
_OWN_QUEUE_LOCK: Final = threading.Lock()


class Outbox:
    """A frame for this client alone is placed after every broadcast published before it:
    a private message after the public ones that came first, a welcome before the feed it
    opens, a replay (pages drawn one at a time) before the live traffic that follows it.

    `put`, `put_pages`, `follow` and `unfollow` may be called from any thread (`put` takes
    the lock that guards the queue's creation and removal); everything else is for the
    connection's loop thread.
    """

    __slots__ = ("_feed", "_own", "_stop", "cursor", "drawn", "unsent")

    def __init__(self, feed: FeedReader) -> None:
        self._feed = feed
        self._own: deque[Owed] | None = None  # frames for it alone; None while there are none
        self.cursor: int | None = None  # the next feed entry owed; None: not following
        self._stop: int | None = None  # owed the feed only up to here (it left the room)
        self.unsent = bytearray()
        # Frames drawn into chunks so far, for monitoring: counted once per chunk, not per
        # frame, and read by the loop thread (the only writer) after its sends.
        self.drawn = 0

    def put(self, frame: bytes) -> None:
        self._queue((self._feed.end, frame))

    def put_pages(self, pages: Pages) -> None:
        self._queue((self._feed.end, pages))

    def _queue(self, owed: Owed) -> None:
        with _OWN_QUEUE_LOCK:
            if self._own is None:
                self._own = deque()
            self._own.append(owed)

    def _drop_own_queue_if_empty(self) -> None:
        """Loop thread, once its frames are drawn: under the lock, so that a frame put from
        another thread meanwhile lands in a queue that is kept."""
        with _OWN_QUEUE_LOCK:
            if self._own is not None and not self._own:
                self._own = None

    def follow(self) -> None:
        if self.cursor is not None and self._stop is not None and self.cursor < self._stop:
            # Back in the room (an IRC client's PART then JOIN) before it was sent all it was
            # owed from before it left: that much is drawn now, to go first.
            data, _ = self._feed.read(self.cursor, self._stop, _ALL)
            self.unsent += data
        self.cursor, self._stop = self._feed.end, None

    def unfollow(self) -> None:
        if self.cursor is not None and self._stop is None:
            self._stop = self._feed.end

    @property
    def following(self) -> bool:
        """It gets the feed's broadcasts from now on (the shutdown frame among them)."""
        return self.cursor is not None and self._stop is None

    @property
    def replaying(self) -> bool:
        """A replay is still being drawn, page by page."""
        return any(not isinstance(frame, bytes) for _, frame in list(self._own or ()))

    def feed_only_at(self) -> int | None:
        """Its feed position when the feed is all it is owed (nothing of its own waits, no
        send left anything over, it is still in the room): the common case, which a feed
        pass serves with a chunk shared by every client at that position. Else None."""
        if self.unsent or self._own or self._stop is not None:
            return None
        return self.cursor

    def took_feed(self, chunk: bytearray, stop: int, sent: int) -> None:
        """`sent` bytes of the shared `chunk` (the feed up to `stop`) went out; the rest is
        kept, copied, to go before anything else."""
        if self.cursor is not None:
            self.drawn += stop - self.cursor
        self.cursor = stop
        if sent < len(chunk):
            self.unsent += memoryview(chunk)[sent:]

    def next_chunk(self) -> bytes | bytearray:
        """What to hand to `send` next, in order; empty when nothing is owed right now."""
        # Read the feed's end first: a frame for this client put after this read carries a
        # later position, so the feed up to here is surely owed before it.
        end = self._feed.end
        if not self.unsent and not self._own:
            # The common case, once per client for every batch of broadcasts: only the
            # feed is owed, and it goes out as one slice of the shared buffer.
            cursor = self.cursor
            if cursor is None:
                return b""
            limit = end if self._stop is None else min(end, self._stop)
            if cursor >= limit:
                return b""
            data, self.cursor = self._feed.read(cursor, limit, CHUNK_BYTES)
            self.drawn += self.cursor - cursor
            return data
        if len(self.unsent) >= REFILL_BELOW:
            return self.unsent
        parts: list[bytes | bytearray] = []
        own = self._own
        while own:
            position, frame = own[0]
            if position > end:
                break  # put after the feed position read above: next time
            if not self._read_feed(position, parts):
                return self._joined(parts)  # the chunk is full before this frame's turn
            if isinstance(frame, bytes):
                parts.append(frame)
                self.drawn += 1
                own.popleft()
                continue
            page = next(frame, None)
            if page is None:
                own.popleft()
                continue
            parts.append(page)  # one page at a time; nothing after it goes out before it
            self.drawn += 1
            return self._joined(parts)
        if own is not None and not own:
            self._drop_own_queue_if_empty()
        self._read_feed(end, parts)
        return self._joined(parts)

    def sent(self, chunk: bytes | bytearray, count: int) -> None:
        """`count` bytes of `chunk` (from next_chunk) went out; keep the rest, in order."""
        if chunk is self.unsent:
            del self.unsent[:count]
        elif count < len(chunk):
            self.unsent += memoryview(chunk)[count:]

    def owed(self) -> int:
        """Bytes waiting: unsent, the feed it is behind on, and frames queued for it alone."""
        waiting = len(self.unsent) + sum(
            len(frame) for _, frame in list(self._own or ()) if isinstance(frame, bytes)
        )
        if self.cursor is not None:
            limit = self._feed_limit(self._feed.end)
            if self.cursor < limit:  # past its stop, the feed may already be freed
                waiting += self._feed.size(self.cursor, limit)
        return waiting

    def done(self) -> bool:
        """Nothing owed now, and (once it has left) nothing more to come from the feed."""
        if self.unsent or self._own:
            return False
        return self.cursor is None or self.cursor >= self._feed_limit(self._feed.end)

    def feed_position(self) -> int | None:
        """The oldest feed entry this client may still need; None if it needs none."""
        if self.cursor is None or (self._stop is not None and self.cursor >= self._stop):
            return None
        return self.cursor

    def clear(self) -> None:
        with _OWN_QUEUE_LOCK:
            self._own = None
        self.unsent.clear()
        self.cursor = None

    def _read_feed(self, upto: int, parts: list[bytes | bytearray]) -> bool:
        """Add the feed entries owed before position `upto`; False if the chunk filled first."""
        if self.cursor is None:
            return True
        limit = self._feed_limit(upto)
        if self.cursor < limit:
            budget = CHUNK_BYTES - len(self.unsent) - sum(len(part) for part in parts)
            start = self.cursor
            data, self.cursor = self._feed.read(start, limit, max(1, budget))
            self.drawn += self.cursor - start
            parts.append(data)
        return self.cursor >= limit

    def _feed_limit(self, upto: int) -> int:
        return upto if self._stop is None else min(upto, self._stop)

    def _joined(self, parts: list[bytes | bytearray]) -> bytes | bytearray:
        if not self.unsent and len(parts) == 1:
            return parts[0]  # one part: handed to `send` as it is, not copied again
        for part in parts:
            self.unsent += part
        return self.unsent
