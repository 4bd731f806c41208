"""The `chat-bench` and `chat-bench-suite` commands: one workload, or the suite of them."""

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.cluster import (
    ClusterResults,
    ClusterRun,
    cluster_plan,
    cluster_table,
    run_cluster_suite,
)
from bench.growth import GrowthResults, growth_table, run_growth
from bench.runner import Report, Workload, run_workload
from bench.shutdown import STOP_LIMIT_SECONDS, ShutdownReport
from bench.suite import SHUTDOWN_CASE, SuiteResults, run_suite, table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="chat-bench",
        description="Fan-out load against a chat server (v1 or IRC).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="the server's address")
    parser.add_argument("--port", type=int, default=55555, help="the server's port")
    parser.add_argument(
        "--servers",
        type=_addresses,
        default=None,
        metavar="HOST:PORT,...",
        help="instead of --host/--port: several servers sharing one room (a cluster); client i"
        " connects to the i-th modulo their number, so clients, senders and latency probes are"
        " spread round-robin, each server's deliveries are counted apart, and latency is also"
        " reported by path (to another server, the same one, the sender's echo). Needs"
        " --clients at least --senders plus the number of servers (a receiver on each)",
    )
    parser.add_argument(
        "--proto", choices=["v1", "irc"], default="v1", help="the protocol the server speaks"
    )
    parser.add_argument("--clients", type=int, default=100, help="clients connected")
    parser.add_argument("--senders", type=int, default=10, help="clients that send")
    parser.add_argument("--messages", type=int, default=100, help="messages per sender")
    parser.add_argument(
        "--rate", type=float, default=0, help="messages a second per sender (0: flat out)"
    )
    parser.add_argument("--payload-bytes", type=int, default=64, help="message text length")
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--server-pid",
        type=int,
        action="append",
        default=None,
        help="read its RSS and CPU; with --servers, once per server in the same order (CPU"
        " reported per server, and summed)",
    )
    parser.add_argument(
        "--broker-pid",
        type=int,
        default=None,
        help="a process the servers share (e.g. redis-server): its CPU, reported apart",
    )
    parser.add_argument(
        "--idle", action="store_true", help="only connect and register (memory workload)"
    )
    parser.add_argument(
        "--connect-window",
        type=int,
        default=0,
        help="at most this many clients connecting or registering at a time, per loader"
        " process (0: all connect at once, then register)",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before giving up")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if not 0 <= args.senders <= args.clients:
        parser.error("--senders must be between 0 and --clients")
    args.servers = args.servers or ()
    servers = len(args.servers)
    if servers > 1 and not args.idle and args.clients < args.senders + servers:
        parser.error(
            f"--clients must be at least --senders + {servers} (the servers), so that every"
            " server has a client that receives and does not send"
        )
    pids = args.server_pid or []
    if servers > 1 and len(pids) > 1 and len(pids) != servers:
        parser.error(f"--server-pid: give one per server ({servers}), or one in all")
    return args


def _addresses(text: str) -> tuple[tuple[str, int], ...]:
    """HOST:PORT,HOST:PORT,... ([::1]:PORT for IPv6)."""
    found = []
    for item in text.split(","):
        host, colon, port = item.strip().rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65_536:
            raise argparse.ArgumentTypeError(f"{item!r} is not HOST:PORT")
        found.append((host.strip("[]"), int(port)))
    return tuple(found)


def describe(report: Report) -> str:
    workload = report.workload
    lines = [
        f"{workload.proto_label()}: {workload.clients} clients, {workload.senders} senders"
        f" x {workload.messages} messages at "
        + (f"{workload.rate:g}/s" if workload.rate else "full speed")
        + f", {workload.payload_bytes}-byte payloads, {workload.procs} loader processes",
        f"  registered        {report.registered} in {report.connect_seconds:.2f} s",
        f"  deliveries        {report.received:,} of {report.expected:,} expected"
        f" (to clients other than the sender)",
        f"  deliveries/s      {report.deliveries_per_second:,.0f} over {report.seconds:.3f} s",
        "  latency ms        "
        + "  ".join(f"{key} {value:.2f}" for key, value in report.latency_ms.items()),
    ]
    if report.server_rss_per_client_kib is not None:
        lines.append(f"  server RSS/client {report.server_rss_per_client_kib:.2f} KiB")
    if report.server_cpu_seconds is not None:
        lines.append(
            f"  server CPU        {report.server_cpu_seconds:.2f} s"
            + _per_delivery(report.server_cpu_us_per_delivery)
            + _TOO_SHORT * (report.server_cpu_seconds == 0)
        )
    lines.append(
        f"  loader CPU        {report.loader_cpu_seconds:.2f} s"
        + _per_delivery(report.loader_cpu_us_per_delivery)
        + ", sending and counting only"
    )
    if report.servers:
        lines.extend(_describe_spread(report))
    lines.extend(f"  error: {error}" for error in report.errors)
    return "\n".join(lines)


def _describe_spread(report: Report) -> list[str]:
    lines = [
        f"  messages          {report.messages_sent:,} sent, {report.messages_per_second:,.0f}/s"
        " (first send to last delivery)",
        "  every delivery    " + ("yes, exactly once" if report.exact else "NO"),
    ]
    for server in report.servers:
        cpu = "" if server.cpu_seconds is None else f", CPU {server.cpu_seconds:.2f} s"
        off = f" ({server.clients_off} clients OFF their count)" if server.clients_off else ""
        lines.append(
            f"  server {server.address:<21} {server.clients} clients ({server.senders} sending),"
            f" {server.received:,} of {server.expected:,} deliveries{off}{cpu}"
        )
    if report.broker_cpu_seconds is not None:
        lines.append(f"  broker CPU        {report.broker_cpu_seconds:.2f} s")
    for path, figures in report.spread_latency_ms.items():
        lines.append(
            f"  latency {path:<24} "
            + "  ".join(f"{key} {figures[key]:.2f}" for key in ("p50", "p99", "max"))
            + f"  ({figures['count']:,.0f} timed)"
        )
    return lines


# /proc counts a process's CPU in ticks of 10 ms: a zero says "less than that", not "none".
_TOO_SHORT = " (too short to measure: /proc counts CPU in 10 ms ticks; or not the server's PID)"


def _per_delivery(microseconds: float | None) -> str:
    return "" if microseconds is None else f", {microseconds:.3f} us per delivery"


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    workload = Workload(
        host=args.host,
        port=args.port,
        dialect=args.proto,
        clients=args.clients,
        senders=0 if args.idle else args.senders,
        messages=args.messages,
        rate=args.rate,
        payload_bytes=args.payload_bytes,
        procs=args.procs,
        timeout=args.timeout,
        idle=args.idle,
        connect_window=args.connect_window,
        servers=args.servers if len(args.servers) > 1 else (),
    )
    if len(args.servers) == 1:
        workload = replace(workload, host=args.servers[0][0], port=args.servers[0][1])
    try:
        report = run_workload(workload, args.server_pid, broker_pid=args.broker_pid)
    except (OSError, TimeoutError) as error:
        print(f"chat-bench: {error}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(report.as_dict()) if args.json else describe(report))
    if not report.complete:
        print("chat-bench: deliveries or registrations missing at the timeout", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()


def describe_shutdown(report: ShutdownReport) -> str:
    workload = report.workload
    stopped = report.seconds_to_stop
    verdict = "pass" if report.passed else "FAIL"
    lines = [
        f"{workload.proto_label()}: {workload.clients} clients, {workload.senders} senders"
        f" x {workload.messages} messages at full speed, SIGTERM to the server once a third"
        " of the deliveries were in",
        f"  registered        {report.registered}",
        f"  signal            after {report.delivered_at_signal:,} deliveries (echoes included)",
        f"  accepted          {report.accepted:,} public messages (lines of messages.txt)",
        f"  clients complete  {report.complete} of {report.connected_at_signal} connected at the"
        f" signal ({report.no_frame} without the shutdown frame, {report.miscounted} with"
        " messages missing, extra or after it)",
        f"  server exited     {_after_signal(report.exit_seconds)}",
        f"  last client close {_after_signal(report.last_close_seconds)}",
        f"  loader CPU        {report.loader_cpu_seconds:.2f} s",
        f"  verdict           {verdict}: stopped in "
        + ("never" if stopped is None else f"{stopped:.3f} s")
        + f" (limit {STOP_LIMIT_SECONDS:g} s), every client still there got every accepted"
        " message, then the shutdown frame" + ("" if report.passed else " -- not so"),
    ]
    lines.extend(f"  error: {error}" for error in report.errors)
    return "\n".join(lines)


def _after_signal(seconds: float | None) -> str:
    return "not by the deadline" if seconds is None else f"{seconds:.3f} s after the signal"


def suite_main(argv: Sequence[str] | None = None) -> None:
    """`chat-bench-suite` (make bench): W1-W3 against chat-server and ngircd, W4 against
    chat-server, one table. With --growth: the growth runs instead."""
    parser = argparse.ArgumentParser(
        prog="chat-bench-suite",
        description="W1-W4 against chat-server and, if installed, ngircd (make bench); with"
        " --growth, the burst at 100, 1,000 and 5,000 clients (make bench-growth); with"
        " --cluster, chat-server nodes sharing one room through Redis (make bench-cluster).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes")
    parser.add_argument("--json-out", type=Path, default=None, help="write every report here")
    parser.add_argument(
        "--growth",
        action="store_true",
        help="instead: W1's burst at 100, 1,000 and 5,000 clients against both servers, and"
        " chat-server registering 10,000 (long: ngircd registers 5,000 slowly)",
    )
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="instead: a fresh redis-server (the venv's) and 4 chat-server nodes per workload:"
        " throughput with every message on every node, p99 latency across nodes at a steady"
        " 1,000 messages/s, and W1 across 2 nodes against W1 on one chat-server (twice,"
        " alternating)",
    )
    parser.add_argument(
        "--appendfsync",
        choices=["always", "everysec"],
        default="always",
        help="with --cluster: Redis's appendfsync (always: nothing accepted is lost)",
    )
    args = parser.parse_args(argv)
    if args.growth and args.cluster:
        parser.error("--growth or --cluster, not both")
    if args.growth:
        _growth_main(args.procs, args.json_out)
        return
    if args.cluster:
        _cluster_main(args.procs, args.json_out, args.appendfsync)
        return
    results = run_suite(args.procs)
    for case, ours, theirs in results.runs:
        print(f"## {case.name}\n{describe(ours)}")
        if theirs is not None:
            print(describe(theirs))
        sys.stdout.flush()
    print(f"## {SHUTDOWN_CASE}\n{describe_shutdown(results.shutdown)}")
    print()
    print(table(results.runs, results.shutdown))
    if args.json_out:
        args.json_out.write_text(json.dumps(_suite_json(results), indent=2))
    if not all(ours.complete for _, ours, _ in results.runs) or not results.shutdown.passed:
        sys.exit(1)


def _suite_json(results: SuiteResults) -> list[dict[str, Any]]:
    runs = [
        {"case": case.name, "ours": ours.as_dict(), "ngircd": t.as_dict() if t else None}
        for case, ours, t in results.runs
    ]
    shutdown = {"case": SHUTDOWN_CASE, "ours": results.shutdown.as_dict(), "ngircd": None}
    return [*runs, shutdown]


def _growth_main(procs: int, json_out: Path | None) -> None:
    def done(report: Report, so_far: GrowthResults) -> None:
        print(describe(report), flush=True)
        if json_out:  # after every run: a run cut short still leaves the ones before it
            json_out.write_text(json.dumps(so_far.as_json(), indent=2))

    results = run_growth(procs, done)
    print()
    print(growth_table(results))
    reports = [*results.ours.values(), *results.theirs.values()]
    if results.registration is not None:
        reports.append(results.registration)
    if not all(report.complete for report in reports):
        sys.exit(1)


def _cluster_main(procs: int, json_out: Path | None, appendfsync: str) -> None:
    command = " ".join(["chat-bench-suite", *sys.argv[1:]])

    def done(name: str, so_far: ClusterResults) -> None:
        run: ClusterRun | Report | None = {
            "throughput": so_far.throughput,
            "lag": so_far.lag,
            "w1 single": so_far.w1_single[-1] if so_far.w1_single else None,
            "w1 cluster": so_far.w1_cluster[-1] if so_far.w1_cluster else None,
        }[name]
        if isinstance(run, ClusterRun):
            print(f"## {run.case} on {run.nodes} nodes (appendfsync {run.appendfsync})")
            print(describe_cluster_run(run), flush=True)
        elif run is not None:
            print(f"## W1 on one chat-server (no Redis)\n{describe(run)}", flush=True)
        if json_out:  # after every run: a run cut short still leaves the ones before it
            json_out.write_text(json.dumps({"command": command} | so_far.as_json(), indent=2))

    results = run_cluster_suite(cluster_plan(procs, appendfsync), done)
    if json_out:
        json_out.write_text(json.dumps({"command": command} | results.as_json(), indent=2))
    print()
    print(f"redis: {results.redis_version}; appendfsync {appendfsync}")
    print("chat-server measured: " + ", ".join(f"{k} {v}" for k, v in results.source.items()))
    print(
        "load average (1, 5, 15 min; the machine is shared): "
        + ", then ".join(
            " ".join(f"{value:.2f}" for value in load) for load in results.load_average.values()
        )
    )
    print(
        "fsync of a small append here: "
        + ", ".join(f"{key} {value:.0f} us" for key, value in results.fsync_us.items())
    )
    print(cluster_table(results))
    runs = [results.throughput, results.lag, *results.w1_cluster]
    lost = any(run is None or not run.nothing_lost for run in runs)
    if lost or not all(report.complete for report in results.w1_single):
        print("chat-bench-suite: deliveries missing, or extra, in a run", file=sys.stderr)
        sys.exit(1)


def describe_cluster_run(run: ClusterRun) -> str:
    lines = [describe(run.report)]
    sent = run.report.messages_sent
    lines.append(
        f"  messages.txt      {', '.join(f'{count:,}' for count in run.logged)} lines on the"
        f" nodes, of {sent:,} sent"
    )
    lines.append(
        "  nothing lost      "
        + ("yes" if run.nothing_lost else "NO: deliveries or messages.txt lines missing or extra")
    )
    for name in ("evalsha", "xadd", "xread"):  # the rest are in the JSON
        if (figures := run.redis_commands.get(name)) is None:
            continue
        lines.append(
            f"  redis {name:<11} {figures['calls']:,.0f} calls,"
            f" {figures['usec_per_call']:.1f} us a call"
        )
    if not run.nodes_alive:
        lines.append("  a node or redis-server was no longer running after the run")
    if run.problem_count:
        lines.append(f"  node log lines at warning or above: {run.problem_count}")
        lines.extend(f"    {line}" for line in run.problems)
    return "\n".join(lines)
