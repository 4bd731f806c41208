"""The client's side of a connection: frames out, frames in, over one blocking socket."""

import contextlib
import socket
import threading
from collections import deque
from collections.abc import Iterator
from typing import Final

from app.adapters.tcp.framing import LineSplitter, Oversized
from app.adapters.tcp.wire import (
    ClientFrame,
    ProtocolError,
    ServerFrame,
    decode_server_frame,
    encode_frame,
)

# The server may send far longer lines than it accepts: a welcome lists everyone online.
MAX_SERVER_FRAME_BYTES: Final = 4 << 20
_RECV_BYTES: Final = 65_536


# A connection whose other end vanished without a word (a laptop lid, a NAT timeout) is
# noticed within about a minute and a half, and the client reconnects.
_KEEPALIVE_IDLE_SECONDS: Final = 60
_KEEPALIVE_INTERVAL_SECONDS: Final = 10
_KEEPALIVE_PROBES: Final = 3


def _keep_alive(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (  # Linux names; other systems keep their own defaults
        ("TCP_KEEPIDLE", _KEEPALIVE_IDLE_SECONDS),
        ("TCP_KEEPINTVL", _KEEPALIVE_INTERVAL_SECONDS),
        ("TCP_KEEPCNT", _KEEPALIVE_PROBES),
    ):
        if hasattr(socket, name):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


class ConnectionLost(Exception):
    """The server went away (or could not be reached); the message says how, for a person."""


class ServerConnection:
    """One TCP connection to a chat server. `send` is thread-safe; read from one thread."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._splitter = LineSplitter(limit=MAX_SERVER_FRAME_BYTES)
        self._send_lock = threading.Lock()
        self._ready: deque[bytes | Oversized] = deque()  # received lines not yet decoded

    @classmethod
    def open(cls, host: str, port: int, timeout: float = 10.0) -> "ServerConnection":
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as error:
            reason = error.strerror or str(error)
            raise ConnectionLost(f"cannot connect to {host}:{port}: {reason}") from error
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _keep_alive(sock)
        return cls(sock)

    def send(self, frame: ClientFrame) -> None:
        data = encode_frame(frame)
        try:
            with self._send_lock:
                self._sock.sendall(data)
        except OSError as error:
            raise ConnectionLost("the connection to the server was lost") from error

    def read_frame(self, timeout: float | None = None) -> ServerFrame | ProtocolError | None:
        """The next frame, or None once the server has closed the connection.

        A line that is not a valid frame comes back as a ProtocolError rather than raising,
        so one bad line does not end the session. With `timeout`, waiting longer than that
        for the next bytes raises TimeoutError.
        """
        while not self._ready:
            try:
                self._sock.settimeout(timeout)  # fails, too, once closed by another thread
                chunk = self._sock.recv(_RECV_BYTES)
            except TimeoutError:
                raise
            except OSError:
                return None
            if not chunk:
                return None
            self._ready.extend(self._splitter.feed(chunk))
        line = self._ready.popleft()
        if isinstance(line, Oversized):
            return ProtocolError("frame_too_large", "the server sent an over-long line")
        try:
            return decode_server_frame(line)
        except ProtocolError as error:
            return error

    def frames(self) -> Iterator[ServerFrame | ProtocolError]:
        """Frames as they arrive, until the server closes the connection."""
        while (frame := self.read_frame()) is not None:
            yield frame

    def close(self) -> None:
        with contextlib.suppress(OSError):  # already closed by the other side
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
