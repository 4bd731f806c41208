"""What the kernel knows about a socket that a connection's close depends on."""

import contextlib
import socket
import struct
from typing import Final

try:  # POSIX only; elsewhere the answer is "unknown"
    import fcntl
    import termios

    _OUTQ: int | None = termios.TIOCOUTQ  # for a TCP socket, Linux's SIOCOUTQ
except (ImportError, AttributeError):
    _OUTQ = None

_RECV_BYTES: Final = 65_536
# Where the kernel cannot say what is unacknowledged: a client quiet this long is taken to
# have stopped sending, so that a close does not answer a line of its with a reset.
QUIET_SECONDS: Final = 0.05


def unacknowledged_bytes(sock: socket.socket) -> int | None:
    """Bytes given to the kernel that the peer has not yet acknowledged (None: unknown).

    Once it is 0 everything sent sits in the peer's receive buffer, where even a reset can
    no longer destroy it: the moment a connection may be closed safely.
    """
    if _OUTQ is None:
        return None
    try:
        answer = fcntl.ioctl(sock.fileno(), _OUTQ, b"\0\0\0\0")
    except OSError:
        return None
    waiting: int = struct.unpack("i", answer)[0]
    return waiting


def safe_to_close(unacknowledged: int | None, quiet_for: float) -> bool:
    """May a half-closed connection be closed now without risking what is on its way?

    Once the client has acknowledged every byte (and our FIN), a reset (which a close can
    cause, if the client sends anything after it) no longer destroys anything it is owed.
    """
    if unacknowledged is not None:
        return unacknowledged == 0
    return quiet_for >= QUIET_SECONDS


def discard_unread(sock: socket.socket) -> None:
    """Read and drop what the peer sent and nobody read: closing with bytes unread would
    reset the connection at once, and a reset destroys what is still on its way."""
    with contextlib.suppress(OSError):
        for _ in range(16):
            if not sock.recv(_RECV_BYTES):
                return
