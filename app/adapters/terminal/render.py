"""Server frames as styled lines for a person to read. Pure: no terminal, no socket.

A line is a list of (style class, text) fragments, the shape prompt_toolkit prints; `plain`
joins the texts for a pipe or a terminal without colour.
"""

import re
import unicodedata
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Final, assert_never

from app.adapters.tcp.wire import (
    ErrorFrame,
    HistoryFrame,
    JoinFrame,
    LeaveFrame,
    NickChangedFrame,
    PongFrame,
    PrivateFrame,
    ProtocolError,
    PublicFrame,
    ServerFrame,
    ShutdownFrame,
    StatsFrame,
    UsersFrame,
    WelcomeFrame,
)
from app.domain.nicknames import fold_nick
from app.domain.text import breaks_lines

Fragments = list[tuple[str, str]]
NICK_COLOURS: Final = 12  # style classes nick0 .. nick11
ACTION_PREFIX: Final = "/me "
# Characters a terminal would act on rather than show: controls, format characters such as
# bidi overrides and zero-width joiners, line separators, surrogates and private use.
_UNSAFE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def printable(text: str) -> str:
    """`text` with every character a terminal could act on shown as an escape instead."""
    return "".join(
        f"\\u{ord(char):04x}" if unicodedata.category(char) in _UNSAFE_CATEGORIES else char
        for char in text
    )


def plain(fragments: Fragments) -> str:
    return "".join(text for _, text in fragments)


def notice(text: str) -> Fragments:
    return [("class:notice", text)]


def clock_time(moment: datetime) -> str:
    """[HH:MM:SS] in the user's local time zone."""
    return f"[{moment.astimezone().strftime('%H:%M:%S')}]"


def nick_style(nick: str, me: str) -> str:
    """One colour per nick, the same in every run and for every client; yours stands out."""
    if nick == me:
        return "class:self"
    return f"class:nick{zlib.crc32(fold_nick(nick).encode()) % NICK_COLOURS}"


def mentions(text: str, nick: str) -> bool:
    """Does `text` name `nick` as a word of its own (any case)?"""
    if not nick:
        return False
    pattern = rf"(?<![\w.-]){re.escape(nick)}(?![\w-])"
    return re.search(pattern, text, re.IGNORECASE) is not None


def is_mention(frame: ServerFrame | ProtocolError, me: str) -> bool:
    """A message from someone else that names you: worth a highlight and the bell."""
    return (
        isinstance(frame, PublicFrame | PrivateFrame)
        and frame.sender != me
        and mentions(frame.text, me)
    )


def welcome_lines(frame: WelcomeFrame) -> Fragments:
    at = clock_time(frame.ts)
    lines = [
        ("class:time", at),
        ("class:notice", " * welcome, "),
        ("class:self", printable(frame.nick)),
    ]
    lines.append(("class:notice", "!"))
    if frame.renamed and frame.requested is not None:
        lines.append(
            (
                "class:warning",
                f" ({printable(frame.requested)} was taken, or is held for someone who is"
                " reconnecting, so the server gave you a random nickname; /nick NEW changes it)",
            )
        )
    lines.append(("", "\n"))
    lines += _online(at, frame.users, frame.nick)
    return lines


def divider(text: str) -> Fragments:
    """A line that separates history from live traffic: '-- earlier --'."""
    return [("class:divider", f"-- {text} --")]


def history_line(frame: PublicFrame | PrivateFrame, me: str) -> Fragments:
    """A message from the room's history: laid out as live, but dimmed and never highlighted
    (it was news when it was said, not now)."""
    line = render(frame, me) or []
    return [("class:history", text) for _, text in line]


def render(frame: ServerFrame | ProtocolError, me: str) -> Fragments | None:
    """The line(s) to show for `frame` to the user called `me`; None for nothing to show."""
    if isinstance(frame, ProtocolError):
        return [("class:error", f"! ignored a malformed line from the server: {frame.message}")]
    at = clock_time(frame.ts)
    stamp = ("class:time", at)
    match frame:
        case WelcomeFrame():
            return welcome_lines(frame)
        case PublicFrame():
            return _said(frame, me, stamp)
        case PrivateFrame():
            outgoing = frame.sender == me and frame.to != me
            marker = f" [pm to {printable(frame.to)}] " if outgoing else " [pm from "
            line = [stamp, ("class:private", marker)]
            if not outgoing:
                line += [(nick_style(frame.sender, me), printable(frame.sender))]
                line += [("class:private", "] ")]
            text_style = "class:mention" if is_mention(frame, me) else "class:private"
            return [*line, (text_style, printable(frame.text))]
        case JoinFrame():
            return [stamp, *_event(frame.nick, me, " joined")]
        case LeaveFrame():
            return [stamp, *_event(frame.nick, me, f" left ({printable(frame.reason)})")]
        case NickChangedFrame():
            if frame.old == me:
                return [stamp, ("class:notice", f" * you are now known as {printable(frame.new)}")]
            return [stamp, *_event(frame.old, me, f" is now known as {printable(frame.new)}")]
        case UsersFrame():
            return _online(at, frame.users, me)
        case StatsFrame():
            return [
                stamp,
                (
                    "class:notice",
                    f" * {frame.users} online, {frame.public_total} public and"
                    f" {frame.private_total} private messages in all",
                ),
            ]
        case PongFrame() | HistoryFrame():
            return None  # a history frame is shown by the session, which pages it
        case ErrorFrame():
            return [stamp, ("class:error", f" ! {printable(frame.message)} ({frame.code})")]
        case ShutdownFrame():
            return [
                stamp,
                ("class:warning", f" * the server is closing: {printable(frame.reason)}"),
            ]
        case _:
            assert_never(frame)


def _said(frame: PublicFrame, me: str, stamp: tuple[str, str]) -> Fragments:
    who = (nick_style(frame.sender, me), printable(frame.sender))
    text_style = "class:mention" if is_mention(frame, me) else ""
    if frame.text.startswith(ACTION_PREFIX):  # "/me waves" reads "* alice waves"
        action = printable(frame.text.removeprefix(ACTION_PREFIX))
        return [stamp, ("class:action", " * "), who, (text_style or "class:action", f" {action}")]
    return [stamp, ("", " <"), who, ("", "> "), (text_style, printable(frame.text))]


def _event(nick: str, me: str, what: str) -> Fragments:
    return [
        ("class:notice", " * "),
        (nick_style(nick, me), printable(nick)),
        ("class:notice", what),
    ]


def _online(at: str, users: list[str], me: str) -> Fragments:
    line: Fragments = [("class:time", at), ("class:notice", f" * online ({len(users)}): ")]
    for index, nick in enumerate(users):
        if index:
            line.append(("class:notice", ", "))
        line.append((nick_style(nick, me), printable(nick)))
    return line


def acceptable(frame: PublicFrame | PrivateFrame, show: Callable[[Fragments], None]) -> bool:
    """Whether a message keeps to the protocol's text rules; if not, say it was dropped."""
    if not breaks_lines(frame.text):
        return True
    # The protocol forbids this: a rogue or broken server. Say so; show none of it.
    show(
        [
            (
                "class:warning",
                f"! dropped a message from {printable(frame.sender)}:"
                " it held control characters, which the protocol forbids",
            )
        ]
    )
    return False
