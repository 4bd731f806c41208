"""The client's non-terminal mode against the real server, over real sockets."""

import io
from collections.abc import Callable

from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.tcp.client import ServerConnection
from app.adapters.tcp.server import ChatServer
from app.adapters.terminal.piped import HISTORY_MARKER, run_piped
from app.services.membership import RoomSettings
from tests.wire_client import WireClient


def run_client(server: ChatServer, nick: str | None, lines: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    connection = ServerConnection.open(*server.address)
    status = run_piped(connection, nick, [line + "\n" for line in lines], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_each_line_is_sent_and_the_echo_of_the_last_arrives_before_it_quits(
    server: ChatServer, log: InMemoryRoomStore
) -> None:
    status, out, _ = run_client(server, "alice", ["hello", "/users", "last words"])
    assert status == 0
    assert [m.text for m in log.public] == ["hello", "last words"]
    assert out.rstrip().endswith("<alice> last words")
    assert "* online (1): alice" in out


def test_the_first_line_is_the_nickname_when_none_is_given(server: ChatServer) -> None:
    status, out, _ = run_client(server, None, ["carol", "hi"])
    assert status == 0
    assert "welcome, carol!" in out


def test_commands_work_from_a_pipe(server: ChatServer, log: InMemoryRoomStore) -> None:
    bob = WireClient(server.address)
    bob.hello("bob")
    status, out, _ = run_client(
        server, "alice", ["/msg bob psst", "/pm bob", "in private", "/exit", "/nick ally"]
    )
    assert status == 0
    assert [(m.recipient, m.text) for m in log.private] == [("bob", "psst"), ("bob", "in private")]
    assert "[pm to bob] in private" in out
    assert "you are now known as ally" in out
    bob.close()


def test_refused_lines_make_the_exit_status_3_with_each_reason_on_stderr(
    server: ChatServer, log: InMemoryRoomStore
) -> None:
    lines = ["first", "/bogus", "/msg nobody hello", "/nick " + "x" * 40, "last"]
    status, out, err = run_client(server, "alice", lines)
    assert status == 3
    assert [m.text for m in log.public] == ["first", "last"]  # the rest still went through
    reasons = err.strip().splitlines()
    assert len(reasons) == 3
    assert "unknown command /bogus" in reasons[0]
    assert "nobody called nobody is online" in reasons[1]
    assert "invalid_nick" in reasons[2]
    assert "refused" not in out  # stdout stays the conversation
    assert out.rstrip().endswith("<alice> last")


def test_a_taken_nick_is_reported_as_a_random_one(server: ChatServer) -> None:
    bob = WireClient(server.address)
    bob.hello("bob")
    status, out, _ = run_client(server, "BOB", ["hi"])
    assert status == 0
    assert "BOB was taken" in out
    bob.close()


def test_an_invalid_nick_is_a_clear_error_and_status_1(server: ChatServer) -> None:
    status, _, err = run_client(server, "no spaces", ["hi"])
    assert status == 1
    assert "letters" in err
    assert "Traceback" not in err


def test_a_server_that_goes_away_is_a_clear_message_and_status_1(
    start_server: Callable[..., ChatServer],
) -> None:
    server = start_server()
    out, err = io.StringIO(), io.StringIO()
    connection = ServerConnection.open(*server.address)

    def lines() -> object:
        yield "first\n"
        server.stop()
        yield "second\n"
        yield "third\n"

    status = run_piped(connection, "alice", lines(), out=out, err=err)  # type: ignore[arg-type]
    assert status == 1
    assert "the server closed: server closing" in err.getvalue()


def test_a_pipe_marks_history_lines_so_a_script_can_tell_them_from_live_ones(
    start_server: Callable[..., ChatServer],
) -> None:
    server = start_server(settings=RoomSettings(backlog=2))
    bob = WireClient(server.address)
    bob.hello("bob")
    for text in ("one", "two", "three"):
        bob.send({"type": "public", "text": text})
    bob.drain()

    status, out, _ = run_client(server, "alice", ["/history 5", "live line"])

    assert status == 0
    lines = out.splitlines()
    marked = [line for line in lines if line.startswith(HISTORY_MARKER)]
    assert [line.rsplit("> ", 1)[1] for line in marked] == ["two", "three", "one"]
    assert any(line.endswith("<alice> live line") and "history" not in line for line in lines)
    assert not any(line.startswith("--") for line in lines)  # no dividers in a pipe
    bob.close()


def test_each_history_command_pages_further_back_than_the_one_before(
    start_server: Callable[..., ChatServer],
) -> None:
    server = start_server()  # no backlog: the first /history starts from the newest
    bob = WireClient(server.address)
    bob.hello("bob")
    for number in range(1, 6):
        bob.send({"type": "public", "text": f"m{number}"})
    bob.drain()

    status, out, _ = run_client(server, "alice", ["/history 2", "/history 2", "/history 2"])

    assert status == 0
    marked = [line for line in out.splitlines() if line.startswith(HISTORY_MARKER)]
    assert [line.rsplit("> ", 1)[1] for line in marked] == ["m4", "m5", "m2", "m3", "m1"]
    bob.close()


def test_lines_still_waiting_when_the_server_goes_away_are_named_on_stderr(
    start_server: Callable[..., ChatServer],
) -> None:
    server = start_server()
    out, err = io.StringIO(), io.StringIO()
    connection = ServerConnection.open(*server.address)
    sent = [f"line {number}" for number in range(1, 21)]

    def lines() -> object:
        yield from (f"{line}\n" for line in sent)  # read at once; the pacer sends 5, then 4/s
        server.stop()

    status = run_piped(connection, "alice", lines(), out=out, err=err)  # type: ignore[arg-type]
    assert status == 1
    named = [line.removeprefix("chat-client: not sent: ") for line in err.getvalue().splitlines()]
    unsent = [line for line in named if line.startswith("line ")]
    assert unsent  # the server went away with lines still waiting
    assert unsent == sent[-len(unsent) :]  # the last ones, in order, each named once
