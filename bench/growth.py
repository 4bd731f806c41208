"""`chat-bench-suite --growth`: how W1's burst and registering scale with the room's size.

W1-shaped bursts (rate 0, 64-byte payloads, 10 senders) at 100, 1,000 and 5,000 clients,
the messages scaled so that each run delivers about 1.5 million messages to clients other
than the sender, each against a fresh chat-server and a fresh ngircd; then the time
chat-server takes to register 10,000 idle clients, as W3 does.

ngircd registers slowly when clients arrive all at once (see TABLE_NOTES in bench.suite), so
its runs come last and have a generous timeout; every report is written out as soon as it is
in, so a run cut short still leaves the ones before it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final

from bench.runner import Report, Workload, run_workload
from bench.suite import (
    CHAT_PORT,
    IRC_PORT,
    base_workload,
    chat_server,
    ngircd,
    ngircd_installed,
    raise_file_limit,
)

SENDERS: Final = 10
SERVERS: Final = ("chat-server", "ngircd")
# Clients and messages per sender: 10 x messages x (clients - 1) is about 1.5 M deliveries.
STEPS: Final = ((100, 1_515), (1_000, 150), (5_000, 30))
IDLE_CLIENTS: Final = 10_000
# Registering 5,000 clients on ngircd takes minutes (a burst overflows its listen backlog);
# this bounds each phase of one run (registering, waiting to start, the burst).
TIMEOUT_SECONDS: Final = 1_200.0


@dataclass
class GrowthResults:
    ours: dict[int, Report] = field(default_factory=dict)  # by clients
    theirs: dict[int, Report] = field(default_factory=dict)
    registration: Report | None = None  # chat-server, IDLE_CLIENTS idle clients

    def as_json(self) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = [
            {
                "case": f"growth {clients} clients",
                "ours": report.as_dict(),
                "ngircd": self.theirs[clients].as_dict() if clients in self.theirs else None,
            }
            for clients, report in self.ours.items()
        ]
        if self.registration is not None:
            steps.append(
                {
                    "case": f"registration {IDLE_CLIENTS} idle clients",
                    "ours": self.registration.as_dict(),
                    "ngircd": None,
                }
            )
        return steps


Done = Callable[[Report, GrowthResults], None]  # hears of each report as it comes in


def step_workload(procs: int, clients: int, messages: int) -> Workload:
    return replace(
        base_workload(procs),
        clients=clients,
        senders=SENDERS,
        messages=messages,
        timeout=TIMEOUT_SECONDS,
    )


def run_growth(procs: int, done: Done) -> GrowthResults:
    """Each step against a fresh chat-server and a fresh ngircd, and chat-server registering
    10,000; `done` hears of each report as it comes in. ngircd's largest step is by far the
    longest, so it goes last: a run cut short there still has everything else."""
    raise_file_limit()
    results = GrowthResults()
    *smaller, (largest, largest_messages) = STEPS
    for clients, messages in smaller:
        _step(results, step_workload(procs, clients, messages), done, peer=True)
    _step(results, step_workload(procs, largest, largest_messages), done, peer=False)
    idle = replace(base_workload(procs), port=CHAT_PORT, clients=IDLE_CLIENTS, idle=True)
    with chat_server() as server:
        results.registration = run_workload(idle, server.pid)
        done(results.registration, results)
    if ngircd_installed():
        _against_ngircd(results, step_workload(procs, largest, largest_messages), done)
    return results


def _step(
    results: GrowthResults,
    workload: Workload,
    done: Done,
    *,
    peer: bool,
) -> None:
    with chat_server() as server:
        results.ours[workload.clients] = run_workload(replace(workload, port=CHAT_PORT), server.pid)
        done(results.ours[workload.clients], results)  # before the server stops: come what may
    if peer and ngircd_installed():
        _against_ngircd(results, workload, done)


def _against_ngircd(results: GrowthResults, workload: Workload, done: Done) -> None:
    with ngircd() as server:
        peer = replace(workload, port=IRC_PORT, dialect="irc")
        results.theirs[workload.clients] = run_workload(peer, server.pid)
        done(results.theirs[workload.clients], results)


# The table's figures, each for chat-server then ngircd: a heading, the figure, its format.
_COLUMNS: Final[list[tuple[str, Callable[[Report], float | None], str]]] = [
    ("deliveries/s", lambda report: report.deliveries_per_second, "{:,.0f}"),
    ("server CPU us/delivery", lambda report: report.server_cpu_us_per_delivery, "{:.3f}"),
    ("registration s", lambda report: report.connect_seconds, "{:.2f}"),
]


def growth_table(results: GrowthResults) -> str:
    headings = [f"{name} {server}" for name, _, _ in _COLUMNS for server in SERVERS]
    rows = [
        "| clients | deliveries | " + " | ".join(headings) + " |",
        "| ---: | ---: |" + " ---: |" * len(headings),
    ]
    for clients, ours in results.ours.items():
        theirs = results.theirs.get(clients)
        cells = [
            _figure(report, value, form) for _, value, form in _COLUMNS for report in (ours, theirs)
        ]
        rows.append(f"| {clients:,} | {ours.expected:,} | " + " | ".join(cells) + " |")
    lines = ["\n".join(rows)]
    if results.registration is not None:
        idle = results.registration
        lines.append(
            f"chat-server: {idle.registered:,} of {idle.workload.clients:,} idle clients"
            f" registered in {idle.connect_seconds:.2f} s"
        )
    return "\n\n".join(lines)


def _figure(report: Report | None, value: Callable[[Report], float | None], form: str) -> str:
    """A figure, marked if its run fell short (some deliveries or registrations missing)."""
    figure = None if report is None else value(report)
    if report is None or figure is None:
        return "n/a"
    return form.format(figure) + ("" if report.complete else " (incomplete)")
