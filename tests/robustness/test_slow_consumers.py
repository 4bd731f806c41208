"""1. A client that stops reading never delays anyone else, and is dropped once its buffer fills."""

import socket

from app.adapters.irc.settings import IrcSettings
from app.adapters.tcp.limits import ConnectionLimits
from app.domain.flood import FloodLimits
from tests.conftest import StartServer
from tests.irc_client import IrcClient
from tests.wire_client import WireClient


def test_a_client_that_stops_reading_is_dropped_without_holding_up_the_others(
    start_server: StartServer,
) -> None:
    server = start_server(
        limits=ConnectionLimits(max_outbuf=64 * 1024, flood=FloodLimits.unlimited())
    )
    sleeper, talker = WireClient(server.address), WireClient(server.address)
    sleeper.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sleeper.hello("sleeper")
    talker.hello("talker")
    talker.drain()
    text = "x" * 1000
    # Up to ~20 MB, far beyond the 64 KiB limit plus what the kernel buffers on loopback.
    for _ in range(1000):
        for _ in range(20):  # a few at a time: the talker must not be a slow consumer itself
            talker.send({"type": "public", "text": text})
        frames = talker.drain()
        assert sum(frame["type"] == "public" for frame in frames) == 20  # never held up
        leaves = [frame for frame in frames if frame["type"] == "leave"]
        if leaves:
            assert (leaves[0]["nick"], leaves[0]["reason"]) == ("sleeper", "slow_consumer")
            break
    else:
        raise AssertionError("the slow consumer was never dropped")
    assert server.wait_for_connections(1, timeout=5)  # its socket is gone, not just muted
    sleeper.close()
    talker.close()


def test_an_irc_client_that_stops_reading_is_dropped_like_a_native_one(
    start_server: StartServer,
) -> None:
    server = start_server(
        limits=ConnectionLimits(max_outbuf=64 * 1024, flood=FloodLimits.unlimited()),
        irc=(("127.0.0.1", 0), IrcSettings(server="irc.test")),
    )
    sleeper = IrcClient(server.address_of("irc"))
    sleeper.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sleeper.register("sleeper")
    talker = WireClient(server.address)
    talker.hello("talker")
    talker.drain()
    text = "x" * 1000
    for _ in range(1000):
        for _ in range(20):
            talker.send({"type": "public", "text": text})
        frames = talker.drain()
        assert sum(frame["type"] == "public" for frame in frames) == 20
        leaves = [frame for frame in frames if frame["type"] == "leave"]
        if leaves:
            assert (leaves[0]["nick"], leaves[0]["reason"]) == ("sleeper", "slow_consumer")
            break
    else:
        raise AssertionError("the slow IRC consumer was never dropped")
    assert server.wait_for_connections(1, timeout=5)
    # An IRC client does not resume: its nick is free at once.
    newcomer = WireClient(server.address)
    assert newcomer.hello("sleeper")["nick"] == "sleeper"
    newcomer.close()
    sleeper.close()
    talker.close()
