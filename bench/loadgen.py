"""One load-generator process: many client sockets on one selector, sending and counting.

The clients of a process register, hold until every process is ready, then senders send and
everyone counts deliveries. Counting is cheap (a marker count per received chunk); a few
"latency" clients parse every line for the send time stamped in the text.

Against several servers (a cluster sharing one room) each client connects to one of them;
every message then also says which sender it is from, so a probe can tell a message from a
sender on another server from one on its own, and a sender times its own echo.

Both dialects take the same path per chunk, so the loader costs the same per delivery
against either server and flatters neither: count the markers, look for a line that starts
with "PING " (only IRC servers send one, but v1 chunks are searched all the same), and keep
the partial last line. Only a chunk that may hold a PING is split into lines.
"""

import selectors
import socket
import time
from dataclasses import dataclass, field
from typing import Final, Protocol

from bench.dialects import Dialect, dialect_named

MARKER: Final = b"MSG#"
# What an IRC server starts a line with to see whether an idle client is alive; a client that
# does not answer is dropped (ngircd asks after PingTimeout).
SERVER_PING: Final = b"PING "
# Below malloc's mmap threshold (128 KiB): a bigger buffer is mapped and unmapped afresh for
# every recv, some 8 us a call however little arrives (1 us at this size). That charged the
# loader most against the server that sends in smaller pieces: ngircd's come some 3 KiB a
# recv in W1, chat-server's some 50 KiB.
_RECV_BYTES: Final = 65_536
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
    # At most this many clients connecting or registering at a time (0: no limit, all connect
    # first). ngircd listens with a backlog of 10, so a burst of connects overflows it.
    connect_window: int = 0
    # Several servers (a cluster): every server's address, and for each of this worker's
    # clients which one it connects to and its index in the whole run. Empty: all connect to
    # host:port and messages carry no sender.
    addresses: tuple[tuple[str, int], ...] = ()
    client_servers: tuple[int, ...] = ()
    client_indexes: tuple[int, ...] = ()

    @property
    def spread(self) -> bool:
        return len(self.addresses) > 1


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
    # Against several servers only:
    # by server index: (clients registered, deliveries expected, deliveries received, clients
    # that received more or fewer than expected), own echoes included
    by_server: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    # what probes received: (sender index, send time, receive time, the probe's server)
    probe_deliveries: list[tuple[int, int, int, int]] = field(default_factory=list)
    # what senders got back of their own: (sender index, send time, echo time)
    echoes: list[tuple[int, int, int]] = field(default_factory=list)


def receive_only_plan(dialect: str, timeout: float) -> WorkerPlan:
    """A plan for a worker whose clients are added by hand and only receive: for measuring
    or testing the receive path alone."""
    return WorkerPlan(
        host="127.0.0.1",
        port=0,
        dialect=dialect,
        nicks=[],
        senders=frozenset(),
        latency_probes=frozenset(),
        messages=0,
        rate=0,
        payload_bytes=64,
        total_senders=0,
        join=True,
        timeout=timeout,
    )


@dataclass
class Client:
    sock: socket.socket
    sender: bool
    probe: bool
    expected: int
    registered: bool = False
    pending_line: bytes = b""  # what followed the last newline: a line still to be completed
    outgoing: bytearray = field(default_factory=bytearray)
    to_send: int = 0
    next_due: float = 0.0
    received: int = 0
    watching_writes: bool = False
    lost: bool = False  # the connection ended (and the socket left the selector)
    server: int = 0  # which of the plan's addresses it connected to
    index: int = 0  # its index in the whole run (a sender's is what its messages carry)
    times_echoes: bool = False  # a sender against several servers: it times its own echoes


def message_text(send_ns: int, payload_bytes: int, sender: int | None = None) -> str:
    """`MSG#<send time>#`, then `<sender index>#` if given, padded to `payload_bytes`."""
    head = f"MSG#{send_ns}#" if sender is None else f"MSG#{send_ns}#{sender}#"
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
        self.clients: list[Client] = []
        self.result = WorkerResult()
        self._sending: list[Client] = []

    def connect_and_register(self) -> None:
        """Connect every client and register it. With a connect window, at most that many are
        connecting or registering at a time; without one (0), all connect first."""
        plan = self.plan
        started = time.monotonic()
        deadline = started + plan.timeout
        unconnected = list(enumerate(plan.nicks))[::-1]  # taken from the end: in order
        waiting = 0
        while (unconnected or waiting) and time.monotonic() < deadline:
            room = plan.connect_window - waiting if plan.connect_window else len(unconnected)
            for _ in range(min(room, len(unconnected))):
                self._connect(*unconnected.pop())
                waiting += 1
            waiting -= self._read_registrations(0.5)
        self.result.registered = sum(client.registered for client in self.clients)
        self.result.connect_seconds = time.monotonic() - started
        self.result.expected = sum(client.expected for client in self.clients)
        self._count_by_server()

    def add_client(self, sock: socket.socket, *, sender: bool, probe: bool) -> Client:
        """A connected socket, from now on read (and, for a sender, written) by this worker."""
        plan = self.plan
        others = plan.total_senders - (1 if sender and not self.dialect.echoes_own else 0)
        client = Client(sock, sender, probe, expected=others * plan.messages)
        self.selector.register(sock, selectors.EVENT_READ, client)
        self.clients.append(client)
        return client

    def idle_until(self, start: Flag, deadline: float, heard: Counter | None = None) -> None:
        """Keep reading (and answering PINGs) while waiting for the start signal; `heard`
        keeps count of the rounds in which something came, so the runner can tell when
        what registering set off is over."""
        rounds = 0
        while not start.is_set() and time.monotonic() < deadline:
            # Other processes may start sending a moment before this one sees the signal:
            # what arrives now already counts.
            if self.read_ready(0.05) and heard is not None:
                rounds += 1
                heard[self._slot] = rounds

    def read_ready(self, timeout: float) -> int:
        """Read every client with something to read, waiting up to `timeout` for one; how
        many there were."""
        ready = self.selector.select(timeout)
        for key, _ in ready:
            self._receive(key.data)
        return len(ready)

    def run(self) -> WorkerResult:
        """The measured phase: send and count until every delivery is in, or the timeout."""
        cpu_started = time.process_time()  # the loader's cost of this phase, not of registering
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
        self.result.cpu_seconds = time.process_time() - cpu_started
        self._count_by_server()
        return self.result

    def _count_by_server(self) -> None:
        """Per server: clients registered, deliveries expected and received, and clients
        whose count is off (against several servers only: one server's figures are the
        worker's own)."""
        if not self.plan.spread:
            return
        counts: dict[int, tuple[int, int, int, int]] = {}
        for client in self.clients:
            registered, expected, received, off = counts.get(client.server, (0, 0, 0, 0))
            counts[client.server] = (
                registered + client.registered,
                expected + client.expected,
                received + client.received,
                off + (client.received != client.expected),
            )
        self.result.by_server = counts

    def close(self) -> None:
        for client in self.clients:
            client.sock.close()
        self.selector.close()

    # --- registering -----------------------------------------------------------------------

    def _connect(self, index: int, nick: str) -> None:
        plan = self.plan
        server = plan.client_servers[index] if plan.spread else 0
        address = plan.addresses[server] if plan.spread else (plan.host, plan.port)
        sock = socket.create_connection(address, timeout=plan.timeout)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sender = index in plan.senders
        client = self.add_client(sock, sender=sender, probe=index in plan.latency_probes)
        if plan.spread:
            client.server = server
            client.index = plan.client_indexes[index]
            client.times_echoes = sender and self.dialect.echoes_own
        sock.send(self.dialect.register(nick, join=plan.join))

    def _read_registrations(self, timeout: float) -> int:
        """One round of reading while clients register; how many are no longer waiting
        (registered, or their connection lost)."""
        settled = 0
        for key, _ in self.selector.select(timeout):
            client = key.data
            for line in self._split_and_answer(client, self._recv(client)):
                if not client.registered and self.dialect.is_registered(line, join=self.plan.join):
                    client.registered = True
                    settled += 1
            if client.lost and not client.registered:
                settled += 1
        return settled

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

    def _queue_message(self, client: Client) -> None:
        send_ns = time.monotonic_ns()
        if not self.result.first_send_ns:
            self.result.first_send_ns = send_ns
        sender = client.index if self.plan.spread else None
        text = message_text(send_ns, self.plan.payload_bytes, sender)
        client.outgoing += self.dialect.message(text)
        client.to_send -= 1

    def _flush(self, client: Client) -> None:
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

    def _receive(self, client: Client) -> None:
        data = self._recv(client)
        if not data:
            return
        now_ns = time.monotonic_ns()
        count = count_markers(client.pending_line, data)
        if count:
            client.received += count
            self.result.received += count
            self.result.last_receive_ns = now_ns
            self._progress[self._slot] = self.result.received
        timed = client.probe or client.times_echoes
        if timed or may_start_line(SERVER_PING, client.pending_line, data):
            self._parse_lines(client, data, now_ns)
        else:
            client.pending_line = rest_of_line(client.pending_line, data)

    def _parse_lines(self, client: Client, data: bytes, now_ns: int) -> None:
        for line in self._split_and_answer(client, data):
            if not (client.probe or client.times_echoes):
                continue
            if (start := line.find(MARKER)) == -1:
                continue
            end = line.find(b"#", start + len(MARKER))
            send_ns = int(line[start + len(MARKER) : end])
            if not self.plan.spread:
                self.result.latencies_ns.append(now_ns - send_ns)
                continue
            sender = int(line[end + 1 : line.find(b"#", end + 1)])
            if client.times_echoes and sender == client.index:
                self.result.echoes.append((sender, send_ns, now_ns))
            elif client.probe:
                self.result.latencies_ns.append(now_ns - send_ns)
                self.result.probe_deliveries.append((sender, send_ns, now_ns, client.server))

    def _recv(self, client: Client) -> bytes:
        """What the socket has now; b"" if nothing (a lost connection is noted and dropped)."""
        try:
            data = client.sock.recv(_RECV_BYTES)
        except BlockingIOError:
            return b""
        except OSError as error:
            return self._lost(client, str(error))
        return data or self._lost(client, "closed by the server")

    def _lost(self, client: Client, why: str) -> bytes:
        self.result.error = f"a client's connection was lost: {why}"
        self.selector.unregister(client.sock)
        client.lost = True
        return b""

    def _split_and_answer(self, client: Client, data: bytes) -> list[bytes]:
        """Whole lines so far (the rest waits for more), each PING answered on the way."""
        lines = (client.pending_line + data).split(b"\n")
        client.pending_line = lines.pop()
        for line in lines:
            reply = self.dialect.answer(line)
            if reply is not None:
                client.sock.send(reply)
        return lines


# --- a chunk at a time, without splitting it into lines -------------------------------------
# `pending_line` is what followed the last newline before `data`: the start of the line `data`
# continues. Every search below is a C-speed scan of the chunk plus a few bytes at its edges.


def count_markers(pending_line: bytes, data: bytes) -> int:
    """The markers in `data`, one cut across the chunk's start included (a marker lies within
    one line, so its first bytes are at the end of `pending_line`)."""
    edge = pending_line[-(len(MARKER) - 1) :] + data[: len(MARKER) - 1]
    return data.count(MARKER) + edge.count(MARKER)


def may_start_line(prefix: bytes, pending_line: bytes, data: bytes) -> bool:
    """Whether a line starting with `prefix` may end or begin in `data`: one that starts
    inside it, or the line it continues (however that line was cut between chunks).
    Never true for `prefix` in the middle of a line, so message text cannot set it off."""
    continued = pending_line[: len(prefix)] + data[: len(prefix)]
    return continued.startswith(prefix) or b"\n" + prefix in data


def rest_of_line(pending_line: bytes, data: bytes) -> bytes:
    """What follows the last newline once `data` is in: the line the next chunk continues."""
    cut = data.rfind(b"\n")
    return pending_line + data if cut == -1 else data[cut + 1 :]
