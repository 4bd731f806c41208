"""Server frames as styled lines for a person to read. Pure: no terminal, no socket.

A line is a list of (style, text) fragments; the window maps each style name to colours,
and `plain` joins the texts for a pipe. Style names: time, self, nick0 .. nick9, notice,
action, private, mention, warning, history, divider, error, pending.
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

Fragment = tuple[str, str]
Fragments = list[Fragment]
# Ten nick colours; magenta is left out of them, as it is the colour of private messages.
NICK_COLOURS: Final = 10
ACTION_PREFIX: Final = "/me "
# What the server calls a shutdown when the operator gave no reason: not worth repeating.
DEFAULT_SHUTDOWN_REASON: Final = "server closing"
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


def clock_time(moment: datetime) -> str:
    """[HH:MM:SS] in the user's local time zone."""
    return f"[{moment.astimezone().strftime('%H:%M:%S')}]"


def notice(text: str, at: datetime) -> Fragments:
    """Something the client itself says, with the time it said it."""
    return [("time", clock_time(at)), ("notice", f" {text}")]


def warning(text: str, at: datetime) -> Fragments:
    return [("time", clock_time(at)), ("warning", f" {text}")]


def error(text: str, at: datetime) -> Fragments:
    return [("time", clock_time(at)), ("error", f" {text}")]


def nick_style(nick: str, me: str) -> str:
    """One colour per nick, the same in every run and for every client; yours stands out."""
    if nick == me:
        return "self"
    return f"nick{zlib.crc32(fold_nick(nick).encode()) % NICK_COLOURS}"


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


def welcome_lines(frame: WelcomeFrame) -> list[Fragments]:
    at = clock_time(frame.ts)
    line: Fragments = [
        ("time", at),
        ("notice", " * welcome, "),
        ("self", printable(frame.nick)),
        ("notice", "!"),
    ]
    if frame.renamed and frame.requested is not None:
        line.append(
            (
                "warning",
                f" ({printable(frame.requested)} was taken, or is held for someone who is"
                " reconnecting, so the server gave you a random nickname; /nick NEW changes it)",
            )
        )
    return [line, _online(at, frame.users, frame.nick)]


def divider(text: str) -> Fragments:
    """A line that separates history from live traffic: '-- earlier --'."""
    return [("divider", f"-- {text} --")]


def history_line(frame: PublicFrame | PrivateFrame, me: str) -> Fragments:
    """A message from the room's history: laid out as live, but dimmed and never highlighted
    (it was news when it was said, not now)."""
    return [("history", text) for _, text in said(frame, me)]


def said(frame: PublicFrame | PrivateFrame, me: str) -> Fragments:
    """A message as a line: `[time] <bob> hi`, `[time] * bob waves`, private ones marked."""
    to = frame.to if isinstance(frame, PrivateFrame) else None
    return message_line(frame.sender, to, frame.text, me, frame.ts)


def message_line(
    sender: str, to: str | None, text: str, me: str, at: datetime, *, highlight: bool = True
) -> Fragments:
    """`to` is None for a public message, the recipient for a private one."""
    stamp = ("time", clock_time(at))
    mention = highlight and sender != me and mentions(text, me)
    if to is None:
        return [stamp, *_text(sender, text, me, mention=mention)]
    outgoing = sender == me and to != me
    other = to if outgoing else sender
    marker = " [pm to " if outgoing else " [pm from "
    return [
        stamp,
        ("private", marker),
        (nick_style(other, me), printable(other)),
        ("private", "]"),
        *_text(sender, text, me, mention=mention, private=True),
    ]


def pending(sender: str, to: str | None, text: str, at: datetime) -> Fragments:
    """A line just sent, not yet confirmed by the server: shown at once, dimmed."""
    line = message_line(sender, to, text, sender, at, highlight=False)
    return [("pending", part) for _, part in line]


def refused(
    sender: str, to: str | None, text: str, at: datetime, reason: str, *, verdict: str = "refused"
) -> Fragments:
    """A line that did not go through, and why: `verdict` is "refused" (by the server),
    "not sent" (by the client) or "perhaps lost" (the connection dropped first)."""
    return [*pending(sender, to, text, at), ("error", f"  [{verdict}: {printable(reason)}]")]


def _text(sender: str, text: str, me: str, *, mention: bool, private: bool = False) -> Fragments:
    who = (nick_style(sender, me), printable(sender))
    if text.startswith(ACTION_PREFIX):  # "/me waves" reads "* alice waves"
        action = printable(text.removeprefix(ACTION_PREFIX))
        return [("action", " * "), who, ("mention" if mention else "action", f" {action}")]
    style = "mention" if mention else ("private" if private else "")
    if private:
        return [("private", " "), (style, printable(text))]
    return [("", " <"), who, ("", "> "), (style, printable(text))]


def shutdown_text(reason: str) -> str:
    if not reason or reason == DEFAULT_SHUTDOWN_REASON:
        return "the server is shutting down"
    return f"the server is shutting down: {printable(reason)}"


def render(frame: ServerFrame | ProtocolError, me: str) -> list[Fragments]:
    """The lines to show for `frame` to the user called `me` (none for some frames)."""
    if isinstance(frame, ProtocolError):
        return [[("error", f"! ignored a malformed line from the server: {frame.message}")]]
    at = clock_time(frame.ts)
    stamp = ("time", at)
    match frame:
        case WelcomeFrame():
            return welcome_lines(frame)
        case PublicFrame() | PrivateFrame():
            return [said(frame, me)]
        case JoinFrame():
            return [[stamp, *_event(frame.nick, me, " joined")]]
        case LeaveFrame():
            why = printable(frame.reason)
            if frame.message:
                why = f"{why}: {printable(frame.message)}"
            return [[stamp, *_event(frame.nick, me, f" left ({why})")]]
        case NickChangedFrame():
            if frame.old == me == frame.new:
                return [[stamp, ("notice", f" * you are already known as {printable(me)}")]]
            if frame.old == me:
                return [[stamp, ("notice", f" * you are now known as {printable(frame.new)}")]]
            return [[stamp, *_event(frame.old, me, f" is now known as {printable(frame.new)}")]]
        case UsersFrame():
            return [_online(at, frame.users, me)]
        case StatsFrame():
            totals = (
                f" * {frame.users} online, {frame.public_total} public and"
                f" {frame.private_total} private messages in all"
            )
            return [[stamp, ("notice", totals)]]
        case PongFrame() | HistoryFrame():
            return []  # a history frame is shown by the session, which pages it
        case ErrorFrame():
            return [[stamp, ("error", f" ! {printable(frame.message)} ({frame.code})")]]
        case ShutdownFrame():
            return [[stamp, ("warning", f" * {shutdown_text(frame.reason)}")]]
        case _:
            assert_never(frame)


def _event(nick: str, me: str, what: str) -> Fragments:
    return [("notice", " * "), (nick_style(nick, me), printable(nick)), ("notice", what)]


def _online(at: str, users: list[str], me: str) -> Fragments:
    line: Fragments = [("time", at), ("notice", f" * online ({len(users)}): ")]
    for index, nick in enumerate(users):
        if index:
            line.append(("notice", ", "))
        line.append((nick_style(nick, me), printable(nick)))
    return line


def acceptable(frame: PublicFrame | PrivateFrame, show: Callable[[Fragments], None]) -> bool:
    """Whether a message keeps to the protocol's text rules; if not, say it was dropped."""
    if not breaks_lines(frame.text):
        return True
    # The protocol forbids this: a rogue or broken server. Say so; show none of it.
    show(
        [
            ("time", clock_time(frame.ts)),
            (
                "warning",
                f" ! dropped a message from {printable(frame.sender)}:"
                " it held control characters, which the protocol forbids",
            ),
        ]
    )
    return False
