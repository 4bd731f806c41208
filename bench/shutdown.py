"""W4, shutdown under load: chat-server is told to stop (SIGTERM) in the middle of a burst.

chat-server promises that a clean stop sends every client what it is owed, then a
`{"type":"shutdown",...}` frame, then closes, within a grace of 1.5 s. From outside that is:
the server exits soon after the signal; every client still connected counts every public
message the server accepted (it writes each one as a line of messages.txt, and in v1 a
sender gets its own back too), then the shutdown frame, then the end of its connection.

The loader's workers register and send as for any burst; only their measured phase differs
(ShutdownWorker.run): it keeps reading until each connection closes, and counts the messages
before the shutdown frame apart from anything after it.
"""

import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Protocol

from bench.loadgen import (
    MARKER,
    Client,
    LoadWorker,
    WorkerPlan,
    WorkerResult,
    count_markers,
    may_start_line,
    rest_of_line,
)
from bench.runner import Loaders, Workload, plans_for

SHUTDOWN_FRAME: Final = b'{"type":"shutdown"'
STOP_LIMIT_SECONDS: Final = 2.0  # the server's grace (1.5 s) and some room to exit
SIGNAL_AT_FRACTION: Final = 1 / 3  # of the expected deliveries: the burst is in full flow
_MESSAGE_LOG: Final = "messages.txt"
_POLL_SECONDS: Final = 0.002


class Stoppable(Protocol):  # the part of subprocess.Popen the run uses
    def send_signal(self, sig: int, /) -> None: ...
    def wait(self, timeout: float | None = None) -> int: ...


@dataclass
class ClientEnding:
    """What one client saw of the shutdown."""

    messages: int = 0  # counted before the shutdown frame
    shutdown_seen: bool = False
    after_shutdown: int = 0  # messages after the frame: there must be none
    closed_ns: int = 0  # when its connection ended (time.monotonic_ns); 0: not by the deadline
    why: str = ""


@dataclass
class ShutdownResult(WorkerResult):
    endings: list[ClientEnding] = field(default_factory=list)


class ShutdownWorker(LoadWorker):
    """A LoadWorker whose measured phase lasts until the server has closed every connection."""

    result: ShutdownResult

    def __init__(self, plan: WorkerPlan, progress: Any, slot: int) -> None:
        super().__init__(plan, progress, slot)
        self.result = ShutdownResult()
        self._endings: dict[int, ClientEnding] = {}  # by id() of the client
        self._open = 0

    def run(self) -> ShutdownResult:
        cpu_started = time.process_time()
        deadline = time.monotonic() + self.plan.timeout
        self._open = sum(not client.lost for client in self.clients)
        self._sending = [client for client in self.clients if client.sender and not client.lost]
        for client in self._sending:
            client.to_send = self.plan.messages  # as fast as the socket takes them
        while self._open and time.monotonic() < deadline:
            timeout = self._send_due()
            for key, mask in self.selector.select(timeout):
                client = key.data
                if mask & selectors.EVENT_WRITE:
                    self._flush(client)
                if mask & selectors.EVENT_READ and not client.lost:
                    self._receive(client)
        self.result.endings = [self.ending(client) for client in self.clients]
        self.result.cpu_seconds = time.process_time() - cpu_started
        return self.result

    def ending(self, client: Client) -> ClientEnding:
        """What `client` has seen so far."""
        ending = self._endings.get(id(client))
        if ending is None:
            ending = self._endings[id(client)] = ClientEnding()
        return ending

    # --- receiving: markers before the frame, and after it ----------------------------------

    def _receive(self, client: Client) -> None:
        data = self._recv(client)
        if not data:
            return
        ending = self.ending(client)
        if ending.shutdown_seen:
            ending.after_shutdown += count_markers(client.pending_line, data)
        elif may_start_line(SHUTDOWN_FRAME, client.pending_line, data):
            self._frame_arrives(client, data, ending)
        else:
            self._count(ending, count_markers(client.pending_line, data))
        client.pending_line = rest_of_line(client.pending_line, data)

    def _frame_arrives(self, client: Client, data: bytes, ending: ClientEnding) -> None:
        """A chunk in which the shutdown frame starts, or goes on: the messages before it
        count, the frame counts once whole, and whatever follows it is a fault."""
        joined = client.pending_line + data
        at = 0 if joined.startswith(SHUTDOWN_FRAME) else joined.find(b"\n" + SHUTDOWN_FRAME) + 1
        cut = at - len(client.pending_line)  # where the frame's line starts in `data`
        if cut > 0:  # the line before it ends in this chunk (else counted already)
            self._count(ending, count_markers(client.pending_line, data[:cut]))
        if joined.find(b"\n", at) != -1:
            ending.shutdown_seen = True
            ending.after_shutdown += data[max(0, cut) :].count(MARKER)
            self._stop_sending(client)  # nothing is accepted after the frame

    def _count(self, ending: ClientEnding, count: int) -> None:
        if count:
            ending.messages += count
            self.result.received += count
            self.result.last_receive_ns = time.monotonic_ns()
            self._progress[self._slot] = self.result.received

    # --- the end of a connection --------------------------------------------------------

    def _lost(self, client: Client, why: str) -> bytes:
        """Expected here: the end the measurement waits for, not an error."""
        ending = self.ending(client)
        ending.closed_ns = time.monotonic_ns()
        ending.why = why
        self.selector.unregister(client.sock)
        client.sock.close()  # as a client does at the end of its connection
        client.lost = True
        self._open -= 1
        self._stop_sending(client)
        return b""

    def _flush(self, client: Client) -> None:
        if client.lost:
            return
        try:
            super()._flush(client)
        except OSError:
            # The server has closed while this sender was still sending: stop sending, but
            # keep reading what it sent before closing.
            self._stop_sending(client)

    def _stop_sending(self, client: Client) -> None:
        client.to_send = 0
        client.outgoing.clear()
        if client.watching_writes and not client.lost:
            self.selector.modify(client.sock, selectors.EVENT_READ, client)
            client.watching_writes = False


# --- the run: a burst, the signal once it is in full flow, then what everyone saw ------------


@dataclass(frozen=True)
class ShutdownReport:
    workload: Workload
    registered: int
    accepted: int  # public messages the server accepted: the lines of its messages.txt
    connected_at_signal: int  # clients whose connection was still open when the signal went
    complete: int  # of those: every accepted message, then the shutdown frame, then the end
    no_frame: int  # of those: no shutdown frame seen
    miscounted: int  # of those: more or fewer messages than accepted, or any after the frame
    delivered_at_signal: int  # deliveries counted (echoes included) when the signal went
    exit_seconds: float | None  # from the signal to the server process's exit
    last_close_seconds: float | None  # from the signal to the last client's end of connection
    loader_cpu_seconds: float
    errors: list[str]

    @property
    def seconds_to_stop(self) -> float | None:
        """The later of the two: the server gone and every client told."""
        if self.exit_seconds is None or self.last_close_seconds is None:
            return None
        return max(self.exit_seconds, self.last_close_seconds)

    @property
    def passed(self) -> bool:
        """Within 2 s, and nothing the server accepted missing for any client still there."""
        stopped = self.seconds_to_stop
        return (
            stopped is not None
            and stopped <= STOP_LIMIT_SECONDS
            and self.accepted > 0
            and self.registered == self.workload.clients
            and self.complete == self.connected_at_signal > 0
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload.__dict__,
            "registered": self.registered,
            "accepted": self.accepted,
            "connected_at_signal": self.connected_at_signal,
            "clients_complete": self.complete,
            "clients_without_shutdown_frame": self.no_frame,
            "clients_miscounted": self.miscounted,
            "deliveries_at_signal": self.delivered_at_signal,
            "exit_seconds": _rounded(self.exit_seconds),
            "last_close_seconds": _rounded(self.last_close_seconds),
            "seconds_to_stop": _rounded(self.seconds_to_stop),
            "limit_seconds": STOP_LIMIT_SECONDS,
            "loader_cpu_seconds": round(self.loader_cpu_seconds, 3),
            "passed": self.passed,
            "errors": self.errors,
        }


def shutdown_under_load(workload: Workload, server: Stoppable, log_dir: Path) -> ShutdownReport:
    """Run `workload` as a burst against `server` (chat-server, its logs in `log_dir`), send
    it SIGTERM once a third of the deliveries are in, and see what every client got."""
    loaders = Loaders(plans_for(replace(workload, latency_probes=0)), ShutdownWorker)
    ready = loaders.launch(timeout=workload.timeout + 5)
    expected = sum(result.expected for result in ready)
    loaders.wait_until_quiet(time.monotonic() + workload.timeout)
    loaders.go()
    deadline = time.monotonic() + workload.timeout
    delivered = _wait_for_deliveries(loaders, int(expected * SIGNAL_AT_FRACTION), deadline)
    signalled_ns = time.monotonic_ns()
    server.send_signal(signal.SIGTERM)
    exit_seconds = _seconds_to_exit(server, signalled_ns, deadline)
    finished = loaders.gather(deadline + 10, expected)
    loaders.join()
    stop = _Stop(signalled_ns, delivered, exit_seconds, _lines_in(log_dir / _MESSAGE_LOG))
    return _report(workload, ready, finished, stop)


@dataclass(frozen=True)
class _Stop:
    """The signal and what the runner saw of it."""

    signalled_ns: int
    delivered: int  # deliveries counted when the signal went
    exit_seconds: float | None
    accepted: int


def _wait_for_deliveries(loaders: Loaders, target: int, deadline: float) -> int:
    """Watch the shared counter until `target` deliveries are in (or the deadline)."""
    delivered = loaders.delivered()
    while delivered < target and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        delivered = loaders.delivered()
    return delivered


def _seconds_to_exit(server: Stoppable, signalled_ns: int, deadline: float) -> float | None:
    try:
        server.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return None
    return (time.monotonic_ns() - signalled_ns) / 1e9


def _lines_in(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _report(
    workload: Workload, ready: list[WorkerResult], finished: list[WorkerResult], stop: _Stop
) -> ShutdownReport:
    endings = [
        ending
        for result in finished
        if isinstance(result, ShutdownResult)
        for ending in result.endings
    ]
    # A client cut off before the signal (a slow consumer, say) is not owed the rest.
    there = [ending for ending in endings if not 0 < ending.closed_ns < stop.signalled_ns]
    closes = [ending.closed_ns for ending in there]
    last_close = None if not closes or 0 in closes else (max(closes) - stop.signalled_ns) / 1e9
    errors = {result.error for result in ready + finished if result.error}
    if len(finished) < len(ready):
        errors.add(f"{len(ready) - len(finished)} loader processes did not finish in time")
    return ShutdownReport(
        workload=workload,
        registered=sum(result.registered for result in ready),
        accepted=stop.accepted,
        connected_at_signal=len(there),
        complete=sum(_complete(ending, stop.accepted) for ending in there),
        no_frame=sum(not ending.shutdown_seen for ending in there),
        miscounted=sum(_miscounted(ending, stop.accepted) for ending in there),
        delivered_at_signal=stop.delivered,
        exit_seconds=stop.exit_seconds,
        last_close_seconds=last_close,
        loader_cpu_seconds=sum(result.cpu_seconds for result in finished),
        errors=sorted(errors),
    )


def _miscounted(ending: ClientEnding, accepted: int) -> bool:
    return ending.messages != accepted or ending.after_shutdown > 0


def _complete(ending: ClientEnding, accepted: int) -> bool:
    """Every accepted message, then the shutdown frame, then the end of the connection."""
    return ending.shutdown_seen and ending.closed_ns > 0 and not _miscounted(ending, accepted)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
