import threading
from collections import deque

from app.adapters.console.stats import StatsReporter
from app.domain.metrics import MetricsSnapshot

BUSY = [MetricsSnapshot(1, n, 0) for n in range(5)]
QUIET = MetricsSnapshot(1, 9, 0)


def test_freed_memory_is_handed_back_only_when_the_server_has_been_quiet() -> None:
    snapshots = deque([*BUSY, QUIET, QUIET])
    released = threading.Event()
    seen: list[MetricsSnapshot] = []

    def next_snapshot() -> MetricsSnapshot:
        snapshot = snapshots.popleft() if snapshots else QUIET
        seen.append(snapshot)
        return snapshot

    def release() -> None:
        seen.append(MetricsSnapshot(-1, -1, -1))  # marks when the release happened
        released.set()

    reporter = StatsReporter(next_snapshot, interval=0.001, release_memory=release)
    reporter.start()
    assert released.wait(timeout=5)
    reporter.stop()
    first_release = seen.index(MetricsSnapshot(-1, -1, -1))
    assert seen[:first_release] == [*BUSY, QUIET, QUIET]  # not one release while busy
