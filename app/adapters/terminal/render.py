"""Server frames as lines for a person to read. Pure: no terminal, no socket."""

import unicodedata
from datetime import datetime
from typing import Final, assert_never

from app.adapters.tcp.wire import (
    ErrorFrame,
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

# Characters a terminal would act on rather than show: controls, format characters such as
# bidi overrides and zero-width joiners, line separators, surrogates and private use.
_UNSAFE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def printable(text: str) -> str:
    """`text` with every character a terminal could act on shown as an escape instead."""
    return "".join(
        f"\\u{ord(char):04x}" if unicodedata.category(char) in _UNSAFE_CATEGORIES else char
        for char in text
    )


def clock_time(moment: datetime) -> str:
    """[HH:MM:SS] in the user's local time zone."""
    return f"[{moment.astimezone().strftime('%H:%M:%S')}]"


def welcome_line(frame: WelcomeFrame) -> str:
    line = f"{clock_time(frame.ts)} * welcome, {printable(frame.nick)}!"
    if frame.renamed and frame.requested is not None:
        line += (
            f" ({printable(frame.requested)} was taken, so the server gave you a random"
            " nickname; /nick NEW changes it)"
        )
    online = ", ".join(printable(nick) for nick in frame.users)
    return f"{line}\n{clock_time(frame.ts)} * online ({len(frame.users)}): {online}"


def render(frame: ServerFrame | ProtocolError, me: str) -> str | None:
    """The line(s) to show for `frame` to the user called `me`; None for nothing to show."""
    if isinstance(frame, ProtocolError):
        return f"! ignored a malformed line from the server: {frame.message}"
    at = clock_time(frame.ts)
    match frame:
        case WelcomeFrame():
            return welcome_line(frame)
        case PublicFrame():
            return f"{at} <{printable(frame.sender)}> {printable(frame.text)}"
        case PrivateFrame():
            if frame.sender == me and frame.to != me:
                return f"{at} [pm to {printable(frame.to)}] {printable(frame.text)}"
            return f"{at} [pm from {printable(frame.sender)}] {printable(frame.text)}"
        case JoinFrame():
            return f"{at} * {printable(frame.nick)} joined"
        case LeaveFrame():
            return f"{at} * {printable(frame.nick)} left ({printable(frame.reason)})"
        case NickChangedFrame():
            who = "you are" if frame.old == me else f"{printable(frame.old)} is"
            return f"{at} * {who} now known as {printable(frame.new)}"
        case UsersFrame():
            online = ", ".join(printable(nick) for nick in frame.users)
            return f"{at} * online ({len(frame.users)}): {online}"
        case StatsFrame():
            return (
                f"{at} * {frame.users} online, {frame.public_total} public and"
                f" {frame.private_total} private messages in all"
            )
        case PongFrame():
            return None
        case ErrorFrame():
            return f"{at} ! {printable(frame.message)} ({frame.code})"
        case ShutdownFrame():
            return f"{at} * the server is closing: {printable(frame.reason)}"
        case _:
            assert_never(frame)
