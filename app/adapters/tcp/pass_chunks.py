"""One feed pass's reads of the room feed, shared by the clients that are owed the same."""

from typing import Final

from app.adapters.tcp.outbox import CHUNK_BYTES
from app.adapters.tcp.wire_session import FeedReader

_POSITIONS_KEPT: Final = 8  # at most 8 x CHUNK_BYTES held by one pass


class PassChunks:
    """After a burst nearly every client is at the same feed position: the pass reads the
    feed from that position once, and every client there sends the same chunk (a send is
    all that is left per client). Also sums what the pass sent, for one telemetry call.
    """

    __slots__ = ("_feed", "end", "frames", "read", "sent_bytes")

    def __init__(self, feed: FeedReader) -> None:
        self._feed = feed
        # Read once, before any client is served: a frame queued for one client after this
        # carries a position at or after `end`, so the feed up to here is owed before it.
        self.end = feed.end
        # Chunks read so far, by position (read directly by the hot loop, which then calls
        # chunk_from only for a position not read yet).
        self.read: dict[int, tuple[bytearray, int]] = {}
        self.frames = 0
        self.sent_bytes = 0

    def chunk_from(self, cursor: int) -> tuple[bytearray, int]:
        """The feed's entries from `cursor` on (at most CHUNK_BYTES of them, at least one),
        and the position after the last. The chunk is shared: it is never changed."""
        found = self.read.get(cursor)
        if found is None:
            found = self._feed.read(cursor, self.end, CHUNK_BYTES)
            # Kept for the clients after this one, up to a few positions: clients strewn
            # over many positions (joined during a flood) must not pin a chunk each.
            if len(self.read) < _POSITIONS_KEPT:
                self.read[cursor] = found
        return found
