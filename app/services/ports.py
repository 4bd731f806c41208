"""What the chat service needs from the outside world. Adapters and fakes fit these by shape."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.domain.drafts import Draft
from app.domain.events import ChatEvent, History, Message, PublicMessage
from app.domain.sessions import Session


@dataclass(frozen=True)
class LoggedTotals:
    """How many messages the room has had since its logs began."""

    public: int
    private: int


class RoomHistory(Protocol):
    """What is read back from the room log: history pages, and a resume's replay."""

    def last_id(self) -> int: ...  # the newest id given (0 before the first message)
    def first_kept_id(self) -> int: ...  # messages below this id are no longer held
    def after(self, last_id: int, limit: int, *, visible_to: str) -> list[Message]:
        """Up to `limit` messages with an id over `last_id`, in id order: the public ones and
        the private ones that session `visible_to` sent or received."""
        ...

    def newest(self, limit: int, before: int | None = None) -> list[PublicMessage]:
        """The newest `limit` public messages with an id under `before` (None: of all),
        oldest first."""
        ...


class RoomLog(RoomHistory, Protocol):
    """The room's one order of messages. Appending assigns the id: positive, strictly
    increasing over public and private messages, never reused (restarts included).

    An append is durable when it returns, or raises OSError having recorded nothing a
    reader could mistake for a message. Safe to call from any thread.
    """

    def append(self, draft: Draft) -> Message: ...
    def totals(self) -> LoggedTotals: ...


class SessionStore(Protocol):
    """Where sessions wait out a restart of the server. Raises OSError when it cannot."""

    def sessions(self) -> list[Session]: ...
    def save_session(self, session: Session) -> None: ...  # insert or replace, by id
    def forget_session(self, session_id: str) -> None: ...


class RoomStore(RoomLog, SessionStore, Protocol):
    """Both, in one place (one database): what a server is built on."""


class Clock(Protocol):
    def now(self) -> datetime: ...  # timezone-aware UTC


class Recipient(Protocol):
    """One connected client, as the service sees it. Must be hashable (identity will do).

    The service calls these under its lock: each queues and returns, never waits for a socket.
    A client receives the room feed (broadcasts) between `follow` and `unfollow`, and what is
    delivered to it alone in its place among them: after every broadcast published before.
    """

    def __hash__(self) -> int: ...
    def deliver(self, event: ChatEvent) -> None: ...
    def deliver_pages(self, pages: Iterator[History]) -> None:
        """Like `deliver` for each page, but drawn one at a time as the client reads, and
        outside the service lock: for a replay that may be long."""
        ...

    # From the next broadcast on; called while serving the client's own hello (its thread),
    # or, on a cluster node, by the reader applying the client's join (under the lock).
    def follow(self) -> None: ...
    def unfollow(self) -> None: ...  # nothing broadcast from now on
    def end(self, reason: str) -> None: ...  # close this connection once it is flushed


class EventLog(Protocol):
    """The operator's console: one event name and its key-values per line."""

    def info(self, event: str, /, **fields: Any) -> Any: ...
    def warning(self, event: str, /, **fields: Any) -> Any: ...
    def error(self, event: str, /, **fields: Any) -> Any: ...


class KeySource(Protocol):
    """Keys pressed at the server's console, one at a time."""

    def read_key(self, timeout: float) -> str | None: ...  # None when no key came in time
    def close(self) -> None: ...  # gives the terminal (or the hook) back as it was


class Telemetry(Protocol):
    """Figures for monitoring. Called on hot paths, some under the service lock: each only
    counts and returns, never waits."""

    def message_accepted(self, kind: str) -> None: ...  # "public" or "private"
    def frame_rate_limited(self) -> None: ...  # a client's frame refused by flood control
    def append_took(self, seconds: float) -> None: ...  # one append to the room log


class NoTelemetry:
    """The default Telemetry: counts nothing."""

    def message_accepted(self, kind: str) -> None:
        del kind

    def frame_rate_limited(self) -> None:
        pass

    def append_took(self, seconds: float) -> None:
        del seconds
