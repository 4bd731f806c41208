"""What the kernel reports of a real TCP socket, which the server's close relies on."""

import contextlib
import socket

import pytest

from app.adapters.tcp.sockets import unacknowledged_bytes


def test_the_kernel_counts_what_the_client_has_not_yet_acknowledged() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # it takes little at once
        client.settimeout(5)
        client.connect(listener.getsockname())
        server, _ = listener.accept()
        server.settimeout(5)
        with client, server:
            server.setblocking(False)
            sent = 0
            with contextlib.suppress(BlockingIOError):
                while sent < 1 << 20:
                    sent += server.send(b"x" * 65536)
            server.setblocking(True)
            waiting = unacknowledged_bytes(server)
            if waiting is None:
                pytest.skip("this kernel does not say")
            assert waiting > 0
            received = 0
            while received < sent:
                received += len(client.recv(65536))
            client.sendall(b"!")  # carries the acknowledgement of everything read
            assert server.recv(1) == b"!"
            assert unacknowledged_bytes(server) == 0
