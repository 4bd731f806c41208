"""What a chat message's text may be."""

import re
from typing import Final

from app.domain.errors import InvalidText

MAX_TEXT_CHARS: Final = 2000
MAX_QUIT_MESSAGE_CHARS: Final = 200  # a goodbye shown in a leave, not a message
# Control characters (Unicode category Cc: newlines, escape, NEL) and the line and paragraph
# separators (Zl, Zp), which many readers also take for the end of a line. These are every
# character of the three categories (a test checks that against the running Python's own
# Unicode tables): one regex search, in C, instead of a category lookup per character in
# Python, which was a fifth of the server's CPU per message (measured).
_LINE_BREAKING: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def breaks_lines(text: str) -> bool:
    """Does `text` hold a control character or a line separator (what no message may)?"""
    return _LINE_BREAKING.search(text) is not None


def validate_text(text: str) -> str:
    """Return `text` unchanged if it may be sent, else raise InvalidText saying why.

    Control characters (Unicode category Cc, which includes newlines) and line or paragraph
    separators are refused, so that no message can forge a second line in a log file or
    steer a terminal.
    """
    if not text or text.isspace():
        raise InvalidText("a message needs some text that is not blank")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidText(f"a message has at most {MAX_TEXT_CHARS} characters, not {len(text)}")
    if breaks_lines(text):
        raise InvalidText("a message may not contain control characters or line breaks")
    return text


def validate_quit_message(text: str) -> str:
    """Return a quit's reason unchanged if the others may be shown it, else raise InvalidText.

    The rules of message text, and at most MAX_QUIT_MESSAGE_CHARS characters.
    """
    if len(text) > MAX_QUIT_MESSAGE_CHARS:
        raise InvalidText(
            f"a quit message has at most {MAX_QUIT_MESSAGE_CHARS} characters, not {len(text)}"
        )
    return validate_text(text)
