"""Protocol v1 frames as pydantic models, and their JSON-lines codec. Pure: bytes in and out.

Every frame is one JSON object on one line; "type" picks the model. Models are strict about
types, so what one side sends the other can trust in shape. The server refuses fields it
does not know in client frames; a client ignores them in server frames, so that a newer
server can add fields without breaking older clients.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PlainSerializer,
    PositiveInt,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    model_serializer,
)

from app.adapters.tcp.frame_errors import FrameErrors
from app.domain.commands import HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT, MAX_ID
from app.domain.errors import InvalidText
from app.domain.text import validate_quit_message


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds: '2026-11-23T20:57:43.123Z'."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


Timestamp = Annotated[AwareDatetime, PlainSerializer(format_timestamp, return_type=str)]


def _shown_as_quit_message(text: str) -> str:
    try:
        return validate_quit_message(text)
    except InvalidText as error:
        raise ValueError(str(error)) from None


# A goodbye shown in a leave: the rules of message text, and at most 200 characters.
QuitMessage = Annotated[str, AfterValidator(_shown_as_quit_message)]

ErrorCode = Literal[
    "invalid_frame",
    "frame_too_large",
    "not_registered",
    "already_registered",
    "invalid_nick",
    "nick_taken",
    "no_such_user",
    "rate_limited",
    "server_full",
    "storage_failed",
    "unavailable",
]


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class ServerFrameBase(Frame):
    model_config = ConfigDict(extra="ignore")  # forward compatible: unknown fields are skipped


# --- client to server ---------------------------------------------------------------------
# A required field's description is said to a client that leaves it out.


class ResumeFields(Frame):
    token: str = Field(min_length=1, max_length=256, description="the resume_token of a welcome")
    last_id: int = Field(ge=0, le=MAX_ID, description="the newest message id you have seen")


class Hello(Frame):
    type: Literal["hello"] = "hello"
    nick: str | None = None
    resume: ResumeFields | None = None


class SendPublic(Frame):
    type: Literal["public"] = "public"
    text: str = Field(description="the message")


class SendPrivate(Frame):
    type: Literal["private"] = "private"
    to: str = Field(description="the nickname to send to")
    text: str = Field(description="the message")


class AskUsers(Frame):
    type: Literal["users"] = "users"


class ChangeNick(Frame):
    type: Literal["nick"] = "nick"
    nick: str = Field(description="the new nickname")


class AskStats(Frame):
    type: Literal["stats"] = "stats"


class Ping(Frame):
    type: Literal["ping"] = "ping"
    token: str | None = None


class Quit(Frame):
    type: Literal["quit"] = "quit"
    # Any string: a goodbye that breaks the rules must still end the session, so the chat
    # service drops it from the leave rather than the frame being refused here.
    reason: str | None = None


class AskHistory(Frame):
    type: Literal["history"] = "history"
    before: int | None = Field(default=None, ge=1, le=MAX_ID)
    limit: int = Field(default=HISTORY_DEFAULT_LIMIT, ge=1, le=HISTORY_MAX_LIMIT)


ClientFrame = Annotated[
    Hello | SendPublic | SendPrivate | AskUsers | ChangeNick | AskStats | Ping | Quit | AskHistory,
    Field(discriminator="type"),
]

# --- server to client ---------------------------------------------------------------------


class WelcomeFrame(ServerFrameBase):
    type: Literal["welcome"] = "welcome"
    nick: str
    requested: str | None
    renamed: bool
    users: list[str]
    # Older servers sent none of these three: the defaults read as "cannot resume".
    resume_token: str | None = None
    resumed: bool = False
    last_id: NonNegativeInt = 0
    ts: Timestamp


class PublicFrame(ServerFrameBase):
    type: Literal["public"] = "public"
    id: PositiveInt
    sender: str = Field(alias="from")
    text: str
    ts: Timestamp


class PrivateFrame(ServerFrameBase):
    type: Literal["private"] = "private"
    id: PositiveInt
    sender: str = Field(alias="from")
    to: str
    text: str
    ts: Timestamp


MessageFrame = Annotated[PublicFrame | PrivateFrame, Field(discriminator="type")]


class HistoryFrame(ServerFrameBase):
    type: Literal["history"] = "history"
    reason: Literal["backlog", "resume", "request"]
    messages: list[MessageFrame]
    more: bool
    gap: bool = False
    ts: Timestamp


class JoinFrame(ServerFrameBase):
    type: Literal["join"] = "join"
    nick: str
    ts: Timestamp


class LeaveFrame(ServerFrameBase):
    type: Literal["leave"] = "leave"
    nick: str
    reason: str
    message: QuitMessage | None = None  # a quit's goodbye; absent from the line when None
    ts: Timestamp

    @model_serializer(mode="wrap")
    def _omit_absent_message(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        fields: dict[str, Any] = handler(self)
        if self.message is None:
            del fields["message"]
        return fields


class NickChangedFrame(ServerFrameBase):
    type: Literal["nick"] = "nick"
    old: str
    new: str
    ts: Timestamp


class UsersFrame(ServerFrameBase):
    type: Literal["users"] = "users"
    users: list[str]
    ts: Timestamp


class StatsFrame(ServerFrameBase):
    type: Literal["stats"] = "stats"
    users: NonNegativeInt
    public_total: NonNegativeInt
    private_total: NonNegativeInt
    ts: Timestamp


class PongFrame(ServerFrameBase):
    type: Literal["pong"] = "pong"
    token: str | None
    ts: Timestamp


class ErrorFrame(ServerFrameBase):
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    ts: Timestamp


class ShutdownFrame(ServerFrameBase):
    type: Literal["shutdown"] = "shutdown"
    reason: str
    ts: Timestamp


ServerFrame = Annotated[
    WelcomeFrame
    | PublicFrame
    | PrivateFrame
    | HistoryFrame
    | JoinFrame
    | LeaveFrame
    | NickChangedFrame
    | UsersFrame
    | StatsFrame
    | PongFrame
    | ErrorFrame
    | ShutdownFrame,
    Field(discriminator="type"),
]

_CLIENT_FRAMES: Final[TypeAdapter[ClientFrame]] = TypeAdapter(ClientFrame)
_SERVER_FRAMES: Final[TypeAdapter[ServerFrame]] = TypeAdapter(ServerFrame)
_CLIENT_FRAME_ERRORS: Final = FrameErrors(ClientFrame)
_SERVER_FRAME_ERRORS: Final = FrameErrors(ServerFrame)


class ProtocolError(Exception):
    """A line that is not a valid frame. `code` is the wire error code to answer with."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message


def decode_client_frame(line: bytes) -> ClientFrame:
    return _decode(_CLIENT_FRAMES, _CLIENT_FRAME_ERRORS, line)


def decode_server_frame(line: bytes) -> ServerFrame:
    return _decode(_SERVER_FRAMES, _SERVER_FRAME_ERRORS, line)


def encode_frame(frame: Frame) -> bytes:
    """One line of JSON, "\\n" included. Non-ASCII stays as UTF-8, as the protocol says."""
    return frame.model_dump_json(by_alias=True).encode("utf-8") + b"\n"


Decoded = TypeVar("Decoded")


def _decode(adapter: TypeAdapter[Decoded], errors: FrameErrors, line: bytes) -> Decoded:
    try:
        return adapter.validate_json(line)
    except ValidationError as error:  # its first problem, in a sentence for people
        raise ProtocolError("invalid_frame", errors.describe(error)) from None
