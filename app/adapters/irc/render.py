"""The room's events as IRC lines: messages (split to fit 512 bytes, /me as ACTION, tagged
as the client negotiated), joins, parts, quits and nick changes. Pure."""

from datetime import datetime
from typing import Final

from app.adapters.irc.message import MAX_LINE_BYTES, format_line
from app.adapters.irc.text import format_ctcp, irc_text_budget, native_action, split_for_irc
from app.adapters.tcp.wire import format_timestamp
from app.domain.events import Message, NickChanged, PublicMessage, UserJoined, UserLeft

# A client's tag variant: which tags its lines carry (see Variant).
SERVER_TIME: Final = 1  # the `time` tag (server-time)
MESSAGE_TAGS: Final = 2  # `msgid` (message-tags)
VARIANTS: Final = 4
_ACTION_WRAPPING: Final = len(format_ctcp("ACTION", "x")) - 1
_MIDDLE_PARAM_BYTES: Final = 64  # of a client's word repeated in a reply, when the line is long


class Renderer:
    """Lines as the gateway `server` writes them, in `channel`; every user is
    nick!nick@`user_host`, whichever protocol it uses."""

    __slots__ = ("channel", "server", "user_host")

    def __init__(self, server: str, channel: str, user_host: str) -> None:
        self.server = server
        self.channel = channel
        self.user_host = user_host

    def mask(self, nick: str) -> str:
        return f"{nick}!{nick}@{self.user_host}"

    def reply(self, command: str, *params: str) -> bytes:
        """A line from the server itself: a numeric, a PONG, a NOTICE."""
        return bounded_line(command, params, self.server)

    def format(self, command: str, *params: str, source: str) -> bytes:
        return bounded_line(command, params, source)

    def reply_plain(self, command: str, *params: str) -> bytes:
        """A line with no source, as servers send ERROR and their own PING."""
        return bounded_line(command, params, None)

    def closing(self, why: object) -> bytes:
        """ERROR: what an IRC server says last, before it closes a connection."""
        return bounded_line("ERROR", (f"Closing link: {why}",), None)

    def message(
        self,
        message: Message,
        variant: int,
        *,
        batch: str | None = None,
        time_in_text: bool = False,
    ) -> bytes:
        """A public or private message as one PRIVMSG line, or several if it is too long
        for one: cut on character boundaries, after a space where one is near, so that the
        pieces joined give the text back. Only the first piece carries the msgid."""
        return self.message_lines(message, self.pieces(message, time_in_text), variant, batch)

    def message_variants(self, message: Message) -> tuple[bytes, ...]:
        """The message's lines in every tag variant, cut into pieces once for all."""
        pieces = self.pieces(message, time_in_text=False)
        return tuple(self.message_lines(message, pieces, variant) for variant in range(VARIANTS))

    def pieces(self, message: Message, time_in_text: bool) -> list[str]:
        """The PRIVMSG texts of a message: an action as ACTIONs, each within 512 bytes."""
        text = message.text
        if time_in_text:  # for a client that cannot take the time as a tag: as bouncers do
            text = f"[{message.sent_at:%Y-%m-%d %H:%M:%S}] {text}"
        budget = irc_text_budget(self.mask(message.sender), "PRIVMSG", _target(self, message))
        action = native_action(message.text)
        if action is None:
            return split_for_irc(text, budget)
        stamp = text[: len(text) - len(message.text)]
        return [
            format_ctcp("ACTION", piece)
            for piece in split_for_irc(stamp + action, budget - _ACTION_WRAPPING)
        ]

    def message_lines(
        self, message: Message, pieces: list[str], variant: int, batch: str | None = None
    ) -> bytes:
        target, source = _target(self, message), self.mask(message.sender)
        tags = tags_for(variant, message.sent_at, batch)
        lines = []
        for index, piece in enumerate(pieces):
            if index == 0 and variant & MESSAGE_TAGS:
                tags = {**tags, "msgid": str(message.id)}
            elif index == 1:
                tags.pop("msgid", None)
            lines.append(format_line("PRIVMSG", target, piece, source=source, tags=tags))
        return b"".join(lines)

    def joined(self, event: UserJoined, variant: int) -> bytes:
        return format_line(
            "JOIN", self.channel, source=self.mask(event.nick), tags=tags_for(variant, event.at)
        )

    def left(self, event: UserLeft, variant: int) -> bytes:
        tags = tags_for(variant, event.at)
        source = self.mask(event.nick)
        if event.reason == "part":
            if event.message is None:
                return format_line("PART", self.channel, source=source, tags=tags)
            said = fitted(event.message, irc_text_budget(source, "PART", self.channel))
            return format_line("PART", self.channel, said, source=source, tags=tags)
        said = fitted(quit_text(event), irc_text_budget(source, "QUIT", ""))  # (1 byte spare)
        return format_line("QUIT", said, source=source, tags=tags)

    def renamed(self, event: NickChanged, variant: int) -> bytes:
        return format_line(
            "NICK", event.new, source=self.mask(event.old), tags=tags_for(variant, event.at)
        )


def _target(render: Renderer, message: Message) -> str:
    return render.channel if isinstance(message, PublicMessage) else message.recipient


def bounded_line(command: str, params: tuple[str, ...], source: str | None) -> bytes:
    """The line, within 512 bytes however long the client's words it repeats (a target, a
    token, a goodbye): long middle params are cut short, then the last one to fit."""
    if not params:
        return format_line(command, source=source)
    *middle, last = params
    middle = [_word(param) for param in middle]
    line = format_line(command, *middle, last, source=source)
    if len(line) <= MAX_LINE_BYTES:
        return line
    middle = [fitted(param, _MIDDLE_PARAM_BYTES) for param in middle]
    room = MAX_LINE_BYTES - len(format_line(command, *middle, "", source=source))
    return format_line(command, *middle, fitted(last, max(room, 4)), source=source)


def _word(param: str) -> str:
    """A client's word echoed as a middle param (`NAMES :#a b` names "#a b"): one word."""
    word = param.replace(" ", "_").lstrip(":")
    return word or "*"


def fitted(text: str, budget: int) -> str:
    """`text`, cut to `budget` bytes if longer (a goodbye is one line: the rest is lost)."""
    return split_for_irc(text, budget)[0] if len(text.encode()) > budget else text


def quit_text(event: UserLeft) -> str:
    """What IRC clients show as the reason of a leave: the goodbye, else why it went."""
    if event.message is not None:
        return event.message
    return "Quit" if event.reason == "quit" else event.reason.replace("_", " ")


def tags_for(variant: int, at: datetime, batch: str | None = None) -> dict[str, str]:
    tags: dict[str, str] = {}
    if batch is not None:
        tags["batch"] = batch
    if variant & SERVER_TIME:
        tags["time"] = format_timestamp(at)
    return tags
