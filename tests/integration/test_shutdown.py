"""Stopping the server: everyone is told, everything accepted is delivered first."""

import contextlib
import json
import socket
import threading
from collections.abc import Callable

import pytest

from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.tcp.server import ChatServer
from tests.wire_client import READ_TIMEOUT, WireClient


def test_every_client_gets_a_shutdown_frame_and_then_the_connection_closes(
    start_server: Callable[..., ChatServer],
) -> None:
    server = start_server()
    alice, stranger = WireClient(server.address), WireClient(server.address)
    alice.hello("alice")
    stranger.send({"type": "users"})
    assert stranger.expect("error")["code"] == "not_registered"

    server.stop()

    for client in (alice, stranger):
        frames = client.frames_until_closed()
        assert [frame["type"] for frame in frames] == ["shutdown"]
        assert frames[0]["reason"] == "server closing"


def test_messages_accepted_before_the_stop_are_delivered_before_the_shutdown_frame(
    start_server: Callable[..., ChatServer],
) -> None:
    log = InMemoryRoomStore()
    server = start_server(store=log)
    alice, bob = WireClient(server.address), WireClient(server.address)
    alice.hello("alice")
    bob.hello("bob")
    for number in range(200):
        alice.send({"type": "public", "text": f"m{number}"})

    server.stop()

    frames = bob.frames_until_closed()
    publics = [frame["text"] for frame in frames if frame["type"] == "public"]
    assert frames[-1]["type"] == "shutdown"
    assert publics == [message.text for message in log.public]  # all logged ones, in order
    assert publics == [f"m{number}" for number in range(len(publics))]


def test_the_port_is_closed_after_a_stop(start_server: Callable[..., ChatServer]) -> None:
    server = start_server()
    server.stop()
    # Refused outright: a timeout (an OSError too) would mean something still listens.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(server.address, timeout=READ_TIMEOUT).close()


def test_a_slow_reader_that_talks_during_the_stop_still_gets_everything_then_the_shutdown(
    start_server: Callable[..., ChatServer],
) -> None:
    server = start_server()
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)  # the server must wait for it
    slow.settimeout(READ_TIMEOUT)
    slow.connect(server.address)
    slow.sendall(b'{"type":"hello","nick":"slow"}\n')
    talker = WireClient(server.address)
    talker.hello("talker")
    for number in range(3000):
        talker.send({"type": "public", "text": f"message {number} " + "x" * 60})
    talker.drain()

    stopper = threading.Thread(target=server.stop)
    stopper.start()
    data = bytearray()
    while chunk := slow.recv(4096):
        data += chunk
        if len(data) % 65536 < 4096:
            # A person typing while the server goes away (once all is read: a reset, fine).
            with contextlib.suppress(OSError):
                slow.sendall(b'{"type":"ping"}\n')
    stopper.join(timeout=10)
    slow.close()
    talker.close()

    frames = [json.loads(line) for line in data.splitlines()]
    publics = [frame["text"].split()[1] for frame in frames if frame["type"] == "public"]
    assert publics == [str(number) for number in range(3000)]
    assert frames[-1]["type"] == "shutdown"
