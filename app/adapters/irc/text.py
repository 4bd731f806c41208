"""What IRC does to message text: mIRC formatting, CTCP, /me, and lines cut to fit 512 bytes."""

import re
from dataclasses import dataclass
from typing import Final

from app.adapters.irc.message import MAX_LINE_BYTES

# mIRC codes: bold, italics, underline, strikethrough, monospace, reverse, reset; a colour
# ("\x03" and up to two digits, then "," and up to two for the background: a "," with no digit
# after it is text) and a hex colour ("\x04" RRGGBB[,RRGGBB]). [0-9], not \d: "\x03٣" is text.
_FORMATTING: Final = re.compile(
    r"[\x02\x1d\x1f\x1e\x11\x16\x0f]"
    r"|\x03(?:[0-9]{1,2}(?:,[0-9]{1,2})?)?"
    r"|\x04(?:[0-9A-Fa-f]{6}(?:,[0-9A-Fa-f]{6})?)?"
)
CTCP_DELIMITER: Final = "\x01"
ACTION_PREFIX: Final = "/me "  # how native clients write an action: "/me waves"
_MIN_BUDGET: Final = 4  # one character may take four bytes in UTF-8


def strip_formatting(text: str) -> str:
    """`text` without mIRC bold, colours and the like, which native clients would show raw."""
    return _FORMATTING.sub("", text)


@dataclass(frozen=True, slots=True)
class Ctcp:
    """A client-to-client request hidden in a PRIVMSG or NOTICE, such as ACTION or VERSION."""

    verb: str  # upper-cased; "" for a bare "\x01", which no handler will know
    argument: str


def parse_ctcp(text: str) -> Ctcp | None:
    """The CTCP in `text`, or None if it is ordinary text; the closing "\\x01" is optional,
    since some clients leave it out."""
    if not text.startswith(CTCP_DELIMITER):
        return None
    verb, _, argument = text[1:].removesuffix(CTCP_DELIMITER).partition(" ")
    return Ctcp(verb.upper(), argument)


def format_ctcp(verb: str, argument: str = "") -> str:
    """A CTCP request as PRIVMSG text, for example "\\x01ACTION waves\\x01"."""
    body = f"{verb} {argument}" if argument else verb
    return CTCP_DELIMITER + body + CTCP_DELIMITER


def action_to_native(argument: str) -> str:
    """An IRC ACTION's text as native clients write it: "/me " and the action."""
    return ACTION_PREFIX + argument


def native_action(text: str) -> str | None:
    """The action in a native "/me waves" (here "waves"), or None if `text` is not one.

    A bare "/me " is no action: IRC clients would show an empty one.
    """
    if not text.startswith(ACTION_PREFIX):
        return None
    action = text[len(ACTION_PREFIX) :]
    return action if action.strip() else None


def split_for_irc(text: str, budget: int) -> list[str]:
    """Cut `text` into pieces of at most `budget` UTF-8 bytes that join back into `text`.

    A piece ends right after a space when one is in its last half (the space stays on the
    earlier piece), else at the budget; cuts fall between code points. No piece is empty, so
    "" gives []. One pass over the encoded text: each piece costs its own length. Text that
    UTF-8 cannot encode (a lone surrogate) raises UnicodeEncodeError, as sending it would.
    """
    if budget < _MIN_BUDGET:
        raise ValueError(f"a budget under {_MIN_BUDGET} bytes may not fit one character")
    data = text.encode()
    if len(data) <= budget:
        return [text] if text else []
    pieces: list[str] = []
    start = 0
    while len(data) - start > budget:
        end = start + budget
        while data[end] & 0xC0 == 0x80:  # a continuation byte: back off to a character's start
            end -= 1
        space = data.rfind(b" ", start + (end - start) // 2, end)
        cut = space + 1 if space != -1 else end
        pieces.append(data[start:cut].decode())
        start = cut
    pieces.append(data[start:].decode())
    return pieces


def irc_text_budget(source: str, command: str, target: str) -> int:
    """Bytes left for the text of ":source COMMAND target :text\\r\\n" in MAX_LINE_BYTES.

    May be small or negative for an absurdly long source or target: the caller decides.
    """
    return MAX_LINE_BYTES - len(f":{source} {command} {target} :".encode()) - 2
