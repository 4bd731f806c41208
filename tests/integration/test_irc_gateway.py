"""The IRC gateway: IRC clients and protocol v1 clients in one room, through real sockets
against the real server."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.tcp.server import ChatServer
from app.services.membership import RoomSettings
from tests.conftest import StartServer
from tests.integration.irc_room import (
    PACED,
    SERVER_NAME,
    Clients,
    gateway,
    until,
)
from tests.irc_client import IrcLine
from tests.stores import disk_store
from tests.wire_client import Frame, WireClient


@pytest.fixture
def clients_of() -> Iterator[Callable[[ChatServer], Clients]]:
    opened: list[Clients] = []

    def open_for(server: ChatServer) -> Clients:
        clients = Clients(server)
        opened.append(clients)
        return clients

    yield open_for
    for clients in opened:
        clients.close()


@pytest.fixture
def server(start_server: StartServer, log: InMemoryRoomStore) -> ChatServer:
    """The room with the gateway: IRC clients are put in #chat once registered."""
    return start_server(store=log, names=("Tamara", "Zed"), irc=gateway())


@pytest.fixture
def server_without_autojoin(start_server: StartServer, log: InMemoryRoomStore) -> ChatServer:
    return start_server(store=log, names=("Tamara", "Zed"), irc=gateway(autojoin=False))


@pytest.fixture
def room(server: ChatServer, clients_of: Callable[[ChatServer], Clients]) -> Clients:
    return clients_of(server)


def commands(lines: list[IrcLine]) -> list[str]:
    return [line.command for line in lines]


def isupport(lines: list[IrcLine]) -> dict[str, str]:
    """The ISUPPORT tokens of the 005 lines: name to value ("" for a token without one)."""
    tokens: dict[str, str] = {}
    for line in lines:
        if line.command == "005":
            for token in line.params[1:-1]:
                name, _, value = token.partition("=")
                tokens[name] = value
    return tokens


# --- registration -------------------------------------------------------------------------


def test_registration_without_cap_gets_the_welcome_burst_then_the_channel(room: Clients) -> None:
    amy = room.irc()
    amy.send("NICK amy")
    amy.send("USER amy 0 * :Amy Pond")
    lines = amy.lines_until(lambda line: line.command == "366")
    burst = [command for command in commands(lines) if command != "005"]
    assert burst == ["001", "002", "003", "004", "422", "JOIN", "353", "366"]
    assert "005" in commands(lines[4:6])
    assert all(line.source == SERVER_NAME for line in lines if line.command != "JOIN")
    assert lines[0].params[0] == "amy"
    tokens = isupport(lines)
    for token in ("CASEMAPPING", "CHANTYPES", "PREFIX", "NICKLEN", "CHANNELLEN", "CHANMODES"):
        assert tokens.get(token), (token, tokens)
    assert "TARGMAX" in tokens
    assert "UTF8ONLY" in tokens
    assert tokens["CHANTYPES"] == "#"
    join = next(line for line in lines if line.command == "JOIN")
    assert (join.nick, join.params) == ("amy", ("#chat",))
    names = next(line for line in lines if line.command == "353")
    assert names.params[2] == "#chat"
    assert "amy" in names.text.split()


def test_cap_negotiation_holds_registration_until_cap_end(room: Clients) -> None:
    amy = room.irc()
    amy.send("CAP LS 302")
    amy.send("NICK amy")
    amy.send("USER amy 0 * :Amy Pond")
    amy.send("PING :held")
    held = amy.lines_until(lambda line: line.command == "PONG")
    assert held[-1].text == "held"
    assert commands(held) == ["CAP", "PONG"], [str(line) for line in held]
    offered = held[0].text.split()
    assert {"server-time", "echo-message", "batch", "message-tags"} <= set(offered)

    amy.send("CAP REQ :server-time no-such-cap")
    nak = amy.expect("CAP")
    assert nak.params[1:] == ("NAK", "server-time no-such-cap")
    amy.send("CAP REQ :server-time echo-message")
    assert amy.expect("CAP").params[1:] == ("ACK", "server-time echo-message")
    amy.send("CAP LIST")
    listed = amy.expect("CAP")
    assert listed.params[1] == "LIST"
    assert {"server-time", "echo-message"} <= set(listed.text.split())
    assert "no-such-cap" not in listed.text.split()
    assert amy.drain() == []  # still not registered

    amy.send("CAP END")
    lines = amy.lines_until(lambda line: line.command == "366")
    assert lines[0].command == "001"


def test_join_and_privmsg_before_registration_get_451_and_the_connection_stays_open(
    room: Clients,
) -> None:
    early = room.irc()
    early.send("JOIN :")  # what irssi sends before registering
    early.send("PRIVMSG #chat :too early")
    early.send("PING :still-there")
    lines = early.lines_until(lambda line: line.command == "PONG")
    assert commands(lines) == ["451", "451", "PONG"]
    assert lines[-1].text == "still-there"
    early.register("amy")  # and it may still register


def test_an_unknown_command_gets_421(room: Clients) -> None:
    amy = room.irc("amy")
    amy.send("FROBNICATE now")
    answer = amy.expect("421")
    assert answer.params[:2] == ("amy", "FROBNICATE")


def test_join_part_user_and_mode_without_params_get_461(room: Clients) -> None:
    amy = room.irc()
    amy.send("USER")
    assert amy.expect("461").params[1] == "USER"
    amy.register("amy")
    for command in ("JOIN", "PART", "MODE"):
        amy.send(command)
        answer = amy.expect("461")
        assert answer.params[:2] == ("amy", command)
    assert amy.drain() == []


# --- messages -----------------------------------------------------------------------------


def test_a_channel_message_from_irc_reaches_native_clients(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    bob.send("PRIVMSG #chat :hello from irc")
    frame = until(alice, "public")
    assert (frame["from"], frame["text"]) == ("bob", "hello from irc")


def test_a_native_public_message_reaches_irc_clients_as_a_privmsg(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    alice.send({"type": "public", "text": "hello from v1"})
    line = bob.expect("PRIVMSG")
    assert line.source is not None
    assert line.source.startswith("alice!alice@")
    assert line.params == ("#chat", "hello from v1")
    assert line.raw.endswith(b" PRIVMSG #chat :hello from v1\r\n")


def test_private_messages_cross_both_ways(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    bob.send("PRIVMSG alice :psst from irc")
    frame = until(alice, "private")
    assert (frame["from"], frame["to"], frame["text"]) == ("bob", "alice", "psst from irc")
    alice.send({"type": "private", "to": "bob", "text": "psst from v1"})
    line = bob.expect("PRIVMSG")
    assert (line.nick, line.params) == ("alice", ("bob", "psst from v1"))


def test_a_notice_to_the_channel_is_a_public_message_natively(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    bob.send("NOTICE #chat :heads up")
    frame = until(alice, "public")
    assert (frame["from"], frame["text"]) == ("bob", "heads up")


def test_a_ctcp_action_is_slash_me_natively_and_back(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    bob.send("PRIVMSG #chat :\x01ACTION waves\x01")
    assert until(alice, "public")["text"] == "/me waves"
    alice.send({"type": "public", "text": "/me waves back"})
    line = bob.expect("PRIVMSG")
    assert (line.nick, line.params) == ("alice", ("#chat", "\x01ACTION waves back\x01"))


def test_irc_formatting_is_stripped_for_native_clients(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    bob.send("PRIVMSG #chat :\x02bold\x02 and \x0304red\x03 and \x1fplain\x0f")
    assert until(alice, "public")["text"] == "bold and red and plain"


def test_a_ctcp_version_is_answered_by_the_gateway_and_never_reaches_the_native_client(
    room: Clients,
) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    bob.send("PRIVMSG alice :\x01VERSION\x01")
    answer = bob.expect("NOTICE")
    assert answer.params[0] == "bob"
    assert answer.text.startswith("\x01VERSION ")
    assert answer.text.endswith("\x01")
    bob.send("PRIVMSG alice :after the version")
    frames: list[Frame] = []
    while not frames or frames[-1]["type"] != "private":
        frames.append(alice.recv())
    assert frames[-1]["text"] == "after the version"
    assert [frame for frame in frames if frame["type"] in ("public", "private")] == frames[-1:]


def test_a_long_native_message_reaches_irc_as_lines_of_at_most_512_bytes(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    text = ("words and more words " * 15 + "é" * 400 + "😀" * 300 + "x" * 500 + "aé😀 b" * 200)[
        :2000
    ]
    assert len(text) == 2000
    alice.send({"type": "public", "text": text})
    alice.send({"type": "public", "text": "the end"})
    lines = bob.lines_until(lambda line: line.command == "PRIVMSG" and line.text == "the end")
    pieces = [line for line in lines[:-1] if line.command == "PRIVMSG"]
    assert len(pieces) > 1
    for piece in pieces:
        assert piece.bytes_without_tags <= 512, (piece.bytes_without_tags, str(piece))
        assert piece.raw.endswith(b"\r\n")
        assert (piece.nick, piece.params[0]) == ("alice", "#chat")
    assert "".join(piece.text for piece in pieces) == text


# --- nicks --------------------------------------------------------------------------------


def test_a_nick_taken_natively_gets_433_in_any_case_and_another_nick_registers(
    room: Clients,
) -> None:
    room.native("alice")
    newcomer = room.irc()
    newcomer.send("NICK ALICE")
    newcomer.send("USER alice 0 * :Alice")
    taken = newcomer.expect("433")
    assert taken.params[1].lower() == "alice"
    newcomer.send("NICK alice2")
    lines = newcomer.lines_until(lambda line: line.command == "366")
    assert lines[0].command == "001"
    assert lines[0].params[0] == "alice2"


def test_a_nick_held_on_irc_renames_a_native_hello(room: Clients) -> None:
    room.irc("bob")
    native = WireClient(room.server.address)
    try:
        welcome = native.hello("BOB")
    finally:
        native.close()
    assert (welcome["nick"], welcome["renamed"]) == ("Tamara", True)


def test_nicks_with_brackets_or_braces_get_432(room: Clients) -> None:
    amy = room.irc()
    for nick in ("[amy]", "amy{"):
        amy.send(f"NICK {nick}")
        refused = amy.expect("432")
        assert refused.params[1] == nick
    amy.register("amy")


def test_an_irc_nick_change_is_seen_by_both_sides(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    bob.send("NICK robert")
    line = bob.expect("NICK")
    assert (line.nick, line.params) == ("bob", ("robert",))
    frame = until(alice, "nick")
    assert (frame["old"], frame["new"]) == ("bob", "robert")
    bob.send("FROBNICATE")
    assert bob.expect("421").params[0] == "robert"  # the gateway knows it by its new nick
    assert bob.drain() == []  # and its NICK came once


def test_a_native_nick_change_is_seen_on_irc(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    alice.send({"type": "nick", "nick": "alicia"})
    line = bob.expect("NICK")
    assert (line.nick, line.params) == ("alice", ("alicia",))


# --- leaving ------------------------------------------------------------------------------


def test_quit_with_a_message_is_seen_by_everyone_and_closes(room: Clients) -> None:
    alice = room.native("alice")
    carol = room.irc("carol")
    bob = room.irc("bob")
    carol.expect("JOIN")  # bob's
    bob.send("QUIT :gone fishing")
    last = bob.lines_until_closed()
    assert commands(last)[-1:] == ["ERROR"]
    frame = until(alice, "leave")
    assert (frame["nick"], frame["reason"], frame.get("message")) == ("bob", "quit", "gone fishing")
    line = carol.expect("QUIT")
    assert (line.nick, line.params) == ("bob", ("gone fishing",))


def test_a_dropped_irc_connection_is_a_leave_and_frees_the_nick_at_once(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    bob.close()
    assert until(alice, "leave")["nick"] == "bob"
    again = room.irc()
    lines = again.register("bob")
    assert lines[0].command == "001"


# --- the channel --------------------------------------------------------------------------


def test_only_the_one_channel_exists_and_joining_it_twice_is_ignored(room: Clients) -> None:
    amy = room.irc("amy")
    amy.send("JOIN #other")
    refused = amy.expect("403")
    assert refused.params[1] == "#other"
    amy.send("NAMES #other")
    assert commands(amy.lines_until(lambda line: line.command == "366")) == ["366"]
    amy.send("JOIN #chat")
    assert amy.drain() == []


def test_part_then_join_again(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    until(alice, "join")
    bob.send("PART #chat :be right back")
    own = bob.expect("PART")
    assert (own.nick, own.params) == ("bob", ("#chat", "be right back"))
    frame = alice.expect("leave")
    assert (frame["nick"], frame["reason"]) == ("bob", "part")
    assert frame.get("message") == "be right back"

    alice.send({"type": "users"})
    assert alice.expect("users")["users"] == ["alice"]
    bob.send("NAMES #chat")
    names = bob.lines_until(lambda line: line.command == "366")
    assert all("bob" not in line.text.split() for line in names if line.command == "353")

    alice.send({"type": "public", "text": "while you were out"})
    alice.send({"type": "private", "to": "bob", "text": "still reach you"})
    assert [alice.expect(kind)["from"] for kind in ("public", "private")] == ["alice"] * 2
    got = bob.lines_until(lambda line: line.command == "PRIVMSG")
    assert got[-1].params == ("bob", "still reach you")
    assert [str(line) for line in got if line.command != "PRIVMSG"] == []
    bob.send("PRIVMSG alice :and I reach you")
    assert until(alice, "private")["text"] == "and I reach you"
    bob.send("PRIVMSG #chat :let me in")
    assert bob.expect("404").params[1] == "#chat"

    bob.send("JOIN #chat")
    lines = bob.lines_until(lambda line: line.command == "366")
    assert commands(lines) == ["JOIN", "353", "366"]
    assert {"alice", "bob"} <= set(lines[1].text.split())
    assert until(alice, "join")["nick"] == "bob"
    assert bob.drain() == []
    assert alice.drain() == []


def test_without_autojoin_a_registered_client_is_outside_until_it_joins(
    server_without_autojoin: ChatServer, clients_of: Callable[[ChatServer], Clients]
) -> None:
    clients = clients_of(server_without_autojoin)
    alice = clients.native("alice")
    bob = clients.irc("bob", autojoin=False)
    assert "JOIN" not in commands(bob.drain())
    alice.send({"type": "users"})
    assert alice.expect("users")["users"] == ["alice"]  # no join frame came before it either
    alice.send({"type": "private", "to": "bob", "text": "are you there"})
    line = bob.expect("PRIVMSG")
    assert (line.nick, line.params) == ("alice", ("bob", "are you there"))
    bob.send("JOIN #chat")
    assert commands(bob.lines_until(lambda line: line.command == "366")) == ["JOIN", "353", "366"]
    assert until(alice, "join")["nick"] == "bob"


# --- tags, echo, history ------------------------------------------------------------------


def test_server_time_and_msgid_tags_match_the_native_frame(room: Clients) -> None:
    alice = room.native("alice")
    bob = room.irc("bob", ("server-time", "message-tags"))
    alice.send({"type": "public", "text": "tagged"})
    frame = until(alice, "public")
    line = bob.expect("PRIVMSG")
    assert line.text == "tagged"
    assert line.tags.get("time") == frame["ts"]
    assert line.tags.get("msgid") == str(frame["id"])


def test_echo_message_returns_the_senders_own_message_only_when_asked(room: Clients) -> None:
    alice = room.native("alice")
    echoed = room.irc("echoed", ("echo-message", "message-tags"))
    plain = room.irc("plain")
    echoed.send("PRIVMSG #chat :mine, echoed")
    line = echoed.expect("PRIVMSG")
    assert (line.nick, line.params) == ("echoed", ("#chat", "mine, echoed"))
    assert line.tags.get("msgid") == str(until(alice, "public")["id"])

    plain.send("PRIVMSG #chat :mine, not echoed")
    seen = [line.text for line in plain.drain() if line.command == "PRIVMSG"]
    assert seen == ["mine, echoed"]  # the other's message, not its own
    assert until(alice, "public")["text"] == "mine, not echoed"
    alice.send({"type": "public", "text": "later"})
    privmsgs = [
        line.text
        for line in plain.lines_until(lambda line: line.text == "later")
        if line.command == "PRIVMSG"
    ]
    assert "mine, not echoed" not in privmsgs
    assert privmsgs[-1] == "later"


def test_the_backlog_on_join_is_a_chathistory_batch_or_timestamped_lines(
    start_server: StartServer, log: InMemoryRoomStore, clients_of: Callable[[ChatServer], Clients]
) -> None:
    server = start_server(store=log, irc=gateway(), settings=RoomSettings(backlog=5))
    clients = clients_of(server)
    alice = clients.native("alice")
    sent = []
    for number in range(1, 7):
        alice.send({"type": "public", "text": f"message {number}"})
        sent.append(alice.expect("public"))
    expected = sent[1:]

    batched = clients.irc("batched", ("batch", "server-time"))
    lines = batched.lines_until(lambda line: line.command == "BATCH" and line.params[0][0] == "-")
    start = next(index for index, line in enumerate(lines) if line.command == "BATCH")
    opening, *messages, closing = lines[start:]
    ref = opening.params[0][1:]
    assert opening.params == (f"+{ref}", "chathistory", "#chat")
    assert closing.params == (f"-{ref}",)
    assert [(line.command, line.nick, line.params) for line in messages] == [
        ("PRIVMSG", "alice", ("#chat", frame["text"])) for frame in expected
    ]
    assert [line.tags.get("batch") for line in messages] == [ref] * 5
    assert [line.tags.get("time") for line in messages] == [frame["ts"] for frame in expected]

    plain = clients.irc("plain")
    history = [line.text for line in plain.drain() if line.command == "PRIVMSG"]
    assert history == [f"[{f['ts'][:10]} {f['ts'][11:19]}] {f['text']}" for f in expected]


def test_chathistory_latest_and_before_return_the_right_messages_in_a_batch(
    room: Clients,
) -> None:
    alice = room.native("alice")
    ids = []
    for number in range(1, 6):
        alice.send({"type": "public", "text": f"message {number}"})
        ids.append(alice.expect("public")["id"])
    caps = ("batch", "server-time", "message-tags", "draft/chathistory")
    bob = room.irc("bob", caps)

    def history(request: str) -> list[tuple[str, str]]:
        bob.send(request)
        lines = bob.lines_until(lambda line: line.command == "BATCH" and line.params[0][0] == "-")
        assert lines[0].command == "BATCH", [str(line) for line in lines]
        assert lines[0].params[1:] == ("chathistory", "#chat")
        ref = lines[0].params[0][1:]
        assert all(line.tags.get("batch") == ref for line in lines[1:-1])
        return [(line.tags.get("msgid", ""), line.text) for line in lines[1:-1]]

    assert history("CHATHISTORY LATEST #chat * 3") == [
        (str(ids[index]), f"message {index + 1}") for index in (2, 3, 4)
    ]
    assert history(f"CHATHISTORY BEFORE #chat msgid={ids[3]} 2") == [
        (str(ids[index]), f"message {index + 1}") for index in (1, 2)
    ]


# --- flood control ------------------------------------------------------------------------


def test_a_20_line_paste_arrives_whole_and_in_order_with_flood_control_on(
    start_server: StartServer, log: InMemoryRoomStore, clients_of: Callable[[ChatServer], Clients]
) -> None:
    server = start_server(store=log, irc=gateway(), limits=PACED)
    clients = clients_of(server)
    alice = clients.native("alice")
    bob = clients.irc("bob")
    until(alice, "join")
    paste = [f"line {number} of the paste" for number in range(1, 21)]
    bob.send_raw(b"".join(f"PRIVMSG #chat :{line}\r\n".encode() for line in paste))
    received = [alice.expect("public") for _ in paste]
    assert [(frame["from"], frame["text"]) for frame in received] == [("bob", t) for t in paste]
    assert bob.drain() == []  # no refusal, no notice
    assert alice.drain() == []


def test_a_ping_is_answered_only_after_every_message_sent_before_it_was_taken(
    start_server: StartServer, log: InMemoryRoomStore, clients_of: Callable[[ChatServer], Clients]
) -> None:
    server = start_server(store=log, irc=gateway(), limits=PACED)
    clients = clients_of(server)
    alice = clients.native("alice")
    bob = clients.irc("bob")
    sent = [f"message {number}" for number in range(1, 16)]
    bob.send_raw(
        b"".join(f"PRIVMSG #chat :{text}\r\n".encode() for text in sent) + b"PING :marker\r\n"
    )
    before = bob.lines_until(lambda line: line.command == "PONG" and line.text == "marker")
    assert len(log.public) == 15
    assert before[:-1] == []
    assert [until(alice, "public")["text"] for _ in sent] == sent


# --- robustness ---------------------------------------------------------------------------

BAD_LINES: list[bytes] = [
    b"",
    b"   ",
    b":",
    b"@",
    b"@a=b",
    b":src",
    b"@a=\\",
    b"@a=\\ TIME",
    b"@=x TIME",
    b"@a=\\q\\;b TIME",
    b"\x00",
    b"PRIVMSG #chat :nul \x00 inside",
    b"PRIVMSG #chat :\xff\xfe not utf-8",
    b"USERHOST " + b" ".join(b"p%d" % number for number in range(20)),
    b"PRIVMSG",
    b"PRIVMSG #chat",
    b"PRIVMSG #chat :",
    b"NICK",
    b"CAP",
    b"CAP FOO",
    b"MODE",
    b"WHO",
    b"CHATHISTORY",
    b"CHATHISTORY LATEST #chat * abc",
    b"CHATHISTORY BEFORE #chat msgid=abc 2",
    b"JOIN ,,,",
    b"PART ,",
    b"NOTICE",
    b"TOPIC",
    b"KICK",
    b"\t",
]


def test_malformed_lines_never_crash_anything(room: Clients, log: InMemoryRoomStore) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    until(alice, "join")
    answers: dict[bytes, list[str]] = {}
    for bad in BAD_LINES:
        bob.send_raw(bad + b"\r\n")
        answers[bad] = [str(line) for line in bob.drain()]
    for bad, lines in answers.items():
        for line in lines:
            source, command, *_ = line.split(" ")
            assert source == f":{SERVER_NAME}", (bad, line)
            assert command.isdigit() or command in ("NOTICE", "FAIL"), (bad, line)

    too_long = b"PRIVMSG #chat :" + b"y" * 600
    bob.send_raw(too_long + b"\r\n")
    assert commands(bob.drain()) == ["417"]
    bob.send_raw(b"PRIVMSG #chat :" + b"z" * 10_000)
    bob.send_raw(b"\r\n")
    assert commands(bob.drain()) == ["417"]

    assert log.public == []  # none of them was taken for a message
    alice.send({"type": "public", "text": "still chatting"})
    assert bob.expect("PRIVMSG").text == "still chatting"
    bob.send("PRIVMSG #chat :me too")
    frames = [until(alice, "public") for _ in range(2)]
    assert [frame["text"] for frame in frames] == ["still chatting", "me too"]


def test_notice_to_an_unknown_nick_gets_no_error_but_privmsg_gets_401_and_blank_text_412(
    room: Clients,
) -> None:
    bob = room.irc("bob")
    bob.send("NOTICE nobody :hello?")
    assert bob.drain() == []
    bob.send("PRIVMSG nobody :hello?")
    assert bob.expect("401").params[1] == "nobody"
    bob.send("PRIVMSG #chat :   ")
    assert bob.expect("412").params[0] == "bob"
    assert bob.drain() == []


def test_a_ctcp_request_to_an_unknown_nick_gets_401_not_an_answer_in_its_name(
    room: Clients,
) -> None:
    bob = room.irc("bob")
    bob.send("PRIVMSG nobody :\x01VERSION\x01")
    answer = bob.lines_until(lambda line: line.command in ("401", "NOTICE"))[-1]
    assert (answer.command, answer.params[1]) == ("401", "nobody"), str(answer)


# --- questions clients ask ----------------------------------------------------------------


def test_the_questions_clients_ask_after_joining_are_answered(room: Clients) -> None:
    room.native("alice")
    bob = room.irc("bob")

    def ask(line: str, last: str) -> list[IrcLine]:
        bob.send(line)
        return bob.lines_until(lambda answer: answer.command == last)

    modes = ask("MODE #chat", "329")
    assert commands(modes) == ["324", "329"]
    assert modes[0].params[1:3] == ("#chat", "+nt")
    assert commands(ask("MODE #chat b", "368")) == ["368"]
    echo = ask("MODE bob +i", "MODE")
    assert (echo[-1].nick, echo[-1].params) == ("bob", ("bob", "+i"))
    who = ask("WHO #chat", "315")
    assert commands(who) == ["352", "352", "315"]
    assert sorted(line.params[5] for line in who[:2]) == ["alice", "bob"]
    assert commands(ask("WHOIS alice", "318")) == ["311", "319", "312", "318"]
    assert commands(ask("WHOIS nobody", "318")) == ["401", "318"]
    userhost = ask("USERHOST alice", "302")
    assert userhost[-1].text.startswith("alice=")
    assert commands(ask("AWAY :lunch", "306")) == ["306"]
    assert commands(ask("AWAY", "305")) == ["305"]
    assert commands(ask("TIME", "391")) == ["391"]
    lusers = ask("LUSERS", "266")
    assert commands(lusers) == ["251", "254", "255", "265", "266"]
    assert "2 users" in lusers[0].text
    assert commands(bob.drain()) in ([], ["NOTICE"])
    topic = ask("TOPIC #chat", "331")
    assert commands(topic) == ["331"]
    assert topic[0].params[1] == "#chat"
    assert bob.drain() == []


# --- logs, stats, stopping ----------------------------------------------------------------


def test_messages_from_irc_are_logged_like_native_ones_and_counted_in_stats(
    start_server: StartServer, tmp_path: Path, clients_of: Callable[[ChatServer], Clients]
) -> None:
    server = start_server(store=disk_store(tmp_path), irc=gateway())
    clients = clients_of(server)
    alice = clients.native("alice")
    bob = clients.irc("bob")
    clients.irc("carol")
    bob.send("PRIVMSG #chat :for the record")
    assert until(alice, "public")["text"] == "for the record"
    bob.send("PRIVMSG alice :between us")
    assert until(alice, "private")["text"] == "between us"
    assert (tmp_path / "messages.txt").read_text().endswith("] bob: for the record\n")
    assert (tmp_path / "private_messages.txt").read_text().endswith("] bob -> alice: between us\n")
    alice.send({"type": "stats"})
    stats = until(alice, "stats")
    assert (stats["users"], stats["public_total"], stats["private_total"]) == (3, 1, 1)


def test_a_server_stop_sends_irc_clients_error_and_closes(
    server: ChatServer, room: Clients
) -> None:
    bob = room.irc("bob")
    stranger = room.irc()
    stranger.send("NICK stranger")  # not registered: no USER yet
    server.stop()
    for client in (bob, stranger):
        lines = client.lines_until_closed()
        assert lines, "closed without a word"
        assert lines[-1].command == "ERROR"
        assert lines[-1].source is None


# --- lines that must still fit IRC's 512 bytes ----------------------------------------------


def test_names_lines_fit_512_bytes_for_a_long_multibyte_nick_in_a_full_room(
    room: Clients,
) -> None:
    natives = [f"user{number:02d}".ljust(32, "x") for number in range(12)]
    for nick in natives:
        room.native(nick)
    nick = "名" * 32  # 32 letters, 96 bytes
    newcomer = room.irc()
    lines = newcomer.register(nick)
    names = [line for line in lines if line.command == "353"]
    assert {name for line in names for name in line.text.split()} == {*natives, nick}
    for line in names:
        assert line.bytes_without_tags <= 512, (line.bytes_without_tags, str(line))


def test_a_native_goodbye_of_200_emoji_reaches_irc_in_a_line_of_at_most_512_bytes(
    room: Clients,
) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    alice.send({"type": "quit", "reason": "😀" * 200})
    line = bob.expect("QUIT")
    assert line.nick == "alice"
    assert line.bytes_without_tags <= 512, line.bytes_without_tags
    assert line.text.startswith("😀")  # the goodbye, cut if need be


def test_a_quit_message_with_irc_formatting_reaches_native_clients_stripped(
    room: Clients,
) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    bob.send("QUIT :\x02bye\x02 \x0304all\x03")
    bob.lines_until_closed()
    leave = until(alice, "leave")
    assert (leave["nick"], leave["reason"]) == ("bob", "quit")
    assert leave.get("message") == "bye all"
