"""The `chat-bench` and `chat-bench-suite` commands: one workload, or all three of them."""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.runner import Report, Workload, run_workload
from bench.suite import run_suite, table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="chat-bench", description="Fan-out load against a chat server (v1 or IRC)."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=55555)
    parser.add_argument("--proto", choices=["v1", "irc"], default="v1")
    parser.add_argument("--clients", type=int, default=100, help="clients connected")
    parser.add_argument("--senders", type=int, default=10, help="clients that send")
    parser.add_argument("--messages", type=int, default=100, help="messages per sender")
    parser.add_argument(
        "--rate", type=float, default=0, help="messages a second per sender (0: flat out)"
    )
    parser.add_argument("--payload-bytes", type=int, default=64, help="message text length")
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes")
    parser.add_argument("--server-pid", type=int, default=None, help="read its RSS and CPU")
    parser.add_argument(
        "--idle", action="store_true", help="only connect and register (memory workload)"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before giving up")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if not 0 <= args.senders <= args.clients:
        parser.error("--senders must be between 0 and --clients")
    return args


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
        lines.append(f"  server CPU        {report.server_cpu_seconds:.2f} s")
    lines.append(f"  loader CPU        {report.loader_cpu_seconds:.2f} s")
    lines.extend(f"  error: {error}" for error in report.errors)
    return "\n".join(lines)


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
    )
    try:
        report = run_workload(workload, args.server_pid)
    except (OSError, TimeoutError) as error:
        print(f"chat-bench: {error}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(report.as_dict()) if args.json else describe(report))
    if not report.complete:
        print("chat-bench: deliveries or registrations missing at the timeout", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()


def suite_main(argv: Sequence[str] | None = None) -> None:
    """`chat-bench-suite` (make bench): W1-W3 against chat-server and ngircd, one table."""
    parser = argparse.ArgumentParser(prog="chat-bench-suite")
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes")
    parser.add_argument("--json-out", type=Path, default=None, help="write every report here")
    args = parser.parse_args(argv)
    results = run_suite(args.procs)
    for case, ours, theirs in results:
        print(f"## {case.name}\n{describe(ours)}")
        if theirs is not None:
            print(describe(theirs))
        sys.stdout.flush()
    print()
    print(table(results))
    if args.json_out:
        args.json_out.write_text(
            json.dumps(
                [
                    {
                        "case": case.name,
                        "ours": ours.as_dict(),
                        "ngircd": t.as_dict() if t else None,
                    }
                    for case, ours, t in results
                ],
                indent=2,
            )
        )
    if not all(ours.complete for _, ours, _ in results):
        sys.exit(1)
