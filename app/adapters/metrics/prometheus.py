"""The server's figures as Prometheus metrics, in a registry of their own (so several servers
can run in one process): the Telemetry and TransportTelemetry ports, counted."""

import threading
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

MESSAGE_KINDS = ("public", "private")
REFUSAL_REASONS = ("server_full",)
# Seconds: an SQLite append costs about 20 us of CPU (docs/PERFORMANCE.md); a slow disk, more.
APPEND_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0)


class PrometheusTelemetry:
    """Counts what the chat service and the TCP adapter report; `users_online_from` gives the
    gauge its source, read at each scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._users = Gauge("chatroom_users_online", "Users in the room", registry=registry)
        self._messages = Counter(
            "chatroom_messages", "Messages accepted, by kind", ["kind"], registry=registry
        )
        # Counted on the send path of every client: plain per-thread numbers, summed only
        # when scraped (a Counter takes a lock on every increment).
        self._sent = _SentTally()
        registry.register(self._sent)
        self._accepted = Counter(
            "chatroom_connections_accepted", "Connections accepted", registry=registry
        )
        self._refused = Counter(
            "chatroom_connections_refused",
            "Connections turned away, by reason",
            ["reason"],
            registry=registry,
        )
        self._slow_drops = Counter(
            "chatroom_slow_consumer_drops",
            "Clients dropped for not reading what they were owed",
            registry=registry,
        )
        self._rate_limited = Counter(
            "chatroom_rate_limited_frames",
            "Frames refused by flood control",
            registry=registry,
        )
        self._append = Histogram(
            "chatroom_store_append_seconds",
            "Time to append one message to the room log",
            buckets=APPEND_BUCKETS,
            registry=registry,
        )
        # Every label value from the start, so a scrape shows 0 rather than nothing.
        self._by_kind = {kind: self._messages.labels(kind=kind) for kind in MESSAGE_KINDS}
        for reason in REFUSAL_REASONS:
            self._refused.labels(reason=reason)

    def users_online_from(self, count: Callable[[], float]) -> None:
        self._users.set_function(count)

    # --- Telemetry (the chat service) -----------------------------------------------------

    def message_accepted(self, kind: str) -> None:
        self._by_kind[kind].inc()

    def frame_rate_limited(self) -> None:
        self._rate_limited.inc()

    def append_took(self, seconds: float) -> None:
        self._append.observe(seconds)

    # --- TransportTelemetry (the TCP adapter) ---------------------------------------------

    def connection_accepted(self) -> None:
        self._accepted.inc()

    def connection_refused(self, reason: str) -> None:
        self._refused.labels(reason=reason).inc()

    def slow_consumer_dropped(self) -> None:
        self._slow_drops.inc()

    def frames_sent(self, frames: int, sent_bytes: int) -> None:
        self._sent.add(frames, sent_bytes)


class _SentTally(Collector):
    """Frames and bytes sent, each I/O thread adding to numbers of its own without a lock;
    a scrape sums them."""

    def __init__(self) -> None:
        self._mine = threading.local()
        self._cells: list[list[int]] = []
        self._cells_lock = threading.Lock()  # taken once per thread, and per scrape

    def add(self, frames: int, sent_bytes: int) -> None:
        cell: list[int] | None = getattr(self._mine, "cell", None)
        if cell is None:
            cell = [0, 0]
            self._mine.cell = cell
            with self._cells_lock:
                self._cells.append(cell)
        cell[0] += frames
        cell[1] += sent_bytes

    def collect(self) -> Iterator[CounterMetricFamily]:
        with self._cells_lock:
            frames = sum(cell[0] for cell in self._cells)
            sent = sum(cell[1] for cell in self._cells)
        yield CounterMetricFamily("chatroom_deliveries", "Frames sent to clients", value=frames)
        yield CounterMetricFamily("chatroom_bytes_sent", "Bytes sent to clients", value=sent)
