"""What one client over TCP may cost the server, and how long its close may take."""

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from app.domain.flood import FloodLimits
from app.services.connection import DEFAULT_REGISTER_TIMEOUT, Connection, ConnectionPolicy
from app.services.ports import Clock, EventLog, Recipient
from app.services.room_api import ChatRoom

DEFAULT_MAX_OUTBUF: Final = 1 << 20
# After the last byte is handed to the kernel and our FIN sent, the socket stays open (what
# the client still sends is read and dropped) until the client has acknowledged every byte,
# or closed its end, or LINGER_SECONDS have passed: a close before that could reset the
# connection, and a reset destroys what is still on its way to the client.
LINGER_SECONDS: Final = 2.0
LINGER_CHECK_SECONDS: Final = 0.02
# A closing client (it quit, or was replaced, or is told to go) has this long to read what
# it is owed before the socket is closed anyway.
FLUSH_SECONDS: Final = 10.0
# While a resume replay is under way, a client may fall this many times further behind the
# live feed than --max-outbuf before it counts as a slow consumer: it has a backlog to read.
REPLAY_SLACK: Final = 8
CHUNKS_PER_FLUSH: Final = 4  # then let the other clients on this loop have a turn


@dataclass(frozen=True)
class ConnectionLimits:
    """What one client may cost the server."""

    max_outbuf: int = DEFAULT_MAX_OUTBUF  # bytes owed before it is dropped as too slow
    flood: FloodLimits = field(default_factory=FloodLimits)
    register_timeout: float = DEFAULT_REGISTER_TIMEOUT  # seconds to say hello
    monotonic: Callable[[], float] = time.monotonic

    @functools.cached_property
    def policy(self) -> ConnectionPolicy:
        # One for every connection, not one each: it is the same for all of them.
        return ConnectionPolicy(flood=self.flood, register_timeout=self.register_timeout)

    def connection(
        self,
        chat: ChatRoom,
        client: Recipient,
        *,
        clock: Clock,
        events: EventLog,
        keeps_session: bool = True,
    ) -> Connection:
        """The rules of one client's connection under these limits, from now on."""
        return Connection(
            chat,
            client,
            policy=self.policy,
            clock=clock,
            events=events,
            now=self.monotonic(),
            keeps_session=keeps_session,
        )
