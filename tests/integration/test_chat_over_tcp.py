"""Every rule of protocol v1, through real sockets against the real server."""

from collections.abc import Callable

import pytest

from app.adapters.storage.memory import InMemoryRoomStore
from tests.wire_client import WireClient

Registered = Callable[..., list[WireClient]]


def test_a_taken_nick_gets_a_random_unique_one_and_the_welcome_says_so(
    registered: Registered, connect: Callable[[], WireClient]
) -> None:
    registered("alice")
    newcomer = connect()
    welcome = newcomer.hello("ALICE")
    assert welcome["nick"] == "Tamara"
    assert welcome["requested"] == "ALICE"
    assert welcome["renamed"] is True
    assert welcome["users"] == ["alice", "Tamara"]


def test_hello_without_a_nick_gets_a_random_one(connect: Callable[[], WireClient]) -> None:
    welcome = connect().hello(None)
    assert (welcome["nick"], welcome["renamed"]) == ("Tamara", False)


def test_others_hear_of_a_join(registered: Registered, connect: Callable[[], WireClient]) -> None:
    (alice,) = registered("alice")
    connect().hello("bob")
    assert alice.expect("join")["nick"] == "bob"


def test_a_public_message_reaches_everyone_with_an_echo_and_is_logged(
    registered: Registered, log: InMemoryRoomStore
) -> None:
    alice, bob, cy = registered("alice", "bob", "cy")
    alice.send({"type": "public", "text": "hi all"})
    for client in (alice, bob, cy):
        frame = client.expect("public")
        assert (frame["id"], frame["from"], frame["text"]) == (1, "alice", "hi all")
        assert frame["ts"].endswith("Z")
    assert [m.text for m in log.public] == ["hi all"]


def test_a_private_message_reaches_only_the_two_parties(
    registered: Registered, log: InMemoryRoomStore
) -> None:
    alice, bob, cy = registered("alice", "bob", "cy")
    alice.send({"type": "private", "to": "Bob", "text": "psst"})
    for client in (bob, alice):
        frame = client.expect("private")
        assert (frame["from"], frame["to"], frame["text"]) == ("alice", "bob", "psst")
    assert cy.drain() == []
    assert [(m.sender, m.recipient) for m in log.private] == [("alice", "bob")]


def test_the_server_never_takes_the_clients_word_for_from(registered: Registered) -> None:
    mallory, bob = registered("mallory", "bob")
    mallory.send({"type": "public", "text": "hi", "from": "bob"})
    assert mallory.expect("error")["code"] == "invalid_frame"
    assert bob.drain() == []


def test_users_lists_everyone_online(registered: Registered) -> None:
    alice, _, _ = registered("alice", "Bob", "cy")
    alice.send({"type": "users"})
    assert alice.expect("users")["users"] == ["alice", "Bob", "cy"]


def test_a_nick_change_reaches_everyone_and_a_taken_nick_is_refused(
    registered: Registered,
) -> None:
    alice, bob = registered("alice", "bob")
    alice.send({"type": "nick", "nick": "alicia"})
    for client in (alice, bob):
        assert client.expect("nick") | {"ts": None} == {
            "type": "nick",
            "old": "alice",
            "new": "alicia",
            "ts": None,
        }
    bob.send({"type": "nick", "nick": "ALICIA"})
    assert bob.expect("error")["code"] == "nick_taken"
    bob.send({"type": "public", "text": "still bob"})
    assert bob.expect("public")["from"] == "bob"


def test_stats_count_users_and_messages(registered: Registered) -> None:
    alice, _ = registered("alice", "bob")
    alice.send({"type": "public", "text": "one"})
    alice.send({"type": "private", "to": "bob", "text": "two"})
    alice.drain()
    alice.send({"type": "stats"})
    stats = alice.expect("stats")
    assert (stats["users"], stats["public_total"], stats["private_total"]) == (2, 1, 1)


def test_ping_is_answered_with_its_token(registered: Registered) -> None:
    (alice,) = registered("alice")
    alice.send({"type": "ping", "token": "x"})
    assert alice.expect("pong")["token"] == "x"


def test_before_hello_every_other_frame_gets_not_registered_and_hello_still_works(
    connect: Callable[[], WireClient],
) -> None:
    client = connect()
    for frame_type in ["public", "users", "stats", "ping", "quit"]:
        body = {"type": frame_type, "text": "x"} if frame_type == "public" else {"type": frame_type}
        client.send(body)
        assert client.expect("error")["code"] == "not_registered"
    assert client.hello("late")["nick"] == "late"


def test_a_second_hello_is_refused(registered: Registered) -> None:
    (alice,) = registered("alice")
    alice.send({"type": "hello", "nick": "again"})
    assert alice.expect("error")["code"] == "already_registered"


def test_an_invalid_nick_is_refused_and_the_connection_stays_open_for_another_hello(
    connect: Callable[[], WireClient],
) -> None:
    client = connect()
    client.send({"type": "hello", "nick": "no spaces allowed"})
    error = client.expect("error")
    assert error["code"] == "invalid_nick"
    assert "letters" in error["message"]
    assert client.hello("fine")["nick"] == "fine"


def test_malformed_frames_get_invalid_frame_and_the_connection_stays_open(
    registered: Registered,
) -> None:
    (alice,) = registered("alice")
    for line in [
        b"not json\n",
        b"[1,2]\n",
        b'{"type":"dance"}\n',
        b'{"type":"public"}\n',
        b'{"type":"public","text":"hi","extra":1}\n',
        b'{"type":"public","text":""}\n',
        b'{"type":"public","text":"line\\nbreak"}\n',
        b"\xff\xfe\n",
    ]:
        alice.send(line)
        assert alice.expect("error")["code"] == "invalid_frame", line
    alice.send({"type": "public", "text": "still here"})
    assert alice.expect("public")["text"] == "still here"


def test_an_oversized_line_gets_frame_too_large_and_the_next_frame_is_served(
    registered: Registered,
) -> None:
    (alice,) = registered("alice")
    alice.send(b'{"type":"public","text":"' + b"x" * 20_000 + b'"}\r\n{"type":"users"}\r\n')
    assert alice.expect("error")["code"] == "frame_too_large"
    assert alice.expect("users")["users"] == ["alice"]


def test_a_private_message_to_nobody_gets_no_such_user(registered: Registered) -> None:
    (alice,) = registered("alice")
    alice.send({"type": "private", "to": "ghost", "text": "boo"})
    assert alice.expect("error")["code"] == "no_such_user"


def test_quit_is_announced_to_the_others_and_closes_the_connection(
    registered: Registered, connect: Callable[[], WireClient]
) -> None:
    alice, bob = registered("alice", "bob")
    alice.send({"type": "quit", "reason": "bye"})
    assert alice.frames_until_closed() == []
    leave = bob.expect("leave")
    assert (leave["nick"], leave["reason"]) == ("alice", "quit")
    assert connect().hello("alice")["renamed"] is False  # the nick is free again


def test_the_others_see_the_goodbye_a_client_quits_with(registered: Registered) -> None:
    alice, bob = registered("alice", "bob")
    alice.send({"type": "quit", "reason": "gotta go"})
    assert alice.frames_until_closed() == []
    leave = bob.expect("leave")
    assert (leave["nick"], leave["reason"], leave["message"]) == ("alice", "quit", "gotta go")


def test_a_quit_without_a_reason_leaves_with_no_message(registered: Registered) -> None:
    alice, bob = registered("alice", "bob")
    alice.send({"type": "quit"})
    assert alice.frames_until_closed() == []
    assert "message" not in bob.expect("leave")


@pytest.mark.parametrize(
    "reason",
    ["x" * 201, "bye\x1b[2J", "two\nlines"],
    ids=["201 characters", "escape", "line break"],
)
def test_a_goodbye_that_breaks_the_rules_still_ends_the_session_without_a_message(
    registered: Registered, connect: Callable[[], WireClient], reason: str
) -> None:
    alice, bob = registered("alice", "bob")
    alice.send({"type": "quit", "reason": reason})
    assert alice.frames_until_closed() == []  # no error frame: closed all the same
    leave = bob.expect("leave")
    assert (leave["nick"], leave["reason"]) == ("alice", "quit")
    assert "message" not in leave
    assert connect().hello("alice")["renamed"] is False  # the session is over


def test_a_dropped_socket_is_announced_once_as_a_leave(registered: Registered) -> None:
    alice, bob = registered("alice", "bob")
    alice.close()
    leave = bob.expect("leave")
    assert (leave["nick"], leave["reason"]) == ("alice", "disconnected")
    assert bob.drain() == []


def test_every_client_sees_public_messages_in_the_same_order(registered: Registered) -> None:
    senders = registered("s1", "s2", "s3")
    for round_number in range(30):
        for sender in senders:
            sender.send({"type": "public", "text": f"{round_number}"})
    seen = [[client.expect("public") for _ in range(90)] for client in senders]
    ids = [[frame["id"] for frame in frames] for frames in seen]
    assert ids[0] == ids[1] == ids[2] == sorted(ids[0])
    for sender in ("s1", "s2", "s3"):  # each sender's messages in the order sent
        texts = [int(frame["text"]) for frame in seen[0] if frame["from"] == sender]
        assert texts == list(range(30))
