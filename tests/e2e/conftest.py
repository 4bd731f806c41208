import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pyte
import pytest

BIN = Path(sys.executable).parent
SERVER = str(BIN / "chat-server")
CLIENT = str(BIN / "chat-client")


class ServerProcess:
    """`chat-server` running in a pseudo-terminal, as a person would start it."""

    def __init__(self, log_dir: Path, port: int = 0, extra: tuple[str, ...] = ()) -> None:
        self.child = pexpect.spawn(
            SERVER,
            ["--port", str(port), "--log-dir", str(log_dir), "--stats-interval", "0.2", *extra],
            encoding="utf-8",
            timeout=10,
            dimensions=(40, 200),
            env={**os.environ, "NO_COLOR": "1"},
        )
        self.child.expect(r"server_listening\s.*port=(\d+)")
        self.port = int(self.child.match.group(1))
        self.child.expect("press_q_to_stop")

    def output_after(self, pattern: str) -> str:
        self.child.expect(pattern)
        return str(self.child.before) + str(self.child.after)


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path)
    yield process
    if process.child.isalive():
        process.child.terminate(force=True)


# For tests that read the server's console only as it starts. Nothing reads it afterwards,
# and a terminal nobody reads fills up: with a stats line every 0.2 s, in some 20 s, after
# which the server hangs on its next log line.
QUIET = ("--stats-interval", "3600")
StartServer = Callable[..., ServerProcess]


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[StartServer]:
    """Starts `chat-server`s, their logs in `tmp_path`, with no stats lines unless asked;
    ends those still running."""
    started: list[ServerProcess] = []

    def start(*extra: str, port: int = 0, stats: bool = False) -> ServerProcess:
        process = ServerProcess(tmp_path, port=port, extra=extra if stats else (*extra, *QUIET))
        started.append(process)
        return process

    yield start
    for process in started:
        if process.child.isalive():
            process.child.terminate(force=True)


@pytest.fixture
def quiet_server(servers: StartServer) -> ServerProcess:
    """`chat-server` with no stats lines, its logs in `tmp_path`."""
    return servers()


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", text)


# Keys as a terminal sends them.
ENTER = "\r"
TAB = "\t"
UP = "\x1b[A"
PAGE_UP = "\x1b[5~"
PAGE_DOWN = "\x1b[6~"
F5 = "\x1b[15~"
CTRL_C = "\x03"
CTRL_D = "\x04"
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
WAIT_SECONDS = 10.0
# Synchronized output (DEC mode 2026): Textual asks whether the terminal has it, and if so
# puts each frame between the two markers.
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_SUPPORTED = b"\x1b[?2026;2$y"  # known, and off until the application sets it
# The marker to look for: outside a frame its start, inside one its end.
FRAME_MARKERS = {False: b"\x1b[?2026h", True: b"\x1b[?2026l"}
NICK_LIST_EDGE = "\u258f"  # the line left of the nick list
# What a wait looks for: a text on any row of the screen, or a test of the terminal.
ScreenCheck = str | Callable[["TerminalClient"], bool]


class TerminalClient:
    """`chat-client` in a pseudo-terminal of a fixed size, everything it writes drawn on a
    pyte screen as a terminal would, so a test reads what a person would see.

    A thread reads the terminal all the time, as a real terminal does: a client whose output
    nobody reads would stall. The terminal says it can draw whole frames at once (DEC mode
    2026, which Textual asks about), so the screen a test reads is always a finished frame,
    never half of one. Every wait has a deadline and returns as soon as the screen shows what
    it waits for.
    """

    def __init__(
        self, port: int, state: Path, *args: str, columns: int = 100, rows: int = 30
    ) -> None:
        self._screen = pyte.Screen(columns, rows)
        self._stream = pyte.ByteStream(self._screen)
        self._output = bytearray()  # every byte the client wrote
        self._unread = bytearray()  # what the screen has yet to draw (a frame's marker cut)
        self._in_frame = False
        self._shown = [" " * columns] * rows  # the screen as of the last finished frame
        self._changed = threading.Condition()
        self._ended = False
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "TEXTUAL_ANIMATIONS": "none",
            "XDG_STATE_HOME": str(state),  # the input history is kept there
        }
        env.pop("NO_COLOR", None)
        self.child = pexpect.spawn(
            CLIENT, ["--port", str(port), *args], env=env, dimensions=(rows, columns)
        )
        self._reader = threading.Thread(target=self._read, name="terminal", daemon=True)
        self._reader.start()

    # -- what the test does --------------------------------------------------------------

    def type(self, text: str) -> None:
        """Keys as typed, all written at once (Enter is "\\r")."""
        self.child.send(text.encode())

    def press(self, *keys: str) -> None:
        for key in keys:
            self.child.send(key.encode())

    def paste(self, text: str) -> None:
        """A bracketed paste, as a terminal sends one."""
        self.child.send(f"{PASTE_START}{text}{PASTE_END}".encode())

    def suspend(self) -> None:
        """Stops the client as Ctrl-Z in a shell does, with SIGTSTP: Textual gives the
        terminal back, then stops. Returns once the process has stopped.

        Not SIGSTOP: Textual cannot see that one coming, and on the SIGCONT after it starts a
        second thread reading the terminal beside the first; the client then hangs on exit
        now and then, one of them blocked in a read."""
        os.kill(self.child.pid, signal.SIGTSTP)
        stopped = threading.Thread(
            target=os.waitpid, args=(self.child.pid, os.WUNTRACED), daemon=True
        )
        stopped.start()
        stopped.join(WAIT_SECONDS)
        if stopped.is_alive():
            pytest.fail(f"still running {WAIT_SECONDS} s after SIGTSTP")

    def resume(self) -> None:
        """Continues a suspended client; returns once it has the terminal again (it asks
        about synchronized output each time it takes it), so keys typed next are keys."""
        with self._changed:
            taken = self._output.count(SYNC_QUERY)
        os.kill(self.child.pid, signal.SIGCONT)
        with self._changed:
            if not self._changed.wait_for(
                lambda: self._output.count(SYNC_QUERY) > taken, WAIT_SECONDS
            ):
                pytest.fail(f"no window {WAIT_SECONDS} s after SIGCONT\n{self.screen_text()}")

    # -- what the test sees --------------------------------------------------------------

    def lines(self) -> list[str]:
        """The screen, one string per row, trailing blanks removed."""
        with self._changed:
            return [row.rstrip() for row in self._shown]

    def screen_text(self) -> str:
        return "\n".join(self.lines())

    def messages(self) -> list[str]:
        """The message pane's rows, without its scroll bar (its last column, always there)
        or the nick list beside it."""
        with self._changed:
            rows = self._shown[:-2]
        return [row.split(NICK_LIST_EDGE)[0][:-1].rstrip() for row in rows]

    def nick_list(self) -> list[str]:
        """The rows of the nick list, on the right, blank ones left out."""
        rows = [row.partition(NICK_LIST_EDGE)[2].strip() for row in self.lines()[:-2]]
        return [row for row in rows if row]

    def status_bar(self) -> str:
        return self.lines()[-2].strip()

    def input_line(self) -> str:
        return self.lines()[-1].strip()

    def output(self) -> bytes:
        """Every byte the client wrote to its terminal so far."""
        with self._changed:
            return bytes(self._output)

    def wait_for(self, check: ScreenCheck, timeout: float = WAIT_SECONDS) -> None:
        """Waits until the screen shows `check`: a text on any row, or a test of this
        terminal. Fails with the screen as it is after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._shows(check):
                left = deadline - time.monotonic()
                if left <= 0 or self._ended:
                    state = "the client has exited" if self._ended else f"after {timeout} s"
                    pytest.fail(f"not on the screen, {state}: {check!r}\n{self.screen_text()}")
                self._changed.wait(left)

    def wait_for_exit(self, timeout: float = WAIT_SECONDS) -> int | None:
        """The exit status, once the client has closed its terminal (None: killed)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._ended, timeout):
                pytest.fail(f"still running after {timeout} s\n{self.screen_text()}")
        self.child.wait()  # the terminal is closed: the process has ended, or is about to
        status: int | None = self.child.exitstatus
        return status

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self._reader.join(timeout=WAIT_SECONDS)
        self.child.close()

    # -- inside --------------------------------------------------------------------------

    def _shows(self, check: ScreenCheck) -> bool:
        if isinstance(check, str):
            return any(check in line for line in self.lines())
        return check(self)

    def _read(self) -> None:
        while True:
            try:
                data = self.child.read_nonblocking(65_536, timeout=1)
            except pexpect.TIMEOUT:
                continue
            except (pexpect.EOF, OSError, ValueError):
                break
            with self._changed:
                start = max(0, len(self._output) - len(SYNC_QUERY) + 1)
                self._output += data
                asked = SYNC_QUERY in self._output[start:]  # perhaps cut in two by a read
                self._draw(data)
                self._changed.notify_all()
            if asked:
                self.child.send(SYNC_SUPPORTED)
        with self._changed:
            self._stream.feed(bytes(self._unread))
            self._shown = list(self._screen.display)
            self._ended = True
            self._changed.notify_all()

    def _draw(self, data: bytes) -> None:
        """Draws `data`; the screen shown changes only outside a frame."""
        self._unread += data
        while (at := self._unread.find(marker := FRAME_MARKERS[self._in_frame])) != -1:
            cut = at + len(marker)
            self._stream.feed(bytes(self._unread[:cut]))
            del self._unread[:cut]
            if self._in_frame:  # a frame ended: show it
                self._shown = list(self._screen.display)
            self._in_frame = not self._in_frame
        # Keep back what may be the start of a marker cut in two; draw the rest.
        drawn = len(self._unread) - _cut_marker(self._unread, FRAME_MARKERS[self._in_frame])
        self._stream.feed(bytes(self._unread[:drawn]))
        del self._unread[:drawn]
        if not self._in_frame:
            self._shown = list(self._screen.display)


def _cut_marker(data: bytearray, marker: bytes) -> int:
    """How many bytes at the end of `data` may be the start of `marker`."""
    return next((size for size in range(len(marker) - 1, 0, -1) if data.endswith(marker[:size])), 0)


StartTerminal = Callable[..., TerminalClient]


@pytest.fixture
def terminals(tmp_path: Path) -> Iterator[StartTerminal]:
    """Starts `chat-client`s in terminals of their own; ends those still running."""
    started: list[TerminalClient] = []

    def start(port: int, *args: str, columns: int = 100, rows: int = 30) -> TerminalClient:
        client = TerminalClient(port, tmp_path, *args, columns=columns, rows=rows)
        started.append(client)
        return client

    yield start
    for client in started:
        client.close()
