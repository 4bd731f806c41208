"""chat-server's --irc-* options: the gateway's settings, and one line for each mistake."""

import pytest

from app.adapters.server_options import parse_args


def test_the_gateway_is_off_unless_a_port_is_given_and_its_defaults_follow_the_server() -> None:
    assert parse_args([], {}).irc_port is None
    options = parse_args(["--irc-port", "6667"], {})
    assert (options.irc_port, options.irc_host, options.irc_channel) == (6667, None, "#chat")
    assert options.irc_autojoin is True


def test_autojoin_can_be_turned_off_from_the_command_line_or_the_environment() -> None:
    assert parse_args(["--irc-port", "6667", "--no-irc-autojoin"], {}).irc_autojoin is False
    env = {"CHATROOM_IRC_PORT": "6667", "CHATROOM_IRC_AUTOJOIN": "false"}
    assert parse_args([], env).irc_autojoin is False


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--irc-channel", "#x"], "needs --irc-port"),
        (["--no-irc-autojoin"], "CHATROOM_IRC_AUTOJOIN"),
        (["--irc-port", "6667", "--irc-channel", "general"], "must be '#' and a name"),
        (["--irc-port", "6667", "--irc-channel", "#a,b"], "may not hold spaces, commas"),
        (["--irc-port", "99999"], "--irc-port"),
        (["--port", "7001", "--irc-port", "7001"], "need ports of their own"),
        (["--irc-port", "6667", "--irc-server-name", "a b"], "a host name"),
        (
            ["--irc-port", "6667", "--no-irc-autojoin", "--redis", "redis://127.0.0.1:6379/0"],
            "is for one server",
        ),
    ],
)
def test_each_mistake_is_one_line_naming_the_option(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        parse_args(argv, {})
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("chat-server: error:")
    assert said in error
