"""The HTTP endpoint Prometheus scrapes: /metrics, in Prometheus's text format."""

from prometheus_client import CollectorRegistry, start_http_server


class MetricsEndpoint:
    """prometheus_client's HTTP server on its own thread, serving `registry`. Raises OSError
    when it cannot listen (the port is taken, the address is not this machine's)."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry) -> None:
        self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        self.port: int = self._server.server_port
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=1.0)
