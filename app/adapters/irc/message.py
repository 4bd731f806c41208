"""IRC lines to messages and back (modern.ircdocs.horse, IRCv3 message-tags). Pure: no socket."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

MAX_LINE_BYTES: Final = 512  # a line without its tags, CRLF included
MAX_CLIENT_TAG_BYTES: Final = 4094  # a client's tag data, the "@" and the space after it excluded
MAX_TAGGED_LINE_BYTES: Final = 8191 + 512  # the most a line may be, tags included: the splitter's
MAX_PARAMS: Final = 15  # IRC's limit; more are folded into the last (see parse_line)

# The IRCv3 key grammar: an optional client-only "+", an optional vendor (a host name) and "/",
# then letters, digits and hyphens. Checked loosely as one character class after the "+".
_TAG_KEY: Final = re.compile(r"\+?[A-Za-z0-9/.\-]+")
_ESCAPED: Final = re.compile(r"\\(.?)", re.DOTALL)  # "(.?)": a lone trailing "\" is dropped
_UNESCAPES: Final = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_ESCAPES: Final = str.maketrans({";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"})


@dataclass(frozen=True, slots=True)
class IrcMessage:
    """One parsed line: what a client asked for, with the words it used."""

    command: str  # upper-cased; a numeric stays its three digits
    params: tuple[str, ...]
    tags: dict[str, str] = field(default_factory=dict)  # values unescaped; no value -> ""
    source: str | None = None


class IrcParseError(ValueError):
    """A line that is no IRC message; `reason` is a short sentence to show its sender."""

    def __init__(self, reason: str, *, too_long: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_long = too_long  # the answer is then 417 ERR_INPUTTOOLONG


def parse_line(line: bytes) -> IrcMessage | None:
    """Parse one line, its CR/LF already stripped; None for a blank line, which IRC ignores.

    Params are separated by one or more spaces (not tabs); one starting with ":" is the last
    and takes the rest of the line. Past MAX_PARAMS the extra params are folded into the last
    one, joined by single spaces, as servers that stop splitting there do. Empty tags (as in a
    trailing ";") are skipped; a later duplicate key wins.
    """
    if not line.strip(b" "):
        return None
    tag_data = b""
    rest = line
    if line.startswith(b"@"):
        tag_data, _, rest = line[1:].partition(b" ")
        if len(tag_data) > MAX_CLIENT_TAG_BYTES:
            raise IrcParseError(f"tags may be at most {MAX_CLIENT_TAG_BYTES} bytes", too_long=True)
    if len(rest) > MAX_LINE_BYTES - 2:
        raise IrcParseError(
            f"a line may be at most {MAX_LINE_BYTES} bytes, tags aside", too_long=True
        )
    if b"\x00" in line or b"\r" in line:
        # A CR inside a line (its end was the LF) could only forge a second line later.
        raise IrcParseError("lines may not contain NUL or CR characters")
    try:
        tags = _parse_tags(tag_data.decode()) if tag_data else {}
        text = rest.decode().lstrip(" ")
    except UnicodeDecodeError:
        raise IrcParseError("lines must be UTF-8") from None
    source = None
    if text.startswith(":"):
        source, _, text = text[1:].partition(" ")
        text = text.lstrip(" ")
    command, _, text = text.partition(" ")
    if not command:
        raise IrcParseError("a line needs a command")
    return IrcMessage(command.upper(), _parse_params(text), tags, source)


def _parse_tags(data: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for tag in data.split(";"):
        if not tag:
            continue
        key, _, value = tag.partition("=")
        if not _TAG_KEY.fullmatch(key):
            raise IrcParseError(f"{key!r} is not a valid tag name")
        tags[key] = _ESCAPED.sub(_unescape, value) if "\\" in value else value
    return tags


def _unescape(match: re.Match[str]) -> str:
    char = match[1]
    return _UNESCAPES.get(char, char)  # an unknown escape "\x" stands for "x"


def _parse_params(text: str) -> tuple[str, ...]:
    # Middle params hold no space, so the first " :" (or a leading ":") starts the trailing one.
    middle, colon, trailing = (" " + text).partition(" :")
    params = [param for param in middle.split(" ") if param]
    if colon:
        params.append(trailing)
    if len(params) > MAX_PARAMS:
        params[MAX_PARAMS - 1 :] = [" ".join(params[MAX_PARAMS - 1 :])]
    return tuple(params)


def format_line(
    command: str,
    *params: str,
    source: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> bytes:
    """The wire bytes of one message, CRLF included; nothing is truncated.

    The last param gets a ":" when it needs one. A param that could not be written (a space,
    nothing, or a leading ":" before the last; CR, LF or NUL anywhere) is our own bug, and
    raises ValueError rather than letting a client see a forged or broken line.
    """
    if not command or " " in command or command[0] in ":@":
        raise ValueError(f"not an IRC command: {command!r}")
    if len(params) > MAX_PARAMS:
        raise ValueError(f"an IRC message has at most {MAX_PARAMS} params, not {len(params)}")
    parts: list[str] = []
    if tags:
        parts.append("@" + ";".join(_format_tag(key, value) for key, value in tags.items()))
    if source is not None:
        if not source or " " in source:
            raise ValueError(f"not an IRC source: {source!r}")
        parts.append(":" + source)
    parts.append(command)
    if params:
        *middle, last = params
        for param in middle:
            if not param or " " in param or param[0] == ":":
                raise ValueError(f"only the last IRC param may be {param!r}")
        parts.extend(middle)
        parts.append(":" + last if not last or " " in last or last[0] == ":" else last)
    line = " ".join(parts)
    if "\r" in line or "\n" in line or "\x00" in line:  # one scan each, in C, per line
        raise ValueError(f"an IRC line may not contain CR, LF or NUL: {line!r}")
    return (line + "\r\n").encode()


def _format_tag(key: str, value: str) -> str:
    if not _TAG_KEY.fullmatch(key):
        raise ValueError(f"not an IRC tag name: {key!r}")
    return f"{key}={value.translate(_ESCAPES)}" if value else key


def prefix_bytes(source: str) -> int:
    """How many bytes ":source " takes on the wire."""
    return len(source.encode()) + 2
