"""Domain events and chat errors as protocol v1 frames."""

from datetime import datetime
from typing import Final, assert_never

from app.adapters.tcp.wire import (
    ErrorCode,
    ErrorFrame,
    JoinFrame,
    LeaveFrame,
    NickChangedFrame,
    PongFrame,
    PrivateFrame,
    PublicFrame,
    ServerFrame,
    ShutdownFrame,
    StatsFrame,
    UsersFrame,
    WelcomeFrame,
    encode_frame,
)
from app.domain import errors
from app.domain.events import (
    ChatEvent,
    NickChanged,
    Pong,
    PrivateMessage,
    PublicMessage,
    ServerShutdown,
    StatsReport,
    UserJoined,
    UserLeft,
    UserList,
    Welcome,
)

# The one table from chat rules to wire codes. A message's text that breaks the rules is a
# malformed frame as far as the protocol is concerned.
ERROR_CODES: Final[dict[type[errors.ChatError], ErrorCode]] = {
    errors.NotRegistered: "not_registered",
    errors.AlreadyRegistered: "already_registered",
    errors.InvalidNick: "invalid_nick",
    errors.NickTaken: "nick_taken",
    errors.NoSuchUser: "no_such_user",
    errors.InvalidText: "invalid_frame",
    errors.StorageFailed: "storage_failed",
}


def error_frame(code: ErrorCode, message: str, at: datetime) -> bytes:
    return encode_frame(ErrorFrame(code=code, message=message, ts=at))


# The last event encoded, and its bytes. The service hands one event to every recipient in
# turn, under its lock, so remembering just the last one encodes a broadcast once.
_last_encoded: tuple[object, bytes] = (None, b"")


def encode_event(event: ChatEvent) -> bytes:
    """The bytes for an event: encoded once, however many recipients it goes to."""
    global _last_encoded  # noqa: PLW0603 - a one-slot cache; swapping a tuple is atomic
    last_event, data = _last_encoded
    if last_event is not event:
        data = encode_frame(event_frame(event))
        _last_encoded = (event, data)
    return data


def event_frame(event: ChatEvent) -> ServerFrame:
    match event:
        case Welcome():
            return WelcomeFrame(
                nick=event.nick,
                requested=event.requested,
                renamed=event.renamed,
                users=list(event.users),
                ts=event.at,
            )
        case PublicMessage():
            return PublicFrame(id=event.id, sender=event.sender, text=event.text, ts=event.sent_at)
        case PrivateMessage():
            return PrivateFrame(
                id=event.id,
                sender=event.sender,
                to=event.recipient,
                text=event.text,
                ts=event.sent_at,
            )
        case UserJoined():
            return JoinFrame(nick=event.nick, ts=event.at)
        case UserLeft():
            return LeaveFrame(nick=event.nick, reason=event.reason, ts=event.at)
        case NickChanged():
            return NickChangedFrame(old=event.old, new=event.new, ts=event.at)
        case UserList():
            return UsersFrame(users=list(event.users), ts=event.at)
        case StatsReport():
            return StatsFrame(
                users=event.users,
                public_total=event.public_total,
                private_total=event.private_total,
                ts=event.at,
            )
        case Pong():
            return PongFrame(token=event.token, ts=event.at)
        case ServerShutdown():
            return ShutdownFrame(reason=event.reason, ts=event.at)
        case _:
            assert_never(event)
