"""The server's figures as Prometheus metrics, in a registry of their own (so several servers
can run in one process): the Telemetry and TransportTelemetry ports, counted."""

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
        self._deliveries = Counter(
            "chatroom_deliveries", "Frames sent to clients", registry=registry
        )
        self._bytes_sent = Counter(
            "chatroom_bytes_sent", "Bytes sent to clients", registry=registry
        )
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
        self._deliveries.inc(frames)
        self._bytes_sent.inc(sent_bytes)
