"""The console's heartbeat: users online and message totals, every few seconds."""

import threading
from collections.abc import Callable

import structlog

from app.adapters.console.memory import release_free_memory
from app.domain.metrics import MetricsSnapshot

_log = structlog.get_logger()


def log_totals(event: str, snapshot: MetricsSnapshot) -> None:
    _log.info(
        event,
        users=snapshot.users,
        public_total=snapshot.public_total,
        private_total=snapshot.private_total,
    )


class StatsReporter:
    """Logs a `stats` line every `interval` seconds on a thread of its own until stopped."""

    def __init__(
        self,
        snapshot: Callable[[], MetricsSnapshot],
        interval: float,
        release_memory: Callable[[], None] = release_free_memory,
    ) -> None:
        self._snapshot = snapshot
        self._release_memory = release_memory
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stats-reporter", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=1.0)

    def _run(self) -> None:
        previous = None
        while not self._stopped.wait(self._interval):
            snapshot = self._snapshot()
            log_totals("stats", snapshot)
            if snapshot == previous:
                # Quiet since the last tick: a good moment to hand back what a burst freed.
                # (Never while busy: trimming holds the allocator's lock for a moment.)
                self._release_memory()
            previous = snapshot
