"""2. Flood control: a token bucket per connection for messages, and one for everything else."""

import logging

import structlog
import structlog.testing

from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.tcp.limits import ConnectionLimits
from app.domain.flood import FloodLimits
from tests.conftest import StartServer
from tests.fakes import ManualMonotonic
from tests.wire_client import WireClient


def limited(clock: ManualMonotonic, rate: float = 5, burst: int = 10) -> ConnectionLimits:
    return ConnectionLimits(flood=FloodLimits(rate=rate, burst=burst), monotonic=clock)


def test_messages_over_the_limit_are_refused_and_neither_delivered_logged_nor_counted(
    start_server: StartServer,
) -> None:
    clock, log = ManualMonotonic(), InMemoryRoomStore()
    server = start_server(store=log, limits=limited(clock))
    flooder, witness = WireClient(server.address), WireClient(server.address)
    flooder.hello("flooder")
    witness.hello("witness")
    flooder.drain()

    for number in range(30):
        flooder.send({"type": "public", "text": f"m{number}"})
    replies = flooder.drain()

    assert [f["text"] for f in replies if f["type"] == "public"] == [f"m{n}" for n in range(10)]
    refused = [f for f in replies if f["type"] == "error"]
    assert len(refused) == 20
    assert {f["code"] for f in refused} == {"rate_limited"}
    assert len(log.public) == 10
    assert [f["text"] for f in witness.drain() if f["type"] == "public"] == [
        f"m{n}" for n in range(10)
    ]
    witness.send({"type": "stats"})
    assert witness.expect("stats")["public_total"] == 10


def test_the_allowance_refills_at_the_configured_rate(start_server: StartServer) -> None:
    clock = ManualMonotonic()
    server = start_server(limits=limited(clock, rate=2, burst=3))
    client = WireClient(server.address)
    client.hello("alice")
    for _ in range(5):
        client.send({"type": "private", "to": "alice", "text": "x"})
    assert sum(f["type"] == "private" for f in client.drain()) == 3
    clock.advance(1.0)
    for _ in range(5):
        client.send({"type": "private", "to": "alice", "text": "x"})
    assert sum(f["type"] == "private" for f in client.drain()) == 2


def test_no_other_frame_type_can_be_used_to_flood(start_server: StartServer) -> None:
    clock = ManualMonotonic()
    server = start_server(limits=limited(clock))
    client = WireClient(server.address)
    client.hello("alice")
    for frame in [
        b'{"type":"users"}\n',
        b'{"type":"stats"}\n',
        b'{"type":"nick","nick":"alice"}\n',
        b"garbage\n",
    ]:
        client.send(frame * 45)
    client.sock.settimeout(5)
    frames = [client.recv() for _ in range(180)]
    # 4 x the burst for control frames, and the hello took one of them.
    assert sum(f.get("code") == "rate_limited" for f in frames) == 180 - (40 - 1)


def test_rate_zero_turns_flood_control_off(start_server: StartServer) -> None:
    server = start_server(limits=limited(ManualMonotonic(), rate=0))
    client = WireClient(server.address)
    client.hello("alice")
    for _ in range(200):
        client.send({"type": "public", "text": "fast"})
    assert sum(f["type"] == "public" for f in client.drain()) == 200


def test_a_flood_of_refusals_is_one_console_line_not_one_per_frame(
    start_server: StartServer,
) -> None:
    server = start_server(limits=limited(ManualMonotonic()))
    # Loggers bind their configuration when a connection binds its peer: configure first.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with structlog.testing.capture_logs() as logs:
            client = WireClient(server.address)
            client.hello("alice")
            for _ in range(100):
                client.send({"type": "public", "text": "spam"})
            client.drain()
    finally:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    refusals = [e for e in logs if e["event"] == "client_error" and e["error"] == "rate_limited"]
    assert len(refusals) == 1
    client.close()
