from app.adapters.tcp.wire import SendPrivate, SendPublic
from app.adapters.terminal.commands import Send, parse_input
from app.adapters.terminal.completion import TabCompleter, candidates

ONLINE = {"bob", "Bobby", "carol", "ann"}
ME = "ann"


def tab(completer: TabCompleter, text: str, cursor: int | None = None) -> tuple[str, int] | None:
    return completer.complete(text, len(text) if cursor is None else cursor, ONLINE, ME)


def test_a_slash_at_line_start_completes_commands() -> None:
    assert candidates("/m", ONLINE, ME) == [("/msg ", 2), ("/me ", 2)]
    assert candidates("/Qu", ONLINE, ME) == [("/quit ", 3)]
    assert candidates("/re", ONLINE, ME) == [("/reconnect ", 3)]


def test_a_word_at_line_start_completes_to_an_address() -> None:
    assert candidates("bo", ONLINE, ME) == [("bob: ", 2), ("Bobby: ", 2)]
    assert candidates("car", ONLINE, ME) == [("carol: ", 3)]
    assert candidates("zed", ONLINE, ME) == []


def test_msg_and_pm_complete_nicknames() -> None:
    assert candidates("/msg ca", ONLINE, ME) == [("carol ", 2)]
    assert candidates("/pm B", ONLINE, ME) == [("bob ", 1), ("Bobby ", 1)]
    assert candidates("/W b", ONLINE, ME) == [("bob ", 1), ("Bobby ", 1)]


def test_a_later_word_completes_a_nickname_without_a_colon() -> None:
    assert candidates("/msg carol hi b", ONLINE, ME) == [("bob ", 1), ("Bobby ", 1)]
    assert candidates("thanks c", ONLINE, ME) == [("carol ", 1)]


def test_an_empty_line_completes_nothing() -> None:
    assert tab(TabCompleter(), "") is None


def test_the_first_tab_inserts_the_first_match_with_a_trailing_space() -> None:
    assert tab(TabCompleter(), "/ms") == ("/msg ", 5)
    assert tab(TabCompleter(), "/msg c") == ("/msg carol ", 11)
    assert tab(TabCompleter(), "ca") == ("carol: ", 7)
    assert tab(TabCompleter(), "hi ca") == ("hi carol ", 9)


def test_repeated_tabs_cycle_through_the_matches_and_back_to_the_first() -> None:
    completer = TabCompleter()
    first = tab(completer, "bo")
    assert first == ("bob: ", 5)
    second = tab(completer, *first)
    assert second == ("Bobby: ", 7)
    assert tab(completer, *second) == first


def test_your_own_nick_comes_last() -> None:
    completer = TabCompleter()
    online = {"ann", "anna", "Annette"}
    first = completer.complete("/msg an", 7, online, "ann")
    assert first == ("/msg anna ", 10)
    second = completer.complete(*first, online, "ann")
    assert second == ("/msg Annette ", 13)
    assert completer.complete(*second, online, "ann") == ("/msg ann ", 9)


def test_text_after_the_cursor_is_kept_while_cycling() -> None:
    completer = TabCompleter()
    first = tab(completer, "hi bo, lunch?", cursor=5)
    assert first == ("hi bob , lunch?", 7)
    assert tab(completer, *first) == ("hi Bobby , lunch?", 9)


def test_typing_something_else_starts_afresh_from_the_first_match() -> None:
    completer = TabCompleter()
    first = tab(completer, "bo")
    assert first == ("bob: ", 5)
    # The user rubs the completion out and types "bo" again: not the second match, the first.
    assert tab(completer, "bo") == ("bob: ", 5)
    assert tab(completer, "bob: thanks c") == ("bob: thanks carol ", 18)


def test_a_tab_that_finds_nothing_leaves_the_line_alone() -> None:
    completer = TabCompleter()
    assert tab(completer, "zed") is None
    assert tab(completer, "/dance") is None
    assert tab(completer, "bo") == ("bob: ", 5)


def test_me_is_sent_as_public_text_and_in_pm_mode_to_the_partner() -> None:
    assert parse_input("/me waves") == Send(SendPublic(text="/me waves"))
    assert parse_input("/me waves", partner="bob") == Send(SendPrivate(to="bob", text="/me waves"))


def test_any_other_key_ends_the_cycle_so_the_next_tab_starts_afresh() -> None:
    completer = TabCompleter()
    assert completer.complete("/m", 2, [], "ann") == ("/msg ", 5)
    completer.reset()  # the user erased the line and typed "/msg " again
    assert completer.complete("/msg ", 5, ["bob"], "ann") == ("/msg bob ", 9)


def test_a_tab_after_a_single_completed_command_goes_on_to_its_argument() -> None:
    completer = TabCompleter()
    assert completer.complete("/pm", 3, ["bob"], "ann") == ("/pm ", 4)
    assert completer.complete("/pm ", 4, ["bob"], "ann") == ("/pm bob ", 8)
