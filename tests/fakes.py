"""Small real stand-ins for the outside world, each with a window for the test."""

import itertools
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from app.domain.events import ChatEvent, History
from app.services.feed import RoomFeed

T0 = datetime(2026, 11, 23, 20, 57, 43, 123000, tzinfo=UTC)


class RecordingRecipient:
    """A fake connection: keeps what it is owed, in the order a real one would send it.

    It hears the room feed while following; the service publishes and delivers under one
    lock, so recording both as they happen gives exactly a real outbox's order.
    """

    def __init__(self, feed: RoomFeed) -> None:
        self.received: list[ChatEvent] = []
        self.ended: str | None = None  # why the service closed it, if it did
        self._following = False
        feed.subscribe(self._hear)

    def deliver(self, event: ChatEvent) -> None:
        self.received.append(event)

    def deliver_pages(self, pages: Iterator[History]) -> None:
        self.received.extend(pages)

    def follow(self) -> None:
        self._following = True

    def unfollow(self) -> None:
        self._following = False

    def end(self, reason: str) -> None:
        self.ended = reason

    def take(self) -> list[ChatEvent]:
        taken, self.received = self.received, []
        return taken

    def _hear(self, event: ChatEvent) -> None:
        if self._following:
            self.received.append(event)


class RecordingEvents:
    """A fake console: keeps (level, event, fields) lines."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict[str, Any]]] = []

    def info(self, event: str, /, **fields: Any) -> None:
        self.lines.append(("info", event, fields))

    def warning(self, event: str, /, **fields: Any) -> None:
        self.lines.append(("warning", event, fields))

    def error(self, event: str, /, **fields: Any) -> None:
        self.lines.append(("error", event, fields))

    def events(self) -> list[str]:
        return [event for _, event, _ in self.lines]


class CountingSecrets:
    """'secret-1', 'secret-2', ...: unguessable in production, predictable in a test, and
    never the same twice in one test run (as two servers on one store would need)."""

    _count = itertools.count(1)

    def __init__(self) -> None:
        self.given: list[str] = []

    def __call__(self) -> str:
        secret = f"secret-{next(CountingSecrets._count)}"
        self.given.append(secret)
        return secret


class ManualClock:
    def __init__(self, start: datetime = T0) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class ScriptedKeys:
    """Keys 'pressed' in order, one per read; None once they run out."""

    def __init__(self, keys: str) -> None:
        self._keys = deque(keys)
        self.reads = 0
        self.closed = False

    def read_key(self, timeout: float) -> str | None:
        self.reads += 1
        return self._keys.popleft() if self._keys else None

    def close(self) -> None:
        self.closed = True


def names_from(*names: str) -> "NameSource":
    return NameSource(names)


class NameSource:
    """Suggests the given names in turn, then 'Extra1', 'Extra2', ..."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = deque(names)
        self._extra = 0

    def __call__(self) -> str:
        if self._names:
            return self._names.popleft()
        self._extra += 1
        return f"Extra{self._extra}"


class ManualMonotonic:
    """A monotonic clock in seconds that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
