"""The IRC gateway at its edges: lines with a CR inside, a paste then a half-close, a PART
and JOIN in one read, replies that repeat long words, invalid runs, the wrong port."""

import socket
from collections.abc import Iterator

import pytest

from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.tcp.server import ChatServer
from app.services.membership import RoomSettings
from tests.conftest import StartServer
from tests.integration.irc_room import PACED, Clients, gateway, until
from tests.wire_client import WireClient


@pytest.fixture
def log() -> InMemoryRoomStore:
    return InMemoryRoomStore()


@pytest.fixture
def server(start_server: StartServer, log: InMemoryRoomStore) -> ChatServer:
    return start_server(store=log, irc=gateway(), settings=RoomSettings(backlog=5))


@pytest.fixture
def room(server: ChatServer) -> Iterator[Clients]:
    clients = Clients(server)
    yield clients
    clients.close()


def test_a_carriage_return_inside_a_line_is_refused_and_the_connection_lives_on(
    room: Clients,
) -> None:
    alice = room.native("alice")
    bob = room.irc("bob")
    bob.send_raw(b"PING :a\rb\r\nPRIVMSG #chat :hi\rthere\r\nPART #chat :bye\rnow\r\n")
    dropped = bob.drain()
    assert [line.command for line in dropped] == ["NOTICE"] * 3
    bob.send("PRIVMSG #chat :still here")
    assert until(alice, "public")["text"] == "still here"  # the CR lines were dropped


def test_a_paste_then_a_half_close_delivers_every_line_and_the_quit(
    start_server: StartServer, log: InMemoryRoomStore
) -> None:
    server = start_server(store=log, irc=gateway(), limits=PACED)
    room = Clients(server)
    try:
        alice = room.native("alice")
        bot = room.irc("bot")
        paste = "".join(f"PRIVMSG #chat :line {number}\r\n" for number in range(20))
        bot.send_raw(paste.encode() + b"QUIT :all said\r\n")
        bot.sock.shutdown(socket.SHUT_WR)  # as `printf ... | nc` does
        texts = [until(alice, "public")["text"] for _ in range(20)]
        assert texts == [f"line {number}" for number in range(20)]
        leave = until(alice, "leave")
        assert (leave["nick"], leave["reason"], leave.get("message")) == (
            "bot",
            "quit",
            "all said",
        )
    finally:
        room.close()


def test_part_and_join_in_one_read_lose_nothing_owed_from_before_the_part(
    room: Clients,
) -> None:
    bob = room.irc("bob", ("echo-message",))
    bob.send_raw(b"PRIVMSG #chat :before leaving\r\nPART #chat\r\nJOIN #chat\r\n")
    lines = bob.lines_until(lambda line: line.command == "366")
    said = [line.text for line in lines if line.command == "PRIVMSG"]
    assert said == ["before leaving"]  # its echo, owed from before it left
    assert [line.command for line in lines if line.command in ("PART", "JOIN")] == [
        "PART",
        "JOIN",
    ]


def test_coming_back_after_a_part_brings_no_second_backlog(room: Clients) -> None:
    alice = room.native("alice")
    alice.send({"type": "public", "text": "history"})
    bob = room.irc("bob")
    first = bob.drain()  # its join brings the backlog once
    assert [line.text.endswith("] history") for line in first if line.command == "PRIVMSG"] == [
        True
    ]
    bob.send("PART #chat")
    bob.send("JOIN #chat")
    lines = bob.lines_until(lambda line: line.command == "366")
    assert [line for line in lines if line.command == "PRIVMSG"] == []
    assert bob.drain() == []


def test_its_own_part_line_carries_its_time_and_only_the_goodbye_others_see(
    room: Clients,
) -> None:
    alice = room.native("alice")
    bob = room.irc("bob", ("server-time",))
    bob.send("PART #chat :" + "x" * 300)  # over 200 characters: not shown to anyone
    part = bob.expect("PART")
    assert "time" in part.tags
    assert part.params == ("#chat",)
    leave = until(alice, "leave")
    assert (leave["reason"], leave.get("message")) == ("part", None)


def test_replies_that_repeat_a_clients_long_words_stay_within_512_bytes(room: Clients) -> None:
    bob = room.irc("bob")
    bob.send("PING :" + "t" * 480)
    bob.send("Y" * 450)
    bob.send("NAMES :#a b")
    lines = bob.drain()
    assert [line.command for line in lines] == ["PONG", "421", "366"]
    assert all(line.bytes_without_tags <= 512 for line in lines)


def test_a_line_naming_many_unknown_channels_is_one_invalid_line_not_fifty(
    room: Clients,
) -> None:
    bob = room.irc("bob")
    bob.send("JOIN " + ",".join(f"#no{number}" for number in range(60)))
    assert sum(line.command == "403" for line in bob.drain()) == 60  # and still connected


def test_fifty_invalid_lines_in_a_row_end_the_connection_with_an_error_line(
    room: Clients,
) -> None:
    bob = room.irc("bob")
    bob.send_raw(b"NOSUCHCOMMAND\r\n" * 50)
    lines = bob.lines_until_closed()
    assert lines[-1].command == "ERROR"
    assert "50 invalid" in lines[-1].text


def test_an_irc_client_at_the_native_port_is_told_where_to_go(server: ChatServer) -> None:
    client = WireClient(server.address)
    try:
        client.send(b"NICK bob\r\n")
        error = client.expect("error")
        assert "IRC port" in error["message"]
    finally:
        client.close()
