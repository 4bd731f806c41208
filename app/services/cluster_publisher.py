"""MessagePublisher: a node's messages on their way to the shared store, in batches.

An I/O thread that waited for Redis (and its fsync) at every message would serve nobody
meanwhile. Instead it queues the message and goes on; one writer thread sends what has
queued up, in order, in one round trip (Redis fsyncs its append-only file once for the
lot). A message is still only delivered once it is in the stream; one the store refused
gets its refusal, to its sender alone, in its place among what that client is sent.
"""

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from app.domain.errors import ChatError, NoSuchUser, NotRegistered, Unavailable
from app.domain.events import Refusal
from app.services.cluster_ports import (
    ClusterStore,
    Fenced,
    Refused,
    RoomLost,
    Said,
    StoreUnavailable,
)
from app.services.connection import error_name
from app.services.ports import Clock, EventLog, Recipient, Telemetry

MAX_BATCH: Final = 256
# Messages waiting at once, at most: past this the store cannot keep up, and saying so beats
# holding ever more in memory.
MAX_WAITING: Final = 20_000


class MessagePublisher:
    def __init__(
        self,
        store: ClusterStore,
        *,
        clock: Clock,
        events: EventLog,
        telemetry: Callable[[], Telemetry],
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self._store = store
        self._max_waiting = max_waiting
        self._clock = clock
        self._events = events
        self._telemetry = telemetry
        self._waiting: deque[tuple[Recipient, Said]] = deque()
        self._changed = threading.Condition()
        self._sending = False

    def submit(self, client: Recipient, said: Said) -> None:
        """Queue a message; raises Unavailable if too many are waiting already."""
        with self._changed:
            if len(self._waiting) >= self._max_waiting:
                raise Unavailable("the room cannot keep up right now; it was not sent, try again")
            self._waiting.append((client, said))
            self._changed.notify_all()

    def flush(self, timeout: float) -> bool:
        """Until everything queued before now has been answered (False: not in time)."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._waiting and not self._sending, timeout)

    def send_waiting(self, wait: float) -> int:
        """The writer's step: send what is queued (waiting up to `wait` for something)."""
        with self._changed:
            if not self._changed.wait_for(lambda: bool(self._waiting), wait):
                return 0
            batch = [self._waiting.popleft() for _ in range(min(MAX_BATCH, len(self._waiting)))]
            self._sending = True
        try:
            self._send([said for _, said in batch], [client for client, _ in batch])
        finally:
            with self._changed:
                self._sending = False
                self._changed.notify_all()
        return len(batch)

    def _send(self, messages: list[Said], senders: list[Recipient]) -> None:
        started = time.perf_counter()  # for monitoring only
        try:
            answers: list[int | Exception] = self._store.publish(messages)
        except (StoreUnavailable, Fenced, RoomLost) as error:
            answers = [error] * len(messages)
        telemetry = self._telemetry()
        telemetry.append_took(time.perf_counter() - started)
        for sender, said, answer in zip(senders, messages, answers, strict=True):
            if isinstance(answer, int):
                telemetry.message_accepted("public" if said.to is None else "private")
            else:
                self._refuse(sender, said, answer)

    def _refuse(self, sender: Recipient, said: Said, why: Exception) -> None:
        error: ChatError
        match why:
            case Refused(why="nouser") if said.to is not None:
                error = NoSuchUser(said.to)
            case Refused():  # taken over by another connection before this node heard
                error = NotRegistered()
            case StoreUnavailable() | Fenced() | RoomLost():
                error = Unavailable()
            case _:  # a script failed: a bug of ours, not the client's
                self._events.error("publish_failed", error=repr(why))
                error = Unavailable()
        self._events.info("client_error", error=error_name(error), message=str(error))
        sender.deliver(Refusal(error=error, at=self._clock.now()))
