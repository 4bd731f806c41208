import pytest

from app.adapters.terminal.paste import is_multiline, pasted_lines


def test_a_paste_becomes_one_message_per_line() -> None:
    assert pasted_lines("", "one\ntwo\nthree", "") == ["one", "two", "three"]


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_any_kind_of_line_break_splits_a_paste(newline: str) -> None:
    assert pasted_lines("", f"one{newline}two{newline}", "") == ["one", "two"]


def test_blank_lines_in_a_paste_are_left_out() -> None:
    assert pasted_lines("", "one\r\n\r\n   \r\ntwo\n\n", "") == ["one", "two"]


def test_what_was_typed_before_and_after_the_cursor_joins_the_first_and_last_lines() -> None:
    lines = pasted_lines("look: ", "first\nsecond\nthird", " (end)")
    assert lines == ["look: first", "second", "third (end)"]


def test_a_paste_of_one_line_into_typed_text_stays_one_line() -> None:
    assert pasted_lines("say ", "hello", " now") == ["say hello now"]


def test_only_a_paste_with_a_line_break_inside_counts_as_several_lines() -> None:
    assert is_multiline("one\ntwo")
    assert is_multiline("one\r\ntwo")
    assert is_multiline("one\rtwo")
    assert not is_multiline("one line")
    assert not is_multiline("one line copied with its newline\r\n")
    assert not is_multiline("\none line\n")
