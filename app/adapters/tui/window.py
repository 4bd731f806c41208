"""The client's full-screen window: messages, nick list, status bar, and an input line that
nothing else writes to. An adapter over the chat logic in app/adapters/terminal/."""

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import ClassVar, Final

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.widgets import Label, Static

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.tcp.wire import ErrorFrame
from app.adapters.terminal.completion import TabCompleter
from app.adapters.terminal.paste import ASK_ABOVE, pasted_lines
from app.adapters.terminal.reconnect import backoff_delays, keep_connected
from app.adapters.terminal.render import error, notice, printable, welcome_lines
from app.adapters.terminal.session import ChatSession
from app.adapters.terminal.session import utc_now as _utc_now
from app.adapters.terminal.state import InputHistory
from app.adapters.terminal.status import Status, status_line
from app.adapters.tui.confirm import ConfirmPaste
from app.adapters.tui.display import Bell, Replace, Show, StatusChanged, WindowDisplay
from app.adapters.tui.input_line import ChatInput
from app.adapters.tui.message_pane import MessagePane
from app.adapters.tui.nick_list import NickList
from app.adapters.tui.styles import chat_styles

NARROW: Final = 70
# How long a /quit waits for the lines before it to go out (they are paced).
_LEAVING_SECONDS: Final = 5.0
EXIT_OK: Final = 0


class ChatWindow(App[int]):
    ENABLE_COMMAND_PALETTE = False
    TITLE = "chatroom"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "leave_now", "quit", show=False, priority=True),
        Binding("ctrl+q", "leave_now", "quit", show=False, priority=True),
        Binding("pageup", "page_up", show=False, priority=True),
        Binding("pagedown", "page_down", show=False, priority=True),
        Binding("f2", "toggle_nicks", show=False, priority=True),
        Binding("f5", "reconnect", show=False, priority=True),
    ]
    # Below 70 columns the nick list is hidden, whatever F2 says: the messages need them.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]  # noqa: RUF012 - as Textual declares it
    CSS = """
    Screen.-narrow NickList { display: none; }
    NickList.-hidden { display: none; }
    Screen { layout: vertical; }
    #main { height: 1fr; }
    #status { height: 1; background: $panel; color: $text; padding: 0 1; }
    #input-row { height: 1; }
    #prompt { width: auto; padding: 0 0 0 1; color: $text-muted; }
    """

    def __init__(
        self,
        connection: ServerConnection,
        open_connection: Callable[[], ServerConnection],
        *,
        server: str,
        nick: str | None,
        history: InputHistory,
        color: bool = True,
        now: Callable[[], datetime] | None = None,
        delays: Callable[[], Iterator[float]] = backoff_delays,
    ) -> None:
        super().__init__()
        self._lines_out = WindowDisplay()
        self._open_connection = open_connection
        self._server = server
        self._wanted = nick
        self._history = history
        self._styles = chat_styles(color=color)
        self._delays = delays
        self._completer = TabCompleter()
        self._stop = threading.Event()
        self._asking_nick = nick is None
        self._leaving = False
        self._finished = False
        self._now = now or _utc_now
        self.session = ChatSession(connection, self._lines_out, now=self._now)
        self.unsent: list[str] = []

    # -- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield MessagePane(self._styles)
            yield NickList(self._styles)
        yield Static(id="status", markup=False)
        with Horizontal(id="input-row"):
            yield Label(id="prompt", markup=False)
            yield ChatInput(self)

    def on_mount(self) -> None:
        loop = self._loop
        assert loop is not None

        def wake() -> None:
            # The reader may still hear from the server as the window closes: drop that.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._apply_changes)

        self._lines_out.attach(wake)
        self.set_interval(0.5, self._refresh_status)  # the reconnect countdown ticks
        self.query_one(ChatInput).focus()
        if self._asking_nick:
            self._note("* choose a nickname and press Enter (Enter alone: a random one)")
        else:
            self._start(self._wanted)
        self._refresh_status()

    def on_unmount(self) -> None:
        """However the window closes, the reader stops reconnecting."""
        self._stop.set()

    def on_message_pane_unseen(self) -> None:
        self._refresh_status()

    # -- keys ------------------------------------------------------------------------

    def action_page_up(self) -> None:
        self.query_one(MessagePane).page_up()

    def action_page_down(self) -> None:
        self.query_one(MessagePane).page_down()

    def action_toggle_nicks(self) -> None:
        self.query_one(NickList).toggle_class("-hidden")

    def action_reconnect(self) -> None:
        self.session.submit("/reconnect")  # not typed: kept out of the input history

    def action_leave_now(self) -> None:
        self.leave_now()

    # -- what the input line hands over (LineOwner) ----------------------------------

    def take_line(self, line: str) -> None:
        if self._leaving:
            return
        if self._asking_nick:
            self._asking_nick = False
            self._start(line.strip() or None, fresh=True)
            return
        self._history.add(line)
        if line.strip() and not line.startswith("/"):
            self.query_one(MessagePane).follow()  # what you say, you see
        if not self.session.submit(line):
            self._leave()

    def take_paste(self, before: str, pasted: str, after: str) -> bool:
        lines = pasted_lines(before, pasted, after)
        if len(lines) <= ASK_ABOVE or self._asking_nick:
            for line in lines:
                self.take_line(line)
            return True
        target = self.session.partner or "everyone"

        def answered(send: bool | None) -> None:
            if send:
                self.query_one(ChatInput).value = ""
                for line in lines:
                    self.take_line(line)
            else:
                self._note(f"* the paste of {len(lines)} lines was not sent")

        self.push_screen(ConfirmPaste(lines, target), answered)
        return False

    def complete(self, text: str, cursor: int) -> tuple[str, int] | None:
        return self._completer.complete(text, cursor, self.session.online, self.session.nick)

    def stop_completing(self) -> None:
        self._completer.reset()

    def recall_older(self, current: str) -> str | None:
        return self._history.older(current)

    def recall_newer(self) -> str | None:
        return self._history.newer()

    def leave_now(self) -> None:
        """Ctrl-C, Ctrl-Q, Ctrl-D on an empty line: quit at once."""
        if self._finished:
            return
        self._stop.set()
        self.session.leave_now()
        self._finish()

    # -- inside ----------------------------------------------------------------------

    def _note(self, text: str) -> None:
        self._lines_out.show(notice(text, self._now()))

    def _start(self, wanted: str | None, *, fresh: bool = False) -> None:
        threading.Thread(
            target=self._run_session, args=(wanted, fresh), name="reader", daemon=True
        ).start()

    def _run_session(self, wanted: str | None, fresh: bool) -> None:
        """The reader thread: register, then read and reconnect until the user leaves.
        `fresh`: a new connection first, as the server hangs up on a connection that says
        no hello for a while, which choosing a nickname may have taken."""
        session = self.session
        try:
            if fresh:
                session.connection.close()
                session.connection = self._open_connection()
            if self._stop.is_set():
                return  # the user left while the connection was being opened
            answer = session.register(wanted)
        except ConnectionLost as lost:
            # Not in yet, so nothing to resume: say why, and let Enter try again.
            again = "press Enter to try again (or Ctrl-C to quit)"
            self._lines_out.show(error(f"! {printable(str(lost))}; {again}", self._now()))
            self._asking_nick = True
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                self.call_from_thread(self._offer, wanted or "")
            return
        if isinstance(answer, ErrorFrame):
            # Only a refused nick asks for another; anything else, the same one again.
            then = (
                "choose another (Enter alone: a random one)"
                if answer.code in ("invalid_nick", "nick_taken")
                else "press Enter to try again"
            )
            reason = f"{printable(answer.message)}; {then}"
            self._lines_out.show(error(f"! {reason}", answer.ts))
            self._asking_nick = True
            if answer.code not in ("invalid_nick", "nick_taken"):
                with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                    self.call_from_thread(self._offer, wanted or "")
            return
        for line in welcome_lines(answer):
            self._lines_out.show(line)
        self._note("* /help lists the commands; Tab completes them and nicknames")
        session.online_again(resumed=False)
        keep_connected(session, self._open_connection, self._stop, self._delays)

    def _offer(self, nick: str) -> None:
        """Put the nickname back in the input line, to be sent again with Enter."""
        field = self.query_one(ChatInput)
        if not field.value:
            field.value = nick
            field.cursor_position = len(nick)

    def _leave(self) -> None:
        """After /quit: let what was typed before it go out (a while at most), then close."""
        self._leaving = True
        self._refresh_status()

        def wait_then_close() -> None:
            self.session.left.wait(_LEAVING_SECONDS)
            self._stop.set()
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                self.call_from_thread(self._finish)

        threading.Thread(target=wait_then_close, name="leaving", daemon=True).start()

    def _finish(self) -> None:
        if self._finished:  # Ctrl-C while a /quit waits: the first call said what was unsent
            return
        self._finished = True
        self._stop.set()
        self.unsent = self.session.close()
        self.exit(EXIT_OK)

    def _apply_changes(self) -> None:
        try:
            pane = self.query_one(MessagePane)
        except NoMatches:
            return  # the window is closing
        status = False
        for change in self._lines_out.take():
            match change:
                case Show(key=key, line=line):
                    pane.add(key, line)
                case Replace(key=key, line=line):
                    pane.replace(key, line)
                case Bell():
                    self.bell()
                case StatusChanged():
                    status = True
        if status:
            self._refresh_status()

    def _refresh_status(self) -> None:
        session = self.session
        pane = self.query_one(MessagePane)
        connection = "leaving" if self._leaving else session.connection_state(time.monotonic())
        if self._asking_nick:
            connection = "choosing a nickname"
        status = Status(
            server=self._server,
            nick=session.nick,
            online=len(session.online) if session.connected else None,
            connection=connection,
            partner=session.partner,
            unseen=pane.unseen,
            waiting=session.waiting(),
        )
        self._update("#status", status_line(status, max(10, self.size.width - 2)))
        self._update("#prompt", self._prompt())
        self.query_one(NickList).show_nicks(
            session.online, session.nick, connected=session.connected
        )

    def _update(self, selector: str, text: str) -> None:
        """Redraw only what changed: the status is refreshed twice a second."""
        widget = self.query_one(selector, Static)
        if str(widget.content) != text:
            widget.update(text)

    def _prompt(self) -> str:
        session = self.session
        if self._asking_nick or not session.nick:
            return "nickname> "
        if session.partner is not None:
            return f"{printable(session.nick)} -> {printable(session.partner)}> "
        return f"{printable(session.nick)}> "
