"""Feed passes spaced out in a busy room: what waits for the next pass still goes out, in
order, and a stop does not wait for it."""

from collections.abc import Callable

from app.adapters.tcp.server import ChatServer
from tests.wire_client import WireClient

# Each pass is followed by a wait 300 times its own length (a few milliseconds here), so
# frames sent one after another land while a pass is deferred.
LONG_SPACING = 300.0


def send_one_by_one(client: WireClient, frames: list[dict[str, str]]) -> None:
    for frame in frames:
        client.send(frame)  # one write each: several arrive while a pass is put off


def test_what_arrives_while_a_pass_is_deferred_goes_out_in_order_private_frames_in_place(
    start_server: Callable[..., ChatServer],
) -> None:
    server = start_server(pass_spacing=LONG_SPACING)
    alice, bob = WireClient(server.address), WireClient(server.address)
    alice.hello("alice")
    bob.hello("bob")
    alice.drain()
    bob.drain()
    said = [{"type": "public", "text": f"m{number}"} for number in range(6)]
    said.insert(3, {"type": "private", "to": "bob", "text": "just you"})
    send_one_by_one(alice, said)
    alice.drain()  # every one accepted (its pong comes after their echoes)

    # Read without asking anything: a pass put off must still come by itself.
    seen = [bob.recv() for _ in said]

    assert [frame["text"] for frame in seen] == ["m0", "m1", "m2", "just you", "m3", "m4", "m5"]
    assert [frame["id"] for frame in seen] == sorted(frame["id"] for frame in seen)


def test_a_stop_while_a_pass_is_deferred_delivers_everything_then_the_shutdown_frame(
    start_server: Callable[..., ChatServer],
) -> None:
    server = start_server(pass_spacing=LONG_SPACING)
    alice, bob = WireClient(server.address), WireClient(server.address)
    alice.hello("alice")
    bob.hello("bob")
    bob.drain()
    send_one_by_one(alice, [{"type": "public", "text": f"m{number}"} for number in range(20)])
    alice.drain()  # every one accepted (its pong comes after their echoes)

    server.stop()

    frames = bob.frames_until_closed()
    assert [frame["text"] for frame in frames if frame["type"] == "public"] == [
        f"m{number}" for number in range(20)
    ]
    assert frames[-1]["type"] == "shutdown"


def test_broadcasts_held_for_a_deferred_pass_reach_a_client_that_only_listens(
    start_server: Callable[..., ChatServer],
) -> None:
    server = start_server(pass_spacing=LONG_SPACING)
    alice, bob = WireClient(server.address), WireClient(server.address)
    alice.hello("alice")
    bob.hello("bob")
    bob.drain()
    send_one_by_one(alice, [{"type": "public", "text": f"m{number}"} for number in range(6)])

    # Bob asks for nothing: only the feed passes (the one put off included) bring these.
    assert [bob.expect("public")["text"] for _ in range(6)] == [f"m{n}" for n in range(6)]
