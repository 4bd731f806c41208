"""Helpers for driving the full-screen client headless, through Textual's pilot."""

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest
from textual import events
from textual.app import App
from textual.keys import _character_to_key

from app.adapters.tcp.client import ServerConnection
from app.adapters.terminal.state import InputHistory
from app.adapters.tui.message_pane import MessagePane
from app.adapters.tui.window import ChatWindow

WAIT_SECONDS = 10.0


async def until(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    """Let the application run until `condition` holds; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)  # yields to the app's loop; the condition is what we wait on


def burst(app: App[object], text: str) -> None:
    """Every key of `text` at once, as a fast typist or a terminal's buffer delivers them:
    nothing waits for one key to be handled before the next arrives ("\\r" is Enter)."""
    for character in text:
        key = "enter" if character == "\r" else _character_to_key(character)
        app.post_message(events.Key(key, character))


def transcript(app: ChatWindow) -> list[str]:
    return app.query_one(MessagePane).texts()


def status_bar(app: ChatWindow) -> str:
    return str(app.query_one("#status").content)


class Target:
    """Where the window connects to; a test may move it (a server restarted elsewhere)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address

    def open(self) -> ServerConnection:
        return ServerConnection.open(*self.address)


@pytest.fixture
def windows() -> Iterator[Callable[..., ChatWindow]]:
    """Makes chat windows connected to a server; closes their connections afterwards."""
    made: list[ChatWindow] = []

    def make(target: Target, nick: str | None, **options: object) -> ChatWindow:
        window = ChatWindow(
            target.open(),
            target.open,
            server=f"{target.address[0]}:{target.address[1]}",
            nick=nick,
            history=InputHistory(None),
            **options,  # type: ignore[arg-type]
        )
        made.append(window)
        return window

    yield make
    for window in made:
        window.session.leave_now()
        window.session.close()
