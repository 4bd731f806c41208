"""The client on a terminal: messages scroll above an input line that they never garble."""

import sys
import threading
from collections.abc import Callable

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.application import Application
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.styles import Style

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.tcp.wire import ErrorFrame, WelcomeFrame
from app.adapters.terminal.completion import ChatCompleter
from app.adapters.terminal.reconnect import reconnect
from app.adapters.terminal.render import (
    NICK_COLOURS,
    Fragments,
    notice,
    plain,
    printable,
    welcome_lines,
)
from app.adapters.terminal.session import ChatSession
from app.adapters.terminal.state import history_file

# Twelve nick colours that read on dark and light backgrounds alike.
_NICK_PALETTE = [
    "ansired",
    "ansigreen",
    "ansiyellow",
    "ansiblue",
    "ansimagenta",
    "ansicyan",
    "ansibrightred",
    "ansibrightgreen",
    "ansibrightyellow",
    "ansibrightblue",
    "ansibrightmagenta",
    "ansibrightcyan",
]
CHAT_STYLE = Style.from_dict(
    {
        "time": "ansibrightblack",
        "self": "bold",
        "notice": "ansibrightblack",
        "action": "italic",
        "private": "ansimagenta",
        "mention": "reverse bold",
        "warning": "ansiyellow",
        "history": "ansibrightblack",
        "divider": "ansibrightblack bold",
        "error": "ansired bold",
        **{f"nick{index}": _NICK_PALETTE[index] for index in range(NICK_COLOURS)},
    }
)


class Screen:
    """Prints lines above the input line, in colour unless told not to."""

    def __init__(self, color: bool) -> None:
        self._color = color

    def show(self, fragments: Fragments) -> None:
        if self._color:
            print_formatted_text(FormattedText(fragments), style=CHAT_STYLE)
        else:
            print_formatted_text(plain(fragments))


def _history() -> History:
    path = history_file()
    return FileHistory(str(path)) if path is not None else InMemoryHistory()


def run_interactive(
    open_connection: Callable[[], ServerConnection], nick: str | None, *, color: bool
) -> int:
    """Chat until /quit, Ctrl-D or Ctrl-C (status 0). A lost connection is reconnected; a
    server that cannot be reached at start is a message and status 1."""
    try:
        connection = open_connection()
    except ConnectionLost as error:
        print(f"chat-client: {error}", file=sys.stderr)
        return 1
    screen = Screen(color)
    _show = screen.show
    holder: list[ChatSession] = []
    prompt: PromptSession[str] = PromptSession(
        history=_history(),
        completer=ChatCompleter(lambda: holder[0].online if holder else ()),
        complete_while_typing=False,
    )
    with patch_stdout(raw=True):
        session_show = _show_with_bell(_show, prompt)
        session = ChatSession(connection, session_show)
        holder.append(session)
        try:
            welcome = _register(session, prompt, nick, _show)
        except (EOFError, KeyboardInterrupt):
            connection.close()
            return 0
        except ConnectionLost as error:
            _show(notice(f"chat-client: {error}"))
            return 1
        _show(welcome_lines(welcome))
        _show(notice("type /help for the commands; Tab completes commands and nicknames"))
        stop = threading.Event()
        reader = threading.Thread(
            target=_keep_connected,
            args=(session, open_connection, session_show, prompt.app, stop),
            daemon=True,
        )
        reader.start()
        try:
            return _chat(session, prompt, _show)
        finally:
            stop.set()


def _show_with_bell(
    show: Callable[[Fragments], None], prompt: PromptSession[str]
) -> Callable[[Fragments], None]:
    def show_and_ring(fragments: Fragments) -> None:
        show(fragments)
        if any(style == "class:mention" for style, _ in fragments):
            prompt.output.bell()  # someone said your name
            prompt.output.flush()

    return show_and_ring


def _register(
    session: ChatSession,
    prompt: PromptSession[str],
    nick: str | None,
    show: Callable[[Fragments], None],
) -> WelcomeFrame:
    wanted = nick if nick is not None else _ask_nick(prompt)
    while True:
        answer = session.register(wanted)
        if isinstance(answer, WelcomeFrame):
            return answer
        assert isinstance(answer, ErrorFrame)
        show([("class:error", f"! {printable(answer.message)}")])
        wanted = _ask_nick(prompt)


def _ask_nick(prompt: PromptSession[str]) -> str | None:
    typed = prompt.prompt("Choose a nickname (Enter for a random one): ").strip()
    return typed or None


def _chat(
    session: ChatSession, prompt: PromptSession[str], show: Callable[[Fragments], None]
) -> int:
    """Read lines until the user quits (/quit, Ctrl-D, Ctrl-C): status 0, whatever the
    connection is doing meanwhile; the reader thread keeps it up."""
    while True:
        try:
            line = prompt.prompt(lambda: _prompt_text(session))
        except (EOFError, KeyboardInterrupt):
            line = "/quit"
        if not session.submit(line):
            break
    for line in session.unsent():
        show([("class:error", f"! not sent: {printable(line)}")])
    session.connection.close()
    return 0


def _prompt_text(session: ChatSession) -> str:
    offline = "" if session.connected else "(reconnecting) "
    if session.partner is not None:
        return f"{offline}{session.nick} -> {session.partner}> "
    return f"{offline}{session.nick}> "


def _keep_connected(
    session: ChatSession,
    open_connection: Callable[[], ServerConnection],
    show: Callable[[Fragments], None],
    app: Application[str],
    stop: threading.Event,
) -> None:
    """The reader thread: shows what arrives; when the connection drops, reconnects."""
    while not stop.is_set():
        session.read_until_closed()
        if stop.is_set():
            return
        session.disconnected()
        session.connection.close()
        app.invalidate()  # the prompt now says (reconnecting)
        reason = session.shutdown_reason
        why = f"the server closed ({printable(reason)})" if reason else "connection lost"
        show([("class:warning", f"* {why}, reconnecting")])
        session.shutdown_reason = None
        if not reconnect(session, open_connection, show, stop):
            return
        app.invalidate()
