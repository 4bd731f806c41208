"""The threaded TCP server: accepts clients and spreads them over a few I/O threads."""

import contextlib
import functools
import itertools
import selectors
import socket
import threading
import time
from typing import Final

import structlog

from app.adapters.tcp.connection import ClientConnection
from app.adapters.tcp.frames import error_frame
from app.adapters.tcp.intake import ConnectionLimits
from app.adapters.tcp.loop import IoLoop
from app.adapters.tcp.wire import ShutdownFrame, encode_frame
from app.domain.metrics import MetricsSnapshot
from app.services.chat import ChatService
from app.services.ports import Clock

_log = structlog.get_logger()
# One: the loops share the GIL, and a second loop measured slower (docs/PERFORMANCE.md).
DEFAULT_IO_THREADS: Final = 1
DEFAULT_MAX_CLIENTS: Final = 10_000
_ACCEPTS_PER_WAKE: Final = 64


class ChatServer:
    """Listens on `address` and serves every client through `chat`.

    Each client belongs to one of `io_threads` I/O loops for its whole life; one loop also
    accepts. No thread ever blocks on a client's socket.
    """

    def __init__(
        self,
        address: tuple[str, int],
        chat: ChatService,
        clock: Clock,
        *,
        io_threads: int = DEFAULT_IO_THREADS,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self._chat = chat
        self._clock = clock
        self._limits = limits or ConnectionLimits()
        self._max_clients = max_clients
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        # create_server sets SO_REUSEADDR, so a restarted server gets its port back at once.
        self._listener = socket.create_server(address, family=family, backlog=1024)
        self._listener.setblocking(False)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._loops = [IoLoop(f"chat-io-{index}") for index in range(max(1, io_threads))]
        self._next_loop = itertools.cycle(self._loops)
        self._connections: set[ClientConnection] = set()
        self._all_closed = threading.Condition()
        self._stopping = False

    def start(self) -> None:
        for loop in self._loops:
            loop.start()
        acceptor = self._loops[0]
        acceptor.call_soon(
            lambda: acceptor.watch(self._listener, selectors.EVENT_READ, self._accept)
        )
        _log.info("server_listening", host=self.address[0], port=self.address[1])

    def snapshot(self) -> MetricsSnapshot:
        return self._chat.snapshot()

    def connection_count(self) -> int:
        with self._all_closed:
            return len(self._connections)

    def connections(self) -> list[ClientConnection]:
        with self._all_closed:
            return list(self._connections)

    def wait_for_connections(self, count: int, timeout: float) -> bool:
        """Block until exactly `count` clients are connected; False if that took too long."""
        with self._all_closed:
            return self._all_closed.wait_for(lambda: len(self._connections) == count, timeout)

    def stop(self, reason: str = "server closing", grace_seconds: float = 1.0) -> None:
        """Tell every client, flush what each is owed, close everything. Idempotent."""
        with self._all_closed:
            if self._stopping:
                return
            self._stopping = True
            connections = list(self._connections)
        acceptor = self._loops[0]
        acceptor.call_soon(self._close_listener)
        # Under the service lock: every message accepted so far is queued before this frame.
        self._chat.shut_down(reason)
        farewell = encode_frame(ShutdownFrame(reason=reason, ts=self._clock.now()))
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
        for loop in self._loops:
            loop.stop()
        for loop in self._loops:
            loop.join(timeout=0.5)
        _log.info("server_stopped", unflushed_clients=len(stragglers))

    def _close_listener(self) -> None:
        self._loops[0].watch(self._listener, 0, self._accept)
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
                connection = ClientConnection(
                    sock,
                    peer,
                    loop=next(self._next_loop),
                    chat=self._chat,
                    clock=self._clock,
                    on_closed=self._forget,
                    limits=self._limits,
                )
                self._connections.add(connection)
                self._all_closed.notify_all()
        if full:
            self._refuse(sock, peer)
            return
        connection.loop.call_soon(connection.start)

    def _refuse(self, sock: socket.socket, peer: str) -> None:
        message = f"the server holds {self._max_clients} clients already; try again later"
        with contextlib.suppress(OSError):  # it is being turned away anyway
            sock.send(error_frame("server_full", message, self._clock.now()))
        sock.close()
        _log.warning("client_refused", peer=peer, reason="server_full")

    def _forget(self, connection: ClientConnection) -> None:
        with self._all_closed:
            self._connections.discard(connection)
            self._all_closed.notify_all()
