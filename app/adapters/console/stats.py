"""The console's heartbeat: users online and message totals, every few seconds: on a
terminal in a status line at the bottom, otherwise (a pipe, systemd) as a `stats` log line."""

import threading
import time
from collections.abc import Callable
from typing import Final, Protocol

import structlog

from app.adapters.console.memory import release_free_memory
from app.adapters.console.status_line import status_text
from app.domain.metrics import MetricsSnapshot
from app.services.ports import EventLog

_log = structlog.get_logger()
# How often a status line checks for a resize (its figures change every interval).
_RESIZE_CHECK_SECONDS: Final = 0.5


class StatusDisplay(Protocol):
    def show(self, text: str) -> None: ...
    def refresh(self) -> None: ...
    def close(self) -> None: ...


def log_totals(event: str, snapshot: MetricsSnapshot) -> None:
    _log.info(
        event,
        users=snapshot.users,
        public_total=snapshot.public_total,
        private_total=snapshot.private_total,
    )


class StatsReporter:
    """Every `interval` seconds, on a thread of its own until stopped: the figures on the
    status line if there is one, else a `stats` log line."""

    def __init__(
        self,
        snapshot: Callable[[], MetricsSnapshot],
        interval: float,
        *,
        release_memory: Callable[[], None] = release_free_memory,
        status: StatusDisplay | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        events: EventLog | None = None,
    ) -> None:
        self._events: EventLog = events or _log
        self._snapshot = snapshot
        self._release_memory = release_memory
        self._interval = interval
        self._status = status
        self._monotonic = monotonic
        self._started = monotonic()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stats-reporter", daemon=True)

    def start(self) -> None:
        self._started = self._monotonic()
        if self._status is not None:
            self._status.show(status_text(self._snapshot(), 0.0, 0.0))
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=1.0)
        if self._status is not None:
            self._status.close()

    def _run(self) -> None:
        previous: MetricsSnapshot | None = None
        previous_at = self._monotonic()
        next_tick = previous_at + self._interval
        while not self._stopped.wait(self._wait(next_tick)):
            now = self._monotonic()
            if now < next_tick:  # woken early: to check for a resize, or by the clock's rounding
                if self._status is not None:
                    self._status.refresh()
                continue
            next_tick = now + self._interval
            snapshot = self._snapshot()
            self._report(snapshot, previous, now - previous_at, now)
            if snapshot == previous:
                # Quiet since the last tick: a good moment to hand back what a burst freed.
                # (Never while busy: trimming holds the allocator's lock for a moment.)
                self._release_memory()
            previous, previous_at = snapshot, now

    def _wait(self, next_tick: float) -> float:
        left = max(0.0, next_tick - self._monotonic())
        return left if self._status is None else min(left, _RESIZE_CHECK_SECONDS)

    def _report(
        self,
        snapshot: MetricsSnapshot,
        previous: MetricsSnapshot | None,
        elapsed: float,
        now: float,
    ) -> None:
        said = 0
        if previous is not None:
            said = (snapshot.public_total - previous.public_total) + (
                snapshot.private_total - previous.private_total
            )
        per_second = said / elapsed if elapsed > 0 else 0.0
        uptime = now - self._started
        if self._status is not None:
            self._status.show(status_text(snapshot, per_second, uptime))
            return
        here = {} if snapshot.here is None else {"users_here": snapshot.here}
        self._events.info(
            "stats",
            users=snapshot.users,
            **here,
            public_total=snapshot.public_total,
            private_total=snapshot.private_total,
            messages_per_second=round(per_second, 2),
            uptime_seconds=round(uptime),
        )
