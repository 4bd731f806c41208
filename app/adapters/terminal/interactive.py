"""The client on a terminal: messages scroll above an input line that they never garble."""

import threading

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.application import Application
from prompt_toolkit.patch_stdout import patch_stdout

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.tcp.wire import ErrorFrame, WelcomeFrame
from app.adapters.terminal.render import printable, welcome_line
from app.adapters.terminal.session import ChatSession


class _ServerGone(Exception):
    """Raised inside the prompt to end it when the reader sees the connection close."""


def run_interactive(connection: ServerConnection, nick: str | None) -> int:
    """Chat until /quit, Ctrl-D or Ctrl-C (status 0) or until the server goes (status 1)."""
    prompt: PromptSession[str] = PromptSession()
    with patch_stdout(raw=True):
        session = ChatSession(connection, _show)
        try:
            welcome = _register(session, prompt, nick)
        except (EOFError, KeyboardInterrupt):
            connection.close()
            return 0
        except ConnectionLost as error:
            _show(f"chat-client: {error}")
            return 1
        _show(welcome_line(welcome))
        _show("type /help for the commands")
        reader = threading.Thread(
            target=_read_then_end_prompt, args=(session, prompt.app), daemon=True
        )
        reader.start()
        return _chat(session, prompt)


def _show(text: str) -> None:
    print_formatted_text(text)


def _register(session: ChatSession, prompt: PromptSession[str], nick: str | None) -> WelcomeFrame:
    wanted = nick if nick is not None else _ask_nick(prompt)
    while True:
        answer = session.register(wanted)
        if isinstance(answer, WelcomeFrame):
            return answer
        assert isinstance(answer, ErrorFrame)
        _show(f"! {printable(answer.message)}")
        wanted = _ask_nick(prompt)


def _ask_nick(prompt: PromptSession[str]) -> str | None:
    typed = prompt.prompt("Choose a nickname (Enter for a random one): ").strip()
    return typed or None


def _chat(session: ChatSession, prompt: PromptSession[str]) -> int:
    while not session.ended.is_set():
        try:
            line = prompt.prompt(lambda: _prompt_text(session))
        except (EOFError, KeyboardInterrupt):
            line = "/quit"
        except _ServerGone:
            break
        try:
            if not session.submit(line):
                session.connection.close()
                return 0
        except ConnectionLost:
            break
    reason = session.shutdown_reason
    gone = f"the server closed: {printable(reason)}" if reason else "connection to server lost"
    _show(f"chat-client: {gone}")
    return 1


def _prompt_text(session: ChatSession) -> str:
    if session.partner is not None:
        return f"{session.nick} -> {session.partner}> "
    return f"{session.nick}> "


def _read_then_end_prompt(session: ChatSession, app: Application[str]) -> None:
    session.read_until_closed()
    loop = app.loop
    if app.is_running and loop is not None:
        loop.call_soon_threadsafe(lambda: app.exit(exception=_ServerGone()))
