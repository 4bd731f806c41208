import sys
import unicodedata

import pytest

from app.domain.errors import InvalidText
from app.domain.text import (
    MAX_QUIT_MESSAGE_CHARS,
    MAX_TEXT_CHARS,
    breaks_lines,
    validate_quit_message,
    validate_text,
)


@pytest.mark.parametrize("text", ["hi", " padded ", "x" * MAX_TEXT_CHARS, "ünï©ødé ✓"])
def test_ordinary_text_may_be_sent(text: str) -> None:
    assert validate_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\u3000",
        "x" * (MAX_TEXT_CHARS + 1),
        "two\nlines",
        "cr\rhere",
        "nel\x85",
        "line\u2028separator",
        "paragraph\u2029separator",
        "bell\x07",
        "\x1b[2J",
    ],
)
def test_blank_overlong_or_control_character_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidText):
        validate_text(text)


def test_a_quit_message_follows_the_text_rules_and_has_at_most_200_characters() -> None:
    assert validate_quit_message("x" * MAX_QUIT_MESSAGE_CHARS) == "x" * MAX_QUIT_MESSAGE_CHARS
    for broken in ("x" * (MAX_QUIT_MESSAGE_CHARS + 1), "", "  ", "bye\n", "\x1b[31mred"):
        with pytest.raises(InvalidText):
            validate_quit_message(broken)


def test_exactly_the_control_characters_and_line_separators_of_unicode_break_lines() -> None:
    # The check is a fast character class: it must agree with Unicode's own categories on
    # every code point there is.
    disagree = [
        hex(point)
        for point in range(sys.maxunicode + 1)
        if (unicodedata.category(chr(point)) in {"Cc", "Zl", "Zp"}) != breaks_lines(chr(point))
    ]
    assert disagree == []
