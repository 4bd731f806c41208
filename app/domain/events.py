"""What the room tells its members. Each wire codec turns these into its own frames."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.domain.errors import ChatError

HistoryReason = Literal["backlog", "resume", "request"]


@dataclass(frozen=True)
class Welcome:
    nick: str
    requested: str | None
    renamed: bool
    users: tuple[str, ...]
    at: datetime
    resume_token: str | None = None  # None: this server does not resume sessions
    resumed: bool = False
    last_id: int = 0  # the newest message id when this client joined: later ones come live


@dataclass(frozen=True)
class PublicMessage:
    id: int
    sender: str
    text: str
    sent_at: datetime


@dataclass(frozen=True)
class PrivateMessage:
    id: int
    sender: str
    recipient: str
    text: str
    sent_at: datetime


Message = PublicMessage | PrivateMessage


@dataclass(frozen=True)
class History:
    """Messages from the room log rather than live, oldest first.

    `more`: for a backlog or a request, older public messages exist; for a resume, another
    history frame of the same replay follows. `gap`: the log no longer holds some of what a
    resuming client missed.
    """

    reason: HistoryReason
    messages: tuple[Message, ...]
    more: bool
    at: datetime
    gap: bool = False


@dataclass(frozen=True)
class Entered:
    """To a registered client that came into the room: who is there now. Its backlog, if
    any, follows; the room's feed starts right after its own join."""

    nick: str
    users: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class UserJoined:
    nick: str
    at: datetime


@dataclass(frozen=True)
class UserLeft:
    nick: str
    reason: str
    at: datetime
    message: str | None = None  # the goodbye of a quit, if the client gave a valid one


@dataclass(frozen=True)
class NickChanged:
    old: str
    new: str
    at: datetime


@dataclass(frozen=True)
class UserList:
    users: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class StatsReport:
    users: int
    public_total: int
    private_total: int
    at: datetime


@dataclass(frozen=True)
class Pong:
    token: str | None
    at: datetime


@dataclass(frozen=True)
class Refusal:
    """A request of this client's was refused, and why."""

    error: ChatError
    at: datetime


@dataclass(frozen=True)
class ServerShutdown:
    reason: str
    at: datetime


ChatEvent = (
    Welcome
    | Entered
    | PublicMessage
    | PrivateMessage
    | History
    | UserJoined
    | UserLeft
    | NickChanged
    | UserList
    | StatsReport
    | Pong
    | Refusal
    | ServerShutdown
)
