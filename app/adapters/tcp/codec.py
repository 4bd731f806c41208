"""Protocol v1 as the server speaks it: received bytes to commands, events to frame bytes.
Pure: no socket in sight."""

from typing import Final, assert_never

from app.adapters.tcp.framing import MAX_FRAME_BYTES, LineSplitter, Oversized
from app.adapters.tcp.wire import (
    AskHistory,
    AskStats,
    AskUsers,
    ChangeNick,
    ClientFrame,
    ErrorCode,
    ErrorFrame,
    Hello,
    HistoryFrame,
    JoinFrame,
    LeaveFrame,
    NickChangedFrame,
    Ping,
    PongFrame,
    PrivateFrame,
    ProtocolError,
    PublicFrame,
    Quit,
    SendPrivate,
    SendPublic,
    ServerFrame,
    ShutdownFrame,
    StatsFrame,
    UsersFrame,
    WelcomeFrame,
    decode_client_frame,
    encode_frame,
)
from app.domain import commands, errors
from app.domain.commands import Command, Malformed
from app.domain.events import (
    ChatEvent,
    Entered,
    History,
    Message,
    NickChanged,
    Pong,
    PrivateMessage,
    PublicMessage,
    Refusal,
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
    errors.InvalidFrame: "invalid_frame",
    errors.FrameTooLarge: "frame_too_large",
    errors.RateLimited: "rate_limited",
    errors.ServerFull: "server_full",
    errors.StorageFailed: "storage_failed",
    errors.Unavailable: "unavailable",
    errors.NotSupported: "invalid_frame",
}


# What an IRC client sends first, at the wrong port: told where to go rather than "not JSON".
_IRC_REGISTRATION: Final = (b"CAP ", b"NICK ", b"USER ", b"PASS ")
_NOT_THE_IRC_PORT: Final = (
    "this port speaks chatroom's own JSON protocol; IRC clients connect to the server's"
    " IRC port (chat-server --irc-port)"
)


class V1Decoder:
    """One connection's incoming bytes as commands, a line at a time."""

    __slots__ = ("_splitter",)

    def __init__(self) -> None:
        self._splitter = LineSplitter()

    def feed(self, data: bytes) -> list[Command | Malformed]:
        return [decode_line(line) for line in self._splitter.feed(data)]


def decode_line(line: bytes | Oversized) -> Command | Malformed:
    if isinstance(line, Oversized):
        message = f"a frame is at most {MAX_FRAME_BYTES} bytes; the rest of it was dropped"
        return Malformed(errors.FrameTooLarge(message))
    if line.startswith(_IRC_REGISTRATION):
        return Malformed(errors.InvalidFrame(_NOT_THE_IRC_PORT))
    try:
        return command_of(decode_client_frame(line))
    except ProtocolError as error:
        return Malformed(errors.InvalidFrame(error.message))


def command_of(frame: ClientFrame) -> Command:
    match frame:
        case Hello():
            resume = frame.resume
            return commands.Join(
                nick=frame.nick,
                resume=None
                if resume is None
                else commands.ResumeRequest(token=resume.token, last_id=resume.last_id),
            )
        case SendPublic():
            return commands.SayPublic(text=frame.text)
        case SendPrivate():
            return commands.SayPrivate(to=frame.to, text=frame.text)
        case AskUsers():
            return commands.ListUsers()
        case ChangeNick():
            return commands.Rename(nick=frame.nick)
        case AskStats():
            return commands.ShowStats()
        case Ping():
            return commands.Ping(token=frame.token)
        case AskHistory():
            return commands.FetchHistory(before=frame.before, limit=frame.limit)
        case Quit():
            return commands.Leave(reason=frame.reason)
        case _:
            assert_never(frame)


def encode_event(event: ChatEvent) -> bytes:
    return encode_frame(event_frame(event))


def event_frame(event: ChatEvent) -> ServerFrame:
    match event:
        case Welcome():
            return WelcomeFrame(
                nick=event.nick,
                requested=event.requested,
                renamed=event.renamed,
                users=list(event.users),
                ts=event.at,
                resume_token=event.resume_token,
                resumed=event.resumed,
                last_id=event.last_id,
            )
        case PublicMessage() | PrivateMessage():
            return message_frame(event)
        case History():
            return HistoryFrame(
                reason=event.reason,
                messages=[message_frame(message) for message in event.messages],
                more=event.more,
                gap=event.gap,
                ts=event.at,
            )
        case UserJoined() | Entered():  # (v1 has no way out of the room but quit)
            return JoinFrame(nick=event.nick, ts=event.at)
        case UserLeft():
            return LeaveFrame(
                nick=event.nick, reason=event.reason, message=event.message, ts=event.at
            )
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
        case Refusal():
            code = ERROR_CODES[type(event.error)]
            return ErrorFrame(code=code, message=str(event.error), ts=event.at)
        case ServerShutdown():
            return ShutdownFrame(reason=event.reason, ts=event.at)
        case _:
            assert_never(event)


def message_frame(message: Message) -> PublicFrame | PrivateFrame:
    if isinstance(message, PublicMessage):
        return PublicFrame(
            id=message.id, sender=message.sender, text=message.text, ts=message.sent_at
        )
    return PrivateFrame(
        id=message.id,
        sender=message.sender,
        to=message.recipient,
        text=message.text,
        ts=message.sent_at,
    )
