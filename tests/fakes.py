"""Small real stand-ins for the outside world, each with a window for the test."""

from collections import deque
from datetime import UTC, datetime, timedelta

from app.domain.events import ChatEvent

T0 = datetime(2026, 11, 23, 20, 57, 43, 123000, tzinfo=UTC)


class RecordingRecipient:
    """A fake connection: keeps what it was sent."""

    def __init__(self) -> None:
        self.received: list[ChatEvent] = []

    def deliver(self, event: ChatEvent) -> None:
        self.received.append(event)

    def take(self) -> list[ChatEvent]:
        taken, self.received = self.received, []
        return taken


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
