"""The cluster's shared store in memory: a small model of what the Lua scripts in
app/adapters/redis/lua/ do to Redis, for unit tests of the cluster services.

`SharedRoom` is what Redis holds (one stream of entries, the nick claims, the sessions,
the nodes' incarnations); `FakeClusterStore` is one node's view of it (RedisRoomStore's
place), a ClusterStore and the RoomHistory that history and resume read. No threads: a test
plays a node's reader by applying `store.read(...)` itself.
"""

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from app.domain.events import Message, PrivateMessage, PublicMessage
from app.domain.nicknames import fold_nick
from app.services.cluster_ports import (
    Entry,
    Fenced,
    JoinEntry,
    LeaveEntry,
    MessageEntry,
    NickEntry,
    Refused,
    Resumed,
    RoomLost,
    RoomState,
    Said,
    StoreUnavailable,
)
from app.services.cluster_replica import parse_position

Answer = TypeVar("Answer")


@dataclass
class StoredSession:
    """One session's hash (session:<sid>)."""

    nick: str
    key: str  # the nick's claim key (look-alike-proof)
    fold: str  # the nick's case-insensitive key, as the listing `online` has it
    token: str
    prev: str | None  # the token it was resumed with, good until confirmed
    node: str
    incarnation: int
    on: bool  # held by a connection right now (state 'on'), else waiting the grace
    first: int  # the newest message id at its first hello
    hello: str = ""  # the hello of the connection holding it


class SharedRoom:
    """What Redis holds for the whole cluster. `unavailable`: Redis does not answer;
    `lost`: it lost the room; `answers_lost`: writes are made but their answers never
    come back (a connection cut just after the script ran)."""

    def __init__(
        self,
        *,
        nick_key: Callable[[str], str] = fold_nick,
        fold: Callable[[str], str] = fold_nick,
        epoch: str = "epoch-1",
    ) -> None:
        self.nick_key = nick_key
        self.fold = fold
        self.epoch = epoch
        self.entries: list[Entry] = []
        self.last_ms = 0  # the newest message id
        self.last_seq = 0  # events since that message
        self.public = 0
        self.private = 0
        self.floor = 0  # messages up to this id are not held (a room seeded anew)
        self.nicks: dict[str, str] = {}  # nick key -> session
        self.online: dict[str, str] = {}  # folded nick -> session
        self.sessions: dict[str, StoredSession] = {}
        self.tokens: dict[str, str] = {}  # token -> session
        self.dropped: dict[str, datetime] = {}  # session -> when its connection went
        self.incarnations: dict[str, int] = {}
        self.unavailable = False
        self.lost = False
        self.answers_lost = False
        self._incarnation = itertools.count(1)

    def node(self, name: str) -> "FakeClusterStore":
        return FakeClusterStore(self, name)

    def register(self, name: str, at: datetime) -> int:
        """register.lua: a node (re)starts as a new incarnation; an earlier one is reaped."""
        if name in self.incarnations:
            self.reap(name, at)
        incarnation = next(self._incarnation)
        self.incarnations[name] = incarnation
        return incarnation

    def reap(self, name: str, at: datetime) -> None:
        """tick.lua declaring node `name` dead: each session it held is dropped (its user
        leaves once) and the node is fenced."""
        self.incarnations.pop(name, None)
        for session in sorted(self.sessions):
            stored = self.sessions[session]
            if stored.node == name and stored.on:
                self.drop_session(session, at, "disconnected")

    def delete(self, message_id: int) -> None:
        """A message's entry deleted by hand (XDEL): the log has a hole there."""
        self.entries = [
            entry
            for entry in self.entries
            if not (isinstance(entry, MessageEntry) and entry.message.id == message_id)
        ]

    def expire(self, session: str) -> None:
        """tick.lua ending a dropped session whose grace ran out."""
        self.end_session(session)

    # --- the prelude's helpers --------------------------------------------------------------

    def append(self, make: Callable[[str], Entry], *, is_message: bool) -> int:
        if is_message:
            self.last_ms, self.last_seq = self.last_ms + 1, 0
        else:
            self.last_seq += 1
        self.entries.append(make(f"{self.last_ms}-{self.last_seq}"))
        return self.last_ms

    def go_offline(self, session: str) -> None:
        stored = self.sessions.get(session)
        if stored is not None and self.online.get(stored.fold) == session:
            del self.online[stored.fold]

    def drop_session(self, session: str, at: datetime, reason: str) -> None:
        stored = self.sessions[session]
        self.go_offline(session)
        stored.on = False
        self.dropped[session] = at
        self.append(
            lambda position: LeaveEntry(position, session, stored.nick, reason, None, at),
            is_message=False,
        )

    def end_session(self, session: str) -> None:
        stored = self.sessions.get(session)
        if stored is None:
            return
        if self.nicks.get(stored.key) == session:
            del self.nicks[stored.key]
        self.go_offline(session)
        for token in (stored.token, stored.prev):
            if token is not None and self.tokens.get(token) == session:
                del self.tokens[token]
        self.dropped.pop(session, None)
        del self.sessions[session]


class FakeClusterStore:
    """One node's view of the shared room, as RedisRoomStore is: every write checks the
    room and the node's fence first, then does what its script does."""

    def __init__(self, room: SharedRoom, node: str) -> None:
        self.room = room
        self.node = node
        self.incarnation = room.register(node, datetime.min)
        self.publish_batches: list[int] = []

    def register_again(self, at: datetime) -> None:
        """What a fenced node does: start over as a new incarnation."""
        self.incarnation = self.room.register(self.node, at)

    # --- ClusterStore: writes -----------------------------------------------------------------

    def open(self, session: str, nick: str, hello: str, token: str, at: datetime) -> int:
        room = self._writable()
        key, fold = room.nick_key(nick), room.fold(nick)
        holder = room.nicks.get(key)
        if holder is not None and holder in room.sessions:
            raise Refused("taken")
        first = room.last_ms
        room.nicks[key] = session
        room.online[fold] = session
        room.sessions[session] = StoredSession(
            nick, key, fold, token, None, self.node, self.incarnation, True, first, hello
        )
        room.tokens[token] = session
        room.append(
            lambda position: JoinEntry(position, session, nick, self.node, hello, False, first, at),
            is_message=False,
        )
        return self._answer(first)

    def resume(self, used: str, token: str, hello: str, at: datetime) -> Resumed | None:
        room = self._writable()
        session = room.tokens.get(used)
        if session is None or session not in room.sessions:
            return None
        stored = room.sessions[session]
        if stored.on:  # held elsewhere still: that holder is replaced, and the others told
            room.append(
                lambda position: LeaveEntry(
                    position, session, stored.nick, "disconnected", None, at, taken_over=True
                ),
                is_message=False,
            )
        else:
            room.dropped.pop(session, None)
        for spent in (stored.token, stored.prev):
            if spent is not None and spent != used:
                room.tokens.pop(spent, None)
        room.tokens[token] = session
        stored.token, stored.prev = token, used
        stored.node, stored.incarnation, stored.on = self.node, self.incarnation, True
        stored.hello = hello
        room.online[stored.fold] = session
        room.append(
            lambda position: JoinEntry(
                position, session, stored.nick, self.node, hello, True, stored.first, at
            ),
            is_message=False,
        )
        return self._answer(Resumed(session=session, nick=stored.nick, first_id=stored.first))

    def confirm(self, session: str) -> None:
        room = self._reachable()
        stored = room.sessions.get(session)
        if stored is not None and stored.prev is not None:
            if room.tokens.get(stored.prev) == session:
                del room.tokens[stored.prev]
            stored.prev = None

    def say(self, session: str, hello: str, text: str, at: datetime) -> int:
        room = self._writable()
        stored = self._held(session, hello)
        message_id = room.append(
            lambda position: MessageEntry(
                position,
                PublicMessage(id=_id_of(position), sender=stored.nick, text=text, sent_at=at),
                session,
                None,
            ),
            is_message=True,
        )
        room.public += 1
        return self._answer(message_id)

    def whisper(self, session: str, hello: str, to: str, text: str, at: datetime) -> int:
        room = self._writable()
        stored = self._held(session, hello)
        recipient = room.online.get(room.fold(to))
        if recipient is None:
            raise Refused("nouser")
        recipient_nick = room.sessions[recipient].nick
        message_id = room.append(
            lambda position: MessageEntry(
                position,
                PrivateMessage(
                    id=_id_of(position),
                    sender=stored.nick,
                    recipient=recipient_nick,
                    text=text,
                    sent_at=at,
                ),
                session,
                recipient,
            ),
            is_message=True,
        )
        room.private += 1
        return self._answer(message_id)

    def rename(self, session: str, hello: str, nick: str, at: datetime) -> str:
        room = self._writable()
        stored = self._held(session, hello)
        key, fold = room.nick_key(nick), room.fold(nick)
        holder = room.nicks.get(key)
        if holder is not None and holder != session and holder in room.sessions:
            raise Refused("taken")
        if room.nicks.get(stored.key) == session:
            del room.nicks[stored.key]
        if room.online.get(stored.fold) == session:
            del room.online[stored.fold]
        room.nicks[key] = session
        room.online[fold] = session
        old = stored.nick
        stored.nick, stored.key, stored.fold = nick, key, fold
        room.append(lambda position: NickEntry(position, session, old, nick, at), is_message=False)
        return self._answer(old)

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
        room = self._writable()
        stored = self._held(session, hello)
        if not ends:
            room.drop_session(session, at, reason)
        else:
            room.end_session(session)
            room.append(
                lambda position: LeaveEntry(position, session, stored.nick, reason, message, at),
                is_message=False,
            )
        self._answer(None)

    # --- ClusterStore: reads ------------------------------------------------------------------

    def state(self) -> RoomState:
        room = self._reachable()
        if room.lost:
            raise RoomLost("the shared store no longer holds the room")
        online = {session: room.sessions[session].nick for session in room.online.values()}
        return RoomState(
            room.epoch, f"{room.last_ms}-{room.last_seq}", room.public, room.private, online
        )

    def read(self, after: str, limit: int, block_seconds: float, epoch: str) -> Sequence[Entry]:
        room = self._reachable()
        start = parse_position(after)
        return [entry for entry in room.entries if parse_position(entry.position) > start][:limit]

    # --- RoomHistory --------------------------------------------------------------------------

    def last_id(self) -> int:
        return self._readable().last_ms

    def first_kept_id(self) -> int:
        return self._readable().floor + 1

    def holds_all(self, after: int, upto: int) -> bool:
        held = {entry.message.id for entry in self._messages()}
        return all(message_id in held for message_id in range(after + 1, upto + 1))

    def after(self, last_id: int, limit: int, *, visible_to: str) -> list[Message]:
        return self.after_until(last_id, None, limit, visible_to=visible_to)

    def after_until(
        self, last_id: int, upto: int | None, limit: int, *, visible_to: str
    ) -> list[Message]:
        found = [
            entry.message
            for entry in self._messages()
            if entry.message.id > last_id
            and (upto is None or entry.message.id <= upto)
            and (
                entry.recipient_session is None
                or visible_to in (entry.sender_session, entry.recipient_session)
            )
        ]
        return found[:limit]

    def newest(self, limit: int, before: int | None = None) -> list[PublicMessage]:
        found = [
            entry.message
            for entry in self._messages()
            if isinstance(entry.message, PublicMessage)
            and (before is None or entry.message.id < before)
        ]
        return found[-limit:] if limit > 0 else []

    # --- inside -------------------------------------------------------------------------------

    def _reachable(self) -> SharedRoom:
        if self.room.unavailable:
            raise StoreUnavailable("the shared store did not answer")
        return self.room

    def _writable(self) -> SharedRoom:
        """check_room_and_fence(): the room exists, and this node is who it was."""
        room = self._reachable()
        if room.lost:
            raise RoomLost("the shared store no longer holds the room")
        if room.incarnations.get(self.node) != self.incarnation:
            raise Fenced("this node was declared dead by the cluster")
        return room

    def _readable(self) -> SharedRoom:
        if self.room.unavailable:
            raise OSError("the shared store did not answer")  # as RedisRoomStore's reads
        return self.room

    def publish(self, messages: Sequence[Said]) -> list[int | Exception]:
        self.publish_batches.append(len(messages))  # one round trip each, in Redis
        self._writable()  # as a pipeline that never reached Redis: all of them refused
        answers: list[int | Exception] = []
        for said in messages:
            try:
                if said.to is None:
                    answers.append(self.say(said.session, said.hello, said.text, said.at))
                else:
                    answers.append(
                        self.whisper(said.session, said.hello, said.to, said.text, said.at)
                    )
            except (Refused, StoreUnavailable, Fenced, RoomLost) as error:
                answers.append(error)
        return answers

    def holders(self) -> dict[str, str]:
        room = self._reachable()
        return {
            session: stored.hello
            for session, stored in room.sessions.items()
            if stored.node == self.node and stored.incarnation == self.incarnation and stored.on
        }

    def _held(self, session: str, hello: str) -> StoredSession:
        """held_here(): the session is held right now by this node (this incarnation),
        through the connection that said `hello`."""
        stored = self.room.sessions.get(session)
        if (
            stored is None
            or stored.node != self.node
            or stored.incarnation != self.incarnation
            or not stored.on
            or stored.hello != hello
        ):
            raise Refused("gone")
        return stored

    def _messages(self) -> list[MessageEntry]:
        room = self._readable()
        return [
            entry
            for entry in room.entries
            if isinstance(entry, MessageEntry) and entry.message.id > room.floor
        ]

    def _answer(self, result: Answer) -> Answer:
        if self.room.answers_lost:
            raise StoreUnavailable("the answer was lost on its way back")
        return result


def _id_of(position: str) -> int:
    """A message's id is its entry's first part: '17-0' -> 17."""
    return parse_position(position)[0]


class RecordingArchive:
    """A fake Archive: keeps each batch it was given; `journal`, if shared, records when
    each batch was written among the deliveries; `failing` makes it fail as a full disk."""

    def __init__(self, journal: list[tuple[str, object]] | None = None) -> None:
        self.batches: list[tuple[tuple[Message, ...], str]] = []
        self.journal = journal if journal is not None else []
        self.failing = False

    def write(self, messages: Sequence[Message], position: str) -> None:
        if self.failing:
            raise OSError(28, "No space left on device")
        self.batches.append((tuple(messages), position))
        self.journal.append(("archived", tuple(message.id for message in messages)))

    @property
    def messages(self) -> list[Message]:
        return [message for messages, _ in self.batches for message in messages]
