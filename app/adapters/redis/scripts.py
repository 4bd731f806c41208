"""The Lua scripts, loaded once per connection pool, run with a deliberate retry policy.

redis-py's own retries are off: a write retried blindly could publish a message twice.
Instead each write carries an operation id that the script remembers for a minute, so the
one retry made here after a lost answer returns the first answer rather than writing again.
"""

import json
import threading
import time
import uuid
from collections.abc import Sequence
from importlib import resources
from typing import Any, Final

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.services.cluster_ports import (
    Fenced,
    OutcomeUnknown,
    Refused,
    RoomLost,
    StoreUnavailable,
)

SCRIPT_NAMES: Final = (
    "open",
    "resume",
    "confirm",
    "say",
    "whisper",
    "rename",
    "leave",
    "tick",
    "register",
    "deregister",
    "seed",
    "snapshot",
    "holders",
)
_COMMAND_TIMEOUT: Final = 0.5
# A write must have run within this long of being sent (in Redis's time), or it does not run
# at all: shorter than the timeout, so that a write that ran has time to say so. Otherwise a
# write the client was told had failed could run later, when a stalled Redis wakes up.
_WRITE_DEADLINE_MS: Final = 300
_ANSWERS_WITH_DEADLINE: Final = frozenset({"tick"})


class _Disconnected(StoreUnavailable):
    """The connection failed (Redis restarted, say): a fresh one may well work at once."""


class _TimedOut(StoreUnavailable):
    """No answer in time: the write may or may not have been made (see Scripts._settle)."""


# What a write given up after a timeout is marked with, under its operation id: the script,
# if it runs later, finds it and does nothing ('late').
_GIVEN_UP: Final = json.dumps(["late"])
_OP_KEPT_MS: Final = 10_000


def connect(url: str, *, timeout: float = _COMMAND_TIMEOUT) -> redis.Redis:
    """A client with redis-py's automatic retries off. Raises ValueError for a bad URL."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        retry_on_timeout=False,
        health_check_interval=0,
    )


def _source(name: str) -> str:
    lua = resources.files(__package__).joinpath("lua")
    return lua.joinpath("prelude.lua").read_text() + lua.joinpath(f"{name}.lua").read_text()


class Scripts:
    """Runs the room's scripts for one node, turning their refusals into exceptions."""

    def __init__(self, client: redis.Redis, prefix: str, node: str) -> None:
        self._client = client
        self._prefix = prefix
        self.node = node
        self.incarnation = uuid.uuid4().hex
        self._scripts = {name: client.register_script(_source(name)) for name in SCRIPT_NAMES}
        # After a failed write, writes are refused at once until a heartbeat gets through,
        # instead of each waiting out a timeout on the I/O loop: a stalled Redis must not
        # stall every client of the node.
        self.available = True
        # Set when a write finds this node fenced or the room lost: the heartbeat acts on it
        # at once rather than at its next beat.
        self.trouble = threading.Event()
        self._clock_offset_ms = 0  # Redis's clock minus ours, measured at each heartbeat

    def new_incarnation(self) -> str:
        """Starts a new incarnation; returns the one before."""
        previous, self.incarnation = self.incarnation, uuid.uuid4().hex
        return previous

    def write(self, name: str, *args: str | int) -> list[Any]:
        """A write that may append to the stream. After a broken connection it is tried
        once more, on a new one, with the same operation id; after a timeout it is not
        (Redis is stalled: trying again would only stall the caller twice as long)."""
        if not self.available:
            raise StoreUnavailable("the shared store did not answer a moment ago")
        op = uuid.uuid4().hex
        try:
            try:
                return self._checked(self._call(name, op, args))
            except _Disconnected:
                return self._checked(self._call(name, op, args))
            except _TimedOut:
                return self._checked(self._settle([op])[0])
        except StoreUnavailable:
            self.available = False
            raise

    def write_many(self, calls: Sequence[tuple[str, Sequence[str | int]]]) -> list[Any]:
        """Writes (script name, arguments), all in one round trip (a pipeline: Redis
        runs them in order and, with appendfsync always, fsyncs once for all of them).
        Each item is its answer or the exception for it; StoreUnavailable for all of them
        if Redis did not answer (a broken connection: tried once more, same ids)."""
        if not self.available:
            raise StoreUnavailable("the shared store did not answer a moment ago")
        ops = [uuid.uuid4().hex for _ in calls]
        try:
            try:
                answers = self._pipelined(ops, calls)
            except _Disconnected:
                answers = self._pipelined(ops, calls)
            except _TimedOut:
                answers = self._settle(ops)
        except StoreUnavailable:
            self.available = False
            raise
        return [self._checked_or_error(answer) for answer in answers]

    def _settle(self, ops: list[str]) -> list[Any]:
        """After a timeout: were these writes made? Each is marked as given up (so that it
        cannot run any more) unless its answer is there already, which is then its answer.
        OutcomeUnknown if Redis does not answer this either."""
        pipe = self._client.pipeline(transaction=False)
        for op in ops:
            pipe.set(self._prefix + "op:" + op, _GIVEN_UP, nx=True, px=_OP_KEPT_MS)
            pipe.get(self._prefix + "op:" + op)
        try:
            replies = pipe.execute()
        except (redis.RedisError, OSError) as error:
            raise OutcomeUnknown("no answer, and none to whether it was done") from error
        return [json.loads(stored) for stored in replies[1::2]]

    def _pipelined(
        self, ops: list[str], calls: Sequence[tuple[str, Sequence[str | int]]]
    ) -> list[Any]:
        deadline = self._deadline("", ops[0])
        pipe = self._client.pipeline(transaction=False)
        for op, (name, args) in zip(ops, calls, strict=True):
            self._scripts[name](
                keys=[],
                args=[self._prefix, self.node, self.incarnation, op, deadline, *args],
                client=pipe,
            )
        try:
            return list(pipe.execute(raise_on_error=False))
        except (redis.TimeoutError, TimeoutError) as error:
            raise _TimedOut(f"no answer within {_COMMAND_TIMEOUT} s") from error
        except (redis.ConnectionError, OSError) as error:
            raise _Disconnected(str(error) or type(error).__name__) from error

    def _checked_or_error(self, answer: Any) -> Any:
        if isinstance(answer, Exception):
            return answer  # a script error for this one call: a bug of ours, said per call
        try:
            return self._checked(list(answer))
        except (StoreUnavailable, Refused, Fenced, RoomLost) as error:
            return error

    def call(self, name: str, *args: str | int) -> list[Any]:
        """A script that is safe to run again as it is (heartbeats, reads): no retry here."""
        return self._checked(self._call(name, "", args))

    def sync_clock(self) -> None:
        """Measure Redis's clock against ours (the deadlines are in Redis's time)."""
        try:
            before = time.time()
            seconds, micros = self._client.time()
            after = time.time()
        except (redis.RedisError, OSError) as error:
            raise StoreUnavailable(str(error) or type(error).__name__) from error
        ours_ms = (before + after) / 2 * 1000
        self._clock_offset_ms = round(seconds * 1000 + micros / 1000 - ours_ms)

    def _deadline(self, name: str, op: str) -> int:
        if not op and name not in _ANSWERS_WITH_DEADLINE:
            return 0  # no deadline
        return round(time.time() * 1000) + self._clock_offset_ms + _WRITE_DEADLINE_MS

    def _call(self, name: str, op: str, args: tuple[str | int, ...]) -> list[Any]:
        deadline = self._deadline(name, op)
        try:
            result = self._scripts[name](
                keys=[], args=[self._prefix, self.node, self.incarnation, op, deadline, *args]
            )
        except (redis.TimeoutError, TimeoutError) as error:
            raise _TimedOut(f"no answer within {_COMMAND_TIMEOUT} s") from error
        except (redis.ConnectionError, OSError) as error:
            raise _Disconnected(str(error) or type(error).__name__) from error
        except redis.ResponseError as error:
            if "LOADING" in str(error) or "BUSY" in str(error):
                raise StoreUnavailable(str(error)) from error
            raise
        return list(result)

    def _checked(self, result: list[Any]) -> list[Any]:
        match result:
            case ["late", *_]:
                raise StoreUnavailable("Redis ran it too late: it was not done")
            case ["lost", *_]:
                self.trouble.set()
                raise RoomLost("the shared store no longer holds the room")
            case ["fenced", *_]:
                self.trouble.set()
                raise Fenced("this node was declared dead by the cluster")
            case [("taken" | "gone" | "nouser" | "unknown") as why]:
                raise Refused(why)
        return result
