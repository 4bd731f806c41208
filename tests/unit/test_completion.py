from app.adapters.tcp.wire import SendPrivate, SendPublic
from app.adapters.terminal.commands import Send, parse_input
from app.adapters.terminal.completion import completions

ONLINE = {"bob", "Bobby", "carol"}


def test_a_slash_at_line_start_completes_commands() -> None:
    assert completions("/m", ONLINE) == [("/msg", 2), ("/me", 2)]
    assert completions("/Qu", ONLINE) == [("/quit", 3)]


def test_a_word_at_line_start_completes_to_an_address() -> None:
    assert completions("bo", ONLINE) == [("bob: ", 2), ("Bobby: ", 2)]
    assert completions("car", ONLINE) == [("carol: ", 3)]
    assert completions("zed", ONLINE) == []


def test_msg_and_pm_complete_nicknames() -> None:
    assert completions("/msg ca", ONLINE) == [("carol", 2)]
    assert completions("/pm B", ONLINE) == [("bob", 1), ("Bobby", 1)]
    assert completions("/msg carol hi b", ONLINE) == []


def test_me_is_sent_as_public_text_and_in_pm_mode_to_the_partner() -> None:
    assert parse_input("/me waves") == Send(SendPublic(text="/me waves"))
    assert parse_input("/me waves", partner="bob") == Send(SendPrivate(to="bob", text="/me waves"))
