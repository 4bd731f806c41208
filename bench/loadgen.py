"""One load-generator process: many client sockets on one selector, sending and counting.

The clients of a process register, hold until every process is ready, then senders send and
everyone counts deliveries. Counting is cheap (a marker count per received chunk); a few
"latency" clients parse every line for the send time stamped in the text.
"""

import selectors
import socket
import time
from dataclasses import dataclass, field
from typing import Final, Protocol

from bench.dialects import Dialect, dialect_named

MARKER: Final = b"MSG#"
_RECV_BYTES: Final = 262_144
_SEND_AHEAD_BYTES: Final = 65_536  # what a fast sender queues before the socket takes it


class Flag(Protocol):  # the part of multiprocessing.Event a worker uses
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class WorkerPlan:
    host: str
    port: int
    dialect: str
    nicks: list[str]
    senders: frozenset[int]  # local indexes of the clients that send
    latency_probes: frozenset[int]  # local indexes of the clients that time every message
    messages: int  # per sender
    rate: float  # per sender, messages a second; 0: as fast as the socket takes them
    payload_bytes: int
    total_senders: int
    join: bool  # IRC: join the channel (False: only register, for the idle workload)
    timeout: float


@dataclass
class WorkerResult:
    registered: int = 0
    connect_seconds: float = 0.0
    expected: int = 0
    received: int = 0
    first_send_ns: int = 0
    last_receive_ns: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    cpu_seconds: float = 0.0
    error: str | None = None


@dataclass
class _Client:
    sock: socket.socket
    sender: bool
    probe: bool
    expected: int
    registered: bool = False
    pending_line: bytes = b""
    outgoing: bytearray = field(default_factory=bytearray)
    to_send: int = 0
    next_due: float = 0.0
    tail: bytes = b""  # the end of the last chunk, so a marker cut in two is still counted
    received: int = 0
    watching_writes: bool = False


def message_text(send_ns: int, payload_bytes: int) -> str:
    head = f"MSG#{send_ns}#"
    return head + "x" * max(0, payload_bytes - len(head))


class Counter(Protocol):  # one slot of a shared array: the worker's deliveries so far
    def __setitem__(self, index: int, value: int) -> None: ...


class LoadWorker:
    def __init__(self, plan: WorkerPlan, progress: Counter, slot: int) -> None:
        self.plan = plan
        self._progress = progress
        self._slot = slot
        self.dialect: Dialect = dialect_named(plan.dialect)
        self.selector = selectors.DefaultSelector()
        self.clients: list[_Client] = []
        self.result = WorkerResult()
        self._sending: list[_Client] = []

    def connect_and_register(self) -> None:
        plan = self.plan
        started = time.monotonic()
        deadline = started + plan.timeout
        for index, nick in enumerate(plan.nicks):
            sock = socket.create_connection((plan.host, plan.port), timeout=plan.timeout)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sender = index in plan.senders
            others = plan.total_senders - (1 if sender and not self.dialect.echoes_own else 0)
            client = _Client(
                sock, sender, index in plan.latency_probes, expected=others * plan.messages
            )
            sock.send(self.dialect.register(nick, join=plan.join))
            self.selector.register(sock, selectors.EVENT_READ, client)
            self.clients.append(client)
        waiting = len(self.clients)
        while waiting and time.monotonic() < deadline:
            for key, _ in self.selector.select(0.5):
                client = key.data
                for line in self._lines(client):
                    if not client.registered and self.dialect.is_registered(line, join=plan.join):
                        client.registered = True
                        waiting -= 1
        self.result.registered = len(self.clients) - waiting
        self.result.connect_seconds = time.monotonic() - started
        self.result.expected = sum(client.expected for client in self.clients)

    def idle_until(self, start: Flag, deadline: float) -> None:
        """Keep reading (and answering PINGs) while waiting for the start signal."""
        while not start.is_set() and time.monotonic() < deadline:
            for key, _ in self.selector.select(0.05):
                # Other processes may start sending a moment before this one sees the signal:
                # what arrives now already counts.
                self._receive(key.data)

    def run(self) -> WorkerResult:
        plan = self.plan
        now = time.monotonic()
        deadline = now + plan.timeout
        self._sending = [client for client in self.clients if client.sender]
        for number, client in enumerate(self._sending):
            client.to_send = plan.messages
            # Spread the senders' schedules evenly over one interval.
            client.next_due = (
                now + (number / max(1, plan.total_senders)) / plan.rate if plan.rate else now
            )
        received_target = self.result.expected
        while self.result.received < received_target and time.monotonic() < deadline:
            timeout = self._send_due()
            for key, mask in self.selector.select(timeout):
                client = key.data
                if mask & selectors.EVENT_WRITE:
                    self._flush(client)
                if mask & selectors.EVENT_READ:
                    self._receive(client)
        self.result.cpu_seconds = time.process_time()
        return self.result

    def close(self) -> None:
        for client in self.clients:
            client.sock.close()
        self.selector.close()

    # --- sending ---------------------------------------------------------------------------

    def _send_due(self) -> float:
        """Queue what is due and try to send it; returns how long select may wait."""
        plan = self.plan
        now = time.monotonic()
        wait = 0.05
        for client in self._sending:
            if plan.rate == 0:
                while client.to_send and len(client.outgoing) < _SEND_AHEAD_BYTES:
                    self._queue_message(client)
            else:
                while client.to_send and client.next_due <= now:
                    self._queue_message(client)
                    client.next_due += 1 / plan.rate
                if client.to_send:
                    wait = min(wait, max(0.0, client.next_due - now))
            self._flush(client)
        self._sending = [client for client in self._sending if client.to_send]
        return wait

    def _queue_message(self, client: _Client) -> None:
        send_ns = time.monotonic_ns()
        if not self.result.first_send_ns:
            self.result.first_send_ns = send_ns
        client.outgoing += self.dialect.message(message_text(send_ns, self.plan.payload_bytes))
        client.to_send -= 1

    def _flush(self, client: _Client) -> None:
        if client.outgoing:
            try:
                sent = client.sock.send(client.outgoing)
            except BlockingIOError:
                sent = 0
            del client.outgoing[:sent]
        wants_writes = bool(client.outgoing)
        if wants_writes != client.watching_writes:
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if wants_writes else 0)
            self.selector.modify(client.sock, events, client)
            client.watching_writes = wants_writes

    # --- receiving -------------------------------------------------------------------------

    def _receive(self, client: _Client) -> None:
        data = self._recv(client)
        if not data:
            return
        now_ns = time.monotonic_ns()
        joined = client.tail + data
        count = joined.count(MARKER)
        client.tail = data[-(len(MARKER) - 1) :]
        if count:
            client.received += count
            self.result.received += count
            self.result.last_receive_ns = now_ns
            self._progress[self._slot] = self.result.received
        if client.probe or self.dialect.name == "irc":
            self._parse_lines(client, data, now_ns)

    def _parse_lines(self, client: _Client, data: bytes, now_ns: int) -> None:
        for line in self._split_and_answer(client, data):
            if client.probe and (start := line.find(MARKER)) != -1:
                end = line.find(b"#", start + len(MARKER))
                self.result.latencies_ns.append(now_ns - int(line[start + len(MARKER) : end]))

    def _recv(self, client: _Client) -> bytes:
        """What the socket has now; b"" if nothing (a lost connection is noted and dropped)."""
        try:
            data = client.sock.recv(_RECV_BYTES)
        except BlockingIOError:
            return b""
        except OSError as error:
            return self._lost(client, str(error))
        return data or self._lost(client, "closed by the server")

    def _lost(self, client: _Client, why: str) -> bytes:
        self.result.error = f"a client's connection was lost: {why}"
        self.selector.unregister(client.sock)
        return b""

    def _lines(self, client: _Client) -> list[bytes]:
        return self._split_and_answer(client, self._recv(client))

    def _split_and_answer(self, client: _Client, data: bytes) -> list[bytes]:
        """Whole lines so far (the rest waits for more), each PING answered on the way."""
        lines = (client.pending_line + data).split(b"\n")
        client.pending_line = lines.pop()
        for line in lines:
            reply = self.dialect.answer(line)
            if reply is not None:
                client.sock.send(reply)
        return lines
