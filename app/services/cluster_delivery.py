"""ClusterDelivery: a node applies the room's stream, in order, to its own clients.

For each batch the reader brings: the messages' lines go to the node's log files first, then
each entry is delivered: a public message, join, leave or nick change to the feed (every
client here follows it), a private message to its two ends if they are here, and the welcome
of a client of this node whose join it is (its feed starts right after that join).
"""

import heapq
import itertools
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from app.domain.events import (
    Message,
    NickChanged,
    PrivateMessage,
    PublicMessage,
    ServerShutdown,
    UserJoined,
    UserLeft,
    Welcome,
)
from app.services.cluster_clients import NodeClients, PendingHello
from app.services.cluster_ports import (
    Archive,
    ClusterHistory,
    Entry,
    JoinEntry,
    LeaveEntry,
    MessageEntry,
    NickEntry,
    RoomState,
)
from app.services.cluster_replica import Replica, follows, parse_position
from app.services.feed import RoomFeed
from app.services.history import newest_page, replay
from app.services.membership import RoomSettings
from app.services.ports import Clock, EventLog, Recipient

RECONNECT_REASON = "this server lost its place in the room; reconnect to resume"


class ClusterDelivery:
    def __init__(
        self,
        *,
        node: str,
        log: ClusterHistory,
        archive: Archive,
        clock: Clock,
        events: EventLog,
        settings: RoomSettings,
    ) -> None:
        self.node = node
        self.lock = threading.Lock()
        self.feed = RoomFeed()
        self.clients = NodeClients()
        self.replica = Replica()
        self._log = log
        self._archive = archive
        self._clock = clock
        self._events = events
        self._settings = settings
        self.closed = False  # the shutdown frame is out: nothing more is delivered here
        # Replies waiting for the messages up to an id to be delivered: (id, order, reply).
        self._after: list[tuple[int, int, Callable[[], None]]] = []
        self._after_order = itertools.count()
        self._applied = threading.Condition(self.lock)

    def start_at(self, state: RoomState) -> None:
        with self.lock:
            self.replica.reset(state)
            self._after.clear()  # their clients were closed; the ids may start anew

    def when_delivered(self, message_id: int, then: Callable[[], None]) -> None:
        """Runs `then` (under the lock) once every message up to `message_id` has been
        delivered here: at once if it has been."""
        with self.lock:
            if self.replica.last_id >= message_id:
                then()
            else:
                heapq.heappush(self._after, (message_id, next(self._after_order), then))

    def where(self) -> tuple[str, str]:
        """The position applied up to, and the room (epoch) it is a position in."""
        with self.lock:
            return self.replica.position, self.replica.epoch

    @property
    def position(self) -> str:
        with self.lock:
            return self.replica.position

    def apply(self, entries: Sequence[Entry]) -> bool:
        """Deliver a batch read after `position`. False (nothing applied) if the batch does
        not carry on exactly from there: a gap this node cannot fill."""
        with self.lock:
            if self.closed:  # read on, deliver nothing: the log files catch up at the next start
                if entries:
                    self.replica.position = entries[-1].position
                return True
            if not entries or not follows(self.replica.position, entries[0].position):
                return not entries
            for before, entry in itertools.pairwise(entries):  # before anything is written
                if not follows(before.position, entry.position):
                    self._events.error("stream_gap", after=before.position, found=entry.position)
                    return False
            messages = [entry.message for entry in entries if isinstance(entry, MessageEntry)]
            if messages:
                try:
                    self._archive.write(messages, entries[-1].position)
                except OSError as error:  # accepted already: delivered, and the operator told
                    self._events.error("log_write_failed", reason=str(error))
            for entry in entries:
                self.replica.apply(entry)  # first: a welcome lists the joiner among the users
                self._deliver(entry)
                while self._after and self._after[0][0] <= self.replica.last_id:
                    heapq.heappop(self._after)[2]()
            self._applied.notify_all()
        return True

    def wait_until_applied(self, position: str, timeout: float) -> bool:
        """Until everything up to `position` was delivered here (False: not within `timeout`)."""
        target = parse_position(position)
        with self._applied:
            return self._applied.wait_for(
                lambda: parse_position(self.replica.position) >= target, timeout
            )

    def close_local(self, reason: str = RECONNECT_REASON) -> int:
        """Every client of this node is told to reconnect (and resume), then closed."""
        with self.lock:
            clients = self.clients.everyone()
            self.clients.clear()
            farewell = ServerShutdown(reason=reason, at=self._clock.now())
            for client in clients:
                client.unfollow()
                client.deliver(farewell)
                client.end(reason)
            return len(clients)

    # --- one entry, under the lock --------------------------------------------------------

    def _deliver(self, entry: Entry) -> None:
        match entry:
            case MessageEntry(message=PublicMessage() as public):
                self.feed.publish(public)
            case MessageEntry(message=PrivateMessage() as private):
                ends = (entry.recipient_session, entry.sender_session)
                for member in dict.fromkeys(
                    client
                    for session in ends
                    if (client := self.clients.client_of.get(session or ""))
                ):
                    member.deliver(private)
            case JoinEntry():
                self.feed.publish(UserJoined(nick=entry.nick, at=entry.at))
                pending = self.clients.arrived(entry.hello) if entry.node == self.node else None
                if pending is not None:
                    self._welcome(entry, pending)
            case LeaveEntry():
                self._replaced(entry.session, told=not entry.taken_over)
                self.feed.publish(
                    UserLeft(
                        nick=entry.nick, reason=entry.reason, at=entry.at, message=entry.message
                    )
                )
            case NickEntry():
                self.feed.publish(NickChanged(old=entry.old, new=entry.new, at=entry.at))

    def _replaced(self, session: str, *, told: bool) -> None:
        """A leave this node did not write for a client it holds. Its session was resumed on
        another connection: this one is closed, as a single server closes it (without a
        frame: it is most likely dead already). Or this node was declared dead while it
        stalled: the client is `told` to reconnect, and closed."""
        client = self.clients.client_of.get(session)
        if client is not None and self.clients.session_of.get(client) == session:
            self.clients.detach(client)
            if told:
                client.deliver(ServerShutdown(reason=RECONNECT_REASON, at=self._clock.now()))
            client.end("replaced")

    def _welcome(self, entry: JoinEntry, pending: PendingHello) -> None:
        client = pending.client
        self.clients.attach(client, entry.session)  # its hello is kept since its hello
        client.follow()
        last_id = self.replica.last_id
        now = self._clock.now()
        client.deliver(
            Welcome(
                nick=entry.nick,
                requested=pending.wanted,
                renamed=not entry.resumed
                and pending.wanted is not None
                and entry.nick != pending.wanted,
                users=self.replica.nicks(),
                at=now,
                resume_token=pending.token if self._settings.resume_grace > 0 else None,
                resumed=entry.resumed,
                last_id=last_id,
            )
        )
        if entry.resumed and pending.resume is not None:
            after = min(max(pending.resume.last_id, entry.first_id), last_id)
            try:
                gap = not self._log.holds_all(after, last_id)
            except OSError:
                gap = False  # unknown: the replay itself will fail and say so
            bounded = _ReadUpTo(self._log, last_id)
            client.deliver_pages(
                replay(bounded, entry.session, after, last_id, gap=gap, now=self._clock.now)
            )
        elif self._settings.backlog and entry.first_id:
            self._send_backlog(client, last_id, now)

    def _send_backlog(self, client: Recipient, last_id: int, now: datetime) -> None:
        """The newest public messages up to `last_id`: later ones come live, in the feed
        (the store may already hold some this node has not applied yet)."""
        try:
            page = newest_page(self._log, "backlog", self._settings.backlog, last_id + 1, now)
        except OSError:
            return  # a welcome without a backlog beats no welcome
        if page.messages:
            client.deliver(page)


class _ReadUpTo:
    """The room log as a replay up to `upto` reads it: never past that message."""

    def __init__(self, log: ClusterHistory, upto: int) -> None:
        self._log = log
        self._upto = upto

    def last_id(self) -> int:
        return self._log.last_id()

    def first_kept_id(self) -> int:
        return self._log.first_kept_id()

    def after(self, last_id: int, limit: int, *, visible_to: str) -> list[Message]:
        return self._log.after_until(last_id, self._upto, limit, visible_to=visible_to)

    def newest(self, limit: int, before: int | None = None) -> list[PublicMessage]:
        return self._log.newest(limit, before)
