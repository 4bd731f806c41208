"""Stopping the server: everyone is told, everything accepted is delivered first."""

import socket
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
