"""Stopping the server: everyone is told, everything accepted is delivered first."""

from collections.abc import Callable

from app.adapters.storage.memory import InMemoryMessageLog
from app.adapters.tcp.server import ChatServer
from tests.wire_client import WireClient


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
    log = InMemoryMessageLog()
    server = start_server(log=log)
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
    try:
        WireClient(server.address).recv()
    except OSError:
        return
    raise AssertionError("the server still accepted a connection after stopping")
