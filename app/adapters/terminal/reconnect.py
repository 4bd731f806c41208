"""Getting back to the server after the connection is lost: backoff, re-register, catch up."""

import random
import threading
from collections.abc import Callable, Iterator
from typing import Final

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.tcp.wire import WelcomeFrame
from app.adapters.terminal.render import Fragments, notice, printable
from app.adapters.terminal.session import ChatSession, Show

FIRST_DELAY: Final = 1.0
MAX_DELAY: Final = 30.0
JITTER: Final = 0.25  # each wait is off by up to a quarter, so clients do not return in step


def backoff_delays(
    first: float = FIRST_DELAY,
    cap: float = MAX_DELAY,
    jitter: float = JITTER,
    uniform: Callable[[], float] = random.random,
) -> Iterator[float]:
    """1 s, 2 s, 4 s ... up to 30 s, each with some jitter."""
    delay = first
    while True:
        yield min(cap, delay * (1 + jitter * (2 * uniform() - 1)))
        delay = min(cap, delay * 2)


def _not_resumed(wanted: str, nick: str) -> Fragments:
    """The server had no session to resume (expired, or lost): a fresh start, said plainly."""
    if nick != wanted:
        return [
            (
                "class:warning",
                f"* reconnected, but {printable(wanted)} was taken:"
                f" you are {printable(nick)} now (/nick changes it)",
            )
        ]
    return [
        (
            "class:warning",
            f"* reconnected as {printable(nick)}, but as a new session:"
            " what was said while you were away is not shown",
        )
    ]


def reconnect(
    session: ChatSession,
    open_connection: Callable[[], ServerConnection],
    show: Show,
    stop: threading.Event,
    delays: Iterator[float] | None = None,
) -> bool:
    """Try until connected and registered again (True) or until `stop` is set (False)."""
    for delay in delays or backoff_delays():
        if stop.wait(delay):
            return False
        try:
            connection = open_connection()
        except ConnectionLost:
            continue
        wanted = session.nick
        session.connection = connection
        try:
            answer = session.register(wanted)
            if isinstance(answer, WelcomeFrame) and answer.resumed:
                show(notice(f"* reconnected as {printable(answer.nick)}"))
                session.read_replay()  # what was missed, before what was typed meanwhile
                session.acknowledge_resume()
        except ConnectionLost:
            continue
        if not isinstance(answer, WelcomeFrame):
            connection.close()  # full, say: try again later
            continue
        if not answer.resumed:
            show(_not_resumed(wanted, answer.nick))
        session.resume()
        return True
    return False
