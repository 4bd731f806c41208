"""What the transport asks of a wire protocol, and what a protocol may ask of the transport.

The TCP connection (transport) moves bytes, flushes, closes and drops slow readers; a wire
protocol (v1 JSON lines, IRC) turns bytes into the room's commands and the room's events
into bytes, one session per connection. The server keeps, per protocol, one copy of the
room feed encoded its way, which its connections read from their own positions.
"""

from collections.abc import Callable
from typing import Protocol

from app.adapters.tcp.loop import Timer
from app.adapters.tcp.peer_log import PeerLog
from app.domain.events import ChatEvent
from app.services.connection import Verdict
from app.services.ports import Recipient


class FeedReader(Protocol):
    """The room feed as one connection reads it (see EncodedFeed)."""

    @property
    def end(self) -> int: ...
    def read(self, start: int, stop: int, budget: int) -> tuple[bytearray, int]: ...
    def size(self, start: int, stop: int) -> int: ...


class SessionHost(Recipient, Protocol):
    """The connection a session serves (it is the room's Recipient too)."""

    def send_bytes(self, data: bytes) -> None: ...  # after what was published before
    def call_later(self, delay: float, call: Callable[[], None]) -> Timer: ...  # loop thread
    def close_soon(self) -> None: ...  # send what is owed, then close (loop thread)


class WireSession(Protocol):
    """One connection's protocol state. Everything but `encode` runs on the loop thread;
    `encode` may run on any thread, under the room's lock."""

    @property
    def feed(self) -> FeedReader: ...
    def received(self, data: bytes) -> Verdict: ...  # bytes in, served in order
    def encode(self, event: ChatEvent) -> bytes: ...  # an event for this client alone
    def input_ended(self) -> Verdict:
        """The client is done sending (it may still read). CLOSE: close once what is owed
        is sent; CONTINUE: the session serves what it still holds, then asks to close."""
        ...

    def closing(self) -> None: ...  # the connection is closing: serve nothing more
    def registration_due(self) -> Verdict: ...
    def lost(self, reason: str) -> None: ...


class WireProtocol(Protocol):
    """A protocol the server speaks on a listener."""

    name: str

    @property
    def feed(self) -> "ReleasableFeed": ...
    def publish(self, event: ChatEvent) -> None: ...  # a feed entry (under the room's lock)
    def alone(self, event: ChatEvent) -> bytes: ...  # for a client with no session state
    def open_session(self, host: SessionHost, log: PeerLog) -> WireSession: ...
    @property
    def shared(self) -> FeedReader | None:
        """The feed, if every follower reads it as it is (v1): a feed pass then reads it
        once for all the followers at one position (the fast path)."""
        ...


class ReleasableFeed(Protocol):
    """The feed as the server sees it: how far it goes, and freeing what nobody owes."""

    @property
    def end(self) -> int: ...
    def release(self, before: int) -> None: ...
