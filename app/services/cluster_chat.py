"""ClusterChatService: the room's use cases on one node of a cluster.

Every change to the room is a write to the shared store, which gives it its place in the
stream (and a message its id); nothing is delivered here on the strength of a write. The
node's reader applies the stream in order (ClusterDelivery) and delivers to this node's
clients, the writer's own echo included. So every node delivers the same entries in the
same order, whichever node accepted them.
"""

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from app.domain.commands import ResumeRequest
from app.domain.errors import (
    AlreadyRegistered,
    NickTaken,
    NoSuchUser,
    NotRegistered,
    NotSupported,
    ServerClosing,
    Unavailable,
)
from app.domain.events import NickChanged, Pong, ServerShutdown, StatsReport, UserList
from app.domain.metrics import MetricsSnapshot
from app.domain.nicknames import usable_suggestion, validate_nick
from app.domain.text import validate_text
from app.services.chat import Departure, split_goodbye
from app.services.cluster_clients import NodeClients, PendingHello
from app.services.cluster_delivery import ClusterDelivery
from app.services.cluster_ports import (
    ClusterStore,
    Fenced,
    OutcomeUnknown,
    Refused,
    RoomLost,
    Said,
    StoreUnavailable,
)
from app.services.cluster_publisher import OUTCOME_UNKNOWN, MessagePublisher
from app.services.cluster_replica import Replica
from app.services.history import check_history_request, newest_page
from app.services.membership import Joined, RoomSettings
from app.services.ports import Clock, EventLog, NoTelemetry, Recipient, RoomHistory, Telemetry

# Random names tried for a newcomer whose nick is taken, before a numbered one.
_SUGGESTIONS: int = 20
_NUMBERED: int = 1000
# How long a rename or leave waits for the client's queued messages to be sent first.
_FLUSH_WAIT: float = 2.0
# What a node says to a client that asks to be registered without being in the room.
_ONE_SERVER_ONLY: str = (
    "a cluster node keeps every registered client in the room: leave with QUIT instead"
)
# At a stop, how long the node waits for the stream to bring what was accepted before it.
_CATCH_UP_AT_STOP: float = 1.0


@contextmanager
def _store_errors(message: str | None = None) -> Iterator[None]:
    """The store's failures as the client hears them: nothing was done."""
    try:
        yield
    except OutcomeUnknown as error:
        raise Unavailable(OUTCOME_UNKNOWN) from error
    except (StoreUnavailable, Fenced, RoomLost) as error:
        raise Unavailable(*(() if message is None else (message,))) from error


@contextmanager
def _refusals(*, to: str | None, nick: str | None = None) -> Iterator[None]:
    """The store's refusals as the client hears them. 'gone': the session was taken over
    (resumed on another connection) before this node heard of it."""
    try:
        yield
    except Refused as refused:
        if refused.why == "nouser" and to is not None:
            raise NoSuchUser(to) from None
        if refused.why == "taken" and nick is not None:
            raise NickTaken(nick) from None
        raise NotRegistered() from None


class ClusterChatService:
    """Safe to call from any thread. The lock guards this node's own state only: it is never
    held while waiting for the store, except by the reader applying what it read."""

    def __init__(
        self,
        *,
        store: ClusterStore,
        log: RoomHistory,
        clock: Clock,
        suggest_name: Callable[[], str],
        make_secret: Callable[[], str],
        events: EventLog,
        delivery: ClusterDelivery,
        settings: RoomSettings | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.telemetry: Telemetry = telemetry or NoTelemetry()
        self.publisher = MessagePublisher(
            store,
            clock=clock,
            events=events,
            telemetry=lambda: self.telemetry,
            when_delivered=delivery.when_delivered,
        )
        self._store = store
        self._log = log
        self._clock = clock
        self._suggest_name = suggest_name
        self._make_secret = make_secret
        self._events = events
        self._settings = settings or RoomSettings()
        self._delivery = delivery
        self.feed = delivery.feed
        self._lock: threading.Lock = delivery.lock
        self._clients: NodeClients = delivery.clients
        self._replica: Replica = delivery.replica
        self._closing = False
        self._ghosts_suspected = False  # a leave or a hello failed: see release_ghosts

    # --- joining and leaving --------------------------------------------------------------

    def join(
        self,
        client: Recipient,
        wanted: str | None,
        resume: ResumeRequest | None = None,
        *,
        exact: bool = False,
        present: bool = True,
        resumable: bool = True,
    ) -> Joined:
        # (`resumable` is not kept: a node's sessions wait for a resume when it dies.)
        del resumable
        if not present:
            raise NotSupported(_ONE_SERVER_ONLY)
        wanted = None if wanted is None else validate_nick(wanted)
        hello, token = self._make_secret(), self._make_secret()
        with self._lock:
            self._refuse_if_closing()
            if client in self._clients.hello_of:  # registered, or its hello on its way
                held = self._clients.session_of.get(client, "")
                raise AlreadyRegistered(self._replica.online.get(held) or str(wanted))
            self._clients.expect(hello, PendingHello(client, wanted, token, resume))
        try:
            with _store_errors("the room is unreachable for a moment; try joining again"):
                now = self._clock.now()
                resumed = None
                if resume is not None:
                    resumed = self._store.resume(resume.token, token, hello, now)
                if resumed is not None:
                    session, nick, renamed = resumed.session, resumed.nick, False
                else:
                    session = self._make_secret()
                    nick = self._claim(session, wanted, hello, token, now, exact=exact)
                    renamed = wanted is not None and nick != wanted
        except BaseException as error:
            with self._lock:
                self._clients.forget_hello(client)
                # Its write may have been made, its answer lost: the heartbeat looks.
                self._ghosts_suspected |= isinstance(error, Unavailable)
            raise
        with self._lock:
            if hello in self._clients.pending or self._clients.client_of.get(session) is client:
                self._clients.speaks_for(client, session)
        return Joined(nick=nick, renamed=renamed, resumed=resumed is not None)

    def _claim(
        self,
        session: str,
        wanted: str | None,
        hello: str,
        token: str,
        now: datetime,
        *,
        exact: bool,
    ) -> str:
        """The nick asked for if it is free anywhere in the cluster, else a free random one
        (or, if `exact`, NickTaken)."""
        candidates = [wanted] if wanted is not None else []
        if not (exact and wanted is not None):
            candidates += [usable_suggestion(self._suggest_name) for _ in range(_SUGGESTIONS)]
            base = candidates[-1]
            candidates += [f"{base}{suffix}" for suffix in range(2, _NUMBERED)]
        for nick in candidates:
            try:
                self._store.open(session, nick, hello, token, now)
            except Refused:
                continue
            return nick
        if exact and wanted is not None:
            raise NickTaken(wanted)
        raise Unavailable("no free nickname was found; try again with another")

    def part(self, client: Recipient, said: str | None = None) -> Departure | None:
        del client, said
        raise NotSupported(_ONE_SERVER_ONLY)

    def enter(self, client: Recipient, *, backlog: bool = True) -> bool:
        del client, backlog
        raise NotSupported(_ONE_SERVER_ONLY)

    def is_in(self, client: Recipient) -> bool:
        """Every registered client of a node is in the room (see part)."""
        return self.is_registered(client)

    def confirm(self, client: Recipient) -> None:
        """The client sent something in a read after its resume. Here its welcome (and new
        token) goes out later, when its join comes back through the stream: only once it has
        is the old token spent; until then, and if this fails, it stays good a little longer."""
        with self._lock:
            session = self._clients.session_of.get(client)
            if session is not None and self._clients.client_of.get(session) is not client:
                return  # not welcomed yet
        if session is not None:
            with contextlib.suppress(StoreUnavailable, Fenced, RoomLost, Refused):
                self._store.confirm(session)

    def quit(self, client: Recipient, reason: str, said: str | None = None) -> Departure | None:
        message, dropped = split_goodbye(said)
        with self._lock:
            held = self._clients.detach(client)
            nick = self._replica.online.get(held[0], "") if held else ""
        if held is None:
            return None
        self._leave(held, ends=True, reason=reason, message=message)
        return Departure(nick=nick, message=message, dropped=dropped)

    def drop(self, client: Recipient, reason: str) -> str | None:
        with self._lock:
            held = self._clients.detach(client)
            nick = self._replica.online.get(held[0]) if held else None
        if held is not None:
            self._leave(held, ends=False, reason=reason, message=None)
        return nick

    def _leave(
        self,
        held: tuple[str, str],
        *,
        ends: bool,
        reason: str,
        message: str | None,
        after_its_messages: bool = True,
    ) -> None:
        session, hello = held
        if after_its_messages:  # its last messages go before its leave
            self.publisher.flush(_FLUSH_WAIT)
        try:
            self._store.leave(
                session, hello, ends=ends, reason=reason, message=message, at=self._clock.now()
            )
        except Refused:
            pass  # taken over meanwhile (another node, a newer connection): it spoke for it
        except (StoreUnavailable, Fenced, RoomLost):
            self._ghosts_suspected = True  # held for nobody: the heartbeat sees to it

    def release_ghosts(self) -> int:
        """The heartbeat's look for sessions the store says this node holds by a hello none
        of its connections has: a leave that could not be sent, or a hello whose answer was
        lost after it was written. Each is dropped, as its connection would have been."""
        holders = self._store.holders()
        with self._lock:
            known = self._clients.known_hellos()
            self._ghosts_suspected = False
        ghosts = [(session, hello) for session, hello in holders.items() if hello not in known]
        for ghost in ghosts:  # (held for no connection: nothing of theirs is queued)
            self._leave(
                ghost, ends=False, reason="disconnected", message=None, after_its_messages=False
            )
        return len(ghosts)

    @property
    def ghosts_suspected(self) -> bool:
        return self._ghosts_suspected

    def shut_down(self, reason: str) -> ServerShutdown:
        """This node stops: its clients are told, after every message accepted before now
        (waiting a little for the stream to bring them); their sessions wait the grace, to
        be resumed on any node."""
        with self._lock:
            self._closing = True  # nothing more is accepted from here
        self.publisher.flush(_CATCH_UP_AT_STOP)
        try:
            newest: str | None = self._store.state().position
        except (StoreUnavailable, Fenced, RoomLost):
            newest = None  # the store is away: what it has reaches them when they resume
        if newest is not None:
            self._delivery.wait_until_applied(newest, _CATCH_UP_AT_STOP)
        with self._lock:
            self._delivery.closed = True
            event = ServerShutdown(reason=reason, at=self._clock.now())
            self.feed.publish(event)
            self._clients.clear()
            return event

    @property
    def closing(self) -> bool:
        return self._closing

    # --- saying things --------------------------------------------------------------------

    def say_public(self, client: Recipient, text: str) -> None:
        """Queued for the store (see MessagePublisher): its echo, or its refusal, follows."""
        session, hello = self._speaker(client)
        validate_text(text)
        self.publisher.submit(client, Said(session, hello, text, self._clock.now()))

    def say_private(self, client: Recipient, to: str, text: str) -> None:
        session, hello = self._speaker(client)
        validate_text(text)
        self.publisher.submit(client, Said(session, hello, text, self._clock.now(), to=to))

    def rename(self, client: Recipient, wanted: str) -> NickChanged:
        session, hello = self._speaker(client)
        nick = validate_nick(wanted)
        now = self._clock.now()
        with self._lock:
            current = self._replica.online.get(session)
        if current == nick:  # nobody else needs to hear of a "change" to the very same nick
            event = NickChanged(old=nick, new=nick, at=now)
            client.deliver(event)
            return event
        self.publisher.flush(_FLUSH_WAIT)  # what the client said before is said as before
        with _store_errors(), _refusals(to=None, nick=nick):
            old = self._store.rename(session, hello, nick, now)
        return NickChanged(old=old, new=nick, at=now)

    # --- asking ---------------------------------------------------------------------------

    def list_users(self, client: Recipient) -> None:
        with self._lock:
            self._asking(client)
            client.deliver(UserList(users=self._replica.nicks(), at=self._clock.now()))

    def report_stats(self, client: Recipient) -> None:
        with self._lock:
            self._asking(client)
            client.deliver(
                StatsReport(
                    users=len(self._replica.online),
                    public_total=self._replica.public,
                    private_total=self._replica.private,
                    at=self._clock.now(),
                )
            )

    def ping(self, client: Recipient, token: str | None) -> None:
        """The pong comes after the echoes of what the client said before (a client may
        use a ping as a barrier), which come back through the stream."""
        with self._lock:
            self._asking(client)
        self.publisher.reply_in_turn(client, Pong(token=token, at=self._clock.now()))

    def history(self, client: Recipient, before: int | None, limit: int) -> None:
        check_history_request(before, limit)
        with self._lock:
            self._asking(client)
        try:
            page = newest_page(self._log, "request", limit, before, self._clock.now())
        except OSError as error:  # the shared store did not answer
            raise Unavailable(
                "the room's history is unreachable for a moment; try again"
            ) from error
        client.deliver(page)

    def is_registered(self, client: Recipient) -> bool:
        with self._lock:
            return client in self._clients.session_of

    def snapshot(self) -> MetricsSnapshot:
        with self._lock:
            return MetricsSnapshot(
                users=len(self._replica.online),
                public_total=self._replica.public,
                private_total=self._replica.private,
                here=len(self._clients.session_of),
            )

    # --- inside ---------------------------------------------------------------------------

    def _speaker(self, client: Recipient) -> tuple[str, str]:
        """The session `client` holds, and the hello it holds it by."""
        with self._lock:
            self._refuse_if_closing()
            try:
                return self._clients.session_of[client], self._clients.hello_of[client]
            except KeyError:
                raise NotRegistered() from None

    def _asking(self, client: Recipient) -> None:
        self._refuse_if_closing()
        if client not in self._clients.session_of:
            raise NotRegistered()

    def _refuse_if_closing(self) -> None:
        if self._closing:
            raise ServerClosing()
