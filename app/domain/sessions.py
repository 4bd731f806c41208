"""A person's place in the room, which outlives a dropped connection for a while."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

DEFAULT_RESUME_GRACE: Final = 120.0  # seconds a dropped session waits for its client


@dataclass(frozen=True)
class Session:
    """One person in the room, from hello to quit (or to the end of the resume grace).

    A connection holds it while connected. When the connection drops, the session waits
    `grace` for the client to come back with its resume token: its nick is kept, and what is
    said meanwhile stays in the room log for it.
    """

    id: str
    nick: str
    token_digest: bytes  # of the resume token; the token itself is never kept
    first_id: int  # the newest message id at its first hello: it saw every later one live
    dropped_at: datetime | None = None  # None while a connection holds it

    def expired(self, now: datetime, grace: timedelta) -> bool:
        return self.dropped_at is not None and now >= self.dropped_at + grace
