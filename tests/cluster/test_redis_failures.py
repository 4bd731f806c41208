"""Redis dies, stalls or loses everything: nothing accepted is lost, no id is reused, nobody
is declared dead for Redis's absence, and sends meanwhile are refused plainly."""

import signal
import threading
import time

from tests.cluster.conftest import NodeProcess, RedisProcess, StartNode, until
from tests.wire_client import Frame, WireClient

FAST = ("--rate", "0", "--node-timeout", "3", "--resume-grace", "30")


def say_until_answered(client: WireClient, text: str) -> Frame:
    """Sends `text`; returns the echo, or the error it got."""
    client.send({"type": "public", "text": text})
    while True:
        frame = client.recv()
        if frame["type"] == "error" or (frame["type"] == "public" and frame["text"] == text):
            return frame


def stream(redis_server: RedisProcess) -> list[tuple[int, str]]:
    return [
        (int(position.split("-")[0]), fields["text"])
        for position, fields in redis_server.client().xrange("{chatroom}:log")
        if fields["k"] == "pub"
    ]


def test_redis_killed_mid_burst_and_restarted_from_its_append_only_file(
    start_node: StartNode, redis_server: RedisProcess
) -> None:
    first, second = start_node("n1", *FAST), start_node("n2", *FAST)
    talker = WireClient(first.address)
    talker.hello("talker")
    listener = WireClient(second.address)
    listener.hello("listener")
    answers: list[Frame] = []
    stop = threading.Event()

    def talk() -> None:
        number = 0
        while not stop.is_set() and number < 5000:
            answers.append(say_until_answered(talker, f"m{number}"))
            number += 1

    talking = threading.Thread(target=talk)
    talking.start()
    until(lambda: len(answers) > 30, 10, "messages flowing")
    redis_server.kill()
    until(lambda: any(a["type"] == "error" for a in answers), 10, "a send refused")
    redis_server.start()  # same directory: the append-only file is read back
    until(lambda: answers[-1]["type"] == "public", 15, "sends accepted again")
    stop.set()
    talking.join()

    refused = [a for a in answers if a["type"] == "error"]
    assert {a["code"] for a in refused} == {"unavailable"}
    echoed = [(a["id"], a["text"]) for a in answers if a["type"] == "public"]
    kept = stream(redis_server)
    assert set(echoed) <= set(kept)  # every message acknowledged survived the kill
    ids = [message_id for message_id, _ in kept]
    assert ids == sorted(set(ids))  # no id given twice
    # The listener, on the other node, gets every one of them, in order, once.
    last = kept[-1][0]
    got: list[tuple[int, str]] = []
    while not got or got[-1][0] < last:
        frame = listener.recv()
        if frame["type"] == "public":
            got.append((frame["id"], frame["text"]))
    assert got == kept
    # Nobody was declared dead for Redis being away.
    assert all(f["type"] != "leave" for f in listener.drain())


def test_redis_stopped_longer_than_the_node_timeout_reaps_nobody(
    start_node: StartNode, redis_server: RedisProcess
) -> None:
    first, second = start_node("n1", *FAST), start_node("n2", *FAST)
    ann = WireClient(first.address)
    ann.hello("ann")
    bob = WireClient(second.address)
    bob.hello("bob")
    ann.drain()
    redis_server.signal(signal.SIGSTOP)
    stopped = time.monotonic()
    refused = say_until_answered(ann, "while Redis sleeps")
    assert refused["code"] == "unavailable"
    first.wait_for("cluster_store_unavailable", timeout=10)
    until(lambda: time.monotonic() - stopped > 3 + 1.5, 10, "the node timeout to pass")
    redis_server.signal(signal.SIGCONT)
    first.wait_for("cluster_store_back", timeout=10)
    second.wait_for("cluster_store_back", timeout=10)
    # Both nodes have beaten since (each beats once a second): had Redis's pause counted
    # against them, one would have been declared dead by now.
    woke_ms = _redis_ms(redis_server)
    until(lambda: _last_beat_ms(redis_server) > woke_ms + 1200, 10, "heartbeats after the pause")
    assert set(redis_server.client().hkeys("{chatroom}:incarnations")) == {"n1", "n2"}
    assert until(
        lambda: say_until_answered(ann, "awake")["type"] == "public", 10, "sends accepted again"
    )
    frames = bob.drain()
    assert [f["type"] for f in frames if f["type"] in ("leave", "join")] == []
    assert [f["text"] for f in frames if f["type"] == "public"][-1] == "awake"
    bob.send({"type": "users"})
    assert bob.expect("users")["users"] == ["ann", "bob"]


def test_redis_flushed_is_noticed_ids_carry_on_and_resumes_start_afresh(
    start_node: StartNode, redis_server: RedisProcess
) -> None:
    first, second = start_node("n1", *FAST), start_node("n2", *FAST)
    ann = WireClient(first.address)
    ann_welcome = ann.hello("ann")
    bob = WireClient(second.address)
    bob.hello("bob")
    before = say_until_answered(ann, "before the flood")["id"]
    redis_server.client().flushall()
    closing = ann.frames_until_closed()
    assert closing[-1]["type"] == "shutdown"
    assert "reconnect" in closing[-1]["reason"]
    # As the client does: reconnect until the node has found its feet in the new room.
    again, welcome = until(
        lambda: _resumed(second, ann_welcome["resume_token"], before), 10, "a welcome"
    )
    assert welcome["resumed"] is False
    after = say_until_answered(again, "after the flood")
    assert after["id"] > before
    assert first.log_lines() == second.log_lines()


def _resumed(node: NodeProcess, token: str, last_id: int) -> tuple[WireClient, Frame] | None:
    client = WireClient(node.address)
    client.send({"type": "hello", "nick": "ann", "resume": {"token": token, "last_id": last_id}})
    frame = client.recv()
    if frame["type"] == "welcome":
        return client, frame
    assert frame["code"] == "unavailable"
    client.close()
    return None


def _redis_ms(redis_server: RedisProcess) -> int:
    seconds, micros = redis_server.client().time()
    return int(seconds * 1000 + micros // 1000)


def _last_beat_ms(redis_server: RedisProcess) -> int:
    return int(redis_server.client().get("{chatroom}:tick") or 0)


def test_redis_behind_what_the_nodes_saw_gives_no_id_twice(
    start_node: StartNode, redis_server: RedisProcess
) -> None:
    first, second = start_node("n1", *FAST), start_node("n2", *FAST)
    ann = WireClient(first.address)
    ann.hello("ann")
    bob = WireClient(second.address)
    bob.hello("bob")
    ids = [say_until_answered(ann, f"m{number}")["id"] for number in range(3)]
    # Redis comes back without its last writes (an older snapshot, a failover): the last
    # message and everything after it are gone, and the room's position with them.
    store = redis_server.client()
    for position, _ in store.xrange("{chatroom}:log", f"{ids[-1]}-0", "+"):
        store.xdel("{chatroom}:log", position)
    store.hset("{chatroom}:room", mapping={"last_ms": ids[-2], "last_seq": 0})
    first.wait_for("cluster_store_rolled_back", timeout=5)
    after = say_until_answered(ann, "after the rollback")
    assert after["type"] == "public"
    assert after["id"] > ids[-1]
    frames = []
    while not any(f.get("text") == "after the rollback" for f in frames):
        frames.append(bob.recv())
    assert [f["id"] for f in frames if f["type"] == "public"] == [*ids, after["id"]]


def test_redis_emptied_while_no_node_ran_ids_carry_on_from_the_nodes_log_files(
    start_node: StartNode, redis_server: RedisProcess
) -> None:
    node = start_node("n1", *FAST)
    ann = WireClient(node.address)
    ann.hello("ann")
    last = max(say_until_answered(ann, f"m{number}")["id"] for number in range(3))
    ann.close()
    node.stop()
    redis_server.client().flushall()

    again = start_node("n1", *FAST)  # the same log directory
    bob = WireClient(again.address)
    bob.hello("bob")
    assert say_until_answered(bob, "a new room")["id"] == last + 1
    assert len(again.log_lines()) == 4  # nothing written twice
