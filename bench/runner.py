"""Runs a workload: spreads clients over processes, starts them together, gathers results."""

import multiprocessing
import multiprocessing.synchronize
import queue
import secrets
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.loadgen import LoadWorker, WorkerPlan, WorkerResult
from bench.stats import ProcessSample, percentile, sample_process

_STATS_INTERVAL_SECONDS = 5.0
_QUIET_SECONDS = 0.5
_QUIET_SERVER_CPU_SECONDS = 0.02  # spent in _QUIET_SECONDS: the server is idle


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
    connect_window: int = 0  # clients connecting or registering at a time per process; 0: all

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
    def server_cpu_us_per_delivery(self) -> float | None:
        """The server's CPU over the measured phase, per delivery to another client."""
        if self.server_cpu_seconds is None:
            return None
        return _per_delivery_us(self.server_cpu_seconds, self.received)

    @property
    def loader_cpu_us_per_delivery(self) -> float | None:
        """The load generator's own CPU over the measured phase (registration left out), per
        delivery: the same on both servers, or the loader flatters one of them."""
        return _per_delivery_us(self.loader_cpu_seconds, self.received)

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
            "loader_cpu_seconds": round(self.loader_cpu_seconds, 3),
            "server_cpu_us_per_delivery": _rounded(self.server_cpu_us_per_delivery),
            "loader_cpu_us_per_delivery": _rounded(self.loader_cpu_us_per_delivery),
            "complete": self.complete,
            "errors": self.errors,
        }


def _per_delivery_us(cpu_seconds: float, deliveries: int) -> float | None:
    """None without deliveries (the idle workload): nothing to divide by."""
    return cpu_seconds / deliveries * 1e6 if deliveries > 0 else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


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
            connect_window=workload.connect_window,
        )
        for mine in indexes
    ]


def _worker_main(
    plan: WorkerPlan,
    results: "multiprocessing.Queue[tuple[str, WorkerResult]]",
    start: multiprocessing.synchronize.Event,
    progress: Any,
    slot: int,
    *,
    worker_type: type[LoadWorker],
    heard: Any,
) -> None:
    worker = worker_type(plan, progress, slot)
    try:
        worker.connect_and_register()
        results.put(("ready", worker.result))
        worker.idle_until(start, time.monotonic() + plan.timeout, heard)
        results.put(("done", worker.run()))
    except OSError as error:
        worker.result.error = f"{type(error).__name__}: {error}"
        results.put(("failed", worker.result))
    finally:
        worker.close()


class Loaders:
    """The load-generator processes of one run, one per plan. Each registers its clients and
    says so, holds until `go`, then runs its worker's measured phase and hands back the result."""

    def __init__(self, plans: list[WorkerPlan], worker_type: type[LoadWorker] = LoadWorker) -> None:
        context = multiprocessing.get_context("fork")
        self._results: multiprocessing.Queue[tuple[str, WorkerResult]] = context.Queue()
        self._start = context.Event()
        self._progress = context.Array("q", len(plans), lock=False)
        self._heard = context.Array("q", len(plans), lock=False)  # reads while waiting
        self._processes = [
            context.Process(
                target=_worker_main,
                args=(plan, self._results, self._start, self._progress, slot),
                kwargs={"worker_type": worker_type, "heard": self._heard},
                daemon=True,
            )
            for slot, plan in enumerate(plans)
        ]

    def launch(self, timeout: float) -> list[WorkerResult]:
        """Start every process; what each says once its clients have registered."""
        for process in self._processes:
            process.start()
        return [self._results.get(timeout=timeout)[1] for _ in self._processes]

    def wait_until_quiet(self, deadline: float, server_pid: int | None = None) -> None:
        """Wait for what registering set off to be over: nothing read by any loader, nor any
        CPU spent by the server, for half a second. v1 announces every join to everyone: for
        5,000 clients, 12.5 million notices, half of which were once seen still on their way
        to one loader's clients seconds after the last welcome (the server's CPU, sending
        them in big chunks, barely moved); a burst started then queues behind them."""
        last = self._activity(server_pid)
        while time.monotonic() < deadline:
            time.sleep(_QUIET_SECONDS)
            now = self._activity(server_pid)
            if now[0] == last[0] and now[1] - last[1] < _QUIET_SERVER_CPU_SECONDS:
                return
            last = now

    def _activity(self, server_pid: int | None) -> tuple[int, float]:
        cpu = sample_process(server_pid).cpu_seconds if server_pid else 0.0
        return sum(self._heard), cpu

    def go(self) -> None:
        self._start.set()

    def delivered(self) -> int:
        """Deliveries counted so far by every process (each keeps its own slot up to date)."""
        return sum(self._progress)

    def gather(self, deadline: float, expected: int) -> list[WorkerResult]:
        """The results of the measured phase, as many as arrive by `deadline`."""
        finished: list[WorkerResult] = []
        while len(finished) < len(self._processes) and time.monotonic() < deadline:
            try:
                finished.append(self._results.get(timeout=0.5)[1])
            except queue.Empty:  # time for a progress line
                if sys.stderr.isatty():
                    done = self.delivered()
                    print(f"\r  received {done:,} of {expected:,}", end="", file=sys.stderr)
        if sys.stderr.isatty():
            print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
        return finished

    def join(self) -> None:
        for process in self._processes:
            process.join(timeout=5)


def run_workload(workload: Workload, server_pid: int | None = None) -> Report:
    loaders = Loaders(plans_for(workload))
    before = sample_process(server_pid) if server_pid else None
    ready = loaders.launch(timeout=workload.timeout + 5)
    registered = sum(result.registered for result in ready)
    loaders.wait_until_quiet(time.monotonic() + workload.timeout, server_pid)
    if server_pid and workload.idle:
        # chat-server hands freed memory back at its next two stats ticks once quiet: its
        # memory is measured holding idle clients, not in the middle of registering them.
        time.sleep(2 * _STATS_INTERVAL_SECONDS + 0.5)
    at_start = sample_process(server_pid) if server_pid else None
    loaders.go()
    expected_total = sum(result.expected for result in ready)
    finished = loaders.gather(time.monotonic() + workload.timeout + 10, expected_total)
    at_end = sample_process(server_pid) if server_pid else None
    loaders.join()
    return _report(workload, ready, finished, registered, (before, at_start, at_end))


def _report(
    workload: Workload,
    ready: list[WorkerResult],
    finished: list[WorkerResult],
    registered: int,
    samples: tuple[ProcessSample | None, ProcessSample | None, ProcessSample | None],
) -> Report:
    before, at_start, at_end = samples
    # v1 echoes a message to its sender too; those are not deliveries to others.
    own_echoes = workload.senders * workload.messages if workload.dialect == "v1" else 0
    received = sum(result.received for result in finished) - own_echoes
    expected = sum(result.expected for result in ready) - own_echoes
    first = min((r.first_send_ns for r in finished if r.first_send_ns), default=0)
    last = max((r.last_receive_ns for r in finished), default=0)
    latencies = sorted(ns / 1e6 for r in finished for ns in r.latencies_ns)
    rss = None
    if before and at_start and registered:
        rss = round((at_start.rss_bytes - before.rss_bytes) / registered / 1024, 2)
    return Report(
        workload=workload,
        registered=registered,
        connect_seconds=max(result.connect_seconds for result in ready),
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
        errors=sorted({r.error for r in ready if r.error} | {r.error for r in finished if r.error}),
    )
