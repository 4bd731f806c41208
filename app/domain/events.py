"""What the room tells its members. The TCP adapter turns each into its wire frame."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Welcome:
    nick: str
    requested: str | None
    renamed: bool
    users: tuple[str, ...]
    at: datetime


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


@dataclass(frozen=True)
class UserJoined:
    nick: str
    at: datetime


@dataclass(frozen=True)
class UserLeft:
    nick: str
    reason: str
    at: datetime


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
class ServerShutdown:
    reason: str
    at: datetime


ChatEvent = (
    Welcome
    | PublicMessage
    | PrivateMessage
    | UserJoined
    | UserLeft
    | NickChanged
    | UserList
    | StatsReport
    | Pong
    | ServerShutdown
)
