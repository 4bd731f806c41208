"""MessagePublisher: a node's messages on their way to the shared store, in batches.

An I/O thread that waited for Redis (and its fsync) at every message would serve nobody
meanwhile. Instead it queues the message and goes on; one writer thread sends what has
queued up, in order, in one round trip (Redis fsyncs its append-only file once for the
lot). A message is still only delivered once it is in the stream; one the store refused
gets its refusal, to its sender alone, in its place among what that client is sent.
"""

import functools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from app.domain.errors import ChatError, NoSuchUser, NotRegistered, Unavailable
from app.domain.events import ChatEvent, Refusal
from app.services.cluster_ports import (
    ClusterStore,
    Fenced,
    OutcomeUnknown,
    Refused,
    RoomLost,
    Said,
    StoreUnavailable,
)
from app.services.connection import error_name
from app.services.ports import Clock, EventLog, Recipient, Telemetry

MAX_BATCH: Final = 256
OUTCOME_UNKNOWN: Final = (
    "the room did not answer in time: if your message was taken it will appear in a moment;"
    " check before sending it again"
)
# Messages waiting at once, at most: past this the store cannot keep up, and saying so beats
# holding ever more in memory.
MAX_WAITING: Final = 20_000


@dataclass(frozen=True)
class _Reply:
    """Something for one client that must come after the echoes of what it said before: a
    pong (the v1 ping is a barrier) or a refusal."""

    event: ChatEvent


Queued = Said | _Reply


class MessagePublisher:
    def __init__(
        self,
        store: ClusterStore,
        *,
        clock: Clock,
        events: EventLog,
        telemetry: Callable[[], Telemetry],
        when_delivered: Callable[[int, Callable[[], None]], None],
        max_waiting: int = MAX_WAITING,
    ) -> None:
        """`when_delivered(id, then)`: run `then` once this node has delivered every
        message up to `id` (the node's reader does, in stream order)."""
        self._store = store
        self._max_waiting = max_waiting
        self._clock = clock
        self._events = events
        self._telemetry = telemetry
        self._when_delivered = when_delivered
        self._waiting: deque[tuple[Recipient, Queued]] = deque()
        self._changed = threading.Condition()
        self._queued = 0  # items ever queued
        self._answered = 0  # of those, answered (in queue order)
        self._newest_accepted = 0  # the highest id the store gave this node's messages

    def submit(self, client: Recipient, said: Said) -> None:
        """Queue a message; raises Unavailable if too many are waiting already."""
        with self._changed:
            if len(self._waiting) >= self._max_waiting:
                raise Unavailable("the room cannot keep up right now; it was not sent, try again")
            self._enqueue(client, said)

    def reply_in_turn(self, client: Recipient, event: ChatEvent) -> None:
        """`event` for `client` after the echoes of everything queued before it."""
        with self._changed:
            self._enqueue(client, _Reply(event))

    def flush(self, timeout: float) -> bool:
        """Until everything queued before now has been answered (False: not in time)."""
        with self._changed:
            target = self._queued
            return self._changed.wait_for(lambda: self._answered >= target, timeout)

    def send_waiting(self, wait: float) -> int:
        """The writer's step: send what is queued (waiting up to `wait` for something)."""
        with self._changed:
            if not self._changed.wait_for(lambda: bool(self._waiting), wait):
                return 0
            batch = [self._waiting.popleft() for _ in range(min(MAX_BATCH, len(self._waiting)))]
        try:
            self._send(batch)
        finally:
            with self._changed:
                self._answered += len(batch)
                self._changed.notify_all()
        return len(batch)

    def _enqueue(self, client: Recipient, item: Queued) -> None:
        self._waiting.append((client, item))
        self._queued += 1
        self._changed.notify_all()

    def _send(self, batch: list[tuple[Recipient, Queued]]) -> None:
        messages = [item for _, item in batch if isinstance(item, Said)]
        answers = iter(self._publish(messages) if messages else [])
        telemetry = self._telemetry()
        for client, item in batch:
            if isinstance(item, _Reply):
                self._in_turn(client, item.event)
                continue
            answer = next(answers)
            if isinstance(answer, int):
                self._newest_accepted = max(self._newest_accepted, answer)
                telemetry.message_accepted("public" if item.to is None else "private")
            else:
                self._in_turn(client, self._refusal(item, answer))

    def _publish(self, messages: list[Said]) -> list[int | Exception]:
        started = time.perf_counter()  # for monitoring only
        try:
            return self._store.publish(messages)
        except (StoreUnavailable, Fenced, RoomLost) as error:
            return [error] * len(messages)
        finally:
            self._telemetry().append_took(time.perf_counter() - started)

    def _in_turn(self, client: Recipient, event: ChatEvent) -> None:
        """After the echoes of this node's messages accepted so far (the client's own among
        them): its replies keep their place."""
        self._when_delivered(self._newest_accepted, functools.partial(client.deliver, event))

    def _refusal(self, said: Said, why: Exception) -> Refusal:
        error: ChatError
        match why:
            case Refused(why="nouser") if said.to is not None:
                error = NoSuchUser(said.to)
            case Refused():  # taken over by another connection before this node heard
                error = NotRegistered()
            case OutcomeUnknown():
                error = Unavailable(OUTCOME_UNKNOWN)
            case StoreUnavailable() | Fenced() | RoomLost():
                error = Unavailable()
            case _:  # a script failed: a bug of ours, not the client's
                self._events.error("publish_failed", error=repr(why))
                error = Unavailable()
        self._events.info("client_error", error=error_name(error), message=str(error))
        return Refusal(error=error, at=self._clock.now())
