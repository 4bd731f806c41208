"""What a node of a cluster needs from the store all nodes share (Redis, in production).

The shared store holds the room: one ordered stream of entries (messages with their ids,
joins, leaves, nick changes), the nick claims, the sessions and the nodes' heartbeats. Each
write is atomic there; a node applies the stream, in order, to its own clients.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.domain.events import Message
from app.services.ports import RoomHistory


class StoreUnavailable(Exception):
    """The shared store did not answer: nothing was written (or a retry found it written)."""


class OutcomeUnknown(StoreUnavailable):
    """The store did not answer, nor could it be asked afterwards whether the write was
    made: it may have been (it then appears in the stream like any other)."""


class Fenced(Exception):
    """This node was declared dead by the others: it may not act on what it holds."""


class RoomLost(Exception):
    """The shared store no longer holds the room (flushed, or restarted without its data)."""


class Refused(Exception):
    """The store refused a write for a reason of the room's: 'taken', 'gone', 'nouser'."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class MessageEntry:
    position: str  # the stream entry's id
    message: Message
    sender_session: str
    recipient_session: str | None  # None: public


@dataclass(frozen=True)
class JoinEntry:
    position: str
    session: str
    nick: str
    node: str
    hello: str  # the joining connection's hello, as its node named it
    resumed: bool
    first_id: int  # the newest message id at the session's first hello
    at: datetime


@dataclass(frozen=True)
class LeaveEntry:
    position: str
    session: str
    nick: str
    reason: str
    message: str | None
    at: datetime
    taken_over: bool = False  # written by a resume of the session on another connection


@dataclass(frozen=True)
class NickEntry:
    position: str
    session: str
    old: str
    new: str
    at: datetime


Entry = MessageEntry | JoinEntry | LeaveEntry | NickEntry


@dataclass(frozen=True)
class Said:
    """A message on its way to the store, from the connection holding `session` by `hello`."""

    session: str
    hello: str
    text: str
    at: datetime
    to: str | None = None  # a private message's recipient, as the sender wrote it


@dataclass(frozen=True)
class RoomState:
    """Where the room stands at one stream position."""

    epoch: str  # changes when the store lost the room and a new one began
    position: str  # the newest entry's id
    public: int
    private: int
    online: dict[str, str]  # session -> nick
    origin: str = "0-0"  # where this room's stream starts (after a loss: where it resumed)
    origin_public: int = 0  # the totals at the origin
    origin_private: int = 0

    def from_origin(self) -> "RoomState":
        """The room as it was at its origin: a node that read none of it starts there."""
        return RoomState(
            self.epoch, self.origin, self.origin_public, self.origin_private, {}, self.origin
        )


@dataclass(frozen=True)
class Resumed:
    session: str
    nick: str
    first_id: int


class ClusterStore(Protocol):
    """The room as the nodes share it. Every write raises StoreUnavailable, Fenced or
    RoomLost when it could not be made, and Refused for a reason of the room's."""

    def open(self, session: str, nick: str, hello: str, token: str, at: datetime) -> int:
        """A new session under `nick` (Refused 'taken'); returns the newest message id."""
        ...

    def resume(self, used: str, token: str, hello: str, at: datetime) -> Resumed | None:
        """Takes over the session `used` resumes, wherever it is held; None if none."""
        ...

    def confirm(self, session: str) -> None: ...

    # The writes of a session's connection name the hello it holds the session by: once
    # another connection took the session over, they are refused ('gone').
    def say(self, session: str, hello: str, text: str, at: datetime) -> int: ...
    def whisper(self, session: str, hello: str, to: str, text: str, at: datetime) -> int: ...
    def rename(self, session: str, hello: str, nick: str, at: datetime) -> str:
        """Returns the old nick."""
        ...

    def leave(
        self,
        session: str,
        hello: str,
        *,
        ends: bool,
        reason: str,
        message: str | None,
        at: datetime,
    ) -> None:
        """`ends`: a quit (the nick is free); otherwise a drop (held for the grace)."""
        ...

    def publish(self, messages: Sequence[Said]) -> list[int | Exception]:
        """Messages in order, in one go: for each its id, or why it was not accepted
        (Refused, StoreUnavailable, ...). Raises StoreUnavailable if none could be."""
        ...

    def holders(self) -> dict[str, str]:
        """The sessions this node holds in the store, and the hello holding each."""
        ...

    def state(self) -> RoomState: ...
    def read(self, after: str, limit: int, block_seconds: float, epoch: str) -> Sequence[Entry]:
        """Entries after position `after`, waiting up to `block_seconds` for the first;
        only those of the room `epoch` (RoomLost if the first is another room's)."""
        ...


class Archive(Protocol):
    """The node's own copy of the room's log (messages.txt, private_messages.txt)."""

    def write(self, messages: Sequence[Message], position: str) -> None:
        """The messages' lines, in order, then `position` (the last entry applied) as the
        point the files are complete to. Raises OSError if the lines could not be written."""
        ...


class ClusterHistory(RoomHistory, Protocol):
    """The room log as the shared store keeps it, which can also lose entries in between
    (trimmed or deleted by hand), not only from the start."""

    def after_until(
        self, last_id: int, upto: int | None, limit: int, *, visible_to: str
    ) -> list[Message]:
        """As `after`, reading no further than message `upto` (None: to the end)."""
        ...

    def holds_all(self, after: int, upto: int) -> bool:
        """Whether every message id over `after` up to `upto` is still held."""
        ...
