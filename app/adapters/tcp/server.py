"""The threaded TCP server: accepts clients, spreads them over a few I/O threads, and sends
the room feed to each of them from the one copy encoded for all."""

import contextlib
import functools
import itertools
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Final

import structlog

from app.adapters.tcp.codec import encode_event, error_frame
from app.adapters.tcp.connection import NoTransportTelemetry, TcpConnection, TransportTelemetry
from app.adapters.tcp.encoded_feed import EncodedFeed
from app.adapters.tcp.limits import ConnectionLimits
from app.adapters.tcp.loop import IoLoop
from app.adapters.tcp.pass_chunks import PassChunks
from app.domain.errors import ServerFull
from app.domain.events import ChatEvent
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
    """One I/O loop and the clients on it that follow the feed."""

    loop: IoLoop
    followers: set[TcpConnection] = field(default_factory=set)
    pass_pending: bool = False  # a feed pass is queued on the loop
    low_water: int = 0  # the oldest feed entry one of these clients may still need


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
    ) -> None:
        self._chat = chat
        self._telemetry: TransportTelemetry = telemetry or NoTransportTelemetry()
        self._clock = clock
        self._limits = limits or ConnectionLimits()
        self._max_clients = max_clients
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        # create_server sets SO_REUSEADDR, so a restarted server gets its port back at once.
        # "::" listens on IPv4 too, where the system allows it: one --host for everyone.
        dual = family == socket.AF_INET6 and address[0] == "::" and socket.has_dualstack_ipv6()
        self._listener = socket.create_server(
            address, family=family, backlog=1024, dualstack_ipv6=dual
        )
        self._listener.setblocking(False)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._feed = EncodedFeed()
        self._shares = [_LoopShare(IoLoop(f"chat-io-{index}")) for index in range(io_threads)]
        self._next_share = itertools.cycle(self._shares)
        self._connections: set[TcpConnection] = set()
        self._all_closed = threading.Condition()
        self._stopping = False
        chat.feed.subscribe(self._broadcast)

    def start(self) -> None:
        for share in self._shares:
            share.loop.start()
        acceptor = self._shares[0].loop
        acceptor.call_soon(
            lambda: acceptor.watch(self._listener, selectors.EVENT_READ, self._accept)
        )
        _log.info("server_listening", host=self.address[0], port=self.address[1])

    def close_listener(self) -> None:
        """Give the port back without ever serving (start-up failed after it was bound)."""
        self._listener.close()

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
        acceptor = self._shares[0].loop
        acceptor.call_soon(self._close_listener)
        # The shutdown frame goes on the feed after every message accepted so far; a client
        # not in the room gets the same frame on its own.
        farewell = encode_event(self._chat.shut_down(reason))
        for connection in connections:
            connection.loop.call_soon(functools.partial(connection.finish, farewell))
        deadline = time.monotonic() + grace_seconds
        with self._all_closed:
            self._all_closed.wait_for(
                lambda: not self._connections, timeout=max(0.0, deadline - time.monotonic())
            )
            stragglers = list(self._connections)
        for connection in stragglers:
            connection.loop.call_soon(connection.abort)
        for share in self._shares:
            share.loop.stop()
        for share in self._shares:
            share.loop.join(timeout=0.5)
        _log.info("server_stopped", clients_cut_off=len(stragglers))

    # --- the feed -------------------------------------------------------------------------

    def _broadcast(self, event: ChatEvent) -> None:
        """A new feed entry (under the chat service's lock): encode it once, wake the loops."""
        self._feed.append(encode_event(event))
        for share in self._shares:
            if not share.pass_pending:
                share.pass_pending = True
                share.loop.call_soon(functools.partial(self._feed_pass, share))

    def _feed_pass(self, share: _LoopShare) -> None:
        """Let every follower on this loop send what it now owes; free what nobody needs."""
        share.pass_pending = False
        chunks = PassChunks(self._feed)
        low_water = chunks.end
        for connection in list(share.followers):
            position = connection.feed_grew(chunks)
            if position is None:
                share.followers.discard(connection)
            elif position < low_water:
                low_water = position
        if chunks.frames or chunks.sent_bytes:
            self._telemetry.frames_sent(chunks.frames, chunks.sent_bytes)
        share.low_water = low_water
        if len(self._shares) > 1:
            low_water = min(other.low_water for other in self._shares)
        self._feed.release(low_water)

    # --- accepting ------------------------------------------------------------------------

    def _close_listener(self) -> None:
        self._shares[0].loop.watch(self._listener, 0, self._accept)
        self._listener.close()

    def _accept(self, _mask: int) -> None:
        for _ in range(_ACCEPTS_PER_WAKE):
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: keep serving the rest
                _log.error("accept_failed", error=str(error))
                return
            self._admit(sock, f"{address[0]}:{address[1]}")

    def _admit(self, sock: socket.socket, peer: str) -> None:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        with self._all_closed:
            full = len(self._connections) >= self._max_clients or self._stopping
            if not full:
                share = next(self._next_share)
                connection = TcpConnection(
                    sock,
                    peer,
                    loop=share.loop,
                    chat=self._chat,
                    feed=self._feed,
                    clock=self._clock,
                    limits=self._limits,
                    followers=share.followers,
                    on_closed=self._forget,
                    telemetry=self._telemetry,
                )
                self._connections.add(connection)
                self._all_closed.notify_all()
        if full:
            self._refuse(sock, peer)
            return
        self._telemetry.connection_accepted()
        connection.loop.call_soon(connection.start)

    def _refuse(self, sock: socket.socket, peer: str) -> None:
        message = f"the server holds {self._max_clients} clients already; try again later"
        with contextlib.suppress(OSError):  # it is being turned away anyway
            sock.send(error_frame(ServerFull(message), self._clock.now()))
        sock.close()
        _log.warning("client_refused", peer=peer, reason="server_full")
        self._telemetry.connection_refused("server_full")

    def _forget(self, connection: TcpConnection) -> None:
        with self._all_closed:
            self._connections.discard(connection)
            self._all_closed.notify_all()
