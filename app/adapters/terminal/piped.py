"""The client when standard input is not a terminal: lines in, plain lines out. For scripts."""

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
    output_lock = threading.Lock()

    def show(fragments: Fragments) -> None:
        with output_lock:
            print(plain(fragments), file=out, flush=True)

    session = ChatSession(connection, show, pacer, history_marker=HISTORY_MARKER)
    feed = iter(lines)
    if nick is None:  # as when typed: the first line is the nickname; a blank one, random
        nick = next(feed, "").rstrip("\r\n").strip() or None
    try:
        answer = session.register(nick)
    except ConnectionLost as error:
        print(f"chat-client: {error}", file=err)
        return 1
    if isinstance(answer, ErrorFrame):
        print(f"chat-client: {printable(answer.message)} ({answer.code})", file=err)
        return 1
    show(welcome_lines(answer))
    reader = threading.Thread(target=session.read_until_closed, name="reader", daemon=True)
    reader.start()
    quit_sent = False
    try:
        for line in feed:
            if session.ended.is_set():
                break
            if not session.submit(line.rstrip("\r\n")):
                quit_sent = True
                break
        else:
            if session.caught_up(_CATCH_UP_SECONDS):
                quit_sent = not session.submit("/quit")
    except ConnectionLost:
        pass  # said below
    if not quit_sent:
        reader.join(timeout=1.0)
        print(f"chat-client: {_why_gone(session)}", file=err)
        return 1
    reader.join(timeout=2.0)  # the server closes after a quit; let its last frames print
    connection.close()
    return 0


def _why_gone(session: ChatSession) -> str:
    if session.shutdown_reason is not None:
        return f"the server closed: {printable(session.shutdown_reason)}"
    return "the connection to the server was lost"
