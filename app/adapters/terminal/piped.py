"""The client when standard input is not a terminal: lines in, plain lines out. For scripts.

Exit status: 0 when every line went through; 1 when the server could not be reached or went
away; 3 when the session ended normally but some lines were refused (the reasons are on
standard error, one line each).
"""

import itertools
import sys
import threading
from collections.abc import Iterable
from typing import Final, TextIO

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.tcp.wire import ErrorFrame
from app.adapters.terminal.pacing import MessagePacer
from app.adapters.terminal.render import Fragments, plain, printable, welcome_lines
from app.adapters.terminal.session import ChatSession

# How long to wait at end of input for the server to echo the last message.
_CATCH_UP_SECONDS: Final = 10.0
# Starts every line that comes from the room's history rather than live.
HISTORY_MARKER: Final = "[history] "
EXIT_LOST: Final = 1
EXIT_REFUSED: Final = 3


class PipeDisplay:
    """A line per line; a message is printed when the server confirms it (its echo), never
    while pending; refusals go to standard error."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self._out = out
        self._err = err
        self._lock = threading.Lock()
        self._keys = itertools.count(1)
        self.refusals = 0

    def show(self, line: Fragments) -> None:
        with self._lock:
            print(plain(line), file=self._out, flush=True)

    def pending(self, line: Fragments) -> int:  # noqa: ARG002 - a pipe shows only the echo
        return next(self._keys)

    def settle(self, key: int, line: Fragments) -> None:  # noqa: ARG002 - no line to replace
        self.show(line)

    def refused(self, key: int | None, line: Fragments, reason: str) -> None:  # noqa: ARG002
        with self._lock:
            self.refusals += 1
            print(f"chat-client: refused: {printable(reason)}", file=self._err, flush=True)

    def bell(self) -> None:
        pass

    def changed(self) -> None:
        pass


def run_piped(
    connection: ServerConnection,
    nick: str | None,
    lines: Iterable[str],
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    pacer: MessagePacer | None = None,
) -> int:
    """Send each input line (commands work); print what arrives. Returns the exit status."""
    display = PipeDisplay(out, err)
    session = ChatSession(connection, display, pacer, history_marker=HISTORY_MARKER)
    try:
        return _chat(session, display, nick, lines, err)
    finally:
        # The sender thread stops and the socket closes on every path; a line read but
        # never sent (the server went away first) is named, as a person would be told.
        for line in session.close():
            print(f"chat-client: not sent: {printable(line)}", file=err)


def _chat(
    session: ChatSession, display: PipeDisplay, nick: str | None, lines: Iterable[str], err: TextIO
) -> int:
    feed = iter(lines)
    if nick is None:  # as when typed: the first line is the nickname; a blank one, random
        nick = next(feed, "").rstrip("\r\n").strip() or None
    try:
        answer = session.register(nick)
    except ConnectionLost as error:
        print(f"chat-client: {error}", file=err)
        return EXIT_LOST
    if isinstance(answer, ErrorFrame):
        print(f"chat-client: {printable(answer.message)} ({answer.code})", file=err)
        return EXIT_LOST
    for welcome in welcome_lines(answer):
        display.show(welcome)
    session.online_again(resumed=False)
    reader = threading.Thread(target=session.read_until_closed, name="reader", daemon=True)
    reader.start()
    quit_sent = False
    for line in feed:
        if session.ended.is_set():
            break
        if not session.submit(line.rstrip("\r\n")):
            quit_sent = True
            break
    else:
        if session.caught_up(_CATCH_UP_SECONDS):
            quit_sent = not session.submit("/quit")
    if quit_sent:
        session.left.wait(_CATCH_UP_SECONDS)
    if not quit_sent or not session.left.is_set():
        reader.join(timeout=1.0)
        print(f"chat-client: {_why_gone(session)}", file=err)
        return EXIT_LOST
    reader.join(timeout=2.0)  # the server closes after a quit; let its last frames print
    return EXIT_REFUSED if display.refusals else 0


def _why_gone(session: ChatSession) -> str:
    if session.shutdown_reason is not None:
        return f"the server closed: {printable(session.shutdown_reason)}"
    return "the connection to the server was lost"
