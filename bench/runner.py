"""Runs a workload: spreads clients over processes, starts them together, gathers results."""

import math
import multiprocessing
import multiprocessing.synchronize
import queue
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
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
    # Several servers sharing one room (a cluster): client i connects to servers[i % n], so
    # clients and senders are spread round-robin. Empty: every client to host:port.
    servers: tuple[tuple[str, int], ...] = ()

    def proto_label(self) -> str:
        return "protocol v1" if self.dialect == "v1" else "IRC"

    def addresses(self) -> tuple[tuple[str, int], ...]:
        return self.servers or ((self.host, self.port),)

    @property
    def spread(self) -> bool:
        return len(self.servers) > 1


@dataclass(frozen=True)
class ServerFigures:
    """One server of several: its share of the clients, and what they received."""

    address: str
    clients: int
    senders: int
    registered: int
    expected: int  # deliveries to its clients from senders other than themselves
    received: int
    clients_off: int  # clients that received more or fewer than expected
    cpu_seconds: float | None

    @property
    def exact(self) -> bool:
        """Each of its clients had exactly what it should when the run ended."""
        return (
            self.registered == self.clients
            and self.received == self.expected
            and self.clients_off == 0
        )

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__ | {"exact": self.exact}


# The latency sets measured against several servers, each in ms (see Report.spread_latency_ms).
SPREAD_LATENCIES = ("other_server", "same_server", "echo", "other_server_after_echo")


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
    # Against several servers only (empty otherwise): each server's figures, in the order
    # of workload.servers, and the latencies by path, each {p50, p95, p99, max, count} in ms:
    #   other_server: send -> a probe on another server than the sender's receives it
    #   same_server: send -> a probe on the sender's own server receives it
    #   echo: send -> the sender receives its own message back
    #   other_server_after_echo: the sender's echo -> a probe on another server receives it
    servers: list[ServerFigures] = field(default_factory=list)
    spread_latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    broker_cpu_seconds: float | None = None  # e.g. redis-server's, over the measured phase

    @property
    def deliveries_per_second(self) -> float:
        return self.received / self.seconds if self.seconds > 0 else 0.0

    @property
    def messages_sent(self) -> int:
        return 0 if self.workload.idle else self.workload.senders * self.workload.messages

    @property
    def messages_per_second(self) -> float:
        """Messages sent over the time from the first send to the last delivery: once the
        run is complete, each of them had reached every client (every server)."""
        return self.messages_sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def exact(self) -> bool:
        """Every delivery in, none twice, on every server."""
        return (
            self.registered == self.workload.clients
            and self.received == self.expected
            and all(server.exact for server in self.servers)
        )

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
        } | (self._spread_dict() if self.servers else {})

    def _spread_dict(self) -> dict[str, Any]:
        per_message = _per_message_us
        return {
            "messages_sent": self.messages_sent,
            "messages_per_second": round(self.messages_per_second),
            "exact": self.exact,
            "servers": [server.as_dict() for server in self.servers],
            "spread_latency_ms": self.spread_latency_ms,
            "broker_cpu_seconds": self.broker_cpu_seconds,
            "server_cpu_us_per_message": [
                per_message(server.cpu_seconds, self.messages_sent) for server in self.servers
            ],
            "broker_cpu_us_per_message": per_message(self.broker_cpu_seconds, self.messages_sent),
        }


def _per_message_us(cpu_seconds: float | None, messages: int) -> float | None:
    if cpu_seconds is None or messages <= 0:
        return None
    return round(cpu_seconds / messages * 1e6, 2)


def _per_delivery_us(cpu_seconds: float, deliveries: int) -> float | None:
    """None without deliveries (the idle workload): nothing to divide by."""
    return cpu_seconds / deliveries * 1e6 if deliveries > 0 else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def plans_for(workload: Workload) -> list[WorkerPlan]:
    """Clients dealt round-robin over the processes; the first ones send, a few time.
    Against several servers, client i connects to server i % n: clients, senders and probes
    (as many on each server) are spread over them all."""
    procs = max(1, min(workload.procs, workload.clients))
    run_tag = f"{secrets.randbelow(36**3):03x}"  # a server may still hold the last run's nicks
    indexes: list[list[int]] = [list(range(p, workload.clients, procs)) for p in range(procs)]
    senders = set(range(workload.senders))
    addresses = workload.addresses() if workload.spread else ()
    servers = max(1, len(addresses))
    if addresses and not workload.idle and workload.clients < workload.senders + servers:
        raise ValueError("against several servers, every one needs a client that only receives")
    # Probes spread evenly over the join order: a server fans out in some order of its
    # members, and probes bunched at one end would time only the first or the last served.
    # Against several servers, the same number on each (so at least one on each).
    per_server = math.ceil(workload.latency_probes / servers)
    probes: set[int] = set()
    for server in range(servers):
        listeners = [
            index for index in range(server, workload.clients, servers) if index not in senders
        ]
        step = max(1, len(listeners) // max(1, per_server))
        probes.update(listeners[step // 2 :: step][:per_server])
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
            addresses=addresses,
            client_servers=tuple(index % servers for index in mine) if addresses else (),
            client_indexes=tuple(mine) if addresses else (),
        )
        for mine in indexes
    ]


# The server's process, or several (a cluster's nodes): their CPU and memory are summed.
Pids = int | Sequence[int] | None


def pid_list(pids: Pids) -> list[int]:
    if pids is None:
        return []
    return [pids] if isinstance(pids, int) else list(pids)


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

    def wait_until_quiet(self, deadline: float, server_pid: Pids = None) -> None:
        """Wait for what registering set off to be over: nothing read by any loader, nor any
        CPU spent by the server, for half a second. v1 announces every join to everyone: for
        5,000 clients, 12.5 million notices, half of which were once seen still on their way
        to one loader's clients seconds after the last welcome (the server's CPU, sending
        them in big chunks, barely moved); a burst started then queues behind them. Several
        servers (and a broker) count as one: their CPU summed."""
        last = self._activity(server_pid)
        while time.monotonic() < deadline:
            time.sleep(_QUIET_SECONDS)
            now = self._activity(server_pid)
            if now[0] == last[0] and now[1] - last[1] < _QUIET_SERVER_CPU_SECONDS:
                return
            last = now

    def _activity(self, server_pid: Pids) -> tuple[int, float]:
        cpu = sum(sample_process(pid).cpu_seconds for pid in pid_list(server_pid))
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
        """Wait a little for each process to end; one that has not by then is stopped."""
        for process in self._processes:
            if process.pid is not None:
                process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


Samples = list[ProcessSample]  # one per process, in order
PhaseHook = Callable[[str], None]  # told "start" just before the measured phase, "end" after


def run_workload(
    workload: Workload,
    server_pid: Pids = None,
    *,
    broker_pid: int | None = None,
    on_phase: PhaseHook | None = None,
) -> Report:
    """Run `workload`; with `server_pid` (one, or one per server of workload.servers, in the
    same order), the servers' memory and CPU; with `broker_pid` (say, redis-server), its CPU
    too, reported apart. `on_phase` hears "start" and "end" of the measured phase."""
    pids = pid_list(server_pid)
    watched = pids + ([broker_pid] if broker_pid else [])
    loaders = Loaders(plans_for(workload))
    try:
        before = _sample(pids)
        ready = loaders.launch(timeout=workload.timeout + 5)
        registered = sum(result.registered for result in ready)
        loaders.wait_until_quiet(time.monotonic() + workload.timeout, watched)
        if pids and workload.idle:
            # chat-server hands freed memory back at its next two stats ticks once quiet: its
            # memory is measured holding idle clients, not in the middle of registering them.
            time.sleep(2 * _STATS_INTERVAL_SECONDS + 0.5)
        if on_phase:
            on_phase("start")
        at_start = _sample(watched)
        loaders.go()
        expected_total = sum(result.expected for result in ready)
        finished = loaders.gather(time.monotonic() + workload.timeout + 10, expected_total)
        at_end = _sample(watched)
        if on_phase:
            on_phase("end")
    finally:
        loaders.join()
    broker_cpu = None
    if broker_pid:
        broker_cpu = round(at_end.pop().cpu_seconds - at_start.pop().cpu_seconds, 2)
    report = _report(workload, ready, finished, registered, (before, at_start, at_end))
    if workload.spread:
        report = _with_servers(report, (ready, finished), pids, (at_start, at_end), broker_cpu)
    return report


def _sample(pids: list[int]) -> Samples:
    return [sample_process(pid) for pid in pids]


def _report(
    workload: Workload,
    ready: list[WorkerResult],
    finished: list[WorkerResult],
    registered: int,
    samples: tuple[Samples, Samples, Samples],
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
        grown = sum(
            now.rss_bytes - then.rss_bytes for then, now in zip(before, at_start, strict=True)
        )
        rss = round(grown / registered / 1024, 2)
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
        server_cpu_seconds=round(_cpu(at_start, at_end), 2) if at_end and at_start else None,
        loader_cpu_seconds=sum(result.cpu_seconds for result in finished),
        errors=sorted({r.error for r in ready if r.error} | {r.error for r in finished if r.error}),
    )


def _cpu(at_start: Samples, at_end: Samples) -> float:
    return sum(
        now.cpu_seconds - then.cpu_seconds for then, now in zip(at_start, at_end, strict=True)
    )


def _with_servers(
    report: Report,
    results: tuple[list[WorkerResult], list[WorkerResult]],
    pids: list[int],
    samples: tuple[Samples, Samples],
    broker_cpu: float | None,
) -> Report:
    """A run against several servers: each server's figures, and the latencies by path."""
    workload = report.workload
    ready, finished = results
    addresses = workload.addresses()
    count = len(addresses)
    at_start, at_end = samples
    own = workload.messages if workload.dialect == "v1" else 0  # echoes per sender
    servers = []
    for server, (host, port) in enumerate(addresses):
        clients = len(range(server, workload.clients, count))
        senders = len(range(server, workload.senders, count))
        registered, expected, _, _ = _summed(result.by_server.get(server) for result in ready)
        done, _, received, off = _summed(result.by_server.get(server) for result in finished)
        off += registered - done  # the clients of a loader process that did not finish
        cpu = None
        if len(pids) == count and at_start and at_end:
            cpu = round(at_end[server].cpu_seconds - at_start[server].cpu_seconds, 2)
        servers.append(
            ServerFigures(
                address=f"{host}:{port}",
                clients=clients,
                senders=senders,
                registered=registered,
                expected=expected - senders * own,
                received=received - senders * own,
                clients_off=off,
                cpu_seconds=cpu,
            )
        )
    return replace(
        report,
        servers=servers,
        spread_latency_ms=spread_latencies(finished, count),
        broker_cpu_seconds=broker_cpu,
    )


def _summed(counts: Iterable[tuple[int, int, int, int] | None]) -> tuple[int, int, int, int]:
    totals = [0, 0, 0, 0]
    for four in counts:
        for at, value in enumerate(four or ()):
            totals[at] += value
    return totals[0], totals[1], totals[2], totals[3]


def spread_latencies(finished: list[WorkerResult], servers: int) -> dict[str, dict[str, float]]:
    """The latencies by path (see Report.spread_latency_ms). A sender's server is its index
    modulo the number of servers, as plans_for deals them."""
    echoes = {(sender, sent): at for r in finished for sender, sent, at in r.echoes}
    other: list[float] = []
    same: list[float] = []
    after_echo: list[float] = []
    for result in finished:
        for sender, sent, received, server in result.probe_deliveries:
            if sender % servers == server:
                same.append((received - sent) / 1e6)
                continue
            other.append((received - sent) / 1e6)
            echo = echoes.get((sender, sent))
            if echo is not None:
                after_echo.append((received - echo) / 1e6)
    echo_ms = [(at - sent) / 1e6 for (_, sent), at in echoes.items()]
    return {
        name: _summary(values)
        for name, values in zip(SPREAD_LATENCIES, (other, same, echo_ms, after_echo), strict=True)
    }


def _summary(values: list[float]) -> dict[str, float]:
    values.sort()
    return {
        "p50": round(percentile(values, 0.50), 3),
        "p95": round(percentile(values, 0.95), 3),
        "p99": round(percentile(values, 0.99), 3),
        "max": round(values[-1], 3) if values else 0.0,
        "min": round(values[0], 3) if values else 0.0,
        "count": len(values),
    }
