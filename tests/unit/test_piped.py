"""The client in a pipe: its exit status and what goes to stdout and stderr."""

import io
import itertools
import threading
from collections import deque
from collections.abc import Iterator

from app.adapters.tcp.wire import (
    AskUsers,
    ClientFrame,
    ErrorFrame,
    Hello,
    Ping,
    PongFrame,
    PrivateFrame,
    PublicFrame,
    Quit,
    SendPrivate,
    SendPublic,
    ServerFrame,
    UsersFrame,
    WelcomeFrame,
)
from app.adapters.terminal.piped import EXIT_LOST, EXIT_REFUSED, PipeDisplay, run_piped
from app.adapters.terminal.render import pending, refused
from tests.fakes import T0
from tests.unit.client_fakes import AT, WAIT_SECONDS, unhurried_pacer


class PretendServer:
    """A connection to a server that answers as the real one would: a welcome to the hello,
    an echo to each message (an error for a private one to a nick not online), a pong to a
    ping; it closes after the quit, or right after the welcome if `leaves_early`."""

    def __init__(self, online: tuple[str, ...] = ("bob",), *, leaves_early: bool = False) -> None:
        self._changed = threading.Condition()
        self._answers: deque[ServerFrame] = deque()
        self._ids = itertools.count(1)
        self._online = list(online)
        self._nick = ""
        self._closed = False
        self._leaves_early = leaves_early
        self.received: list[ClientFrame] = []

    def send(self, frame: ClientFrame) -> None:
        with self._changed:
            self.received.append(frame)
            answer = None if self._closed else self._answer(frame)
            if answer is not None:
                self._answers.append(answer)
            self._closed |= self._leaves_early
            self._changed.notify_all()

    def read_frame(self, timeout: float | None = WAIT_SECONDS) -> ServerFrame | None:
        with self._changed:
            self._changed.wait_for(lambda: self._answers or self._closed, timeout)
            return self._answers.popleft() if self._answers else None

    def frames(self) -> Iterator[ServerFrame]:
        while (frame := self.read_frame()) is not None:
            yield frame

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _answer(self, frame: ClientFrame) -> ServerFrame | None:
        match frame:
            case Hello(nick=nick):
                self._nick = nick or "Zed"
                self._online.append(self._nick)
                return WelcomeFrame(
                    nick=self._nick, requested=nick, renamed=False, users=self._online, ts=T0
                )
            case SendPublic(text=text):
                return PublicFrame(id=next(self._ids), sender=self._nick, text=text, ts=T0)
            case SendPrivate(to=to, text=text) if to in self._online:
                return PrivateFrame(id=next(self._ids), sender=self._nick, to=to, text=text, ts=T0)
            case SendPrivate(to=to):
                message = f"nobody called {to} is online"
                return ErrorFrame(code="no_such_user", message=message, ts=T0)
            case AskUsers():
                return UsersFrame(users=self._online, ts=T0)
            case Ping(token=token):
                return PongFrame(token=token, ts=T0)
            case Quit():
                self._closed = True
                return None
            case _:
                raise AssertionError(f"not expected from a pipe: {frame}")


def run(server: PretendServer, lines: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_piped(server, "alice", lines, out=out, err=err, pacer=unhurried_pacer())  # type: ignore[arg-type]
    return status, out.getvalue(), err.getvalue()


def test_every_line_through_is_exit_status_0_with_the_echoes_on_stdout() -> None:
    server = PretendServer()
    status, out, err = run(server, ["hello", "/msg bob psst"])
    assert status == 0
    assert err == ""
    assert out.splitlines() == [
        f"{AT} * welcome, alice!",
        f"{AT} * online (2): bob, alice",
        f"{AT} <alice> hello",
        f"{AT} [pm to bob] psst",
    ]
    assert server.received[-1] == Quit()


def test_refused_lines_make_the_exit_status_3_with_each_reason_on_stderr() -> None:
    server = PretendServer()
    status, out, err = run(server, ["first", "/bogus", "/msg nobody hello", "last"])
    assert status == EXIT_REFUSED == 3
    assert err.splitlines() == [
        "chat-client: refused: unknown command /bogus; /help lists the commands",
        "chat-client: refused: nobody called nobody is online (no_such_user)",
    ]
    assert out.splitlines()[2:] == [f"{AT} <alice> first", f"{AT} <alice> last"]
    assert "refused" not in out  # stdout stays the conversation


def test_a_server_that_goes_away_is_exit_status_1() -> None:
    status, out, err = run(PretendServer(leaves_early=True), ["hello", "again"])
    assert status == EXIT_LOST == 1
    assert out.splitlines() == [f"{AT} * welcome, alice!", f"{AT} * online (2): bob, alice"]
    assert err == "chat-client: the connection to the server was lost\n"


def test_a_pipe_prints_a_message_once_confirmed_never_while_pending() -> None:
    out, err = io.StringIO(), io.StringIO()
    display = PipeDisplay(out, err)
    first = display.pending(pending("alice", None, "hello", T0))
    second = display.pending(pending("alice", None, "again", T0))
    assert first != second
    assert out.getvalue() == ""
    display.settle(first, pending("alice", None, "hello", T0))
    assert out.getvalue() == f"{AT} <alice> hello\n"
    display.refused(second, refused("alice", None, "again", T0, "slow down"), "slow down")
    assert err.getvalue() == "chat-client: refused: slow down\n"
    assert display.refusals == 1
