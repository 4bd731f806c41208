"""The Display port for the window: the session's threads queue what to show, and the
application applies it on its own thread, in order, a batch at a time."""

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass

from app.adapters.terminal.render import Fragments


@dataclass(frozen=True)
class Show:
    key: int
    line: Fragments


@dataclass(frozen=True)
class Replace:
    key: int
    line: Fragments


@dataclass(frozen=True)
class Bell:
    pass


@dataclass(frozen=True)
class StatusChanged:
    pass


Change = Show | Replace | Bell | StatusChanged


class WindowDisplay:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys = itertools.count(1)
        self._changes: list[Change] = []
        self._wake: Callable[[], None] | None = None
        self._woken = False

    def attach(self, wake: Callable[[], None]) -> None:
        """`wake` is called from any thread to have the window call `take` on its own."""
        with self._lock:
            self._wake = wake
            pending = bool(self._changes)
        if pending:
            wake()

    def take(self) -> list[Change]:
        with self._lock:
            changes, self._changes = self._changes, []
            self._woken = False
            return changes

    def show(self, line: Fragments) -> None:
        self._push(Show(next(self._keys), line))

    def pending(self, line: Fragments) -> int:
        key = next(self._keys)
        self._push(Show(key, line))
        return key

    def settle(self, key: int, line: Fragments) -> None:
        self._push(Replace(key, line))

    def refused(self, key: int | None, line: Fragments, reason: str) -> None:  # noqa: ARG002
        self._push(Show(next(self._keys), line) if key is None else Replace(key, line))

    def bell(self) -> None:
        self._push(Bell())

    def changed(self) -> None:
        self._push(StatusChanged())

    def _push(self, change: Change) -> None:
        with self._lock:
            self._changes.append(change)
            wake = None if self._woken else self._wake
            if wake is not None:
                self._woken = True
        if wake is not None:
            wake()
