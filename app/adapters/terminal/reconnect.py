"""Staying connected: when the connection drops, wait (1 s, 2 s ... 30 s, or until the user
says "now"), connect, resume the session, catch up, then send what was typed meanwhile."""

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Final

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.tcp.wire import WelcomeFrame
from app.adapters.terminal.render import printable
from app.adapters.terminal.session import ChatSession

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


def keep_connected(
    session: ChatSession,
    open_connection: Callable[[], ServerConnection],
    stop: threading.Event,
    delays: Callable[[], Iterator[float]] = backoff_delays,
) -> None:
    """The reader thread, once registered: shows what arrives; reconnects when it drops.
    Returns when the user quits (`stop`, or the session's quit) or the server is gone."""
    while not stop.is_set():
        session.read_until_closed()
        session.disconnected()
        session.connection.close()
        if stop.is_set() or session.quitting:
            return
        if session.shutdown_reason is None:
            session.note("* the connection was lost; reconnecting (F5 or /reconnect: now)")
        session.shutdown_reason = None
        if not reconnect(session, open_connection, stop, delays()):
            return


def reconnect(
    session: ChatSession,
    open_connection: Callable[[], ServerConnection],
    stop: threading.Event,
    delays: Iterator[float],
) -> bool:
    """Try until connected and registered again (True) or until stopped (False)."""
    for delay in delays:
        session.retry_at = time.monotonic() + delay
        session.changed()
        if _wait(delay, session.retry_now, stop) or session.quitting:
            return False
        session.retry_at = None
        session.retry_now.clear()
        session.changed()
        try:
            connection = open_connection()
        except ConnectionLost:
            continue
        if stop.is_set() or session.quitting:  # left while connecting: no hello, no join
            connection.close()
            return False
        if _registered(session, connection):
            return True
        connection.close()
    return False


def _wait(delay: float, retry_now: threading.Event, stop: threading.Event) -> bool:
    """Wait `delay` seconds or until told to retry now; True if told to stop instead."""
    deadline = time.monotonic() + delay
    while not stop.is_set() and not retry_now.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        retry_now.wait(min(left, 0.2))  # wakes for stop, too, within a fifth of a second
    return stop.is_set()


def _registered(session: ChatSession, connection: ServerConnection) -> bool:
    wanted = session.nick
    session.connection = connection
    try:
        answer = session.register(wanted)
        if not isinstance(answer, WelcomeFrame):
            return False  # full, say: try again later
        if answer.resumed:
            session.note(f"* reconnected as {printable(answer.nick)}")
            session.read_replay()  # what was missed, before what was typed meanwhile
            session.acknowledge_resume()
        else:
            session.note(_not_resumed(wanted, answer.nick))
    except ConnectionLost:
        return False
    session.online_again(resumed=answer.resumed)
    return True


def _not_resumed(wanted: str, nick: str) -> str:
    """The server had no session to resume (expired, or lost): a fresh start, said plainly."""
    if nick != wanted:
        return (
            f"* reconnected, but {printable(wanted)} was taken:"
            f" you are {printable(nick)} now (/nick changes it)"
        )
    return (
        f"* reconnected as {printable(nick)}, but as a new session: of what was said"
        " while you were away, only the latest messages are shown"
    )
