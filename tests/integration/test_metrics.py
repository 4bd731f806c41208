"""The metrics endpoint: a real server and a real HTTP scrape, checked against a short chat."""

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.adapters.metrics.endpoint import MetricsEndpoint
from app.adapters.metrics.prometheus import PrometheusTelemetry
from app.adapters.tcp.limits import ConnectionLimits
from app.domain.flood import FloodLimits
from app.main_server import serve_metrics
from tests.conftest import StartServer
from tests.wire_client import Frame, WireClient

SERVER = [sys.executable, "-m", "app.main_server", "--port", "0"]

SCRAPE_TIMEOUT = 5.0
Samples = dict[str, float]


def scrape(url: str) -> Samples:
    """Every sample on the page, by its name and labels as written: `a_total{kind="x"}`."""
    with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def scrape_until(url: str, done: Callable[[Samples], bool]) -> Samples:
    """A count is made just after its send returns, so the client may read the frame a moment
    before it is counted: scrape again until `done`, for a few seconds at most."""
    deadline = time.monotonic() + SCRAPE_TIMEOUT
    samples = scrape(url)
    while not done(samples) and time.monotonic() < deadline:
        time.sleep(0.01)
        samples = scrape(url)
    return samples


@pytest.fixture
def metrics() -> Iterator[tuple[PrometheusTelemetry, MetricsEndpoint]]:
    telemetry, endpoint = serve_metrics("127.0.0.1", 0)
    assert telemetry is not None
    assert endpoint is not None
    yield telemetry, endpoint
    endpoint.close()


def test_a_scrape_counts_what_happened_in_a_short_chat(
    start_server: StartServer, metrics: tuple[PrometheusTelemetry, MetricsEndpoint]
) -> None:
    telemetry, endpoint = metrics
    assert endpoint.url == f"http://127.0.0.1:{endpoint.port}/metrics"
    # Four messages a client at once, and then (almost) none: the fifth is refused.
    limits = ConnectionLimits(flood=FloodLimits(rate=0.001, burst=4))
    server = start_server(telemetry=telemetry, max_clients=2, limits=limits)
    alice, bob = WireClient(server.address), WireClient(server.address)
    received: list[Frame] = [alice.hello("alice"), bob.hello("bob")]
    turned_away = WireClient(server.address)
    assert [frame["code"] for frame in turned_away.frames_until_closed()] == ["server_full"]
    turned_away.close()

    for text in ("one", "two", "three"):
        alice.send({"type": "public", "text": text})
    alice.send({"type": "private", "to": "bob", "text": "psst"})
    alice.send({"type": "public", "text": "too many"})
    received += alice.drain() + bob.drain()
    assert sum(frame.get("code") == "rate_limited" for frame in received) == 1
    assert sum(frame["type"] == "public" for frame in received) == 6  # 3 to each
    assert sum(frame["type"] == "private" for frame in received) == 2  # with the echo
    received_count = len(received) + 2  # and the two pongs that ended the drains

    samples = scrape_until(
        endpoint.url, lambda now: now["chatroom_deliveries_total"] >= received_count
    )
    assert samples["chatroom_users_online"] == 2
    assert samples['chatroom_messages_total{kind="public"}'] == 3
    assert samples['chatroom_messages_total{kind="private"}'] == 1
    assert samples["chatroom_deliveries_total"] >= received_count
    assert samples["chatroom_bytes_sent_total"] > 0
    assert samples["chatroom_connections_accepted_total"] == 2
    assert samples['chatroom_connections_refused_total{reason="server_full"}'] == 1
    assert samples["chatroom_rate_limited_frames_total"] >= 1
    assert samples["chatroom_slow_consumer_drops_total"] == 0
    assert samples["chatroom_store_append_seconds_count"] == 4
    assert samples['chatroom_store_append_seconds_bucket{le="+Inf"}'] == 4
    alice.close()
    bob.close()


def test_two_servers_in_one_process_keep_their_figures_apart(
    start_server: StartServer, metrics: tuple[PrometheusTelemetry, MetricsEndpoint]
) -> None:
    telemetry, endpoint = metrics
    other_telemetry, other_endpoint = serve_metrics("127.0.0.1", 0)
    assert other_telemetry is not None
    assert other_endpoint is not None
    try:
        busy = start_server(telemetry=telemetry)
        start_server(telemetry=other_telemetry)
        client = WireClient(busy.address)
        client.hello("alice")
        assert scrape(endpoint.url)["chatroom_users_online"] == 1
        assert scrape(other_endpoint.url)["chatroom_users_online"] == 0
        client.close()
    finally:
        other_endpoint.close()


def test_a_metrics_port_in_use_is_an_oserror_the_server_reports(
    metrics: tuple[PrometheusTelemetry, MetricsEndpoint],
) -> None:
    _, endpoint = metrics
    with pytest.raises(OSError, match="in use"):
        serve_metrics("127.0.0.1", endpoint.port)


def test_the_server_process_serves_metrics_only_when_asked_and_logs_where(
    tmp_path: Path,
) -> None:
    server = subprocess.Popen(
        [*SERVER, "--log-dir", str(tmp_path), "--metrics-port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        events = {}
        for line in server.stdout:  # JSON lines: stdout is not a terminal
            event = json.loads(line)
            events[event["event"]] = event
            if "server_listening" in events and "metrics_listening" in events:
                break
        url = events["metrics_listening"]["url"]
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/metrics")
        client = WireClient(("127.0.0.1", events["server_listening"]["port"]))
        client.hello("alice")
        client.drain()
        samples = scrape_until(url, lambda now: now["chatroom_users_online"] == 1)
        assert samples["chatroom_connections_accepted_total"] == 1
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0


def test_a_metrics_port_in_use_stops_the_server_with_a_one_line_error(
    tmp_path: Path, metrics: tuple[PrometheusTelemetry, MetricsEndpoint]
) -> None:
    _, taken = metrics
    finished = subprocess.run(
        [*SERVER, "--log-dir", str(tmp_path), "--metrics-port", str(taken.port)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert finished.returncode == 1
    lines = finished.stdout.splitlines()
    assert len(lines) == 1
    error = json.loads(lines[0])
    assert (error["event"], error["port"], error["level"]) == (
        "cannot_serve_metrics",
        taken.port,
        "error",
    )
    assert "in use" in error["reason"]
