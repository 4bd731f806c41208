"""A node's two threads: the reader (the stream, in order, to this node's clients) and the
heartbeat (once a second: alive, the dead declared, fenced or a lost room noticed)."""

import threading
import time
import uuid
from typing import Final

import redis
import structlog

from app.adapters.redis.scripts import Scripts
from app.adapters.redis.store import RedisRoomStore
from app.adapters.storage.cluster_archive import ClusterArchive
from app.domain.events import Message
from app.services.cluster_chat import ClusterChatService
from app.services.cluster_delivery import ClusterDelivery
from app.services.cluster_ports import (
    Fenced,
    MessageEntry,
    Refused,
    RoomLost,
    StoreUnavailable,
)
from app.services.cluster_replica import parse_position

_log = structlog.get_logger()

HEARTBEAT_EVERY: Final = 1.0
_READ_BATCH: Final = 1000
_READ_BLOCK: Final = 0.5
_CATCH_UP_BATCH: Final = 2000
# Beats between looks for sessions held for no connection (at once after a failed write).
_GHOST_CHECK_EVERY: Final = 10


class NodeStartFailed(Exception):
    """Said once, at start-up: the node cannot join the cluster."""


class ClusterNode:
    def __init__(
        self,
        store: RedisRoomStore,
        chat: ClusterChatService,
        delivery: ClusterDelivery,
        archive: ClusterArchive,
        *,
        node_timeout: float,
        resume_grace: float,
        max_waiting: int,
    ) -> None:
        self._store = store
        self._scripts: Scripts = store.scripts
        self._chat = chat
        self._delivery = delivery
        self._archive = archive
        self._timeout_ms = int(node_timeout * 1000)
        self._grace_ms = int(resume_grace * 1000)
        self._max_waiting = max_waiting
        self._stopped = threading.Event()
        self._threads = [
            threading.Thread(target=self._read_forever, name="cluster-reader", daemon=True),
            threading.Thread(target=self._beat_forever, name="cluster-heartbeat", daemon=True),
            threading.Thread(target=self._write_forever, name="cluster-writer", daemon=True),
        ]
        self._unavailable_since: float | None = None
        self._beats = 0
        self._must_rejoin: Exception | None = None  # fenced or the room lost, not yet handled

    # --- life -----------------------------------------------------------------------------

    def start(self) -> None:
        """Join the cluster: register, bring the log files up to date, follow the stream."""
        try:
            self._scripts.sync_clock()
            self._seed_from_files()
            epoch, created = self._register()
            state = self._store.state()
            self._catch_up(state.position)
        except (StoreUnavailable, RoomLost, Fenced, OSError) as error:
            raise NodeStartFailed(f"cannot join the cluster: {error}") from error
        except (redis.AuthenticationError, redis.AuthenticationWrongNumberOfArgsError) as error:
            raise NodeStartFailed(_password_advice(error)) from error
        except redis.ResponseError as error:
            if "NOAUTH" in str(error) or "authenticated" in str(error):
                raise NodeStartFailed(_password_advice(error)) from error
            raise NodeStartFailed(f"cannot join the cluster: Redis answered: {error}") from error
        except (redis.RedisError, TypeError, ValueError, IndexError, KeyError) as error:
            # Redis said no (a password needed, say), or its keys are not a room we wrote.
            raise NodeStartFailed(
                f"cannot join the cluster: the Redis answered {type(error).__name__}: {error}"
            ) from error
        self._delivery.start_at(state)
        _log.info(
            "cluster_joined",
            node=self._scripts.node,
            room="new" if created else "existing",
            epoch=epoch,
            position=state.position,
            users=len(state.online),
        )
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """After the clients were told: this node's users leave; its name is free."""
        self._stopped.set()
        self._scripts.trouble.set()  # wakes the heartbeat
        try:
            self._scripts.call("deregister", _stamp_now())
        except (StoreUnavailable, RoomLost, Fenced) as error:
            _log.warning("cluster_leave_failed", reason=str(error), then="the others time us out")
        for thread in self._threads:
            thread.join(timeout=2.0)
        try:
            self._archive.close()
        except OSError as error:
            _log.warning("log_position_not_saved", reason=str(error))

    def _seed_from_files(self) -> None:
        """If Redis holds no room, but this node's log files show one went before (Redis lost
        its data while no node ran), the new room's ids carry on after the files'."""
        written = self._archive.written
        last_ms, last_seq = parse_position(written.position)
        public, private = self._archive.lines_past_position()
        if public or private:
            last_ms, last_seq = last_ms + public + private, 0
        if last_ms or last_seq:
            self._scripts.call(
                "seed",
                last_ms,
                last_seq,
                written.public_lines + public,
                written.private_lines + private,
                uuid.uuid4().hex,
            )

    def _register(self, previous: str = "") -> tuple[str, bool]:
        """Registers this incarnation. At start, a node of the same name that still beats
        may be this node's last run, killed a moment ago: its heartbeat runs out within the
        timeout. If it does not, another node is running under this name."""
        deadline = time.monotonic() + self._timeout_ms / 1000 + HEARTBEAT_EVERY
        waiting = False
        while True:
            try:
                result = self._scripts.call(
                    "register", self._timeout_ms, _stamp_now(), uuid.uuid4().hex, previous
                )
            except Refused:
                if not waiting:
                    waiting = True
                    _log.warning(
                        "cluster_name_in_use",
                        node=self._scripts.node,
                        then=f"waiting up to {deadline - time.monotonic():.0f} s for its"
                        " heartbeat to run out (a run killed a moment ago)",
                    )
                if time.monotonic() > deadline:
                    raise NodeStartFailed(
                        f"another running node is named {self._scripts.node!r}: give each"
                        " node its own --node-name"
                    ) from None
                self._stopped.wait(0.5)
                continue
            return str(result[1]), result[2] == "1"

    def _catch_up(self, upto: str) -> None:
        """Messages the log files lack, from where they stop up to `upto`."""
        after = self._archive.written.position
        if parse_position(after) >= parse_position(upto):
            return
        while True:
            entries = self._store.entries(after, upto, _CATCH_UP_BATCH)
            if not entries:
                return
            messages: list[Message] = [
                entry.message for entry in entries if isinstance(entry, MessageEntry)
            ]
            self._archive.write(messages, entries[-1].position)
            after = entries[-1].position
            if len(entries) < _CATCH_UP_BATCH:
                return

    # --- the reader -----------------------------------------------------------------------

    def _read_forever(self) -> None:
        while not self._stopped.is_set():
            try:
                self._read_once()
            except StoreUnavailable as error:
                self._unavailable(error)
                self._stopped.wait(0.2)
            except Exception as error:  # a bug of ours or a foreign entry: say it, go on
                _log.error("cluster_read_failed", error=repr(error))
                self._stopped.wait(0.5)

    def _read_once(self) -> None:
        position, epoch = self._delivery.where()
        try:
            entries = self._store.read(position, _READ_BATCH, _READ_BLOCK, epoch)
        except RoomLost:
            self._scripts.trouble.set()  # the heartbeat finds out which room there is now
            self._stopped.wait(0.2)
            return
        self._available()
        if not self._delivery.apply(entries):
            self._gap(entries[0].position)

    def _write_forever(self) -> None:
        """Sends the messages this node's clients said, a batch per round trip."""
        while not self._stopped.is_set():
            try:
                self._chat.publisher.send_waiting(_READ_BLOCK)
            except Exception as error:  # a bug of ours: say it, keep sending
                _log.error("cluster_write_failed", error=repr(error))
                self._stopped.wait(0.1)

    def _gap(self, found: str) -> None:
        """Entries are missing before `found`: delivering on would be out of order. This
        node's clients reconnect (and resume from the store); the reader carries on there."""
        closed = self._delivery.close_local()
        state = self._store.state()
        self._catch_up(state.position)  # the log files get what the stream still holds
        self._delivery.start_at(state)
        _log.error("cluster_gap", found=found, clients_closed=closed)

    # --- the heartbeat --------------------------------------------------------------------

    def _beat_forever(self) -> None:
        while not self._stopped.is_set():
            self._scripts.trouble.wait(HEARTBEAT_EVERY)
            self._scripts.trouble.clear()
            if self._stopped.is_set():
                return
            try:
                if self._must_rejoin is not None:
                    self._rejoin(self._must_rejoin)
                    self._must_rejoin = None
                self._beat()
            except StoreUnavailable as error:
                self._unavailable(error)
            except (Fenced, RoomLost) as error:
                self._must_rejoin = error  # at once, and again at each beat until it is done
                self._scripts.trouble.set()
            except Exception as error:  # a bug of ours: say it, keep beating
                _log.error("cluster_heartbeat_failed", error=repr(error))

    def _beat(self) -> None:
        self._scripts.sync_clock()
        self._beats += 1
        looking = self._chat.ghosts_suspected or self._beats % _GHOST_CHECK_EVERY == 0
        if looking and (released := self._chat.release_ghosts()):
            _log.warning("cluster_sessions_released", sessions=released)
        seen_ms, seen_seq = parse_position(self._delivery.position)
        result = self._scripts.call(
            "tick",
            self._timeout_ms,
            self._grace_ms,
            self._max_waiting,
            _stamp_now(),
            seen_ms,
            seen_seq,
        )
        self._scripts.available = True  # only a heartbeat welcomes writes back
        self._available()
        epoch, rolled_back, reaped = result[1], result[2] == "1", result[3:]
        if rolled_back:
            _log.error(
                "cluster_store_rolled_back",
                seen=self._delivery.position,
                advice="Redis lost recent writes (an older snapshot, or a failover): what it"
                " lost is gone from history; ids carry on after what this node saw",
            )
        for name in reaped:
            _log.warning("cluster_node_lost", node=name)
        if epoch != self._delivery.replica.epoch:
            raise RoomLost("the room in the store is not the one this node followed")

    def _rejoin(self, cause: Exception) -> None:
        """Declared dead while we were away (what we hold is stale), or the store lost the
        room: this node's clients reconnect (and resume, wherever they can), and the node
        joins again as a new incarnation. A lost room begins anew where this node saw the
        old one end, unless another node began it first."""
        closed = self._delivery.close_local()  # (a retry finds none left to close)
        previous = self._scripts.new_incarnation()
        if isinstance(cause, RoomLost):
            replica = self._delivery.replica
            last_ms, last_seq = parse_position(self._delivery.position)
            self._scripts.call(
                "seed", last_ms, last_seq, replica.public, replica.private, uuid.uuid4().hex
            )
        self._register(previous)
        state = self._store.state()
        if state.epoch != self._delivery.replica.epoch:
            self._delivery.start_at(state.from_origin())  # the new room's stream, all of it
            _log.error("cluster_room_lost", new_epoch=state.epoch, clients_closed=closed)
        else:
            _log.error("cluster_fenced", node=self._scripts.node, clients_closed=closed)

    def _unavailable(self, error: Exception) -> None:
        if self._unavailable_since is None:
            self._unavailable_since = time.monotonic()
            _log.error("cluster_store_unavailable", reason=str(error))

    def _available(self) -> None:
        if self._unavailable_since is not None:
            away = time.monotonic() - self._unavailable_since
            self._unavailable_since = None
            _log.info("cluster_store_back", after_seconds=round(away, 1))


def _password_advice(error: Exception) -> str:
    return (
        "cannot join the cluster: Redis wants a password: put it in the URL,"
        f" redis://:PASSWORD@HOST:PORT/DB ({error})"
    )


def _stamp_now() -> str:
    return str(time.time_ns() // 1000)
