"""Metrics: the options, off by default, and what each report counts. No sockets here."""

from pathlib import Path

import pytest

from app.adapters.metrics.prometheus import PrometheusTelemetry
from app.adapters.server_options import parse_args
from app.adapters.tcp.encoded_feed import EncodedFeed
from app.adapters.tcp.outbox import Outbox
from app.main_server import serve_metrics


def test_metrics_are_off_by_default_and_nothing_is_served() -> None:
    options = parse_args([], {})
    assert options.metrics_port is None
    assert options.metrics_host == "127.0.0.1"  # loopback, when they are turned on
    assert serve_metrics(options.metrics_host, options.metrics_port) == (None, None)


def test_the_metrics_options_parse_from_the_command_line_the_environment_and_a_file(
    tmp_path: Path,
) -> None:
    options = parse_args(["--metrics-port", "9464", "--metrics-host", "::1"], {})
    assert (options.metrics_port, options.metrics_host) == (9464, "::1")
    assert parse_args([], {"CHATROOM_METRICS_PORT": "0"}).metrics_port == 0
    config = tmp_path / "chat.toml"
    config.write_text('metrics_port = 9100\nmetrics_host = "0.0.0.0"\n')
    from_file = parse_args(["--config", str(config)], {})
    assert (from_file.metrics_port, from_file.metrics_host) == (9100, "0.0.0.0")


@pytest.mark.parametrize("port", ["65536", "-1", "http"])
def test_a_metrics_port_out_of_range_is_a_one_line_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--metrics-port", port], {})
    assert stopped.value.code == 2
    assert "--metrics-port" in capsys.readouterr().err


def test_help_shows_the_metrics_options_and_their_defaults(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--help"], {})
    shown = " ".join(capsys.readouterr().out.split())
    assert "--metrics-port" in shown
    assert "default: off" in shown
    assert "--metrics-host METRICS_HOST address the metrics endpoint listens on" in shown
    assert "(default: 127.0.0.1)" in shown.split("--metrics-host", 1)[1]


def test_each_report_counts_in_its_metric() -> None:
    telemetry = PrometheusTelemetry()
    telemetry.users_online_from(lambda: 3)  # read at each scrape
    telemetry.message_accepted("public")
    telemetry.message_accepted("public")
    telemetry.message_accepted("private")
    telemetry.frame_rate_limited()
    telemetry.append_took(0.002)
    telemetry.connection_accepted()
    telemetry.connection_refused("server_full")
    telemetry.slow_consumer_dropped()
    telemetry.frames_sent(300, 12_000)
    telemetry.frames_sent(1, 40)

    def value(name: str, **labels: str) -> float | None:
        return telemetry.registry.get_sample_value(name, labels)

    assert value("chatroom_users_online") == 3
    assert value("chatroom_messages_total", kind="public") == 2
    assert value("chatroom_messages_total", kind="private") == 1
    assert value("chatroom_rate_limited_frames_total") == 1
    assert value("chatroom_store_append_seconds_count") == 1
    assert value("chatroom_store_append_seconds_sum") == pytest.approx(0.002)
    assert value("chatroom_connections_accepted_total") == 1
    assert value("chatroom_connections_refused_total", reason="server_full") == 1
    assert value("chatroom_slow_consumer_drops_total") == 1
    assert value("chatroom_deliveries_total") == 301
    assert value("chatroom_bytes_sent_total") == 12_040


def test_a_fresh_registry_shows_every_figure_at_zero() -> None:
    telemetry = PrometheusTelemetry()

    def value(name: str, **labels: str) -> float | None:
        return telemetry.registry.get_sample_value(name, labels)

    assert value("chatroom_messages_total", kind="public") == 0
    assert value("chatroom_messages_total", kind="private") == 0
    assert value("chatroom_connections_refused_total", reason="server_full") == 0
    assert value("chatroom_deliveries_total") == 0
    assert value("chatroom_users_online") == 0


def test_the_outbox_counts_each_frame_once_however_it_is_sent() -> None:
    feed = EncodedFeed()
    outbox = Outbox(feed)
    outbox.follow()
    for text in (b"a\n", b"b\n", b"c\n"):
        feed.append(text)
    chunk = outbox.next_chunk()
    assert outbox.drawn == 3  # one batch, three frames
    outbox.sent(chunk, 1)  # the rest waits unsent: not drawn again
    outbox.put(b"mine\n")
    feed.append(b"d\n")
    while chunk := outbox.next_chunk():
        outbox.sent(chunk, len(chunk))
    assert outbox.drawn == 5
