"""The real `chat-client` entry point, from a pipe and in a pseudo-terminal."""

import io
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pexpect

from tests.e2e.conftest import CLIENT, ServerProcess, strip_ansi
from tests.integration.test_rogue_server import serve_rogue
from tests.wire_client import WireClient


def spawn_client(port: int, state: Path, *args: str, color: bool = False) -> pexpect.spawn:
    """chat-client in a pseudo-terminal of its own, history kept under `state`."""
    env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "XDG_STATE_HOME": str(state)}
    if not color:
        env["NO_COLOR"] = "1"  # plain lines, so the expectations can match them whole
    # pexpect answers no cursor-position queries, hence PROMPT_TOOLKIT_NO_CPR.
    return pexpect.spawn(
        CLIENT,
        ["--port", str(port), *args],
        encoding="utf-8",
        timeout=15,
        dimensions=(24, 100),
        env=env,
    )


def test_a_piped_client_sends_its_lines_and_quits_after_the_last_echo(
    server_process: ServerProcess, tmp_path: Path
) -> None:
    listener = WireClient(("127.0.0.1", server_process.port))
    listener.hello("bob")
    result = subprocess.run(
        [CLIENT, "--port", str(server_process.port)],
        input="alice\nhello bob\n/msg bob psst\nbye all\n",
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("<alice> bye all")
    assert "[pm to bob] psst" in result.stdout
    frames = [listener.recv() for _ in range(5)]
    assert [frame["type"] for frame in frames] == ["join", "public", "private", "public", "leave"]
    assert (tmp_path / "messages.txt").read_text().count("alice: ") == 2


def test_a_client_with_no_server_says_so_and_exits_1() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    result = subprocess.run(
        [CLIENT, "--port", str(port), "--nick", "x"],
        input="hi\n",
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert result.returncode == 1
    assert f"cannot connect to 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_in_a_terminal_the_client_asks_for_a_nick_and_chats_until_quit(
    server_process: ServerProcess, tmp_path: Path
) -> None:
    other = WireClient(("127.0.0.1", server_process.port))
    other.hello("bob")
    child = spawn_client(server_process.port, tmp_path, color=True)
    child.expect("Choose a nickname")
    child.sendline("bob")  # taken: the server picks a random one
    child.expect(r"bob was taken")
    child.expect(r"\w+>")
    other.expect("join")
    child.send("hel")
    other.send({"type": "public", "text": "interrupting"})
    child.expect("interrupting")
    child.sendline("lo")
    frame = other.expect("public")
    assert frame["text"] == "interrupting"
    frame = other.expect("public")
    assert frame["text"] == "hello"  # typing survived the incoming message
    child.sendline("/dance")
    child.expect("unknown command /dance")
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in strip_ansi(str(child.before))
    assert other.expect("leave")["reason"] == "quit"
    history = (tmp_path / "chatroom" / "history").read_text()
    assert "+hello" in history  # kept for the next run


def test_the_client_reconnects_after_a_server_restart_and_sends_what_was_typed_meanwhile(
    tmp_path: Path,
) -> None:
    first = ServerProcess(tmp_path)
    port = first.port
    child = spawn_client(port, tmp_path, "--nick", "alice")
    child.expect("welcome")
    first.child.send("q")
    first.child.expect(pexpect.EOF)
    child.expect("reconnecting")
    child.sendline("typed while the server was down")
    child.expect("will send when back")

    second = ServerProcess(tmp_path, port=port)  # SO_REUSEADDR: the port is free at once
    try:
        child.expect("reconnected as alice")
        child.expect("<alice> typed while the server was down")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        log = (tmp_path / "messages.txt").read_text()
        assert log.endswith("alice: typed while the server was down\n")
    finally:
        second.child.terminate(force=True)


def test_after_a_server_restart_the_client_shows_what_it_missed_under_a_divider(
    tmp_path: Path,
) -> None:
    first = ServerProcess(tmp_path)
    port = first.port
    child = spawn_client(port, tmp_path, "--nick", "alice")
    child.expect("alice>")
    # The client stops reading while the server restarts and bob talks, so what bob says
    # can only reach it through the resume.
    os.kill(child.pid, signal.SIGSTOP)
    second = None
    try:
        first.child.send("q")
        first.child.expect(pexpect.EOF)
        second = ServerProcess(tmp_path, port=port)
        bob = WireClient(("127.0.0.1", port))
        assert bob.hello("bob")["nick"] == "bob"
        bob.send({"type": "public", "text": "said while alice was away"})
        bob.expect("public")
    finally:
        os.kill(child.pid, signal.SIGCONT)
    try:
        child.expect("reconnected as alice")
        child.expect("-- 1 message while you were away --")
        child.expect("<bob> said while alice was away")
        assert bob.expect("join")["nick"] == "alice"  # the same nick, back in the room
        child.sendline("/quit")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        second.child.terminate(force=True)


def test_the_backlog_on_joining_and_older_history_on_request_in_a_real_terminal(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path, extra=("--backlog", "2"))
    try:
        bob = WireClient(("127.0.0.1", server.port))
        bob.hello("bob")
        for text in ("old 1", "old 2", "old 3", "old 4", "alice: old 5 names you"):
            bob.send({"type": "public", "text": text})
        bob.drain()
        child = spawn_client(server.port, tmp_path, "--nick", "alice")
        child.logfile_read = io.StringIO()
        child.expect("-- earlier --")
        child.expect("<bob> old 4")
        child.expect("<bob> alice: old 5 names you")
        child.expect("alice>")
        child.sendline("/history 10")
        child.expect("-- 3 older messages --")
        child.expect("<bob> old 1")
        child.expect("<bob> old 3")
        child.expect("-- the beginning of the room --")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        assert "\x07" not in child.logfile_read.getvalue()  # history never rings the bell
    finally:
        server.child.terminate(force=True)


def test_tab_completion_history_the_bell_and_the_pm_prompt_in_a_real_terminal(
    server_process: ServerProcess, tmp_path: Path
) -> None:
    bobby = WireClient(("127.0.0.1", server_process.port))
    bobby.hello("bobby")
    child = spawn_client(server_process.port, tmp_path, "--nick", "alice")
    child.expect("alice>")
    bobby.expect("join")
    child.send("bo\t")
    child.expect("bobby:")  # the space after it is drawn as a cursor move
    child.sendline("hi there")
    assert bobby.expect("public")["text"] == "bobby: hi there"
    child.send("\x1b[A")  # Up: the last line comes back from the history
    child.sendline("")
    assert bobby.expect("public")["text"] == "bobby: hi there"
    bobby.send({"type": "public", "text": "alice: are you there?"})
    child.expect("\x07")  # a mention rings the bell
    child.sendline("/pm bobby")
    child.expect("alice -> bobby>")  # the prompt shows the partner
    child.sendeof()  # Ctrl-D quits, status 0
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    bobby.close()


def test_a_rogue_server_cannot_clear_the_screen_set_the_title_or_hide_text(
    tmp_path: Path,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)
        rogue = threading.Thread(target=serve_rogue, args=(listener,), daemon=True)
        rogue.start()
        child = spawn_client(listener.getsockname()[1], tmp_path, "--nick", "ann", color=True)
        child.logfile_read = io.StringIO()  # everything the client wrote to the terminal
        child.expect("dropped a message from")
        child.expect("abc")
        child.expect("joined")
        # A Ctrl-D typed before the prompt has put the terminal in raw mode is flushed away
        # with the mode change, so it is repeated until the client has quit (at most 5 x).
        for _ in range(5):
            child.sendeof()
            if child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=3) == 0:
                break
        screen = child.logfile_read.getvalue()
        child.close()
        rogue.join(timeout=5)
    assert child.exitstatus == 0
    for forbidden in ["\x1b[2J", "\x1b]0;", "pwned", "\u202e", "\u200b"]:
        assert forbidden not in screen
    assert "\\u202e" in screen  # shown, escaped, not obeyed


def test_a_port_out_of_range_is_a_usage_error_not_another_port() -> None:
    result = subprocess.run(
        [CLIENT, "--port", "70000", "--nick", "z"],
        input="hi\n",
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert result.returncode == 2
    assert "argument --port: must be 1 up to 65535, not 70000" in result.stderr
