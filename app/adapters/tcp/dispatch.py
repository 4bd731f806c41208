"""One client frame, one call on the chat service."""

from enum import Enum, auto
from typing import assert_never

import structlog

from app.adapters.tcp.wire import (
    AskStats,
    AskUsers,
    ChangeNick,
    ClientFrame,
    Hello,
    Ping,
    Quit,
    SendPrivate,
    SendPublic,
)
from app.domain.errors import NotRegistered
from app.services.chat import ChatService
from app.services.ports import Recipient


class AfterFrame(Enum):
    KEEP_OPEN = auto()
    CLOSE = auto()  # the client said quit: flush what it is owed, then close


def serve_frame(
    chat: ChatService, client: Recipient, frame: ClientFrame, log: structlog.BoundLogger
) -> AfterFrame:
    """Carry out `frame` for `client`. Chat rule violations propagate as ChatError."""
    match frame:
        case Hello():
            claim = chat.join(client, frame.nick)
            log.info(
                "client_registered", nick=claim.nick, requested=frame.nick, renamed=claim.renamed
            )
        case SendPublic():
            chat.say_public(client, frame.text)
        case SendPrivate():
            chat.say_private(client, frame.to, frame.text)
        case AskUsers():
            chat.list_users(client)
        case ChangeNick():
            changed = chat.rename(client, frame.nick)
            log.info("nick_changed", old=changed.old, new=changed.new)
        case AskStats():
            chat.report_stats(client)
        case Ping():
            chat.ping(client, frame.token)
        case Quit():
            nick = chat.leave(client, "quit")
            if nick is None:
                raise NotRegistered()
            log.info("client_left", nick=nick, reason="quit", said=frame.reason)
            return AfterFrame.CLOSE
        case _:
            assert_never(frame)
    return AfterFrame.KEEP_OPEN
