"""A node dies or stalls: its users leave once, its clients resume elsewhere with nothing
missed, and a node that comes back after being declared dead is fenced."""

import signal
import threading
import time
from collections.abc import Callable

from tests.cluster.conftest import NodeProcess, RedisProcess, StartNode, until
from tests.wire_client import Frame, WireClient

TIMEOUT = 3.0  # --node-timeout (the least allowed)
GRACE = 3.0  # --resume-grace
CARL_LEFT = ("leave", "carl")
FAST = ("--rate", "0", "--node-timeout", str(TIMEOUT), "--resume-grace", str(GRACE))


def frames_until(client: WireClient, done: Callable[[Frame], bool]) -> list[Frame]:
    frames = []
    while True:
        frame = client.recv()
        frames.append(frame)
        if done(frame):
            return frames


def texts(frame: Frame) -> list[str]:
    """The texts of the public messages in a frame (a live one, or a history page)."""
    if frame["type"] == "public":
        return [frame["text"]]
    if frame["type"] == "history":
        return [m["text"] for m in frame["messages"] if m["type"] == "public"]
    return []


def public_ids(frames: list[Frame]) -> list[int]:
    ids = []
    for frame in frames:
        if frame["type"] == "public":
            ids.append(frame["id"])
        elif frame["type"] == "history":
            ids += [m["id"] for m in frame["messages"] if m["type"] == "public"]
    return ids


def burst(client: WireClient, count: int, tag: str) -> threading.Thread:
    def send() -> None:
        for number in range(count):
            try:
                client.send({"type": "public", "text": f"{tag} {number}"})
            except OSError:
                return  # its node died under it

    thread = threading.Thread(target=send)
    thread.start()
    return thread


def test_a_killed_nodes_clients_resume_elsewhere_and_its_users_leave_once(
    start_node: StartNode,
) -> None:
    victim, survivor, other = (start_node(f"n{i}", *FAST) for i in range(3))
    ann, carl = WireClient(victim.address), WireClient(victim.address)
    ann_welcome, _ = ann.hello("ann"), carl.hello("carl")
    watcher = WireClient(other.address)
    watcher.hello("watcher")
    sender = WireClient(survivor.address)
    sender.hello("sender")
    ann.drain()

    total = 300
    sending = burst(sender, total, "live")
    seen_by_ann = frames_until(ann, lambda frame: len(public_ids([frame])) > 0 and frame["id"] > 20)
    victim.kill()
    killed = time.monotonic()
    seen_by_ann += ann.frames_until_closed()

    # Ann comes back through another node at once, from the last id she saw.
    last = max(public_ids(seen_by_ann))
    back = WireClient(survivor.address)
    welcome = back.resume("ann", ann_welcome["resume_token"], last)
    assert welcome["resumed"] is True
    assert time.monotonic() - killed < 1.0
    sending.join()
    rest = frames_until(back, lambda frame: f"live {total - 1}" in texts(frame))
    ids = public_ids(seen_by_ann) + public_ids(rest)
    first = public_ids(seen_by_ann)[0]
    assert ids == list(range(first, first + len(ids)))  # no gap, no duplicate
    assert [m for m in ids if m >= first][-1] >= total  # every message of the burst

    # Carl never comes back: the others see him leave once, within the timeout and a second.
    leaves = frames_until(watcher, lambda frame: (frame["type"], frame.get("nick")) == CARL_LEFT)
    assert time.monotonic() - killed < TIMEOUT + 1.0 + 1.0  # (+1: one heartbeat to notice)
    assert [f["nick"] for f in leaves if f["type"] == "leave"].count("carl") == 1
    watcher_frames = leaves + watcher.drain()  # (before the probes below join and quit)
    left = [f["nick"] for f in watcher_frames if f["type"] == "leave"]
    assert left.count("carl") == 1
    # Ann's takeover showed her leaving and coming back once; the clean-up of the dead node,
    # later, neither announced her leaving again nor freed her nick.
    assert left.count("ann") == 1
    assert not _takes(survivor, "ann")
    # Carl's nick is held for the grace, then free.
    assert until(lambda: _takes(survivor, "carl"), GRACE + 3, "carl's nick to be free")


def _takes(node: NodeProcess, nick: str) -> bool:
    client = WireClient(node.address)
    welcome = client.hello(nick)
    client.send({"type": "quit"})
    client.close()
    return not welcome["renamed"]


def test_messages_accepted_from_a_node_reach_everyone_even_if_it_dies(
    start_node: StartNode,
    redis_server: RedisProcess,
) -> None:
    victim, survivor = start_node("n1", *FAST), start_node("n2", *FAST)
    talker = WireClient(victim.address)
    talker.hello("talker")
    listener = WireClient(survivor.address)
    listener.hello("listener")
    sending = burst(talker, 2000, "doomed")
    until(lambda: _stream_length(redis_server) > 50, 10, "some messages accepted")
    victim.kill()
    sending.join()
    leave = frames_until(listener, lambda frame: frame["type"] == "leave")
    accepted = [
        int(position.split("-")[0])
        for position, fields in redis_server.client().xrange("{chatroom}:log")
        if fields["k"] == "pub"
    ]
    assert public_ids(leave) == accepted  # every accepted one, in order, before the leave


def _stream_length(redis_server: RedisProcess) -> int:
    return int(redis_server.client().xlen("{chatroom}:log"))


def test_a_stopped_node_is_declared_dead_and_fenced_when_it_comes_back(
    start_node: StartNode,
) -> None:
    stalled, alive = start_node("n1", *FAST), start_node("n2", *FAST)
    ann = WireClient(stalled.address)
    ann_welcome = ann.hello("ann")
    watcher = WireClient(alive.address)
    watcher.hello("watcher")
    stalled.signal(signal.SIGSTOP)
    stopped = time.monotonic()
    leave = frames_until(watcher, lambda frame: frame["type"] == "leave")[-1]
    assert leave["nick"] == "ann"
    assert time.monotonic() - stopped < TIMEOUT + 2.0
    stalled.signal(signal.SIGCONT)
    stalled.wait_for("cluster_fenced", timeout=5)
    # Its client is told to reconnect and closed; it resumes, on either node.
    closing = ann.frames_until_closed()
    assert closing[-1]["type"] == "shutdown"
    assert "reconnect" in closing[-1]["reason"]
    back = WireClient(stalled.address)
    welcome = back.resume("ann", ann_welcome["resume_token"], ann_welcome["last_id"])
    assert welcome["resumed"] is True
    back.send({"type": "public", "text": "back again"})
    assert watcher.recv()["type"] == "join"
    assert watcher.expect("public")["text"] == "back again"


def test_a_node_that_finds_a_gap_in_the_stream_closes_its_clients_to_resume(
    start_node: StartNode, redis_server: RedisProcess
) -> None:
    behind, ahead = start_node("n1", *FAST), start_node("n2", *FAST)
    ann = WireClient(behind.address)
    ann_welcome = ann.hello("ann")
    bob = WireClient(ahead.address)
    bob.hello("bob")
    ann.drain()
    behind.signal(signal.SIGSTOP)  # shorter than the node timeout: not declared dead
    try:
        ids = [say(bob, f"m{number}") for number in range(3)]
        redis_server.client().xdel("{chatroom}:log", f"{ids[1]}-0")  # lost from the store
    finally:
        behind.signal(signal.SIGCONT)
    behind.wait_for("cluster_gap", timeout=5)
    frames = ann.frames_until_closed()
    assert [f["id"] for f in frames if f["type"] == "public"] == ids[:1]  # never out of order
    assert frames[-1]["type"] == "shutdown"
    back = WireClient(behind.address)
    welcome = back.resume("ann", ann_welcome["resume_token"], ids[0])
    assert welcome["resumed"] is True
    replay = back.history_until_done("resume")
    assert [m["id"] for page in replay for m in page["messages"]] == [ids[2]]
    assert replay[0]["gap"] is True


def say(client: WireClient, text: str) -> int:
    client.send({"type": "public", "text": text})
    while True:
        frame = client.recv()
        if frame["type"] == "public" and frame["text"] == text:
            return int(frame["id"])


def test_every_nodes_console_shows_the_clusters_users_and_its_own(
    start_node: StartNode,
) -> None:
    first = start_node("n1", "--stats-interval", "0.2")
    second = start_node("n2")
    clients = [WireClient(second.address) for _ in range(2)] + [WireClient(first.address)]
    for index, client in enumerate(clients):
        client.hello(f"user{index}")
    say(clients[0], "hi")
    stats = until(lambda: _stats_with(first, users=3), 10, "a stats line counting all three users")
    assert stats["users_here"] == 1
    assert stats["public_total"] == 1


def _stats_with(node: NodeProcess, users: int) -> dict[str, object] | None:
    line = node.wait_for("stats")
    return line if line["users"] == users else None
