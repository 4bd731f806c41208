"""The real `chat-client` entry point, from a pipe and in a pseudo-terminal.

In a terminal the client is a full-screen window: the tests read its screen as a person
would (see TerminalClient), never the bytes it wrote, except to look for what must not be
written at all.
"""

import re
import socket
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from tests.e2e.conftest import (
    CLIENT,
    CTRL_C,
    CTRL_D,
    ENTER,
    F5,
    PAGE_DOWN,
    PAGE_UP,
    TAB,
    UP,
    ServerProcess,
    StartServer,
    StartTerminal,
    TerminalClient,
)
from tests.integration.test_rogue_server import serve_rogue
from tests.wire_client import WireClient

pytestmark = pytest.mark.e2e

# `[15:07:18] <alice> hello`: the time is local, so any time will do.
STAMP = r"\[\d\d:\d\d:\d\d\]"


def said(lines: list[str], nick: str, text: str) -> list[str]:
    """The message rows that show `nick` saying exactly `text`."""
    pattern = re.compile(rf"{STAMP} <{re.escape(nick)}> {re.escape(text)}")
    return [line for line in lines if pattern.fullmatch(line)]


def saying(nick: str, text: str) -> Callable[[TerminalClient], bool]:
    """A wait for the message pane to show `nick` saying `text`."""
    return lambda screen: said(screen.messages(), nick, text) != []


def noting(text: str) -> Callable[[TerminalClient], bool]:
    """A wait for the client's own note `* text`, the whole of it, in the message pane."""
    pattern = re.compile(rf"{STAMP} \* {re.escape(text)}")
    return lambda screen: any(pattern.fullmatch(line) for line in screen.messages())


def bells(output: bytes) -> str:
    """The bells the client rang: BEL characters that do not end an escape sequence."""
    text = re.sub(r"\x1b\][^\x07\x1b]*(\x07|\x1b\\)", "", output.decode(errors="replace"))
    return "".join(char for char in text if char == "\x07")


def stop_server(server: ServerProcess) -> None:
    server.child.send("q")
    server.child.expect(pexpect.EOF)


# -- from a pipe, or no window at all --------------------------------------------------


def test_a_piped_client_sends_its_lines_and_quits_after_the_last_echo(
    quiet_server: ServerProcess, tmp_path: Path
) -> None:
    listener = WireClient(("127.0.0.1", quiet_server.port))
    listener.hello("bob")
    result = subprocess.run(
        [CLIENT, "--port", str(quiet_server.port)],
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


def test_every_bad_option_value_is_one_line_naming_it_and_status_2() -> None:
    bad = [("--port", "-5"), ("--port", "x"), ("--host", "999.1.1.1"), ("--nick", "a b")]
    for option, value in bad:
        result = subprocess.run(
            [CLIENT, option, value],
            input="",
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1  # one line, no usage summary
        assert result.stderr.startswith(f"chat-client: error: argument {option}: ")
        assert "Traceback" not in result.stderr


# -- the full-screen window ------------------------------------------------------------


def test_what_alice_types_shows_once_in_her_window_and_in_bobs(
    quiet_server: ServerProcess, terminals: StartTerminal
) -> None:
    port = quiet_server.port
    alice = terminals(port, "--nick", "alice")
    alice.wait_for("| connected")
    bob = terminals(port, "--nick", "bob")
    bob.wait_for("| connected")
    alice.wait_for(f"127.0.0.1:{port} | alice | 2 online | connected")
    assert alice.input_line() == "alice>"

    alice.type(f"hello bob{ENTER}")
    bob.wait_for(saying("alice", "hello bob"))
    bob.type(f"hi alice{ENTER}")
    # The server sends alice her echo before bob's answer: once that is on her screen, the
    # pending line has been confirmed (or doubled, were that the bug).
    alice.wait_for(saying("bob", "hi alice"))
    bob.wait_for(saying("bob", "hi alice"))

    assert len(said(alice.messages(), "alice", "hello bob")) == 1
    assert len(said(bob.messages(), "alice", "hello bob")) == 1
    assert alice.input_line() == "alice>"
    assert alice.status_bar() == f"127.0.0.1:{port} | alice | 2 online | connected"
    # The nick list, on the right at 100 columns.
    assert alice.nick_list() == ["2 online", "alice", "bob"]
    assert alice.output().count(b"\x1b[?2026h") > 0  # frames were drawn whole


def test_lines_typed_ahead_in_one_burst_go_out_once_each_and_in_order(
    quiet_server: ServerProcess, terminals: StartTerminal, tmp_path: Path
) -> None:
    port = quiet_server.port
    alice = terminals(port, "--nick", "alice", rows=40)
    bob = terminals(port, "--nick", "bob", rows=40)
    alice.wait_for("| connected")
    bob.wait_for("| connected")
    carol = WireClient(("127.0.0.1", port))
    carol.hello("carol")
    alice.wait_for("| 3 online |")
    bob.wait_for("| 3 online |")
    sent = [f"line {number}" for number in range(1, 16)]

    alice.type("".join(line + ENTER for line in sent) + "half a thought")  # one write
    for number in range(1, 4):  # the others talk while alice's lines go out, paced
        bob.type(f"bob says {number}{ENTER}")
        carol.send({"type": "public", "text": f"carol says {number}"})
    bob.wait_for(saying("alice", "line 15"))
    carol.send({"type": "public", "text": "over"})  # after all of alice's, in the room's order
    alice.wait_for(saying("carol", "over"))
    bob.wait_for(saying("carol", "over"))

    for window in (alice, bob):
        shown = [line for line in window.messages() if "<alice>" in line]
        assert [line.split("> ", 1)[1] for line in shown] == sent, window.screen_text()
        for number in range(1, 4):
            assert len(said(window.messages(), "bob", f"bob says {number}")) == 1
            assert len(said(window.messages(), "carol", f"carol says {number}")) == 1
    # What alice typed after her last Enter is still there: nothing that arrived garbled it.
    alice.wait_for(lambda screen: screen.input_line() == "alice> half a thought")
    assert bob.input_line() == "bob>"
    logged = (tmp_path / "messages.txt").read_text().splitlines()
    assert [line.split(": ", 1)[1] for line in logged if "alice: " in line] == sent


def test_the_client_reconnects_after_a_server_restart_and_sends_what_was_typed_meanwhile(
    servers: StartServer, terminals: StartTerminal, tmp_path: Path
) -> None:
    first = servers()
    port = first.port
    alice = terminals(port, "--nick", "alice")
    alice.wait_for("| connected")
    stop_server(first)
    alice.wait_for(noting("the server is shutting down"))
    alice.wait_for(lambda screen: " | reconnecting in " in screen.status_bar())
    alice.type(f"typed while the server was down{ENTER}")
    alice.wait_for(lambda screen: screen.status_bar().endswith("| 1 waiting to send"))
    assert len(said(alice.messages(), "alice", "typed while the server was down")) == 1

    # SO_REUSEADDR: the port is free at once. Stats lines, for the count of messages logged.
    second = servers(port=port, stats=True)
    alice.press(F5)  # now, rather than when the countdown ends
    alice.wait_for(noting("reconnected as alice"))
    alice.wait_for(lambda screen: screen.status_bar().endswith("| 1 online | connected"))
    second.output_after(r"public 1 \| private")  # the status line: logged, so in messages.txt
    log = (tmp_path / "messages.txt").read_text()
    assert log.endswith("alice: typed while the server was down\n")
    bob = WireClient(("127.0.0.1", port))
    bob.hello("bob")
    bob.send({"type": "public", "text": "welcome back"})
    alice.wait_for(saying("bob", "welcome back"))  # so alice's echo has arrived before it
    assert len(said(alice.messages(), "alice", "typed while the server was down")) == 1
    assert alice.input_line() == "alice>"
    alice.type(f"/quit{ENTER}")
    assert alice.wait_for_exit() == 0


def test_after_a_server_restart_the_client_shows_what_it_missed_under_a_divider(
    servers: StartServer, terminals: StartTerminal
) -> None:
    first = servers()
    port = first.port
    alice = terminals(port, "--nick", "alice")
    alice.wait_for("| connected")
    # The client is stopped while the server restarts and bob talks, so what bob says can
    # only reach it through the resume.
    alice.suspend()
    try:
        stop_server(first)
        servers(port=port)
        bob = WireClient(("127.0.0.1", port))
        assert bob.hello("bob")["nick"] == "bob"
        bob.send({"type": "public", "text": "said while alice was away"})
        bob.expect("public")
    finally:
        alice.resume()
    alice.press(F5)
    alice.wait_for(saying("bob", "said while alice was away"))
    messages = alice.messages()
    divider = messages.index("-- 1 message while you were away --")
    assert said(messages, "bob", "said while alice was away")[0] == messages[divider + 1]
    assert noting("reconnected as alice")(alice)
    assert bob.expect("join")["nick"] == "alice"  # the same nick, back in the room
    alice.type(f"/quit{ENTER}")
    assert alice.wait_for_exit() == 0


def test_quit_with_a_reason_tells_the_others_and_exits_0_without_reconnecting(
    quiet_server: ServerProcess, terminals: StartTerminal
) -> None:
    port = quiet_server.port
    alice = terminals(port, "--nick", "alice")
    bob = terminals(port, "--nick", "bob")
    alice.wait_for("| connected")
    bob.wait_for("| connected")
    alice.wait_for("| 2 online |")

    alice.type(f"/quit off to lunch{ENTER}")
    bob.wait_for("* alice left (quit: off to lunch)")
    assert alice.wait_for_exit() == 0
    assert alice.child.signalstatus is None
    shown = alice.output().decode(errors="replace")
    assert "reconnect" not in shown
    assert "Traceback" not in shown
    bob.wait_for(lambda screen: screen.status_bar().endswith("| 1 online | connected"))


@pytest.mark.parametrize("key", [CTRL_C, CTRL_D], ids=["ctrl-c", "ctrl-d"])
def test_ctrl_c_or_ctrl_d_on_an_empty_line_quits_with_status_0(
    quiet_server: ServerProcess, terminals: StartTerminal, key: str
) -> None:
    bob = WireClient(("127.0.0.1", quiet_server.port))
    bob.hello("bob")
    alice = terminals(quiet_server.port, "--nick", "alice")
    alice.wait_for("| 2 online | connected")

    alice.press(key)
    assert alice.wait_for_exit() == 0
    assert alice.child.signalstatus is None
    assert "Traceback" not in alice.output().decode(errors="replace")
    bob.expect("join")
    assert bob.expect("leave")["reason"] == "quit"


def test_in_a_terminal_the_client_asks_for_a_nick_and_chats_until_quit(
    quiet_server: ServerProcess, terminals: StartTerminal, tmp_path: Path
) -> None:
    other = WireClient(("127.0.0.1", quiet_server.port))
    other.hello("bob")
    client = terminals(quiet_server.port)
    client.wait_for("choose a nickname and press Enter")
    assert client.input_line() == "nickname>"
    client.type(f"bob{ENTER}")  # taken: the server picks a random one
    client.wait_for("bob was taken")
    joined = other.expect("join")["nick"]
    client.wait_for(lambda screen: screen.input_line() == f"{joined}>")
    client.type("hel")
    client.wait_for(lambda screen: screen.input_line() == f"{joined}> hel")
    other.send({"type": "public", "text": "interrupting"})
    client.wait_for(saying("bob", "interrupting"))
    assert client.input_line() == f"{joined}> hel"
    client.type(f"lo{ENTER}")
    assert other.expect("public")["text"] == "interrupting"
    assert other.expect("public")["text"] == "hello"  # typing survived the incoming message
    client.type(f"/dance{ENTER}")
    client.wait_for("unknown command /dance")
    client.type(f"/quit{ENTER}")
    assert client.wait_for_exit() == 0
    assert "Traceback" not in client.output().decode(errors="replace")
    assert other.expect("leave")["reason"] == "quit"
    history = (tmp_path / "chatroom" / "history").read_text()
    assert "+hello" in history  # kept for the next run


def test_the_backlog_on_joining_and_older_history_on_request_in_a_real_terminal(
    servers: StartServer, terminals: StartTerminal
) -> None:
    server = servers("--backlog", "2")
    bob = WireClient(("127.0.0.1", server.port))
    bob.hello("bob")
    for text in ("old 1", "old 2", "old 3", "old 4", "alice: old 5 names you"):
        bob.send({"type": "public", "text": text})
    bob.drain()
    alice = terminals(server.port, "--nick", "alice")
    alice.wait_for("-- earlier --")
    alice.wait_for(saying("bob", "old 4"))
    alice.wait_for(saying("bob", "alice: old 5 names you"))
    assert said(alice.messages(), "bob", "old 3") == []
    alice.type(f"/history 10{ENTER}")
    alice.wait_for("-- the beginning of the room --")
    alice.wait_for("-- 3 older messages --")
    for text in ("old 1", "old 2", "old 3"):
        alice.wait_for(saying("bob", text))
        assert len(said(alice.messages(), "bob", text)) == 1
    alice.press(CTRL_D)
    assert alice.wait_for_exit() == 0
    assert bells(alice.output()) == ""  # history never rings the bell, even naming alice


def test_tab_completion_history_the_bell_and_the_pm_prompt_in_a_real_terminal(
    quiet_server: ServerProcess, terminals: StartTerminal
) -> None:
    bobby = WireClient(("127.0.0.1", quiet_server.port))
    bobby.hello("bobby")
    alice = terminals(quiet_server.port, "--nick", "alice")
    alice.wait_for("| 2 online | connected")
    bobby.expect("join")
    alice.type(f"bo{TAB}")
    alice.wait_for(lambda screen: screen.input_line() == "alice> bobby:")
    alice.type(f"hi there{ENTER}")
    assert bobby.expect("public")["text"] == "bobby: hi there"
    alice.press(UP)  # the last line comes back from the history
    alice.wait_for(lambda screen: screen.input_line() == "alice> bobby: hi there")
    alice.press(ENTER)
    assert bobby.expect("public")["text"] == "bobby: hi there"
    assert bells(alice.output()) == ""
    bobby.send({"type": "public", "text": "alice: are you there?"})
    alice.wait_for(saying("bobby", "alice: are you there?"))
    alice.wait_for(lambda screen: bells(screen.output()) != "")  # a mention rings the bell
    alice.type(f"/pm bobby{ENTER}")
    alice.wait_for(lambda screen: screen.input_line() == "alice -> bobby>")
    alice.wait_for(lambda screen: screen.status_bar().endswith("| connected | pm: bobby"))
    alice.press(CTRL_D)
    assert alice.wait_for_exit() == 0
    bobby.close()


def test_a_rogue_server_cannot_clear_the_screen_set_the_title_or_hide_text(
    terminals: StartTerminal,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)
        rogue = threading.Thread(target=serve_rogue, args=(listener,), daemon=True)
        rogue.start()
        ann = terminals(listener.getsockname()[1], "--nick", "ann")
        ann.wait_for("\\u001b[31mred joined")
        messages = ann.messages()
        assert any("! dropped a message from evil" in line for line in messages)
        assert said(messages, "evil\\u202e", "abc\\u202edef\\u200b") != []  # shown, escaped
        ann.press(CTRL_D)
        assert ann.wait_for_exit() == 0
        rogue.join(timeout=5)
    written = ann.output().decode(errors="replace")
    for forbidden in ["\x1b[2J", "\x1b]0;", "pwned", "\u202e", "\u200b"]:
        assert forbidden not in written


def test_a_pasted_block_goes_out_a_message_a_line_and_a_long_one_is_asked_about_first(
    quiet_server: ServerProcess, terminals: StartTerminal
) -> None:
    bob = WireClient(("127.0.0.1", quiet_server.port))
    bob.hello("bob")
    alice = terminals(quiet_server.port, "--nick", "alice")
    alice.wait_for("| 2 online | connected")
    bob.expect("join")

    alice.type("and ")
    alice.paste("first\rsecond\rthird")  # a terminal sends a pasted newline as Enter does
    assert [bob.expect("public")["text"] for _ in range(3)] == ["and first", "second", "third"]
    alice.wait_for(saying("alice", "third"))
    alice.wait_for(lambda screen: screen.input_line() == "alice>")

    long_paste = "\r".join(f"pasted {number}" for number in range(1, 8))
    alice.paste(long_paste)
    alice.wait_for("Send 7 lines to everyone?")
    alice.press("n")
    alice.wait_for(noting("the paste of 7 lines was not sent"))
    assert bob.drain() == []  # nothing went out
    alice.paste(long_paste)
    alice.wait_for("Send 7 lines to everyone?")
    alice.press(ENTER)
    sent = [bob.expect("public")["text"] for _ in range(7)]
    assert sent == [f"pasted {number}" for number in range(1, 8)]
    alice.wait_for(saying("alice", "pasted 7"))
    assert "Send 7 lines" not in alice.screen_text()
    alice.wait_for(lambda screen: screen.input_line() == "alice>")


def test_page_up_holds_the_view_and_the_status_bar_counts_what_arrives_below(
    servers: StartServer, terminals: StartTerminal
) -> None:
    server = servers("--rate", "0")  # bob sends faster than a person could
    alice = terminals(server.port, "--nick", "alice")
    alice.wait_for("| connected")
    bob = WireClient(("127.0.0.1", server.port))
    bob.hello("bob")
    for number in range(1, 41):
        bob.send({"type": "public", "text": f"message {number}"})
    alice.wait_for(saying("bob", "message 40"))

    alice.press(PAGE_UP)
    alice.wait_for(lambda screen: not said(screen.messages(), "bob", "message 40"))
    shown = alice.messages()
    bob.send({"type": "public", "text": "the newest"})
    alice.wait_for(lambda screen: screen.status_bar().endswith("| 1 new below (PageDown)"))
    assert alice.messages() == shown  # the view stayed where it was
    alice.press(PAGE_DOWN, PAGE_DOWN)
    alice.wait_for(saying("bob", "the newest"))
    alice.wait_for(lambda screen: screen.status_bar().endswith("| 2 online | connected"))
