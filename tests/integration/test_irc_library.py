"""The room as a real IRC client library sees it: jaraco's `irc` package (irc.client), run in
the test's own thread, one bounded `process_once` at a time."""

import time
from collections.abc import Callable, Iterator

import irc.client  # type: ignore[import-untyped]
import pytest

from app.adapters.irc.settings import IrcSettings
from app.adapters.tcp.server import ChatServer
from tests.conftest import StartServer
from tests.integration.irc_room import until
from tests.wire_client import WireClient

ROUNDS = 200  # process_once calls at most, 0.1 s each at most: a 20 s ceiling
DEADLINE = 5.0  # seconds to wait for any one event


class LibraryClient:
    """One irc.client connection, and every event it has reported, in order."""

    def __init__(self, address: tuple[str, int], nick: str) -> None:
        self.reactor = irc.client.Reactor()
        self.events: list[irc.client.Event] = []
        self._seen = 0
        self.reactor.add_global_handler("all_events", self._record, -20)
        self.connection = self.reactor.server().connect(address[0], address[1], nick)

    def _record(self, connection: irc.client.ServerConnection, event: irc.client.Event) -> None:
        self.events.append(event)

    def wait_for(
        self, event_type: str, match: Callable[[irc.client.Event], bool] = lambda _: True
    ) -> irc.client.Event:
        """The next event of this type (that `match` accepts), pumping the reactor until it
        comes; fails with the events seen if it does not within DEADLINE seconds."""
        deadline = time.monotonic() + DEADLINE
        for _ in range(ROUNDS):
            while self._seen < len(self.events):
                event = self.events[self._seen]
                self._seen += 1
                if event.type == event_type and match(event):
                    return event
            if time.monotonic() > deadline:
                break
            self.reactor.process_once(timeout=0.1)
        seen = [(event.type, event.source, event.arguments) for event in self.events]
        raise AssertionError(f"no {event_type} event; the events seen: {seen}")

    def close(self) -> None:
        if self.connection.is_connected():
            self.connection.close()


@pytest.fixture
def server(start_server: StartServer) -> ChatServer:
    return start_server(irc=(("127.0.0.1", 0), IrcSettings(server="irc.test")))


@pytest.fixture
def alice(server: ChatServer) -> Iterator[WireClient]:
    client = WireClient(server.address)
    assert client.hello("alice")["nick"] == "alice"
    client.drain()
    yield client
    client.close()


@pytest.fixture
def library(server: ChatServer) -> Iterator[LibraryClient]:
    client = LibraryClient(server.address_of("irc"), "libuser")
    yield client
    client.close()


def test_the_irc_library_registers_joins_chats_and_quits(
    alice: WireClient, library: LibraryClient
) -> None:
    welcome = library.wait_for("welcome")
    assert welcome.target == "libuser"
    join = library.wait_for("join")
    assert (join.source.nick, join.target) == ("libuser", "#chat")
    names = library.wait_for("namreply")
    assert {"alice", "libuser"} <= set(names.arguments[-1].split())
    assert until(alice, "join")["nick"] == "libuser"

    library.connection.privmsg("#chat", "hello from the library")
    frame = until(alice, "public")
    assert (frame["from"], frame["text"]) == ("libuser", "hello from the library")

    alice.send({"type": "public", "text": "hello, library"})
    assert until(alice, "public")["text"] == "hello, library"  # alice's own echo
    message = library.wait_for("pubmsg")
    assert (message.source.nick, message.target) == ("alice", "#chat")
    assert message.arguments == ["hello, library"]

    library.connection.action("#chat", "waves")
    assert until(alice, "public")["text"] == "/me waves"

    alice.send({"type": "public", "text": "/me waves back"})
    action = library.wait_for("action")
    assert (action.source.nick, action.target, action.arguments) == (
        "alice",
        "#chat",
        ["waves back"],
    )

    library.connection.quit("off to bed")
    library.wait_for("disconnect")
    leave = until(alice, "leave")
    assert (leave["nick"], leave["reason"], leave.get("message")) == (
        "libuser",
        "quit",
        "off to bed",
    )
