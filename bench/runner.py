"""Runs a workload: spreads clients over processes, starts them together, gathers results."""

import multiprocessing
import multiprocessing.synchronize
import secrets
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.loadgen import LoadWorker, WorkerPlan, WorkerResult
from bench.stats import ProcessSample, percentile, sample_process

_STATS_INTERVAL_SECONDS = 5.0


@dataclass(frozen=True)
class Workload:
    host: str
    port: int
    dialect: str
    clients: int
    senders: int
    messages: int
    rate: float
    payload_bytes: int
    procs: int
    timeout: float
    idle: bool = False  # only connect and register: for the memory workload
    latency_probes: int = 5

    def proto_label(self) -> str:
        return "protocol v1" if self.dialect == "v1" else "IRC"


@dataclass(frozen=True)
class Report:
    workload: Workload
    registered: int
    connect_seconds: float
    expected: int  # deliveries to clients other than the sender
    received: int
    seconds: float
    latency_ms: dict[str, float]
    server_rss_per_client_kib: float | None
    server_cpu_seconds: float | None
    loader_cpu_seconds: float
    errors: list[str]

    @property
    def deliveries_per_second(self) -> float:
        return self.received / self.seconds if self.seconds > 0 else 0.0

    @property
    def complete(self) -> bool:
        return self.registered == self.workload.clients and self.received >= self.expected

    def as_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload.__dict__,
            "registered": self.registered,
            "connect_seconds": round(self.connect_seconds, 3),
            "deliveries_expected": self.expected,
            "deliveries_received": self.received,
            "seconds": round(self.seconds, 4),
            "deliveries_per_second": round(self.deliveries_per_second),
            "latency_ms": {key: round(value, 3) for key, value in self.latency_ms.items()},
            "server_rss_per_client_kib": self.server_rss_per_client_kib,
            "server_cpu_seconds": self.server_cpu_seconds,
            "loader_cpu_seconds": round(self.loader_cpu_seconds, 2),
            "complete": self.complete,
            "errors": self.errors,
        }


def plans_for(workload: Workload) -> list[WorkerPlan]:
    """Clients dealt round-robin over the processes; the first ones send, a few time."""
    procs = max(1, min(workload.procs, workload.clients))
    run_tag = f"{secrets.randbelow(36**3):03x}"  # a server may still hold the last run's nicks
    indexes: list[list[int]] = [list(range(p, workload.clients, procs)) for p in range(procs)]
    senders = set(range(workload.senders))
    # Probes spread evenly over the join order: a server fans out in some order of its
    # members, and probes bunched at one end would time only the first or the last served.
    listeners = [index for index in range(workload.clients) if index not in senders]
    step = max(1, len(listeners) // max(1, workload.latency_probes))
    probes = set(listeners[step // 2 :: step][: workload.latency_probes])
    return [
        WorkerPlan(
            host=workload.host,
            port=workload.port,
            dialect=workload.dialect,
            nicks=[f"b{run_tag}{index}" for index in mine],
            senders=frozenset(i for i, index in enumerate(mine) if index in senders),
            latency_probes=frozenset(i for i, index in enumerate(mine) if index in probes),
            messages=0 if workload.idle else workload.messages,
            rate=workload.rate,
            payload_bytes=workload.payload_bytes,
            total_senders=0 if workload.idle else workload.senders,
            join=not workload.idle,
            timeout=workload.timeout,
        )
        for mine in indexes
    ]


def _worker_main(
    plan: WorkerPlan,
    results: "multiprocessing.Queue[tuple[str, WorkerResult]]",
    start: multiprocessing.synchronize.Event,
    progress: Any,
    slot: int,
) -> None:
    worker = LoadWorker(plan, progress, slot)
    try:
        worker.connect_and_register()
        results.put(("ready", worker.result))
        worker.idle_until(start, time.monotonic() + plan.timeout)
        results.put(("done", worker.run()))
    except OSError as error:
        worker.result.error = f"{type(error).__name__}: {error}"
        results.put(("failed", worker.result))
    finally:
        worker.close()


def run_workload(workload: Workload, server_pid: int | None = None) -> Report:
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[tuple[str, WorkerResult]] = context.Queue()
    start = context.Event()
    plans = plans_for(workload)
    progress = context.Array("q", len(plans), lock=False)
    before = sample_process(server_pid) if server_pid else None
    processes = [
        context.Process(
            target=_worker_main, args=(plan, results, start, progress, slot), daemon=True
        )
        for slot, plan in enumerate(plans)
    ]
    for process in processes:
        process.start()
    ready = [results.get(timeout=workload.timeout + 5) for _ in processes]
    registered = sum(result.registered for _, result in ready)
    if server_pid and workload.idle:
        _wait_until_quiet(server_pid, time.monotonic() + workload.timeout)
    at_start = sample_process(server_pid) if server_pid else None
    start.set()
    expected_total = sum(result.expected for _, result in ready)
    finished = _gather(results, len(processes), workload, progress, expected_total)
    at_end = sample_process(server_pid) if server_pid else None
    for process in processes:
        process.join(timeout=5)
    return _report(workload, ready, finished, registered, (before, at_start, at_end))


def _wait_until_quiet(pid: int, deadline: float) -> None:
    """Wait for the server to finish what registering set off (v1 announces every join to
    everyone), then one stats interval more, in which chat-server hands freed memory back:
    its memory is measured holding idle clients, not in the middle of a burst."""
    last = sample_process(pid).cpu_seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sample_process(pid).cpu_seconds
        if now - last < 0.02:
            break
        last = now
    time.sleep(2 * _STATS_INTERVAL_SECONDS + 0.5)  # two ticks: chat-server trims when quiet


def _gather(
    results: "multiprocessing.Queue[tuple[str, WorkerResult]]",
    count: int,
    workload: Workload,
    progress: Any,
    expected: int,
) -> list[WorkerResult]:
    finished: list[WorkerResult] = []
    deadline = time.monotonic() + workload.timeout + 10
    while len(finished) < count and time.monotonic() < deadline:
        try:
            finished.append(results.get(timeout=0.5)[1])
        except Exception:  # queue.Empty: time for a progress line
            if sys.stderr.isatty():
                done = sum(progress)
                print(f"\r  received {done:,} of {expected:,}", end="", file=sys.stderr)
    if sys.stderr.isatty():
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
    return finished


def _report(
    workload: Workload,
    ready: list[tuple[str, WorkerResult]],
    finished: list[WorkerResult],
    registered: int,
    samples: tuple[ProcessSample | None, ProcessSample | None, ProcessSample | None],
) -> Report:
    before, at_start, at_end = samples
    # v1 echoes a message to its sender too; those are not deliveries to others.
    own_echoes = workload.senders * workload.messages if workload.dialect == "v1" else 0
    received = sum(result.received for result in finished) - own_echoes
    expected = sum(result.expected for _, result in ready) - own_echoes
    first = min((r.first_send_ns for r in finished if r.first_send_ns), default=0)
    last = max((r.last_receive_ns for r in finished), default=0)
    latencies = sorted(ns / 1e6 for r in finished for ns in r.latencies_ns)
    rss = None
    if before and at_start and registered:
        rss = round((at_start.rss_bytes - before.rss_bytes) / registered / 1024, 2)
    return Report(
        workload=workload,
        registered=registered,
        connect_seconds=max(result.connect_seconds for _, result in ready),
        expected=expected,
        received=received,
        seconds=(last - first) / 1e9 if first and last > first else 0.0,
        latency_ms={
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "max": latencies[-1] if latencies else 0.0,
        },
        server_rss_per_client_kib=rss,
        server_cpu_seconds=round(at_end.cpu_seconds - at_start.cpu_seconds, 2)
        if at_end and at_start
        else None,
        loader_cpu_seconds=sum(result.cpu_seconds for result in finished),
        errors=sorted(
            {r.error for _, r in ready if r.error} | {r.error for r in finished if r.error}
        ),
    )
