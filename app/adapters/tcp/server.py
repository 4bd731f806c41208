"""The threaded TCP server: accepts clients on one listener per wire protocol, spreads them
over a few I/O threads, and sends the room feed to each of them from the one copy its
protocol encoded for all."""

import contextlib
import functools
import itertools
import selectors
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import structlog

from app.adapters.tcp.connection import NoTransportTelemetry, TcpConnection, TransportTelemetry
from app.adapters.tcp.limits import ConnectionLimits
from app.adapters.tcp.loop import IoLoop
from app.adapters.tcp.pass_chunks import PassChunks
from app.adapters.tcp.v1_protocol import V1Protocol
from app.adapters.tcp.wire_session import WireProtocol
from app.domain.errors import ServerFull
from app.domain.events import ChatEvent, Refusal
from app.domain.metrics import MetricsSnapshot
from app.services.ports import Clock
from app.services.room_api import ChatRoom

_log = structlog.get_logger()
# One: the loops share the GIL, and a second loop measured slower (docs/PERFORMANCE.md).
DEFAULT_IO_THREADS: Final = 1
DEFAULT_MAX_CLIENTS: Final = 10_000
_ACCEPTS_PER_WAKE: Final = 64
# Seconds a stopping server gives its clients to read what they are owed: long enough for a
# client that reads, short enough that `q` stops the server within two seconds.
STOP_GRACE: Final = 1.5


@dataclass
class _LoopShare:
    """One I/O loop and the clients of one protocol on it that follow the feed."""

    loop: IoLoop
    followers: set[TcpConnection] = field(default_factory=set)
    pass_pending: bool = False  # a feed pass is queued on the loop
    low_water: int = 0  # the oldest feed entry one of these clients may still need


@dataclass
class _Listener:
    """A listening socket, the protocol its clients speak, and its share of each loop."""

    sock: socket.socket
    protocol: WireProtocol
    shares: list[_LoopShare]


class CannotListen(OSError):
    """A listener could not be opened; `address` says which."""

    def __init__(self, error: OSError, address: tuple[str, int]) -> None:
        super().__init__(error.errno, error.strerror)
        self.address = address


def _listen(address: tuple[str, int]) -> socket.socket:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    # create_server sets SO_REUSEADDR, so a restarted server gets its port back at once.
    # "::" listens on IPv4 too, where the system allows it: one --host for everyone.
    dual = family == socket.AF_INET6 and address[0] == "::" and socket.has_dualstack_ipv6()
    try:
        sock = socket.create_server(address, family=family, backlog=1024, dualstack_ipv6=dual)
    except OSError as error:
        raise CannotListen(error, address) from error
    sock.setblocking(False)
    return sock


class ChatServer:
    """Listens on `address` and serves every client through `chat`.

    Each client belongs to one of `io_threads` I/O loops for its whole life; one loop also
    accepts. No thread ever blocks on a client's socket.
    """

    def __init__(
        self,
        address: tuple[str, int],
        chat: ChatRoom,
        clock: Clock,
        *,
        io_threads: int = DEFAULT_IO_THREADS,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        limits: ConnectionLimits | None = None,
        telemetry: TransportTelemetry | None = None,
        also: Sequence[tuple[tuple[str, int], WireProtocol]] = (),
    ) -> None:
        """Protocol v1 on `address`; each of `also` is another listener and its protocol
        (the IRC gateway). Raises OSError if one cannot listen (none is left open then)."""
        self._chat = chat
        self._telemetry: TransportTelemetry = telemetry or NoTransportTelemetry()
        self._clock = clock
        self._limits = limits or ConnectionLimits()
        self._max_clients = max_clients
        self._loops = [IoLoop(f"chat-io-{index}") for index in range(io_threads)]
        self._next_loop = itertools.cycle(self._loops)
        self._listeners: list[_Listener] = []
        wanted = [(address, V1Protocol(chat, clock, self._limits)), *also]
        try:
            for where, protocol in wanted:
                shares = [_LoopShare(loop) for loop in self._loops]
                self._listeners.append(_Listener(_listen(where), protocol, shares))
        except OSError:
            self.close_listener()
            raise
        self.address: tuple[str, int] = self._listeners[0].sock.getsockname()[:2]
        self._connections: set[TcpConnection] = set()
        self._all_closed = threading.Condition()
        self._stopping = False
        for listener in self._listeners:
            chat.feed.subscribe(functools.partial(self._broadcast, listener))

    def address_of(self, protocol: str) -> tuple[str, int]:
        """Where the listener of `protocol` ("v1", "irc") listens."""
        for listener in self._listeners:
            if listener.protocol.name == protocol:
                address: tuple[str, int] = listener.sock.getsockname()[:2]
                return address
        raise LookupError(f"no {protocol} listener")

    def start(self) -> None:
        for loop in self._loops:
            loop.start()
        acceptor = self._loops[0]
        for listener in self._listeners:
            acceptor.call_soon(functools.partial(self._watch_listener, listener))
            host, port = listener.sock.getsockname()[:2]
            _log.info("server_listening", host=host, port=port, protocol=listener.protocol.name)

    def close_listener(self) -> None:
        """Give the ports back without ever serving (start-up failed after they were bound)."""
        for listener in self._listeners:
            listener.sock.close()

    def snapshot(self) -> MetricsSnapshot:
        return self._chat.snapshot()

    def connections(self) -> list[TcpConnection]:
        with self._all_closed:
            return list(self._connections)

    def wait_for_connections(self, count: int, timeout: float) -> bool:
        """Block until exactly `count` clients are connected; False if that took too long."""
        with self._all_closed:
            return self._all_closed.wait_for(lambda: len(self._connections) == count, timeout)

    def stop(self, reason: str = "server closing", grace_seconds: float = STOP_GRACE) -> None:
        """Tell every client, send what each is owed, close everything. Idempotent.

        A client still reading gets it all, the shutdown frame last, within `grace_seconds`;
        one that does not read is cut off then.
        """
        with self._all_closed:
            if self._stopping:
                return
            self._stopping = True
            connections = list(self._connections)
        self._loops[0].call_soon(self._close_listeners)
        # The shutdown frame goes on the feed after every message accepted so far; a client
        # not in the room gets the same frame on its own.
        farewell = self._chat.shut_down(reason)
        frames = {id(each.protocol): each.protocol.alone(farewell) for each in self._listeners}
        for connection in connections:
            frame = frames[id(connection.protocol)]
            connection.loop.call_soon(functools.partial(connection.finish, frame))
        deadline = time.monotonic() + grace_seconds
        with self._all_closed:
            self._all_closed.wait_for(
                lambda: not self._connections, timeout=max(0.0, deadline - time.monotonic())
            )
            stragglers = list(self._connections)
        for connection in stragglers:
            connection.loop.call_soon(connection.abort)
        for loop in self._loops:
            loop.stop()
        for loop in self._loops:
            loop.join(timeout=0.5)
        _log.info("server_stopped", clients_cut_off=len(stragglers))

    # --- the feed -------------------------------------------------------------------------

    def _broadcast(self, listener: _Listener, event: ChatEvent) -> None:
        """A new feed entry (under the chat service's lock): encode it once, wake the loops."""
        listener.protocol.publish(event)
        for share in listener.shares:
            if not share.pass_pending:
                share.pass_pending = True
                share.loop.call_soon(functools.partial(self._feed_pass, listener, share))

    def _feed_pass(self, listener: _Listener, share: _LoopShare) -> None:
        """Let every follower on this loop send what it now owes; free what nobody needs."""
        share.pass_pending = False
        feed = listener.protocol.feed
        shared = listener.protocol.shared
        chunks = None if shared is None else PassChunks(shared)
        low_water = end = feed.end
        for connection in list(share.followers):
            position = connection.feed_grew(chunks)
            if position is None:
                share.followers.discard(connection)
            elif position < low_water:
                low_water = position
        if chunks is not None and (chunks.frames or chunks.sent_bytes):
            self._telemetry.frames_sent(chunks.frames, chunks.sent_bytes)
        share.low_water = low_water if low_water <= end else end
        if len(listener.shares) > 1:
            low_water = min(other.low_water for other in listener.shares)
        feed.release(low_water)

    # --- accepting ------------------------------------------------------------------------

    def _watch_listener(self, listener: _Listener) -> None:
        def accept(_mask: int) -> None:
            self._accept(listener)

        self._loops[0].watch(listener.sock, selectors.EVENT_READ, accept)

    def _close_listeners(self) -> None:
        for listener in self._listeners:
            self._loops[0].watch(listener.sock, 0, lambda _mask: None)
            listener.sock.close()

    def _accept(self, listener: _Listener) -> None:
        for _ in range(_ACCEPTS_PER_WAKE):
            try:
                sock, address = listener.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: keep serving the rest
                _log.error("accept_failed", error=str(error))
                return
            self._admit(listener, sock, f"{address[0]}:{address[1]}")

    def _admit(self, listener: _Listener, sock: socket.socket, peer: str) -> None:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        with self._all_closed:
            full = len(self._connections) >= self._max_clients or self._stopping
            if not full:
                index = self._loops.index(next(self._next_loop))
                share = listener.shares[index]
                connection = TcpConnection(
                    sock,
                    peer,
                    loop=share.loop,
                    protocol=listener.protocol,
                    limits=self._limits,
                    followers=share.followers,
                    on_closed=self._forget,
                    telemetry=self._telemetry,
                )
                self._connections.add(connection)
                self._all_closed.notify_all()
        if full:
            self._refuse(listener, sock, peer)
            return
        self._telemetry.connection_accepted()
        connection.loop.call_soon(connection.start)

    def _refuse(self, listener: _Listener, sock: socket.socket, peer: str) -> None:
        message = f"the server holds {self._max_clients} clients already; try again later"
        refusal = Refusal(error=ServerFull(message), at=self._clock.now())
        with contextlib.suppress(OSError):  # it is being turned away anyway
            sock.send(listener.protocol.alone(refusal))
        sock.close()
        _log.warning("client_refused", peer=peer, reason="server_full")
        self._telemetry.connection_refused("server_full")

    def _forget(self, connection: TcpConnection) -> None:
        with self._all_closed:
            self._connections.discard(connection)
            self._all_closed.notify_all()
