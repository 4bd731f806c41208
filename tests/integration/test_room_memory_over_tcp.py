"""Backlog, history and resume through real sockets, on the in-memory store and on disk."""

from collections.abc import Callable
from pathlib import Path

from app.adapters.storage.files import TextLogs
from app.adapters.tcp.server import ChatServer
from app.services.membership import RoomSettings
from tests.fakes import ManualClock
from tests.stores import disk_store
from tests.wire_client import Frame, WireClient

StartServer = Callable[..., ChatServer]


def ids_in(pages: list[Frame]) -> list[int]:
    return [message["id"] for page in pages for message in page["messages"]]


def test_a_newcomer_gets_the_backlog_right_after_the_welcome(start_server: StartServer) -> None:
    server = start_server(settings=RoomSettings(backlog=3))
    alice = WireClient(server.address)
    alice.hello("alice")
    for number in range(5):
        alice.send({"type": "public", "text": f"m{number}"})
    alice.drain()

    bob = WireClient(server.address)
    welcome = bob.hello("bob")
    (backlog,) = bob.history_until_done("backlog")

    assert welcome["last_id"] == 5
    assert [m["text"] for m in backlog["messages"]] == ["m2", "m3", "m4"]
    assert backlog["more"] is True
    alice.send({"type": "public", "text": "live"})
    assert bob.expect("public")["id"] == 6  # then live, from the next id on


def test_history_pages_back_to_the_first_message(start_server: StartServer) -> None:
    server = start_server()
    alice = WireClient(server.address)
    alice.hello("alice")
    for number in range(1, 8):
        alice.send({"type": "public", "text": f"m{number}"})
    alice.send({"type": "private", "to": "alice", "text": "never in history"})
    alice.drain()

    pages, before = [], None
    while True:
        alice.send({"type": "history", "limit": 3, **({"before": before} if before else {})})
        (page,) = alice.history_until_done("request")
        pages.append(page)
        if not page["more"]:
            break
        before = page["messages"][0]["id"]

    assert [[m["id"] for m in page["messages"]] for page in pages] == [[5, 6, 7], [2, 3, 4], [1]]
    alice.send({"type": "history", "limit": 201})
    assert alice.expect("error")["code"] == "invalid_frame"


def test_a_resume_after_an_abrupt_drop_misses_nothing_and_repeats_nothing(
    start_server: StartServer,
) -> None:
    server = start_server()
    alice, bob, carol = (WireClient(server.address) for _ in range(3))
    token = alice.hello("alice")["resume_token"]
    bob.hello("bob")
    carol.hello("carol")
    alice.drain()
    bob.send({"type": "public", "text": "seen by alice"})
    seen = alice.expect("public")["id"]
    alice.sock.close()  # no quit: the connection just goes
    assert [bob.recv()["type"] for _ in range(3)] == ["join", "public", "leave"]

    bob.send({"type": "public", "text": "while away"})
    bob.send({"type": "private", "to": "carol", "text": "not for alice"})
    bob.drain()  # so that carol's message comes after these two
    carol.send({"type": "public", "text": "also while away"})
    carol.drain()
    bob.drain()

    back = WireClient(server.address)
    welcome = back.resume("alice", token, seen)
    replay = back.history_until_done("resume")
    bob.send({"type": "public", "text": "live again"})
    live = back.expect("public")

    assert (welcome["nick"], welcome["resumed"]) == ("alice", True)
    assert welcome["resume_token"] != token
    assert [m["text"] for m in replay[0]["messages"]] == ["while away", "also while away"]
    assert replay[0]["gap"] is False
    assert ids_in(replay) == [seen + 1, seen + 3]
    assert live["id"] == seen + 4
    assert [(f["type"], f.get("nick")) for f in bob.drain()] == [
        ("join", "alice"),
        ("public", None),
    ]


def test_a_resume_replays_the_sessions_own_private_messages_in_their_place(
    start_server: StartServer,
) -> None:
    server = start_server()
    alice, bob = WireClient(server.address), WireClient(server.address)
    token = alice.hello("alice")["resume_token"]
    bob.hello("bob")
    bob.send({"type": "public", "text": "p1"})
    bob.send({"type": "private", "to": "alice", "text": "for alice"})
    bob.drain()
    alice.send({"type": "private", "to": "bob", "text": "from alice"})
    alice.drain()
    alice.sock.close()  # say what she read was lost with her screen: she resumes from 0
    bob.expect("private")
    assert bob.expect("leave")["nick"] == "alice"

    back = WireClient(server.address)
    back.resume("alice", token, 0)
    replay = back.history_until_done("resume")

    assert [(m["type"], m["text"]) for m in replay[0]["messages"]] == [
        ("public", "p1"),
        ("private", "for alice"),
        ("private", "from alice"),
    ]


def test_a_nick_is_held_through_the_grace_and_free_after_it(start_server: StartServer) -> None:
    clock = ManualClock()
    server = start_server(clock=clock, settings=RoomSettings(backlog=0, resume_grace=30))
    alice, bob = WireClient(server.address), WireClient(server.address)
    token = alice.hello("alice")["resume_token"]
    bob.hello("bob")
    alice.sock.close()
    assert bob.expect("leave")["nick"] == "alice"

    taker = WireClient(server.address)
    assert taker.hello("alice")["renamed"] is True
    bob.drain()
    bob.send({"type": "nick", "nick": "Alice"})
    assert bob.expect("error")["code"] == "nick_taken"
    bob.send({"type": "private", "to": "alice", "text": "there?"})
    assert bob.expect("error")["code"] == "no_such_user"

    clock.advance(30)

    late = WireClient(server.address)
    welcome = late.resume("alice", token, 0)  # expired: an ordinary join, under the free nick
    assert (welcome["nick"], welcome["resumed"]) == ("alice", False)


def test_a_forged_token_is_an_ordinary_join_and_the_real_session_still_resumes(
    start_server: StartServer,
) -> None:
    server = start_server(names=("Zed",))
    alice = WireClient(server.address)
    token = alice.hello("alice")["resume_token"]
    alice.sock.close()

    forger = WireClient(server.address)
    welcome = forger.resume("alice", "x" * len(token), 0)
    assert (welcome["nick"], welcome["renamed"], welcome["resumed"]) == ("Zed", True, False)
    back = WireClient(server.address)
    assert back.resume("alice", token, 0)["resumed"] is True


def test_a_session_resumes_across_a_restart_of_the_server(
    start_server: StartServer, tmp_path: Path
) -> None:
    store = disk_store(tmp_path)
    first = start_server(store=store)
    alice, bob = WireClient(first.address), WireClient(first.address)
    token = alice.hello("alice")["resume_token"]
    bob.hello("bob")
    assert alice.expect("join")["nick"] == "bob"
    bob.send({"type": "public", "text": "before the restart"})
    seen = alice.expect("public")["id"]
    first.stop()
    store.close()
    assert alice.frames_until_closed()[-1]["type"] == "shutdown"

    second = start_server(store=disk_store(tmp_path))
    taker = WireClient(second.address)
    assert taker.hello("alice")["renamed"] is True  # held for her across the restart
    taker.send({"type": "public", "text": "after the restart"})
    back = WireClient(second.address)
    welcome = back.resume("alice", token, seen)
    replay = back.history_until_done("resume")

    assert (welcome["nick"], welcome["resumed"]) == ("alice", True)
    assert [m["text"] for m in replay[0]["messages"]] == ["after the restart"]
    assert ids_in(replay) == [seen + 1]


def test_ids_continue_across_restarts_and_after_text_logs_from_before_the_database(
    start_server: StartServer, tmp_path: Path
) -> None:
    (tmp_path / "messages.txt").write_text("[2026-01-01 10:00:00+00:00] old: one\n" * 3)
    (tmp_path / "private_messages.txt").write_text("[2026-01-01 10:00:00+00:00] a -> b: x\n")
    store = disk_store(tmp_path)
    first = start_server(store=store)
    alice = WireClient(first.address)
    alice.hello("alice")
    alice.send({"type": "public", "text": "first in the database"})
    assert alice.expect("public")["id"] == 5
    first.stop()
    store.close()

    second = start_server(store=disk_store(tmp_path))
    bob = WireClient(second.address)
    bob.hello("bob")
    bob.send({"type": "public", "text": "after a restart"})
    assert bob.expect("public")["id"] == 6
    bob.send({"type": "stats"})
    stats = bob.expect("stats")
    assert (stats["public_total"], stats["private_total"]) == (5, 1)
    assert TextLogs(tmp_path).line_counts().public == 5


def test_a_resume_takes_over_a_session_whose_old_connection_still_looks_open(
    start_server: StartServer,
) -> None:
    server = start_server()
    stale, bob = WireClient(server.address), WireClient(server.address)
    token = stale.hello("alice")["resume_token"]
    bob.hello("bob")
    assert stale.expect("join")["nick"] == "bob"

    fresh = WireClient(server.address)
    welcome = fresh.resume("alice", token, 0)

    assert (welcome["nick"], welcome["resumed"]) == ("alice", True)
    assert stale.frames_until_closed() == []  # the old connection is closed
    assert [(f["type"], f["nick"]) for f in (bob.recv(), bob.recv())] == [
        ("leave", "alice"),
        ("join", "alice"),
    ]
    fresh.send({"type": "public", "text": "still me"})
    assert bob.expect("public")["from"] == "alice"


def test_with_no_resume_grace_there_is_no_token_and_a_dropped_nick_is_free_at_once(
    start_server: StartServer,
) -> None:
    server = start_server(settings=RoomSettings(backlog=0, resume_grace=0))
    alice, bob = WireClient(server.address), WireClient(server.address)
    assert alice.hello("alice")["resume_token"] is None
    bob.hello("bob")
    alice.sock.close()
    assert bob.expect("leave")["nick"] == "alice"
    again = WireClient(server.address)
    assert again.hello("alice")["renamed"] is False
