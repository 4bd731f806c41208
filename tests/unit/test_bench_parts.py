from typing import Any

import pytest

from bench.dialects import IrcDialect, V1Dialect
from bench.growth import STEPS, step_workload
from bench.loadgen import MARKER, message_text
from bench.runner import Report, Workload, plans_for
from bench.shutdown import ShutdownReport
from bench.stats import percentile
from bench.suite import Run, cases, table


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([], 0.5) == 0


def test_a_message_carries_its_send_time_and_has_the_asked_length() -> None:
    text = message_text(123456789, 64)
    assert len(text) == 64
    assert text.startswith(MARKER.decode() + "123456789#")


def test_irc_registration_ends_at_the_names_list_or_the_welcome() -> None:
    irc = IrcDialect()
    assert irc.is_registered(b":srv 366 b1 #bench :End of NAMES list", join=True)
    assert not irc.is_registered(b":srv 001 b1 :Welcome", join=True)
    assert irc.is_registered(b":srv 001 b1 :Welcome", join=False)
    assert irc.answer(b"PING :srv\r") == b"PONG :srv\r\n"
    assert irc.answer(b":a PRIVMSG #bench :PING") is None


def test_v1_registration_ends_at_the_welcome() -> None:
    v1 = V1Dialect()
    assert v1.is_registered(b'{"type":"welcome","nick":"b1"}', join=True)
    assert v1.message("hi") == b'{"type": "public", "text": "hi"}\n'


def test_clients_senders_and_probes_are_spread_over_the_processes() -> None:
    workload = Workload(
        host="127.0.0.1",
        port=1,
        dialect="v1",
        clients=10,
        senders=3,
        messages=5,
        rate=0,
        payload_bytes=64,
        procs=3,
        timeout=1,
        latency_probes=2,
    )
    plans = plans_for(workload)
    assert sum(len(plan.nicks) for plan in plans) == 10
    assert sum(len(plan.senders) for plan in plans) == 3
    assert sum(len(plan.latency_probes) for plan in plans) == 2
    assert len({nick for plan in plans for nick in plan.nicks}) == 10


def report(workload: Workload, **figures: Any) -> Report:
    fields: dict[str, Any] = {
        "registered": workload.clients,
        "connect_seconds": 0.5,
        "expected": 1_000_000,
        "received": 1_000_000,
        "seconds": 0.25,
        "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0, "max": 4.0},
        "server_rss_per_client_kib": 5.0,
        "server_cpu_seconds": 0.2,
        "loader_cpu_seconds": 0.3,
        "errors": [],
    }
    return Report(workload=workload, **(fields | figures))


def test_cpu_is_reported_per_delivery_to_another_client_in_microseconds() -> None:
    burst = report(SUITE[0].workload)
    assert burst.server_cpu_us_per_delivery == pytest.approx(0.2)
    assert burst.loader_cpu_us_per_delivery == pytest.approx(0.3)
    figures = burst.as_dict()
    assert figures["server_cpu_us_per_delivery"] == pytest.approx(0.2)
    assert figures["loader_cpu_us_per_delivery"] == pytest.approx(0.3)
    assert figures["loader_cpu_seconds"] == pytest.approx(0.3)  # the old key stays
    idle = report(SUITE[2].workload, expected=0, received=0)
    assert idle.server_cpu_us_per_delivery is None
    assert idle.loader_cpu_us_per_delivery is None


SUITE = cases(procs=2)


def test_the_table_shows_w1_server_cpu_and_registration_and_every_loader_cost() -> None:
    w1, w2, w3 = SUITE
    runs: list[Run] = [
        (
            w1,
            report(w1.workload, connect_seconds=0.13),
            report(w1.workload, server_cpu_seconds=0.5, connect_seconds=36.0),
        ),
        (w2, report(w2.workload), report(w2.workload, loader_cpu_seconds=0.33)),
        (w3, report(w3.workload, received=0), report(w3.workload, received=0)),
    ]
    rows = table(runs).splitlines()
    assert "| W1 fan-out burst | server CPU us/delivery | 0.200 | 0.500 | 2.50x |  |" in rows
    assert "| W1 fan-out burst | registration s | 0.130 | 36.00 | 276.92x |  |" in rows
    assert "| W1 fan-out burst | loader CPU us/delivery | 0.300 | 0.300 | 1.00x |  |" in rows
    assert "| W2 steady chat | loader CPU us/delivery | 0.300 | 0.330 | 0.91x |  |" in rows
    assert not any(row.startswith("| W3 idle capacity | loader") for row in rows)


def shutdown_report(**figures: Any) -> ShutdownReport:
    fields: dict[str, Any] = {
        "workload": SUITE[0].workload,
        "registered": 500,
        "accepted": 12_000,
        "connected_at_signal": 500,
        "complete": 500,
        "no_frame": 0,
        "miscounted": 0,
        "delivered_at_signal": 5_000_000,
        "exit_seconds": 0.5,
        "last_close_seconds": 0.4,
        "loader_cpu_seconds": 1.0,
        "errors": [],
    }
    return ShutdownReport(**(fields | figures))


def test_a_stop_passes_within_two_seconds_with_nothing_accepted_missing() -> None:
    assert shutdown_report().passed
    assert not shutdown_report(exit_seconds=2.1).passed
    assert not shutdown_report(last_close_seconds=None).passed
    assert not shutdown_report(complete=499, miscounted=1).passed
    assert not shutdown_report(accepted=0).passed
    rows = table([], shutdown_report()).splitlines()
    assert (
        "| W4 shutdown under load | seconds to stop (limit 2 s) | 0.500 | n/a | n/a | pass |"
        in rows
    )


def test_each_growth_step_delivers_about_one_and_a_half_million_to_other_clients() -> None:
    for clients, messages in STEPS:
        workload = step_workload(2, clients, messages)
        deliveries = workload.senders * workload.messages * (workload.clients - 1)
        assert 1_490_000 <= deliveries <= 1_510_000, clients
        assert workload.rate == 0
        assert workload.payload_bytes == 64
