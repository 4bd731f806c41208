"""Lines waiting to go out, in the order they were typed. The gate is shut while the client
is disconnected, so what is typed meanwhile waits here and goes out, in order, once back."""

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from app.adapters.tcp.wire import ClientFrame
from app.adapters.terminal.echoes import Draft


@dataclass(frozen=True)
class Outgoing:
    line: str  # as typed ("" for frames the client sends of its own accord)
    frame: ClientFrame | None  # None: a /history request, built when its turn comes
    draft: Draft | None = None  # a message, shown pending until the server answers
    history_limit: int = 0
    leaves: bool = False  # the quit: nothing is sent after it


class SendQueue:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._items: deque[Outgoing] = deque()
        self._open = False
        self._stopped = False

    def put(self, item: Outgoing) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    def put_front(self, items: Iterable[Outgoing]) -> None:
        with self._changed:
            self._items.extendleft(reversed(list(items)))
            self._changed.notify_all()

    def next(self) -> Outgoing | None:
        """The item whose turn it is, once the gate is open (it stays queued until `done`);
        None once stopped."""
        with self._changed:
            while not self._stopped and not (self._open and self._items):
                self._changed.wait()
            return None if self._stopped else self._items[0]

    def done(self, item: Outgoing) -> bool:
        """Take `item` off the queue if it is still first and the gate still open."""
        with self._changed:
            if self._open and self._items and self._items[0] is item:
                self._items.popleft()
                return True
            return False

    def open(self) -> None:
        with self._changed:
            self._open = True
            self._changed.notify_all()

    def shut(self) -> None:
        with self._changed:
            self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    def stop(self) -> list[Outgoing]:
        """No more sending; returns what never went out."""
        with self._changed:
            self._stopped = True
            left, self._items = list(self._items), deque()
            self._changed.notify_all()
            return left

    def __len__(self) -> int:
        return len(self._items)
