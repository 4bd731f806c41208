"""`make bench`: the three workloads against chat-server and, if installed, ngircd."""

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Final

from bench.runner import Report, Workload, run_workload

CHAT_PORT: Final = 56555
IRC_PORT: Final = 56667
NGIRCD_CONFIG: Final = resources.files("bench") / "ngircd.conf"
# The chat-server installed beside this Python: run as an operator would run it.
CHAT_SERVER: Final = str(Path(sys.executable).parent / "chat-server")


# ngircd registers clients in time that grows with the number already there (10,000 took
# over half an hour here), so its per-client memory is measured holding this many.
PEER_IDLE_CLIENTS: Final = 2_000


@dataclass(frozen=True)
class Case:
    name: str
    metric: str  # what the ratio compares
    workload: Workload


def cases(procs: int) -> list[Case]:
    base = Workload(
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
    return [
        Case(
            "W1 fan-out burst", "deliveries/s", replace(base, clients=500, senders=10, messages=300)
        ),
        Case(
            "W2 steady chat",
            "p99 latency ms",
            replace(base, clients=200, senders=10, messages=100, rate=10),
        ),
        Case("W3 idle capacity", "RSS KiB/client", replace(base, clients=10_000, idle=True)),
    ]


def figure(case: Case, report: Report) -> float:
    if case.metric == "deliveries/s":
        return report.deliveries_per_second
    if case.metric == "p99 latency ms":
        return report.latency_ms["p99"]
    return report.server_rss_per_client_kib or 0.0


def _wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port}")


@contextmanager
def _running(command: list[str], port: int) -> Iterator[int]:
    """A server process for one workload: its pid once it listens; stopped afterwards."""
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(port, time.monotonic() + 30)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def chat_server() -> Iterator[int]:
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
        with _running(command, CHAT_PORT) as pid:
            yield pid


@contextmanager
def ngircd() -> Iterator[int]:
    binary = shutil.which("ngircd") or "/usr/sbin/ngircd"
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "ngircd.conf"
        config.write_text(NGIRCD_CONFIG.read_text().replace("Ports = 56667", f"Ports = {IRC_PORT}"))
        with _running([binary, "-n", "-f", str(config)], IRC_PORT) as pid:
            yield pid


def ngircd_installed() -> bool:
    return shutil.which("ngircd") is not None or os.path.exists("/usr/sbin/ngircd")


def raise_file_limit() -> None:
    """10,000 clients need more descriptors than the usual soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_suite(procs: int) -> list[tuple[Case, Report, Report | None]]:
    raise_file_limit()
    results = []
    for case in cases(procs):
        # A fresh server per workload: what one workload leaves behind must not count in the next.
        with chat_server() as pid:
            ours = run_workload(replace(case.workload, port=CHAT_PORT), pid)
        theirs = None
        if ngircd_installed():
            peer = replace(case.workload, port=IRC_PORT, dialect="irc")
            if peer.idle:
                peer = replace(peer, clients=min(peer.clients, PEER_IDLE_CLIENTS))
            with ngircd() as pid:
                theirs = run_workload(peer, pid)
        results.append((case, ours, theirs))
    return results


def table(results: list[tuple[Case, Report, Report | None]]) -> str:
    rows = [
        "| workload | metric | chat-server | ngircd | ratio | complete |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for case, ours, theirs in results:
        mine = figure(case, ours)
        other = figure(case, theirs) if theirs else None
        if other:
            # Always "how many times better": higher throughput, lower latency or memory.
            better = mine / other if case.metric == "deliveries/s" else other / mine if mine else 0
            ratio = f"{better:.2f}x"
        else:
            ratio = "n/a"
        complete = "yes" if ours.complete and (theirs is None or theirs.complete) else "NO"
        rows.append(
            f"| {case.name} | {case.metric} | {mine:,.2f} | "
            f"{'' if other is None else f'{other:,.2f}'} | {ratio} | {complete} |"
        )
    return "\n".join(rows)
