"""What an operator chooses for the IRC gateway (chat-server --irc-*)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

DEFAULT_CHANNEL: Final = "#chat"
# Seconds of silence before the gateway pings a client, then before it gives up on it.
PING_AFTER: Final = 120.0
PING_TIMEOUT: Final = 60.0
# Lines a client may have waiting for the flood limits before it is cut off (a paste of
# this many lines is paced out, not refused).
MAX_QUEUED_LINES: Final = 200


@dataclass(frozen=True)
class IrcSettings:
    server: str  # the gateway's name: the source of its own lines
    channel: str = DEFAULT_CHANNEL
    autojoin: bool = True  # a registered client is put in the channel by the server
    version: str = "chatroom-1"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    ping_after: float = PING_AFTER
    ping_timeout: float = PING_TIMEOUT
    max_queued_lines: int = MAX_QUEUED_LINES
    user_host: str = "chatroom"  # the host part of every user's nick!user@host
