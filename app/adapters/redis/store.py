"""RedisRoomStore: the cluster's ClusterStore and its RoomLog (history, resume) in Redis."""

import functools
import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

import redis

from app.adapters.redis.entries import entry_of, stamp
from app.adapters.redis.scripts import Scripts
from app.domain.events import Message, PublicMessage
from app.services.cluster_ports import (
    Entry,
    MessageEntry,
    Refused,
    Resumed,
    RoomLost,
    RoomState,
    Said,
    StoreUnavailable,
)
from app.services.ports import LoggedTotals

DEFAULT_PREFIX: Final = "{chatroom}:"
_SCAN_BATCH: Final = 500
_HOLE_SCAN: Final = 20_000


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class RedisRoomStore:
    """One node's view of the shared room. `nick_key` folds a nick to its look-alike-proof
    key and `fold` to its case-insensitive one, exactly as the single server's registry."""

    def __init__(
        self,
        client: redis.Redis,
        reader: redis.Redis,
        *,
        node: str,
        nick_key: Callable[[str], str],
        fold: Callable[[str], str],
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        self.scripts = Scripts(client, prefix, node)
        self._client = client
        self._reader = reader  # blocking stream reads get a connection of their own
        self._log_key = prefix + "log"
        self._room_key = prefix + "room"
        self._nick_key = nick_key
        self._fold = fold

    # --- ClusterStore: writes -------------------------------------------------------------

    def open(self, session: str, nick: str, hello: str, token: str, at: datetime) -> int:
        key, fold = self._nick_key(nick), self._fold(nick)
        result = self.scripts.write(
            "open", session, nick, key, fold, digest(token), hello, stamp(at)
        )
        return int(result[1])

    def resume(self, used: str, token: str, hello: str, at: datetime) -> Resumed | None:
        try:
            result = self.scripts.write("resume", digest(used), digest(token), hello, stamp(at))
        except Refused:
            return None
        return Resumed(session=result[1], nick=result[2], first_id=int(result[3]))

    def confirm(self, session: str) -> None:
        self.scripts.write("confirm", session)

    def say(self, session: str, hello: str, text: str, at: datetime) -> int:
        return int(self.scripts.write("say", session, hello, text, stamp(at))[1])

    def whisper(self, session: str, hello: str, to: str, text: str, at: datetime) -> int:
        fold = self._fold(to)
        return int(self.scripts.write("whisper", session, hello, fold, text, stamp(at))[1])

    def rename(self, session: str, hello: str, nick: str, at: datetime) -> str:
        key, fold = self._nick_key(nick), self._fold(nick)
        return str(self.scripts.write("rename", session, hello, nick, key, fold, stamp(at))[1])

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
        how = "quit" if ends else "drop"
        self.scripts.write("leave", session, hello, how, reason, message or "", stamp(at))

    def publish(self, messages: Sequence[Said]) -> list[int | Exception]:
        calls: list[tuple[str, Sequence[str | int]]] = [
            ("say", (said.session, said.hello, said.text, stamp(said.at)))
            if said.to is None
            else (
                "whisper",
                (said.session, said.hello, self._fold(said.to), said.text, stamp(said.at)),
            )
            for said in messages
        ]
        return [
            answer if isinstance(answer, Exception) else int(answer[1])
            for answer in self.scripts.write_many(calls)
        ]

    def holders(self) -> dict[str, str]:
        pairs = self.scripts.call("holders")
        return {pairs[index]: pairs[index + 1] for index in range(0, len(pairs), 2)}

    # --- ClusterStore: reads --------------------------------------------------------------

    def state(self) -> RoomState:
        result = self.scripts.call("snapshot")
        epoch, position, public, private = result[0], result[1], int(result[2]), int(result[3])
        origin, origin_public, origin_private = result[4], int(result[5]), int(result[6])

        pairs = result[7:]
        online = {pairs[index]: pairs[index + 1] for index in range(0, len(pairs), 2)}
        return RoomState(
            epoch, position, public, private, online, origin, origin_public, origin_private
        )

    def read(self, after: str, limit: int, block_seconds: float, epoch: str) -> Sequence[Entry]:
        try:
            answer = self._reader.xread(
                {self._log_key: after}, count=limit, block=max(1, int(block_seconds * 1000))
            )
        except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
            raise StoreUnavailable(str(error) or type(error).__name__) from error
        if not answer:
            return []
        entries: list[Entry] = []
        for position, fields in _stream_rows(answer):
            if fields.get("e") != epoch[:8]:
                if not entries:
                    raise RoomLost(f"entry {position} belongs to another room than {epoch}")
                break  # the rest is another room's: the next read says so
            entries.append(entry_of(position, fields))
        return entries

    def entries(self, after: str, before: str, limit: int) -> Sequence[Entry]:
        """Entries after `after` up to `before` (inclusive), at most `limit`: a catch-up read."""
        rows = self._range(f"({after}", before, limit)
        return [entry_of(position, fields) for position, fields in rows]

    # --- RoomLog (what history and resume read) -------------------------------------------

    def last_id(self) -> int:
        return int(self._hget(self._room_key, "last_ms") or 0)

    def first_kept_id(self) -> int:
        return int(self._hget(self._room_key, "floor") or 0) + 1

    def holds_all(self, after: int, upto: int) -> bool:
        """Message entries are N-0 and their ids have no holes: count them (ids only, the
        fields are not needed), at most _HOLE_SCAN entries; past that, assume they are."""
        if upto <= after:
            return True
        if self.first_kept_id() > after + 1:
            return False
        found, start, scanned = 0, f"({after}-0", 0
        while scanned < _HOLE_SCAN:
            rows = self._range(start, f"{upto}-0", _SCAN_BATCH)
            found += sum(1 for position, _ in rows if position.endswith("-0"))
            scanned += len(rows)
            if len(rows) < _SCAN_BATCH:
                return found == upto - after
            start = f"({rows[-1][0]}"
        return True

    def totals(self) -> LoggedTotals:
        public, private = self._guarded(
            lambda: self._client.hmget(self._room_key, ["public", "private"])
        )
        return LoggedTotals(public=int(public or 0), private=int(private or 0))

    def after(self, last_id: int, limit: int, *, visible_to: str) -> list[Message]:
        return self.after_until(last_id, None, limit, visible_to=visible_to)

    def after_until(
        self, last_id: int, upto: int | None, limit: int, *, visible_to: str
    ) -> list[Message]:
        found: list[Message] = []
        start = f"({last_id}-0" if last_id else "-"
        # Up to message `upto` itself, not the events after it (a replay in the middle of a
        # storm of resumes would otherwise read through every one of their joins).
        end = "+" if upto is None else f"{upto}-0"
        while len(found) < limit:
            rows = self._range(start, end, _SCAN_BATCH)
            for position, fields in rows:
                entry = entry_of(position, fields)
                if isinstance(entry, MessageEntry) and (
                    entry.recipient_session is None
                    or visible_to in (entry.sender_session, entry.recipient_session)
                ):
                    found.append(entry.message)
            if len(rows) < _SCAN_BATCH:
                break
            start = f"({rows[-1][0]}"
        return found[:limit]

    def newest(self, limit: int, before: int | None = None) -> list[PublicMessage]:
        found: list[PublicMessage] = []
        # Ids under `before`: from message before-1 itself, not the events after it (a room
        # where many joined since its last message would otherwise be read through them).
        end = f"{before - 1}-0" if before is not None else "+"
        while len(found) < limit:
            rows: list[tuple[str, dict[str, str]]] = self._guarded(
                functools.partial(self._client.xrevrange, self._log_key, end, "-", _SCAN_BATCH)
            )
            for position, fields in rows:
                if fields.get("k") == "pub":
                    message = entry_of(position, fields)
                    assert isinstance(message, MessageEntry)
                    assert isinstance(message.message, PublicMessage)
                    found.append(message.message)
                    if len(found) == limit:
                        break
            if len(rows) < _SCAN_BATCH:
                break
            end = f"({rows[-1][0]}"
        return found[::-1]

    # --- inside ---------------------------------------------------------------------------

    def _range(self, start: str, end: str, limit: int) -> list[tuple[str, dict[str, str]]]:
        return list(
            self._guarded(lambda: self._client.xrange(self._log_key, start, end, count=limit))
        )

    def _hget(self, key: str, field: str) -> str | None:
        return self._guarded(lambda: self._client.hget(key, field))  # type: ignore[no-any-return]

    @staticmethod
    def _guarded(read: Callable[[], Any]) -> Any:
        """A read, its connection failures as OSError (what RoomLog readers expect)."""
        try:
            return read()
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise OSError(str(error)) from error


def _stream_rows(answer: Any) -> list[tuple[str, dict[str, str]]]:
    """XREAD's answer for one stream (a list in RESP2, a dict in RESP3) as its rows."""
    if isinstance(answer, dict):
        return list(next(iter(answer.values()))[0])
    return list(answer[0][1])
