"""What the chat service needs from the outside world. Adapters and fakes fit these by shape."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.domain.events import ChatEvent, PrivateMessage, PublicMessage


@dataclass(frozen=True)
class LoggedTotals:
    """How many messages a log already holds: where the counters and message ids resume."""

    public: int
    private: int


class MessageLog(Protocol):
    """Durable record of messages; appended before delivery, so nothing seen goes unlogged.

    An append either records the whole message or raises OSError having recorded nothing
    a reader could mistake for a message.
    """

    def totals(self) -> LoggedTotals: ...
    def append_public(self, message: PublicMessage) -> None: ...
    def append_private(self, message: PrivateMessage) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...  # timezone-aware UTC


class Recipient(Protocol):
    """One connected client, as the service sees it. Must be hashable (identity will do)."""

    def __hash__(self) -> int: ...
    def deliver(self, event: ChatEvent) -> None: ...  # queues and returns; never blocks


class KeySource(Protocol):
    """Keys pressed at the server's console, one at a time."""

    def read_key(self, timeout: float) -> str | None: ...  # None when no key came in time
    def close(self) -> None: ...  # gives the terminal (or the hook) back as it was
