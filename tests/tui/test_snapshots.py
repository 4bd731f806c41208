"""What the window looks like, kept as SVG snapshots in tests/tui/__snapshots__/: a change in
what the user sees shows up in review. `pytest --snapshot-update` rewrites them on purpose.

The server here is a script on the other end of a socket pair, so that every run shows the
same room at the same times."""

import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.terminal.state import InputHistory
from app.adapters.tui.input_line import ChatInput
from app.adapters.tui.message_pane import MessagePane
from app.adapters.tui.window import ChatWindow
from tests.tui.conftest import until

NOW = datetime(2026, 11, 24, 12, 0, 30, tzinfo=UTC)
Frame = dict[str, Any]


def at(second: int) -> str:
    return f"2026-11-24T12:00:{second:02d}Z"


WELCOME: Frame = {
    "type": "welcome",
    "nick": "alice",
    "requested": "alice",
    "renamed": False,
    "users": ["alice", "bob", "carol", "dave"],
    "resume_token": "t" * 24,
    "last_id": 3,
    "ts": at(0),
}
BACKLOG: Frame = {
    "type": "history",
    "reason": "backlog",
    "more": False,
    "messages": [
        {"type": "public", "id": 1, "from": "bob", "text": "morning all", "ts": at(1)},
        {"type": "public", "id": 2, "from": "carol", "text": "hi bob", "ts": at(2)},
        {"type": "public", "id": 3, "from": "dave", "text": "/me yawns", "ts": at(3)},
    ],
    "ts": at(4),
}
LIVE: list[Frame] = [
    {"type": "public", "id": 4, "from": "bob", "text": "alice: are you there?", "ts": at(5)},
    {"type": "private", "id": 5, "from": "carol", "to": "alice", "text": "psst", "ts": at(6)},
    {"type": "private", "id": 6, "from": "carol", "to": "alice", "text": "/me waves", "ts": at(7)},
    {"type": "join", "nick": "eve", "ts": at(8)},
    {"type": "public", "id": 7, "from": "eve", "text": "hello everyone", "ts": at(9)},
    {"type": "leave", "nick": "eve", "reason": "quit", "message": "gotta go", "ts": at(10)},
    {"type": "public", "id": 8, "from": "dave", "text": "a long line " * 12, "ts": at(11)},
]


class ScriptedServer:
    """The far end of a socket pair: reads the hello, then sends what the test says."""

    def __init__(self) -> None:
        self._ours, theirs = socket.socketpair()
        self.connection = ServerConnection(theirs)
        self._ours.settimeout(5)
        self._hello = threading.Thread(target=self._read_hello, daemon=True)
        self._hello.start()

    def _read_hello(self) -> None:
        with contextlib.suppress(OSError):  # the test ended first
            self._ours.makefile("rb").readline()

    def send(self, *frames: Frame) -> None:
        for frame in frames:
            self._ours.sendall(json.dumps(frame).encode() + b"\n")

    def close(self) -> None:
        self._ours.close()


def unreachable() -> ServerConnection:
    raise ConnectionLost("cannot connect to 127.0.0.1:55555: Connection refused")


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times are shown in local time: the snapshots are taken in UTC, wherever they run."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def room(utc: None) -> Iterator[Callable[..., tuple[ChatWindow, ScriptedServer]]]:
    servers: list[ScriptedServer] = []

    def make(**options: Any) -> tuple[ChatWindow, ScriptedServer]:
        server = ScriptedServer()
        servers.append(server)
        window = ChatWindow(
            server.connection,
            unreachable,
            server="127.0.0.1:55555",
            nick="alice",
            history=InputHistory(None),
            now=lambda: NOW,
            **options,
        )
        return window, server

    yield make
    for server in servers:
        server.close()


async def settle(pilot: Pilot[Any], window: ChatWindow, last: str) -> None:
    """Before a snapshot: wait for the line ending with `last`; no cursor blinking."""
    pane = window.query_one(MessagePane)
    window.query_one(ChatInput).cursor_blink = False
    await until(lambda: any(line.endswith(last) for line in pane.texts()), repr(last))
    await until(lambda: pane.scroll_y == pane.max_scroll_y, "the view at the bottom")
    await pilot.pause()


def busy(window: ChatWindow, server: ScriptedServer) -> Callable[[Pilot[Any]], Any]:
    server.send(WELCOME, BACKLOG, *LIVE)

    async def before(pilot: Pilot[Any]) -> None:
        await until(lambda: window.session.connected, "the welcome")
        window.session.submit("my line, not yet confirmed")
        await settle(pilot, window, "my line, not yet confirmed")
        # Sent (no longer "waiting to send"), not yet confirmed: the sender thread sends it
        # a moment after the submit, and the status bar says so at its next refresh.
        status = window.query_one("#status", Static)
        await until(lambda: "waiting" not in str(status.content), "the line sent")
        await pilot.pause()

    return before


def test_a_busy_room(snap_compare: Any, room: Callable[..., Any]) -> None:
    window, server = room()
    assert snap_compare(window, terminal_size=(100, 30), run_before=busy(window, server))


def test_a_busy_room_on_a_narrow_terminal(snap_compare: Any, room: Callable[..., Any]) -> None:
    window, server = room()
    assert snap_compare(window, terminal_size=(50, 20), run_before=busy(window, server))


def test_talking_privately(snap_compare: Any, room: Callable[..., Any]) -> None:
    window, server = room()
    server.send(WELCOME)

    async def before(pilot: Pilot[Any]) -> None:
        await until(lambda: window.session.connected, "the welcome")
        await pilot.press(*"/pm carol", "enter", *"lunch?", "enter")
        await until(lambda: window.session.waiting() == 0, "the line sent")
        server.send(
            {
                "type": "private",
                "id": 4,
                "from": "alice",
                "to": "carol",
                "text": "lunch?",
                "ts": at(5),
            },
            {
                "type": "private",
                "id": 5,
                "from": "carol",
                "to": "alice",
                "text": "yes!",
                "ts": at(6),
            },
        )
        await settle(pilot, window, "yes!")
        await pilot.press(*"see you at")

    assert snap_compare(window, terminal_size=(80, 24), run_before=before)


def test_reconnecting(snap_compare: Any, room: Callable[..., Any]) -> None:
    window, server = room(delays=lambda: itertools.repeat(30.0))
    server.send(WELCOME)

    async def before(pilot: Pilot[Any]) -> None:
        await until(lambda: window.session.connected, "the welcome")
        server.send({"type": "shutdown", "reason": "server closing", "ts": at(12)})
        server.close()
        status = window.query_one("#status", Static)
        await until(lambda: "reconnecting in 30 s" in str(status.content), "the countdown")
        window.session.submit("typed while the server is away")
        await settle(pilot, window, "typed while the server is away")

    assert snap_compare(window, terminal_size=(80, 24), run_before=before)


def test_the_readme_picture_is_the_busy_room_as_it_looks_now() -> None:
    snapshot = Path(__file__).parent / "__snapshots__" / "test_snapshots" / "test_a_busy_room.svg"
    picture = Path(__file__).parents[2] / "docs" / "images" / "client.svg"
    assert picture.read_bytes() == snapshot.read_bytes(), "run make snapshots"
