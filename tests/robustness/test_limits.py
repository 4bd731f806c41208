"""3. Limits: registration timeout, max clients, invalid-frame streaks; idle clients are kept.

(4., a client that connects and says nothing, is the registration timeout's case, here.)"""

import socket

from app.adapters.tcp.limits import ConnectionLimits
from app.domain.flood import FloodLimits
from tests.conftest import StartServer
from tests.wire_client import WireClient


def test_a_connection_that_never_says_hello_gets_an_error_and_is_closed(
    start_server: StartServer,
) -> None:
    server = start_server(limits=ConnectionLimits(register_timeout=0.2))
    silent = WireClient(server.address)
    frames = silent.frames_until_closed()
    assert [(f["type"], f["code"]) for f in frames] == [("error", "not_registered")]
    assert "no hello within" in frames[0]["message"]
    silent.close()


def test_a_registered_idle_client_is_kept_past_the_registration_timeout(
    start_server: StartServer,
) -> None:
    server = start_server(limits=ConnectionLimits(register_timeout=0.2))
    idle = WireClient(server.address)
    idle.hello("idle")
    silent = WireClient(server.address)
    silent.frames_until_closed()  # the timeout has passed for everyone by now
    idle.send({"type": "ping", "token": "still here"})
    # The very next frame: the silent one was never registered, so no leave came first.
    assert idle.expect("pong")["token"] == "still here"
    idle.close()
    silent.close()


def test_a_full_server_turns_the_next_client_away_with_server_full(
    start_server: StartServer,
) -> None:
    server = start_server(max_clients=1)
    first = WireClient(server.address)
    first.hello("first")
    second = WireClient(server.address)
    frames = second.frames_until_closed()
    assert [frame["code"] for frame in frames] == ["server_full"]
    first.close()
    second.close()
    assert server.wait_for_connections(0, timeout=5)
    third = WireClient(server.address)  # a place is free again
    assert third.hello("third")["nick"] == "third"
    third.close()


def test_fifty_invalid_frames_in_a_row_end_the_connection(start_server: StartServer) -> None:
    server = start_server(limits=ConnectionLimits(flood=FloodLimits(rate=5, burst=10)))
    vandal, witness = WireClient(server.address), WireClient(server.address)
    vandal.hello("vandal")
    witness.hello("witness")
    vandal.send(b"junk\n" * 49 + b'{"type":"ping"}\n' + b"junk\n" * 60)
    replies = [frame for frame in vandal.frames_until_closed() if frame["type"] == "error"]
    # The valid ping breaks the first streak (even though it was rate limited); the second
    # streak ends the connection at its 50th frame, whose reply is followed by a goodbye:
    # 49 + 1 + 50 replies, then the goodbye; the 10 frames after that are never served.
    assert len(replies) == 49 + 1 + 50 + 1
    assert replies[-1]["code"] == "invalid_frame"
    assert "50 invalid frames in a row" in replies[-1]["message"]
    leave = witness.expect("leave")
    assert (leave["nick"], leave["reason"]) == ("vandal", "invalid_frames")


def test_server_sockets_have_tcp_keepalive_on(start_server: StartServer) -> None:
    server = start_server()
    client = WireClient(server.address)
    client.hello("alice")
    (connection,) = server.connections()
    assert connection.socket_option(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    client.close()
