"""The Lua scripts, loaded once per connection pool, run with a deliberate retry policy.

redis-py's own retries are off: a write retried blindly could publish a message twice.
Instead each write carries an operation id that the script remembers for a minute, so the
one retry made here after a lost answer returns the first answer rather than writing again.
"""

import time
import uuid
from importlib import resources
from typing import Any, Final

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.services.cluster_ports import Fenced, Refused, RoomLost, StoreUnavailable

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
)
# After a failure, writes are refused at once for this long instead of each one waiting out
# a socket timeout on the I/O loop: a stopped Redis must not stall every client of a node.
_QUIET_AFTER_FAILURE: Final = 0.5
_RETRY_PAUSE: Final = 0.05
_COMMAND_TIMEOUT: Final = 1.0


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
        self._quiet_until = 0.0

    def new_incarnation(self) -> None:
        self.incarnation = uuid.uuid4().hex

    def write(self, name: str, *args: str | int) -> list[Any]:
        """A write that may append to the stream: one deliberate retry, with the same id."""
        if time.monotonic() < self._quiet_until:
            raise StoreUnavailable("the shared store did not answer a moment ago")
        op = uuid.uuid4().hex
        try:
            return self._checked(self._call(name, op, args))
        except StoreUnavailable:
            time.sleep(_RETRY_PAUSE)
            try:
                return self._checked(self._call(name, op, args))
            except StoreUnavailable:
                self._quiet_until = time.monotonic() + _QUIET_AFTER_FAILURE
                raise

    def call(self, name: str, *args: str | int) -> list[Any]:
        """A script that is safe to run again as it is (heartbeats, reads): no retry here."""
        return self._checked(self._call(name, "", args))

    def _call(self, name: str, op: str, args: tuple[str | int, ...]) -> list[Any]:
        try:
            result = self._scripts[name](
                keys=[], args=[self._prefix, self.node, self.incarnation, op, *args]
            )
        except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
            raise StoreUnavailable(str(error) or type(error).__name__) from error
        except redis.ResponseError as error:
            if "LOADING" in str(error) or "BUSY" in str(error):
                raise StoreUnavailable(str(error)) from error
            raise
        self._quiet_until = 0.0
        return list(result)

    @staticmethod
    def _checked(result: list[Any]) -> list[Any]:
        match result:
            case ["lost", *_]:
                raise RoomLost("the shared store no longer holds the room")
            case ["fenced", *_]:
                raise Fenced("this node was declared dead by the cluster")
            case [("taken" | "gone" | "nouser" | "unknown") as why]:
                raise Refused(why)
        return result
