"""What a line typed into the client means. Pure: a line in, an action out."""

from dataclasses import dataclass
from typing import Final

from app.adapters.tcp.wire import (
    AskStats,
    AskUsers,
    ChangeNick,
    ClientFrame,
    Quit,
    SendPrivate,
    SendPublic,
)
from app.domain.commands import HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT
from app.domain.errors import InvalidText
from app.domain.text import validate_quit_message, validate_text

HELP_TEXT: Final = """\
Commands:
  /users            who is online
  /msg NICK TEXT    a private message (also /w)
  /pm NICK          talk privately with NICK until /exit
  /exit             back to talking to everyone
  /nick NEW         change your nickname
  /stats            users online, message totals
  /history [N]      N older messages (50; at most 200)
  /me ACTION        "/me waves" shows "* alice waves"
  /reconnect        reconnect now (also F5)
  /quit [REASON]    leave; the others see REASON
  /help             this list
Anything else is said to everyone; //text says /text.
Keys: PageUp/PageDown scroll, F2 the nick list, Tab
completes, Up/Down recall, Ctrl-C quits."""


@dataclass(frozen=True)
class Send:
    frame: ClientFrame


@dataclass(frozen=True)
class FetchOlder:
    """Ask for `limit` public messages older than the oldest one shown."""

    limit: int


@dataclass(frozen=True)
class StartPrivateChat:
    partner: str


@dataclass(frozen=True)
class EndPrivateChat:
    pass


@dataclass(frozen=True)
class Leave:
    frame: Quit


@dataclass(frozen=True)
class Reconnect:
    """Stop waiting for the countdown: try to reconnect now."""


@dataclass(frozen=True)
class ShowLocally:
    """Nothing is sent; the user is told this (help, where they are)."""

    text: str


@dataclass(frozen=True)
class Refuse:
    """Nothing is sent because the line is wrong (a usage error, an unknown command, text
    the server would refuse); `reason` says why."""

    reason: str


Action = (
    Send
    | FetchOlder
    | StartPrivateChat
    | EndPrivateChat
    | Reconnect
    | Leave
    | ShowLocally
    | Refuse
    | None
)


def parse_input(line: str, partner: str | None = None) -> Action:
    """The action for one typed line; `partner` is who /pm mode talks to, if anyone."""
    if not line.strip():
        return None
    if line.startswith("//"):
        return _say(line[1:], partner)
    if not line.startswith("/"):
        return _say(line, partner)
    name, _, rest = line[1:].partition(" ")
    rest = rest.strip()
    match name.lower():
        case "help" | "?":
            return ShowLocally(HELP_TEXT)
        case "users" | "who":
            return Send(AskUsers())
        case "stats":
            return Send(AskStats())
        case "history":
            return _fetch_older(rest)
        case "msg" | "w":
            to, _, text = rest.partition(" ")
            if not to or not text.strip():
                return Refuse(f"usage: /{name} NICK TEXT")
            return _checked(Send(SendPrivate(to=to, text=text)), text)
        case "pm":
            if not rest or " " in rest:
                return Refuse("usage: /pm NICK (then /exit to talk to everyone again)")
            return StartPrivateChat(rest)
        case "exit":
            if partner is None:
                return ShowLocally("you are not in a private conversation (/quit leaves the chat)")
            return EndPrivateChat()
        case "nick":
            if not rest or " " in rest:
                return Refuse("usage: /nick NEW")
            return Send(ChangeNick(nick=rest))
        case "me":
            if not rest:
                return Refuse("usage: /me ACTION")
            return _say(f"/me {rest}", partner)
        case "reconnect":
            return Reconnect()
        case "quit":
            if rest:
                try:
                    validate_quit_message(rest)
                except InvalidText as error:
                    return Refuse(f"not sent: {error}")
            return Leave(Quit(reason=rest or None))
        case _:
            return Refuse(f"unknown command /{name}; /help lists the commands")


def _fetch_older(argument: str) -> Action:
    if not argument:
        return FetchOlder(HISTORY_DEFAULT_LIMIT)
    if argument.isascii() and argument.isdigit() and 1 <= int(argument) <= HISTORY_MAX_LIMIT:
        return FetchOlder(int(argument))
    return Refuse(f"usage: /history [N], N from 1 to {HISTORY_MAX_LIMIT}")


def _say(text: str, partner: str | None) -> Action:
    frame: ClientFrame = (
        SendPublic(text=text) if partner is None else SendPrivate(to=partner, text=text)
    )
    return _checked(Send(frame), text)


def _checked(action: Send, text: str) -> Action:
    """Check the text by the server's own rules first, so the user learns why at once."""
    try:
        validate_text(text)
    except InvalidText as error:
        return Refuse(str(error))
    return action
