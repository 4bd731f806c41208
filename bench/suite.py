"""`make bench`: W1-W3 against chat-server and, if installed, ngircd; W4 (a stop under load)
against chat-server alone, for ngircd has no shutdown frame to check."""

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Final

from bench.runner import Report, Workload, run_workload
from bench.shutdown import STOP_LIMIT_SECONDS, ShutdownReport, shutdown_under_load

CHAT_PORT: Final = 56555
IRC_PORT: Final = 56667
NGIRCD_CONFIG: Final = resources.files("bench") / "ngircd.conf"
# The chat-server installed beside this Python: run as an operator would run it.
CHAT_SERVER: Final = str(Path(sys.executable).parent / "chat-server")


# ngircd registers a burst of clients slowly: it listens with a backlog of 10, the loader
# connects them all at once, and each connect dropped from the full backlog waits a second
# for TCP to try again (10,000 took over half an hour here). So its per-client memory is
# measured holding this many.
PEER_IDLE_CLIENTS: Final = 2_000


@dataclass(frozen=True)
class Case:
    name: str
    metric: str  # what the ratio compares
    workload: Workload
    also: tuple[str, ...] = ()  # further metrics with a row of their own in the table


@dataclass(frozen=True)
class Metric:
    value: Callable[[Report], float | None]
    # "higher" or "lower" is better for the server; "even" is the loader's own cost, which
    # should be the same against both servers.
    better: str


METRICS: Final[dict[str, Metric]] = {
    "deliveries/s": Metric(lambda report: report.deliveries_per_second, "higher"),
    "p99 latency ms": Metric(lambda report: report.latency_ms["p99"], "lower"),
    "RSS KiB/client": Metric(lambda report: report.server_rss_per_client_kib, "lower"),
    "server CPU us/delivery": Metric(lambda report: report.server_cpu_us_per_delivery, "lower"),
    "registration s": Metric(lambda report: report.connect_seconds, "lower"),
    "loader CPU us/delivery": Metric(lambda report: report.loader_cpu_us_per_delivery, "even"),
}
LOADER_METRIC: Final = "loader CPU us/delivery"


def base_workload(procs: int) -> Workload:
    return Workload(
        host="127.0.0.1",
        port=0,
        dialect="v1",
        clients=0,
        senders=0,
        messages=0,
        rate=0,
        payload_bytes=64,
        procs=procs,
        timeout=600,
    )


def cases(procs: int) -> list[Case]:
    base = base_workload(procs)
    return [
        Case(
            "W1 fan-out burst",
            "deliveries/s",
            replace(base, clients=500, senders=10, messages=300),
            also=("server CPU us/delivery", "registration s"),
        ),
        Case(
            "W2 steady chat",
            "p99 latency ms",
            replace(base, clients=200, senders=10, messages=100, rate=10),
            also=("server CPU us/delivery",),
        ),
        Case("W3 idle capacity", "RSS KiB/client", replace(base, clients=10_000, idle=True)),
    ]


SHUTDOWN_CASE: Final = "W4 shutdown under load"


def shutdown_workload(procs: int) -> Workload:
    """W1's shape, with enough messages that the burst is still running at the signal."""
    return replace(
        base_workload(procs), port=CHAT_PORT, clients=500, senders=10, messages=3_000, timeout=60
    )


def _wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port}")


@dataclass(frozen=True)
class RunningServer:
    process: "subprocess.Popen[bytes]"
    log_dir: Path | None = None  # chat-server's: its messages.txt is there

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def _running(command: list[str], port: int) -> Iterator["subprocess.Popen[bytes]"]:
    """A server process for one workload, once it listens; stopped afterwards."""
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(port, time.monotonic() + 30)
        yield process
    finally:
        _stop(process)


def _stop(process: "subprocess.Popen[bytes]") -> None:
    """Stop a server once its workload is done (nothing, if the workload stopped it). ngircd
    takes over 10 s to say goodbye to 5,000 clients: that is not measured, so it is cut short."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def chat_server() -> Iterator[RunningServer]:
    with tempfile.TemporaryDirectory() as logs:
        command = [
            CHAT_SERVER,
            "--port",
            str(CHAT_PORT),
            "--rate",
            "0",
            "--log-dir",
            logs,
            "--log-format",
            "json",
        ]
        with _running(command, CHAT_PORT) as process:
            yield RunningServer(process, Path(logs))


@contextmanager
def ngircd() -> Iterator[RunningServer]:
    binary = shutil.which("ngircd") or "/usr/sbin/ngircd"
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "ngircd.conf"
        config.write_text(NGIRCD_CONFIG.read_text().replace("Ports = 56667", f"Ports = {IRC_PORT}"))
        with _running([binary, "-n", "-f", str(config)], IRC_PORT) as process:
            yield RunningServer(process)


def ngircd_installed() -> bool:
    return shutil.which("ngircd") is not None or os.path.exists("/usr/sbin/ngircd")


def raise_file_limit() -> None:
    """10,000 clients need more descriptors than the usual soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


Run = tuple[Case, Report, Report | None]  # a workload, against chat-server and ngircd


@dataclass(frozen=True)
class SuiteResults:
    runs: list[Run]
    shutdown: ShutdownReport


def run_suite(procs: int) -> SuiteResults:
    raise_file_limit()
    runs = [run_case(case) for case in cases(procs)]
    with chat_server() as server:
        assert server.log_dir is not None
        shutdown = shutdown_under_load(shutdown_workload(procs), server.process, server.log_dir)
    return SuiteResults(runs, shutdown)


def run_case(case: Case) -> Run:
    """One workload against a fresh chat-server and, if installed, a fresh ngircd: what one
    workload leaves behind must not count in the next."""
    with chat_server() as server:
        ours = run_workload(replace(case.workload, port=CHAT_PORT), server.pid)
    theirs = None
    if ngircd_installed():
        peer = replace(case.workload, port=IRC_PORT, dialect="irc")
        if peer.idle:
            peer = replace(peer, clients=min(peer.clients, PEER_IDLE_CLIENTS))
        with ngircd() as server:
            theirs = run_workload(peer, server.pid)
    return case, ours, theirs


# --- the summary table ------------------------------------------------------------------------

TABLE_NOTES: Final = """\
Ratios are how many times better chat-server does: higher deliveries/s; lower latency,
memory, CPU and time. For the loader's own CPU (sending and counting, registration left out)
the ratio is chat-server's over ngircd's: near 1.00x, the loader costs the same against both
and flatters neither. ngircd's registration time is mostly TCP's one-second SYN retries: it
listens with a backlog of 10 and the loader connects every client at once."""


def table(runs: list[Run], shutdown: ShutdownReport | None = None) -> str:
    rows = [
        "| workload | metric | chat-server | ngircd | ratio | complete |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for case, ours, theirs in runs:
        complete = "yes" if ours.complete and (theirs is None or theirs.complete) else "NO"
        rows.append(_row(case.name, case.metric, ours, theirs, complete))
        rows.extend(_row(case.name, metric, ours, theirs) for metric in case.also)
        if not case.workload.idle:  # the idle workload delivers nothing
            rows.append(_row(case.name, LOADER_METRIC, ours, theirs))
    if shutdown is not None:
        rows.extend(_shutdown_rows(shutdown))
    return "\n".join(rows) + "\n\n" + TABLE_NOTES


def _row(name: str, label: str, ours: Report, theirs: Report | None, complete: str = "") -> str:
    metric = METRICS[label]
    mine = metric.value(ours)
    other = metric.value(theirs) if theirs else None
    return (
        f"| {name} | {label} | {_cell(mine)} | {_cell(other)} "
        f"| {_ratio(metric, mine, other)} | {complete} |"
    )


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value >= 1_000 else f"{value:.2f}" if value >= 10 else f"{value:.3f}"


def _ratio(metric: Metric, mine: float | None, other: float | None) -> str:
    if not mine or not other:
        return "n/a"
    # Always "how many times better": higher throughput, lower latency, memory, CPU or time.
    better = other / mine if metric.better == "lower" else mine / other
    return f"{better:.2f}x"


def _shutdown_rows(report: ShutdownReport) -> list[str]:
    stopped = report.seconds_to_stop
    verdict = "pass" if report.passed else "FAIL"
    return [
        f"| {SHUTDOWN_CASE} | seconds to stop (limit {STOP_LIMIT_SECONDS:g} s) "
        f"| {'never' if stopped is None else f'{stopped:.3f}'} | n/a | n/a | {verdict} |",
        f"| {SHUTDOWN_CASE} | clients complete, of {report.accepted:,} accepted "
        f"| {report.complete} of {report.connected_at_signal} | n/a | n/a | |",
    ]
