import pytest

from app.adapters.tcp.wire import AskStats, AskUsers, ChangeNick, Quit, SendPrivate, SendPublic
from app.adapters.terminal.commands import (
    HELP_TEXT,
    EndPrivateChat,
    FetchOlder,
    Leave,
    Reconnect,
    Refuse,
    Send,
    ShowLocally,
    StartPrivateChat,
    parse_input,
)


def test_plain_text_is_said_to_everyone() -> None:
    assert parse_input("hello there") == Send(SendPublic(text="hello there"))


def test_a_blank_line_does_nothing() -> None:
    assert parse_input("   ") is None


@pytest.mark.parametrize("command", ["/msg bob psst now", "/w bob psst now", "/MSG bob psst now"])
def test_msg_and_its_alias_send_a_private_message(command: str) -> None:
    assert parse_input(command) == Send(SendPrivate(to="bob", text="psst now"))


def test_msg_without_text_is_refused_with_its_usage_and_sends_nothing() -> None:
    assert parse_input("/msg bob") == Refuse("usage: /msg NICK TEXT")
    assert parse_input("/w bob   ") == Refuse("usage: /w NICK TEXT")


@pytest.mark.parametrize(
    ("line", "usage"),
    [
        ("/pm", "usage: /pm NICK"),
        ("/pm bob carol", "usage: /pm NICK"),
        ("/nick", "usage: /nick NEW"),
        ("/nick two words", "usage: /nick NEW"),
        ("/me", "usage: /me ACTION"),
    ],
)
def test_a_command_used_wrongly_is_refused_with_its_usage(line: str, usage: str) -> None:
    action = parse_input(line)
    assert isinstance(action, Refuse)
    assert action.reason.startswith(usage)


def test_pm_mode_sends_every_plain_line_to_the_partner_until_exit() -> None:
    assert parse_input("/pm bob") == StartPrivateChat("bob")
    assert parse_input("still here?", partner="bob") == Send(
        SendPrivate(to="bob", text="still here?")
    )
    assert parse_input("/exit", partner="bob") == EndPrivateChat()


def test_exit_outside_pm_mode_says_so() -> None:
    action = parse_input("/exit")
    assert isinstance(action, ShowLocally)
    assert "not in a private conversation" in action.text


@pytest.mark.parametrize(
    ("line", "frame"),
    [("/users", AskUsers()), ("/stats", AskStats()), ("/nick anna", ChangeNick(nick="anna"))],
)
def test_commands_that_ask_the_server(line: str, frame: object) -> None:
    assert parse_input(line) == Send(frame)  # type: ignore[arg-type]


def test_quit_leaves_with_an_optional_reason() -> None:
    assert parse_input("/quit") == Leave(Quit())
    assert parse_input("/quit gone fishing") == Leave(Quit(reason="gone fishing"))


def test_an_unknown_command_is_refused_with_a_hint_and_nothing_is_sent() -> None:
    action = parse_input("/dance")
    assert isinstance(action, Refuse)
    assert "unknown command /dance" in action.reason
    assert "/help" in action.reason


def test_reconnect_asks_to_reconnect_now() -> None:
    assert parse_input("/reconnect") == Reconnect()
    assert "/reconnect" in HELP_TEXT


def test_help_lists_every_command() -> None:
    assert parse_input("/help") == ShowLocally(HELP_TEXT)
    commands = ["/users", "/msg", "/w", "/pm", "/exit", "/nick", "/stats", "/history", "/me"]
    for command in [*commands, "/reconnect", "/quit", "/help"]:
        assert command in HELP_TEXT


def test_a_double_slash_says_a_line_that_starts_with_a_slash() -> None:
    assert parse_input("//shrug") == Send(SendPublic(text="/shrug"))


def test_text_the_server_would_refuse_is_refused_locally_with_the_reason() -> None:
    assert parse_input("x" * 2001) == Refuse("a message has at most 2000 characters, not 2001")
    action = parse_input("/msg bob clear\x1b[2J")
    assert isinstance(action, Refuse)
    assert "control characters" in action.reason


def test_history_asks_for_older_messages_fifty_unless_told() -> None:
    assert parse_input("/history") == FetchOlder(50)
    assert parse_input("/history 200") == FetchOlder(200)
    for wrong in ("/history 0", "/history 201", "/history lots", "/history ²"):
        action = parse_input(wrong)
        assert isinstance(action, Refuse)
        assert action.reason.startswith("usage: /history")


def test_a_goodbye_the_server_would_drop_is_refused_before_leaving() -> None:
    too_long = parse_input("/quit " + "x" * 201)
    assert isinstance(too_long, Refuse)
    assert "200" in too_long.reason
    assert parse_input("/quit see you") == Leave(Quit(reason="see you"))
