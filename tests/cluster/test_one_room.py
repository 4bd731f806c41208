"""Several nodes are one room: one order, one set of nicks, the same logs everywhere."""

import subprocess
import threading
from pathlib import Path

from tests.cluster.conftest import BIN, NodeProcess, StartNode, until
from tests.wire_client import Frame, WireClient

SENDERS = 8
EACH = 40


def joined(node: NodeProcess, nick: str | None) -> tuple[WireClient, Frame]:
    client = WireClient(node.address)
    return client, client.hello(nick)


def publics(client: WireClient, count: int) -> list[Frame]:
    """The next `count` public messages this client is sent, skipping everything else."""
    found: list[Frame] = []
    while len(found) < count:
        frame = client.recv()
        if frame["type"] == "public":
            found.append(frame)
    return found


def test_every_node_delivers_the_same_order_and_writes_the_same_logs(
    start_node: StartNode,
) -> None:
    nodes = [start_node(f"node{index}", "--rate", "0") for index in range(3)]
    listeners = [joined(node, f"listener{index}")[0] for index, node in enumerate(nodes)]
    senders = [joined(nodes[index % 3], f"sender{index}")[0] for index in range(SENDERS)]
    for listener in listeners:
        listener.drain()

    def burst(index: int, sender: WireClient) -> None:
        for number in range(EACH):
            sender.send({"type": "public", "text": f"s{index} m{number}"})

    threads = [
        threading.Thread(target=burst, args=(index, sender)) for index, sender in enumerate(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    total = SENDERS * EACH
    seen = [publics(listener, total) for listener in listeners]
    orders = [[(frame["id"], frame["from"], frame["text"]) for frame in got] for got in seen]
    assert orders[0] == orders[1] == orders[2]
    ids = [message_id for message_id, _, _ in orders[0]]
    assert ids == sorted(ids)
    assert len(set(ids)) == total
    # Each sender's own messages in the order it sent them, and its echoes in the same order.
    for index, sender in enumerate(senders):
        mine = [text for _, sender_nick, text in orders[0] if sender_nick == f"sender{index}"]
        assert mine == [f"s{index} m{number}" for number in range(EACH)]
        echoes = publics(sender, total)
        assert [(f["id"], f["from"], f["text"]) for f in echoes] == orders[0]
    # Delivered only once written: the files are complete, and byte for byte the same.
    logs = [Path(node.log_dir / "messages.txt").read_bytes() for node in nodes]
    assert logs[0] == logs[1] == logs[2]
    assert len(logs[0].splitlines()) == total


def test_nicks_are_unique_across_nodes_case_and_look_alikes_included(
    start_node: StartNode,
) -> None:
    nodes = [start_node() for _ in range(4)]
    results: list[Frame] = []
    clients: list[WireClient] = []
    lock = threading.Lock()

    def race(node: NodeProcess, nick: str) -> None:
        client, welcome = joined(node, nick)
        with lock:
            results.append(welcome)
            clients.append(client)

    spellings = ["ada", "ADA", "Ada", "\u0430da"]  # the last with a Cyrillic "a"
    threads = [
        threading.Thread(target=race, args=(nodes[index % 4], spellings[index % 4]))
        for index in range(50)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [welcome for welcome in results if not welcome["renamed"]]
    assert len(winners) == 1
    nicks = [welcome["nick"].casefold() for welcome in results]
    assert len(set(nicks)) == 50
    listing = clients[0]
    listing.send({"type": "users"})
    users = until(lambda: _users_when(listing, 50), 10, "everyone listed")
    assert sorted(nick.casefold() for nick in users) == sorted(nicks)


def _users_when(client: WireClient, count: int) -> list[str] | None:
    while True:
        frame = client.recv()
        if frame["type"] == "users":
            if len(frame["users"]) == count:
                return list(frame["users"])
            client.send({"type": "users"})
            return None


def test_private_messages_users_stats_and_renames_reach_across_nodes(
    start_node: StartNode,
) -> None:
    first, second = start_node(), start_node()
    ann, _ = joined(first, "ann")
    bob, bob_welcome = joined(second, "bob")
    assert bob_welcome["users"] == ["ann", "bob"]
    assert ann.expect("join")["nick"] == "bob"

    bob.send({"type": "private", "to": "ANN", "text": "psst"})
    got = ann.expect("private")
    echo = bob.expect("private")
    assert got == echo
    assert (got["from"], got["to"]) == ("bob", "ann")

    ann.send({"type": "nick", "nick": "anna"})
    assert bob.expect("nick") == ann.expect("nick")
    bob.send({"type": "nick", "nick": "Anna"})
    refusal = bob.expect("error")
    assert refusal["code"] == "nick_taken"

    bob.send({"type": "stats"})
    stats = bob.expect("stats")
    assert (stats["users"], stats["public_total"], stats["private_total"]) == (2, 0, 1)

    ann.send({"type": "quit", "reason": "off to bed"})
    leave = bob.expect("leave")
    assert (leave["nick"], leave["reason"], leave.get("message")) == ("anna", "quit", "off to bed")
    bob.send({"type": "users"})
    assert bob.expect("users")["users"] == ["bob"]
    assert first.log_lines("private_messages.txt") == second.log_lines("private_messages.txt")


def test_history_and_backlog_come_from_the_shared_room(start_node: StartNode) -> None:
    first, second = start_node(), start_node("node2", "--backlog", "2")
    ann, _ = joined(first, "ann")
    for number in range(3):
        ann.send({"type": "public", "text": f"m{number}"})
        ann.expect("public")
    bob = WireClient(second.address)
    bob.hello("bob")
    backlog = bob.expect("history")
    assert [m["text"] for m in backlog["messages"]] == ["m1", "m2"]
    assert backlog["more"] is True
    bob.send({"type": "history", "before": backlog["messages"][0]["id"], "limit": 5})
    older = bob.expect("history")
    assert [m["text"] for m in older["messages"]] == ["m0"]


def test_a_resume_in_the_middle_of_live_traffic_misses_nothing_and_repeats_nothing(
    start_node: StartNode,
) -> None:
    away, busy, back = (start_node(f"n{index}", "--rate", "0") for index in range(3))
    ann, welcome = joined(away, "ann")
    talker, _ = joined(busy, "talker")
    ann.drain()
    total = 400
    talking = threading.Thread(
        target=lambda: [
            talker.send({"type": "public", "text": f"t{number}"}) for number in range(total)
        ]
    )
    talking.start()
    before = publics(ann, 50)
    ann.close()
    again = WireClient(back.address)
    resumed = again.resume("ann", welcome["resume_token"], before[-1]["id"])
    assert resumed["resumed"] is True
    texts = [frame["text"] for frame in before]
    while texts[-1] != f"t{total - 1}":
        frame = again.recv()
        if frame["type"] == "public":
            texts.append(frame["text"])
        elif frame["type"] == "history":
            texts += [m["text"] for m in frame["messages"] if m["type"] == "public"]
    talking.join()
    assert texts == [f"t{number}" for number in range(total)]


def test_an_old_connection_closing_after_its_session_resumed_on_the_same_node_changes_nothing(
    start_node: StartNode,
) -> None:
    node, other = start_node("n1"), start_node("n2")
    old, welcome = joined(node, "ann")
    watcher, _ = joined(other, "watcher")
    new = WireClient(node.address)
    assert new.resume("ann", welcome["resume_token"], welcome["last_id"])["resumed"] is True
    # Closed as a single server closes a replaced connection: no frame (it is most likely
    # dead already, and a frame would only tempt it to take its session back).
    assert all(frame["type"] != "shutdown" for frame in old.frames_until_closed())
    old.close()
    new.send({"type": "public", "text": "still here"})
    # The takeover shows her leaving and back once; her old connection's end, nothing.
    seen = publics_and_events(watcher, "still here")
    assert [(f["type"], f.get("nick")) for f in seen[:2]] == [("leave", "ann"), ("join", "ann")]
    assert [f["type"] for f in seen[2:]] == ["public"]
    new.send({"type": "users"})
    users = [f for f in new.drain() if f["type"] == "users"]
    assert users[-1]["users"] == ["ann", "watcher"]


def publics_and_events(client: WireClient, last_text: str) -> list[Frame]:
    frames: list[Frame] = []
    while not frames or frames[-1].get("text") != last_text:
        frames.append(client.recv())
    return [f for f in frames if f["type"] in ("join", "leave", "public")]


def test_a_single_server_is_refused_a_cluster_nodes_log_directory(
    start_node: StartNode,
) -> None:
    node = start_node("n1")
    single = subprocess.run(
        [str(BIN / "chat-server"), "--port", "0", "--log-dir", str(node.log_dir)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert single.returncode == 1
    assert "another chat-server uses" in single.stdout + single.stderr
