"""The files in deploy/ are what docs/OPERATIONS.md says they are: a systemd unit systemd
accepts, an example config the server's own option parser accepts, and a logrotate snippet
that rotates by rename, which a running server follows with no signal."""

import configparser
import grp
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
from argparse import Namespace
from pathlib import Path

import pytest

from app.adapters.server_options import parse_args
from app.adapters.tcp.server import STOP_GRACE
from tests.wire_client import WireClient

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNIT = DEPLOY / "chat-server.service"
CONFIG = DEPLOY / "chatroom.toml"
LOGROTATE = DEPLOY / "logrotate-chatroom"
SERVER = Path(sys.executable).parent / "chat-server"


def unit() -> configparser.ConfigParser:
    """The unit as INI sections; a key given twice (SystemCallFilter) keeps its last value."""
    parser = configparser.ConfigParser(
        strict=False, interpolation=None, delimiters=("=",), comment_prefixes=("#", ";")
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(UNIT, encoding="utf-8")
    return parser


def example_config() -> Namespace:
    return parse_args(["--config", str(CONFIG)], environ={})


def logrotate_directives() -> list[str]:
    """The snippet without its comments, one directive or path line per item."""
    lines = (line.split("#", 1)[0].strip() for line in LOGROTATE.read_text().splitlines())
    return [line for line in lines if line]


def test_the_unit_file_runs_chat_server_with_the_example_config_as_its_own_user() -> None:
    service = unit()

    assert set(service.sections()) == {"Unit", "Service", "Install"}
    argv = shlex.split(service["Service"]["ExecStart"])
    assert Path(argv[0]).is_absolute()
    assert Path(argv[0]).name == "chat-server"
    assert "--config" in argv
    assert Path(argv[argv.index("--config") + 1]).name == CONFIG.name
    assert service["Service"]["User"] == "chatroom"
    assert service["Install"]["WantedBy"] == "multi-user.target"


def test_the_unit_keeps_its_state_where_the_example_config_logs_and_writes_nowhere_else() -> None:
    service = unit()["Service"]

    state = Path("/var/lib") / service["StateDirectory"]
    assert example_config().log_dir == state
    assert Path(service["WorkingDirectory"]) == state
    for setting, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "Restart": "on-failure",
    }.items():
        assert service[setting] == value, setting


def test_systemd_waits_for_a_stop_well_past_the_time_the_server_takes() -> None:
    service = unit()["Service"]

    assert service.get("KillSignal", "SIGTERM") == "SIGTERM"
    timeout = float(service["TimeoutStopSec"].removesuffix("s"))
    # The stop gives clients STOP_GRACE to read what they are owed; the threads then end in
    # well under a second. Twice that, so a busy machine is not SIGKILLed mid-goodbye.
    assert timeout >= 2 * (STOP_GRACE + 1)


def systemd_analyze_verify(unit_file: Path) -> str:
    """What `systemd-analyze verify` says about `unit_file`: it exits 0 even for unknown keys
    and bad values (it ignores them, with a warning), so the words are what count."""
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    complaints = [
        line for line in (result.stdout + result.stderr).splitlines() if unit_file.name in line
    ]
    assert result.returncode == 0 or complaints, result.stderr
    return "\n".join(complaints)


def runnable_copy(directory: Path, extra: str = "") -> Path:
    """The unit with ExecStart's chat-server swapped for this venv's (verify checks that the
    program exists, and /opt/chatroom does not here), the arguments unchanged."""
    text = UNIT.read_text()
    program = shlex.split(unit()["Service"]["ExecStart"])[0]
    assert f"ExecStart={program} " in text
    text = text.replace(f"ExecStart={program} ", f"ExecStart={SERVER} ", 1)
    text = text.replace("[Service]\n", f"[Service]\n{extra}", 1)
    directory.mkdir()
    copy = directory / UNIT.name
    copy.write_text(text)
    return copy


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here"
)
def test_systemd_analyze_verify_finds_nothing_wrong_with_the_unit(tmp_path: Path) -> None:
    assert SERVER.exists()

    assert systemd_analyze_verify(runnable_copy(tmp_path / "unit")) == ""
    # ... and would say so if there were: the same unit with a setting systemd lacks.
    broken = runnable_copy(tmp_path / "broken", extra="NoSuchSetting=yes\n")
    assert "NoSuchSetting" in systemd_analyze_verify(broken)


def test_the_example_config_is_accepted_by_the_servers_option_parser() -> None:
    options = example_config()

    assert options.host == "127.0.0.1"
    assert options.port == 55555
    assert options.log_dir == Path("/var/lib/chatroom")
    assert options.log_format == "json"
    assert options.stats_interval == 60.0
    assert options.resume_grace == 300.0


def test_every_key_in_the_example_config_is_a_chat_server_option() -> None:
    from_file = example_config()

    for key, value in tomllib.loads(CONFIG.read_text()).items():
        option = f"--{key.replace('_', '-')}"
        from_command_line = parse_args([option, str(value)], environ={})
        assert getattr(from_command_line, key) == getattr(from_file, key), option


def test_the_defaults_the_example_config_quotes_in_its_comments_are_the_real_ones() -> None:
    quoted = re.findall(r"^# (\w+ = \S+)", CONFIG.read_text(), flags=re.MULTILINE)
    defaults = parse_args([], environ={})

    assert quoted
    for key, value in tomllib.loads("\n".join(quoted)).items():
        assert getattr(defaults, key) == value, key


def test_the_logrotate_snippet_rotates_the_text_logs_by_rename_not_copytruncate() -> None:
    directives = logrotate_directives()
    words = {line.split()[0] for line in directives}
    log_dir = example_config().log_dir

    assert "copytruncate" not in words
    assert "postrotate" not in words  # no signal: the server follows the renamed file
    assert "create" in words
    paths = directives[0].removesuffix("{").split()
    assert sorted(paths) == [str(log_dir / "messages.txt"), str(log_dir / "private_messages.txt")]
    assert not any("sqlite" in line for line in directives)  # the room log is never rotated


def start_server(log_dir: Path) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [SERVER, "--port", "0", "--log-dir", str(log_dir), "--stats-interval", "3600"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    found = re.search(r'"port": (\d+)', process.stdout.readline())
    assert found, "the server did not say where it listens"
    return process, int(found.group(1))


def say(client: WireClient, text: str) -> None:
    client.send({"type": "public", "text": text})
    assert client.expect("public")["text"] == text


@pytest.mark.skipif(shutil.which("logrotate") is None, reason="logrotate is not installed here")
def test_logrotate_rotates_a_running_servers_logs_and_the_next_message_starts_a_new_file(
    tmp_path: Path,
) -> None:
    logs = tmp_path / "logs"
    me = pwd.getpwuid(os.getuid()).pw_name
    my_group = grp.getgrgid(os.getgid()).gr_name
    snippet = (
        LOGROTATE.read_text()
        .replace(str(example_config().log_dir), str(logs))
        .replace("chatroom chatroom", f"{me} {my_group}")
    )
    config = tmp_path / "logrotate.conf"
    config.write_text(snippet)
    config.chmod(0o644)  # logrotate ignores a config file others may write
    process, port = start_server(logs)
    try:
        client = WireClient(("127.0.0.1", port))
        client.hello("ops")
        say(client, "before the rotation")

        rotation = subprocess.run(
            ["logrotate", "--force", "--state", str(tmp_path / "state"), str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        say(client, "after the rotation")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)

    assert rotation.returncode == 0, rotation.stderr
    assert "error" not in rotation.stderr, rotation.stderr
    (rotated,) = logs.glob("messages.txt-*")
    assert "before the rotation" in rotated.read_text()
    assert "after the rotation" not in rotated.read_text()
    current = (logs / "messages.txt").read_text()
    assert "after the rotation" in current
    assert "before the rotation" not in current
