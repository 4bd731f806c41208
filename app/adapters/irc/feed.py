"""The room feed as IRC lines, encoded once per tag variant for every IRC client, and each
client's own reading of it (its variant; its own messages left out unless it asked for
echo-message)."""

import threading
from dataclasses import dataclass
from typing import Final

from app.adapters.irc.render import VARIANTS, Renderer
from app.domain.events import (
    ChatEvent,
    NickChanged,
    PublicMessage,
    ServerShutdown,
    UserJoined,
    UserLeft,
)
from app.domain.nicknames import fold_nick

_RELEASE_STEP: Final = 1024  # entries freed at once, not one at every pass
_ENTRIES_PER_READ: Final = 4096  # a client far behind reads its way forward, a slice at a time


@dataclass(frozen=True, slots=True)
class _Entry:
    lines: tuple[bytes, ...]  # one per variant
    sender: str | None = None  # the folded nick of a public message's sender
    renamed: tuple[str, str, str] | None = None  # a nick change: old folded, new folded, new


class IrcFeed:
    """Feed entries numbered from 0, kept while some client still owes them. Appends come
    under the room's lock, reads from the I/O loops: a lock of its own guards the list."""

    def __init__(self, renderer: Renderer) -> None:
        self._renderer = renderer
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        # Per variant, the bytes of all entries before each kept one (and after the last):
        # what a client owes is one subtraction, however far behind it is.
        self._offsets: list[list[int]] = [[0] for _ in range(VARIANTS)]
        self._first = 0  # the number of _entries[0]
        self.end = 0

    def publish(self, event: ChatEvent) -> None:
        entry = self._entry(event)
        with self._lock:
            self._entries.append(entry)
            for offsets, line in zip(self._offsets, entry.lines, strict=True):
                offsets.append(offsets[-1] + len(line))
            self.end += 1

    def release(self, before: int) -> None:
        with self._lock:
            count = before - self._first
            if count >= _RELEASE_STEP or (count > 0 and before >= self.end):
                del self._entries[:count]
                for offsets in self._offsets:
                    del offsets[:count]
                self._first = before

    def entries(self, start: int, stop: int) -> list[_Entry]:
        with self._lock:
            first = self._checked(start)
            return self._entries[start - first : min(stop, start + _ENTRIES_PER_READ) - first]

    def size(self, start: int, stop: int, variant: int) -> int:
        """Bytes of the entries from `start` up to `stop` in `variant` (echoes included)."""
        with self._lock:
            first = self._checked(start)
            offsets = self._offsets[variant]
            return offsets[stop - first] - offsets[start - first]

    def _checked(self, start: int) -> int:
        if start < self._first:  # our own bug: better one connection ended than garbage
            raise LookupError(f"IRC feed entry {start} was freed")
        return self._first

    def _entry(self, event: ChatEvent) -> _Entry:
        render = self._renderer
        match event:
            case PublicMessage():
                return _Entry(render.message_variants(event), sender=fold_nick(event.sender))
            case UserJoined():
                return _Entry(tuple(render.joined(event, v) for v in range(VARIANTS)))
            case UserLeft():
                return _Entry(tuple(render.left(event, v) for v in range(VARIANTS)))
            case NickChanged():
                renamed = (fold_nick(event.old), fold_nick(event.new), event.new)
                lines = tuple(render.renamed(event, v) for v in range(VARIANTS))
                return _Entry(lines, renamed=renamed)
            case ServerShutdown():
                return _Entry((render.closing(event.reason),) * VARIANTS)
            case _:  # nothing else is broadcast; an entry all the same, so positions agree
                return _Entry((b"",) * VARIANTS)


class FeedView:
    """One client's reading of the IRC feed (the FeedReader its Outbox reads). `nick` is
    its nick as of the entries read so far: its own renames come through the feed."""

    __slots__ = ("_feed", "echo", "nick", "variant")

    def __init__(self, feed: IrcFeed) -> None:
        self._feed = feed
        self.variant = 0
        self.echo = False
        self.nick = "*"

    @property
    def end(self) -> int:
        return self._feed.end

    def read(self, start: int, stop: int, budget: int) -> tuple[bytearray, int]:
        data = bytearray()
        position = start
        own = fold_nick(self.nick)
        while position < stop and len(data) < budget:
            for entry in self._feed.entries(position, stop):
                position += 1
                if entry.renamed is not None and entry.renamed[0] == own:
                    own, self.nick = entry.renamed[1], entry.renamed[2]
                if entry.sender == own and not self.echo:
                    continue  # its own message, and it did not ask for echo-message
                data += entry.lines[self.variant]
                if len(data) >= budget:
                    break
        return data, position

    def size(self, start: int, stop: int) -> int:
        return 0 if start >= stop else self._feed.size(start, stop, self.variant)
