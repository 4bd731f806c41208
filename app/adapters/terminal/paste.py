"""A paste of several lines becomes one message per line, as in irssi and WeeChat."""

from typing import Final

# Above this many lines the client asks before sending (a paste into the wrong window).
ASK_ABOVE: Final = 5


def pasted_lines(before: str, pasted: str, after: str) -> list[str]:
    """The lines to send when `pasted` lands between `before` and `after` (the input line
    split at the cursor): the first line carries what was typed before it, the last what
    came after; blank lines are left out, as nobody can send those."""
    text = before + pasted.replace("\r\n", "\n").replace("\r", "\n") + after
    return [line for line in text.split("\n") if line.strip()]


def is_multiline(pasted: str) -> bool:
    return "\n" in pasted.strip("\r\n") or "\r" in pasted.strip("\r\n")
