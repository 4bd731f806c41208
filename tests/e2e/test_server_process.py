"""The real `chat-server` entry point, run as a process."""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pyte
import pytest

from tests.e2e.conftest import CLIENT, SERVER, ServerProcess, strip_ansi
from tests.wire_client import WireClient


def test_pressing_q_stops_the_server_cleanly_and_clients_see_the_shutdown(
    server_process: ServerProcess, tmp_path: Path
) -> None:
    client = WireClient(("127.0.0.1", server_process.port))
    client.hello("alice")
    client.send({"type": "public", "text": "before the end"})
    assert client.expect("public")["id"] == 1

    started = time.monotonic()
    server_process.child.send("q")  # no Enter
    tail = strip_ansi(server_process.output_after(r"final_totals.*public_total=1"))
    server_process.child.expect(pexpect.EOF)
    server_process.child.close()
    elapsed = time.monotonic() - started

    assert server_process.child.exitstatus == 0
    assert elapsed < 2.0
    assert "cause=quit_key" in tail
    assert [frame["type"] for frame in client.frames_until_closed()] == ["shutdown"]
    assert (tmp_path / "messages.txt").read_text().endswith("alice: before the end\n")


def test_the_console_keeps_users_and_totals_in_a_status_line_at_the_bottom(
    tmp_path: Path,
) -> None:
    screen = pyte.Screen(80, 24)
    stream = pyte.ByteStream(screen)
    child = pexpect.spawn(
        SERVER,
        ["--port", "0", "--log-dir", str(tmp_path), "--stats-interval", "0.2"],
        timeout=10,
        dimensions=(24, 80),
        env={**os.environ, "NO_COLOR": "1"},
    )

    def shown_until(done: Callable[[list[str]], bool]) -> list[str]:
        deadline = time.monotonic() + 10
        while not done(screen.display):
            assert time.monotonic() < deadline, "\n".join(screen.display)
            with contextlib.suppress(pexpect.TIMEOUT):
                stream.feed(child.read_nonblocking(65536, timeout=0.2))
        return list(screen.display)

    try:
        rows = shown_until(lambda rows: "press_q_to_stop" in "".join(rows))
        port = int(re.search(r"port=(\d+)", "".join(rows)).group(1))  # type: ignore[union-attr]
        client = WireClient(("127.0.0.1", port))
        client.hello("alice")
        client.send({"type": "private", "to": "alice", "text": "note"})
        client.expect("private")
        rows = shown_until(lambda rows: rows[-1].startswith("users 1 | public 0 | private 1"))
        assert re.fullmatch(
            r"users 1 \| public 0 \| private 1 \| [\d.]+ msg/s \| up \w+ *", rows[-1]
        )
        assert any("client_connected" in row for row in rows[:-1])  # events scroll above
        assert all(len(row.rstrip()) <= 80 for row in rows)
        for number in range(30):  # enough events to scroll: the status line stays put
            client.send({"type": "nick", "nick": f"alice{number}"})
        rows = shown_until(lambda rows: "alice29" in "".join(rows[:-1]))
        assert rows[-1].startswith("users 1 | public 0 | private 1")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_stops_the_server_cleanly_without_a_terminal(
    tmp_path: Path, stop: signal.Signals
) -> None:
    with subprocess.Popen(
        [SERVER, "--port", "0", "--log-dir", str(tmp_path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        assert process.stdout is not None
        lines = iter(process.stdout.readline, "")
        assert "server_listening" in next(lines)
        seen = [next(lines) for _ in range(2)]
        assert any('"no_quit_key"' in line for line in seen)  # says how to stop it instead
        process.send_signal(stop)
        assert process.wait(timeout=5) == 0
        rest = process.stdout.read()
    assert '"final_totals"' in rest


def start_and_expect_failure(*args: str) -> str:
    """Runs chat-server with `args`; it must fail at once, cleanly. Returns what it printed."""
    result = subprocess.run(
        [SERVER, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def test_an_unusable_log_directory_is_a_clear_error_and_exit_status_1(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    printed = start_and_expect_failure("--port", "0", "--log-dir", str(not_a_dir))
    assert "cannot keep message logs" in printed


def test_a_port_in_use_is_a_clear_error_and_exit_status_1(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        printed = start_and_expect_failure("--port", str(port), "--log-dir", str(tmp_path))
    assert "cannot_listen" in printed


def test_ctrl_c_in_the_servers_terminal_stops_it_like_q(server_process: ServerProcess) -> None:
    client = WireClient(("127.0.0.1", server_process.port))
    client.hello("alice")
    server_process.child.sendintr()
    server_process.child.expect("final_totals")
    server_process.child.expect(pexpect.EOF)
    server_process.child.close()
    assert server_process.child.exitstatus == 0
    assert [frame["type"] for frame in client.frames_until_closed()] == ["shutdown"]


def test_a_second_server_on_the_same_log_directory_is_a_clear_error(
    server_process: ServerProcess, tmp_path: Path
) -> None:
    printed = start_and_expect_failure("--port", "0", "--log-dir", str(tmp_path))
    assert "in use by another chat-server" in printed


def test_an_option_out_of_range_is_a_usage_error_naming_it_with_status_2(tmp_path: Path) -> None:
    bad_values = [
        ("--host", "999.1.1.1"),
        ("--host", "no such host.invalid"),
        ("--port", "99999"),
        ("--port", "-1"),
        ("--stats-interval", "0"),
        ("--log-format", "xml"),
        ("--keys", "mouse"),
        ("--io-threads", "0"),
        ("--max-clients", "lots"),
        ("--max-outbuf", "0"),
        ("--rate", "-1"),
        ("--burst", "0"),
        ("--backlog", "-1"),
        ("--resume-grace", "nan"),
        ("--register-timeout", "inf"),
    ]
    for option, value in bad_values:
        result = subprocess.run(
            [SERVER, option, value, "--log-dir", str(tmp_path)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1  # one line, no usage summary
        assert result.stderr.startswith(f"chat-server: error: argument {option}")
        assert "Traceback" not in result.stderr


def run_command(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


def test_help_lists_every_option_with_its_default_and_version_says_which() -> None:
    for command in (SERVER, CLIENT):
        shown = run_command(command, "--help")
        assert shown.returncode == 0
        options = [word for word in shown.stdout.split() if word.startswith("--")]
        assert "--version" in options
        described = shown.stdout.split("options:", 1)[1]
        for line in described.split("\n  --")[1:]:
            option = line.split()[0]
            if option not in ("version", "no-color"):  # a switch has no default to show
                assert "default" in line, f"--{option} shows no default"
        version = run_command(command, "--version")
        assert version.returncode == 0
        assert version.stdout.strip() == f"{Path(command).name} 0.1.0"
    client = run_command(CLIENT, "--help").stdout
    assert "/msg NICK TEXT" in client  # the in-chat commands
    assert "Pipe mode" in client


def test_listening_on_every_address_says_how_others_connect_and_that_nothing_is_encrypted(
    tmp_path: Path,
) -> None:
    server = subprocess.Popen(
        [SERVER, "--host", "0.0.0.0", "--port", "0", "--log-dir", str(tmp_path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = []
        for line in server.stdout:  # JSON lines: stdout is not a terminal
            lines.append(line)
            if "traffic_not_encrypted" in line:
                break
        printed = "".join(lines)
        port = next(json.loads(line)["port"] for line in lines if "server_listening" in line)
        hints = [json.loads(line)["command"] for line in lines if "connect_from_another" in line]
        assert hints or "no_network_address" in printed
        for hint in hints:
            assert hint.startswith("chat-client --host ")
            assert hint.endswith(f" --port {port}")
            assert "127.0.0.1" not in hint
        client = WireClient(("127.0.0.1", port))  # 0.0.0.0 takes loopback too
        assert client.hello("alice")["nick"] == "alice"
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
