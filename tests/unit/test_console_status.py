"""The operator's console: a status line at the bottom, event lines fitted to the width."""

import io
import itertools
import threading
import time

import pytest

from app.adapters.console.logs import FittedConsoleRenderer
from app.adapters.console.stats import StatsReporter
from app.adapters.console.status_line import StatusLine, status_text
from app.domain.metrics import MetricsSnapshot


def test_the_status_reads_users_public_private_rate_and_uptime_in_that_order() -> None:
    text = status_text(MetricsSnapshot(3, 120, 4), per_second=0.75, uptime=3725)
    assert text == "users 3 | public 120 | private 4 | 0.8 msg/s | up 1h02m"
    assert len(text) < 80


def test_the_status_row_is_kept_out_of_the_scrolling_region_and_redrawn_after_a_resize() -> None:
    out = io.StringIO()
    sizes = [(80, 24)]
    line = StatusLine(out, threading.Lock(), size=lambda: sizes[-1])
    line.show("users 1")
    drawn = out.getvalue()
    assert "\x1b[1;23r" in drawn  # rows 1-23 scroll; row 24 is the status
    assert "\x1b[24;1H\x1b[2K\x1b[7musers 1" in drawn
    sizes.append((80, 30))
    line.refresh()
    assert "\x1b[1;29r" in out.getvalue()
    assert "\x1b[24;1H\x1b[2K\x1b8" in out.getvalue()  # the old status row cleared
    line.close()
    assert out.getvalue().endswith("\x1b[r\x1b[30;1H\x1b[2K")  # the whole terminal back


def test_the_status_line_shows_messages_a_second_between_two_ticks() -> None:
    shown: list[str] = []
    done = threading.Event()

    class Display:
        def show(self, text: str) -> None:
            shown.append(text)
            if len(shown) == 3:
                done.set()

        def refresh(self) -> None:
            pass

        def close(self) -> None:
            pass

    snapshots = iter([MetricsSnapshot(1, 0, 0), MetricsSnapshot(1, 0, 0), MetricsSnapshot(2, 8, 2)])
    clock = iter([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 6.0, 6.0, 6.0, 6.0])

    def now() -> float:
        return next(clock, 6.0)

    reporter = StatsReporter(
        lambda: next(snapshots, MetricsSnapshot(2, 8, 2)),
        interval=0.001,
        release_memory=lambda: None,
        status=Display(),
        monotonic=now,
    )
    reporter.start()
    assert done.wait(timeout=5)
    reporter.stop()
    assert shown[0].startswith("users 1 | public 0 | private 0 | 0.0 msg/s")
    assert shown[2].startswith("users 2 | public 8 | private 2 | 2.0 msg/s")  # 10 in 5 s


def test_an_event_line_keeps_its_fields_in_order_and_breaks_between_them_to_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "UTC")  # the time is shown in local time
    time.tzset()
    render = FittedConsoleRenderer(colors=False, width=lambda: 80)
    event = {
        "timestamp": "2026-11-24T12:00:00Z",
        "level": "info",
        "event": "connect_from_another_machine",
        "command": "chat-client --host 192.168.100.200 --port 55555",
        "users": 3,
        "public_total": 120,
        "private_total": 4,
    }
    lines = render(None, "info", event).splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert len(lines) == 3
    joined = " ".join(line.strip() for line in lines)
    assert joined.endswith(
        "command='chat-client --host 192.168.100.200 --port 55555'"
        " users=3 public_total=120 private_total=4"
    )
    assert lines[0] == "12:00:00 connect_from_another_machine"  # local time; UTC here
    assert lines[1].startswith(" " * 9 + "command=")  # whole fields on the next lines
    assert lines[2] == " " * 9 + "public_total=120 private_total=4"


def test_what_a_client_sent_reaches_the_console_escaped_and_cut_short() -> None:
    render = FittedConsoleRenderer(colors=False, width=lambda: 80)
    event = {"event": "client_joined", "requested": "\x1b[r\x1b[2J\x1b]0;pwned\x07" + "x" * 999}
    line = render(None, "info", event)
    assert "\x1b" not in line
    assert "\x07" not in line
    assert "\\x1b[2J" in line  # shown, not obeyed
    assert len(line) < 500


def test_a_closed_status_line_draws_nothing_more() -> None:
    out = io.StringIO()
    line = StatusLine(out, threading.Lock(), size=lambda: (80, 24))
    line.show("users 1")
    line.close()
    closed = out.getvalue()
    line.show("users 2")  # a tick that was already on its way
    line.refresh()
    assert out.getvalue() == closed


def test_a_field_longer_than_a_line_is_cut_between_words_under_the_indent() -> None:
    render = FittedConsoleRenderer(colors=False, width=lambda: 60)
    advice = "anyone on the network path can read the chat; use a VPN or an SSH tunnel"
    lines = render(None, "warning", {"event": "traffic_not_encrypted", "advice": advice})
    rows = lines.splitlines()
    assert all(len(row) <= 60 for row in rows)
    assert all(row.startswith(" " * 9) for row in rows[1:])
    assert " ".join(row.strip() for row in rows[1:]) == f"advice='{advice}'"


def test_off_a_terminal_each_interval_is_a_stats_line_with_rate_and_uptime() -> None:
    ticks = threading.Event()
    clock = itertools.count()  # each reading a second later than the one before
    snapshots = iter([MetricsSnapshot(1, 0, 0), MetricsSnapshot(2, 6, 2)])

    def snapshot() -> MetricsSnapshot:
        taken = next(snapshots, None)
        if taken is None:  # a third tick: the second one's line is out
            ticks.set()
            return MetricsSnapshot(2, 6, 2)
        return taken

    logged: list[dict[str, object]] = []

    class Events:
        def info(self, event: str, **fields: object) -> None:
            logged.append({"event": event, **fields})

        def warning(self, event: str, **fields: object) -> None:
            logged.append({"event": event, **fields})

        def error(self, event: str, **fields: object) -> None:
            logged.append({"event": event, **fields})

    reporter = StatsReporter(
        snapshot,
        interval=0.001,
        release_memory=lambda: None,
        monotonic=lambda: float(next(clock)),
        events=Events(),
    )
    reporter.start()
    assert ticks.wait(timeout=5)
    reporter.stop()
    stats = [entry for entry in logged if entry["event"] == "stats"]
    assert stats[1] == {
        "event": "stats",
        "users": 2,
        "public_total": 6,
        "private_total": 2,
        "messages_per_second": 4.0,
        "uptime_seconds": 5,
    }
