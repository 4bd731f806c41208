import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.adapters.irc.text import (
    Ctcp,
    action_to_native,
    format_ctcp,
    irc_text_budget,
    native_action,
    parse_ctcp,
    split_for_irc,
    strip_formatting,
)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("\x02bold\x02 \x1ditalic\x1d \x1fline\x1f \x1estruck\x1e", "bold italic line struck"),
        ("\x11mono\x11 \x16reverse\x16 done\x0f", "mono reverse done"),
        ("\x034red\x03 and \x0304,12red on blue\x03.", "red and red on blue."),
        ("\x0312,well", ",well"),  # a "," not followed by a digit is text
        ("\x03123", "3"),  # a colour has at most two digits
        ("\x03,5", ",5"),  # no foreground: the "," is text
        ("\x04FF8800orange\x04 \x04ff8800,000000on black\x04", "orange on black"),
        ("\x04FF88 short", "FF88 short"),  # not six hex digits: only the code goes
        ("\x03\u0663 arabic-indic three", "\u0663 arabic-indic three"),
        ("café 🎉 plain", "café 🎉 plain"),
    ],
)
def test_mirc_formatting_is_stripped(text: str, plain: str) -> None:
    assert strip_formatting(text) == plain


def test_ctcp_with_and_without_the_closing_delimiter() -> None:
    assert parse_ctcp("\x01ACTION waves hello\x01") == Ctcp("ACTION", "waves hello")
    assert parse_ctcp("\x01action waves") == Ctcp("ACTION", "waves")
    assert parse_ctcp("\x01VERSION\x01") == Ctcp("VERSION", "")
    assert parse_ctcp("\x01") == Ctcp("", "")


def test_ordinary_text_is_no_ctcp() -> None:
    assert parse_ctcp("hello \x01ACTION x\x01") is None
    assert parse_ctcp("") is None


def test_ctcp_formats_and_parses_back() -> None:
    assert format_ctcp("ACTION", "waves") == "\x01ACTION waves\x01"
    assert format_ctcp("VERSION") == "\x01VERSION\x01"
    assert parse_ctcp(format_ctcp("PING", "123 456")) == Ctcp("PING", "123 456")


def test_an_irc_action_becomes_a_native_me_and_back() -> None:
    native = action_to_native("waves at everyone")
    assert native == "/me waves at everyone"
    assert native_action(native) == "waves at everyone"


@pytest.mark.parametrize("text", ["/me", "/me ", "/me    ", "/mewaves", "hi /me waves", "/ME x"])
def test_only_a_me_with_text_is_a_native_action(text: str) -> None:
    assert native_action(text) is None


def assert_split_holds(text: str, budget: int) -> list[str]:
    pieces = split_for_irc(text, budget)
    assert "".join(pieces) == text
    assert all(piece and len(piece.encode()) <= budget for piece in pieces)
    return pieces


def test_text_that_fits_is_one_piece() -> None:
    assert split_for_irc("hello there", 11) == ["hello there"]
    assert split_for_irc("", 10) == []


def test_a_cut_falls_right_after_a_space() -> None:
    assert assert_split_holds("hello there world", 12) == ["hello there ", "world"]


def test_without_a_space_in_the_last_half_the_cut_is_hard() -> None:
    assert assert_split_holds("a bcdefghijklmnop", 8) == ["a bcdefg", "hijklmno", "p"]


def test_a_cut_never_splits_a_character() -> None:
    assert assert_split_holds("éééé", 5) == ["éé", "éé"]
    assert assert_split_holds("🎉🎉🎉", 6) == ["🎉", "🎉", "🎉"]


MIXED_WORDS = ["plain", "café", "🎉🎈", "漢字かな", "naïve", "x"]


def long_text(separator: str) -> str:
    words = (MIXED_WORDS[n % len(MIXED_WORDS)] for n in range(2000))
    return separator.join(words)[:2000]


@pytest.mark.parametrize("separator", [" ", ""])
@pytest.mark.parametrize("budget", [4, 7, 50, 400, 497])
def test_a_long_mixed_message_splits_within_the_budget(separator: str, budget: int) -> None:
    text = long_text(separator)
    assert len(text) == 2000
    pieces = assert_split_holds(text, budget)
    if separator and budget >= 50:
        assert all(piece.endswith(" ") for piece in pieces[:-1])


def test_irc_text_budget_leaves_room_for_the_prefix_and_crlf() -> None:
    budget = irc_text_budget("zoë!zoe@host", "PRIVMSG", "#room")
    overhead = len(":zoë!zoe@host PRIVMSG #room :".encode())
    assert budget == 512 - overhead - 2
    assert budget + overhead + 2 == 512


@given(st.text(max_size=700), st.integers(min_value=4, max_value=600))
def test_any_split_joins_back_and_fits(text: str, budget: int) -> None:
    pieces = assert_split_holds(text, budget)
    if text and len(text.encode()) <= budget:
        assert pieces == [text]
    for piece in pieces[:-1]:  # a hard cut happens only without a space in the last half
        encoded = piece.encode()
        if not piece.endswith(" "):
            assert b" " not in encoded[len(encoded) // 2 :]


def test_a_budget_too_small_for_one_character_is_refused() -> None:
    with pytest.raises(ValueError, match="budget"):
        split_for_irc("abc", 3)
