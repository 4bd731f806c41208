"""chat-server's options from a TOML file and CHATROOM_* variables, under the command line."""

from pathlib import Path

import pytest

from app.adapters.server_options import parse_args


def config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "chatroom.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], environ: dict[str, str]) -> str:
    """The one-line error (status 2) for options that are wrong."""
    with pytest.raises(SystemExit) as stopped:
        parse_args(argv, environ)
    assert stopped.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_precedence_is_command_line_then_environment_then_file_then_defaults(
    tmp_path: Path,
) -> None:
    path = config(tmp_path, 'port = 1111\nbacklog = 7\nlog_dir = "/var/lib/chatroom"\n')
    environ = {"CHATROOM_PORT": "2222", "CHATROOM_RATE": "2.5"}
    options = parse_args(["--config", path, "--rate", "3"], environ)
    assert options.port == 2222  # the environment over the file
    assert options.rate == 3.0  # the command line over the environment
    assert options.backlog == 7  # the file over the default
    assert options.log_dir == Path("/var/lib/chatroom")  # converted by the option's own type
    assert options.burst == 10  # nobody said: the default
    assert parse_args(["--config", path, "--port", "3333"], environ).port == 3333


def test_the_config_file_may_be_named_by_the_environment(tmp_path: Path) -> None:
    path = config(tmp_path, "port = 4444\nkeys = 'global'\n")
    options = parse_args([], {"CHATROOM_CONFIG": path})
    assert (options.port, options.keys) == (4444, "global")


def test_an_unknown_key_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, "prot = 55555\n")
    line = refused(capsys, ["--config", path], {})
    assert line == f"chat-server: error: config file {path}: unknown key 'prot'"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("port = 99999\n", "port: must be 0 up to 65535, not 99999"),
        ("rate = 'fast'\n", "rate: 'fast' is not a number"),
        ("log_format = 'xml'\n", "log_format: must be one of console, json, not 'xml'"),
        ("port = [1, 2]\n", "port: must be a single value"),
        ("port = \n", "is not valid TOML"),
    ],
)
def test_a_bad_value_in_the_file_is_one_line_naming_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, named: str
) -> None:
    path = config(tmp_path, text)
    line = refused(capsys, ["--config", path], {})
    assert line.startswith(f"chat-server: error: config file {path}")
    assert named in line


def test_a_bad_environment_value_names_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(capsys, [], {"CHATROOM_PORT": "-1"})
    assert line == "chat-server: error: CHATROOM_PORT: must be 0 up to 65535, not -1"


def test_a_missing_config_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.toml")
    line = refused(capsys, ["--config", missing], {})
    assert line == f"chat-server: error: config file {missing}: No such file or directory"


def test_a_misspelt_variable_is_an_error_rather_than_silently_ignored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = refused(capsys, [], {"CHATROOM_PROT": "55555"})
    assert line == "chat-server: error: CHATROOM_PROT is not an option (a misspelling?)"


def test_a_config_file_that_is_not_utf8_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes("# caf\xe9\nport = 1\n".encode("latin-1"))
    line = refused(capsys, ["--config", str(path)], {})
    assert line == f"chat-server: error: config file {path} is not UTF-8 text (byte 5)"
