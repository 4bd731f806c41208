"""The room's sessions: opened at hello, found again by resume token, kept through a dropped
connection for the grace, and written through to the store so they outlive a restart."""

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from app.domain.sessions import Session
from app.services.ports import EventLog, SessionStore

# Sessions waiting for their clients at once, at most: as many clients as a server serves.
DEFAULT_MAX_WAITING: Final = 10_000


def token_digest(token: str) -> bytes:
    """What is kept of a resume token: enough to recognise it, useless to anyone who reads it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class SessionBook:
    """Sessions by id and by token. Not thread-safe: the chat service holds its lock.

    The store is written through on every change, but a failed write only costs the ability
    to resume after a restart, so it is reported and the room carries on.
    """

    def __init__(
        self,
        store: SessionStore,
        grace: timedelta,
        make_secret: Callable[[], str],
        events: EventLog,
        max_waiting: int = DEFAULT_MAX_WAITING,
    ) -> None:
        self._store = store
        self._grace = grace
        self._make_secret = make_secret
        self._events = events
        self._max_waiting = max_waiting
        self._by_id: dict[str, Session] = {}
        self._id_by_digest: dict[bytes, str] = {}
        # A resumed session's previous token, until its client shows it got the welcome
        # with the new one: a welcome lost with the connection must not cost the session.
        self._unconfirmed: dict[str, bytes] = {}
        # Dropped sessions, oldest drop first: every one has the same grace, so this is
        # also the order in which they run out.
        self._waiting: OrderedDict[str, None] = OrderedDict()
        self._unstored: set[str] = set()  # sessions no restart brings back (see open)

    def restore(self, now: datetime) -> list[Session]:
        """The sessions stored by an earlier run, each dropped (if it was not already) now."""
        restored = []
        sessions = [
            stored if stored.dropped_at is not None else replace(stored, dropped_at=now)
            for stored in self._store.sessions()
        ]
        for session in sorted(sessions, key=lambda dropped: dropped.dropped_at or now):
            if session.expired(now, self._grace):
                self._forget_stored(session.id)
                continue
            self._keep(session)
            restored.append(session)
        return restored

    def open(
        self, session_id: str, nick: str, first_id: int, *, stored: bool = True
    ) -> tuple[Session, str]:
        """A new session, held by a connection; returns it and its resume token. One not
        `stored` is not kept in the store: no restart brings it back (nor holds its nick)."""
        if not stored:
            self._unstored.add(session_id)
        token = self._make_secret()
        session = Session(
            id=session_id, nick=nick, token_digest=token_digest(token), first_id=first_id
        )
        self._keep(session)
        return session, token

    def claim(self, token: str, now: datetime) -> Session | None:
        """The live session `token` belongs to, if any (unknown, spent or expired: None)."""
        session_id = self._id_by_digest.get(token_digest(token))
        if session_id is None:
            return None
        session = self._by_id[session_id]
        return None if session.expired(now, self._grace) else session

    def renew(self, session_id: str, used: str) -> tuple[Session, str]:
        """Held by a connection again, with a fresh token. The token `used` stays good until
        `confirm` (the client has the new one); any other earlier token is spent."""
        token = self._make_secret()
        old = self._by_id[session_id]
        kept = token_digest(used)
        for digest in (old.token_digest, self._unconfirmed.pop(session_id, None)):
            if digest is not None and digest != kept:
                self._id_by_digest.pop(digest, None)
        self._unconfirmed[session_id] = kept
        session = replace(old, token_digest=token_digest(token), dropped_at=None)
        self._keep(session)
        return session, token

    def confirm(self, session_id: str) -> None:
        """The client has shown it got its new token: the one it resumed with is spent."""
        digest = self._unconfirmed.pop(session_id, None)
        if digest is not None:
            self._id_by_digest.pop(digest, None)

    def drop(self, session_id: str, now: datetime) -> None:
        """Its connection is gone: the grace starts now (unless it already started)."""
        session = self._by_id[session_id]
        if session.dropped_at is None:
            self._keep(replace(session, dropped_at=now))

    def rename(self, session_id: str, nick: str) -> None:
        self._keep(replace(self._by_id[session_id], nick=nick))

    def close(self, session_id: str) -> None:
        """Ended (a quit, or the grace ran out): its token no longer resumes anything."""
        session = self._by_id.pop(session_id)
        del self._id_by_digest[session.token_digest]
        self.confirm(session_id)
        self._waiting.pop(session_id, None)
        if session_id in self._unstored:
            self._unstored.discard(session_id)
        else:
            self._forget_stored(session_id)

    def expired(self, now: datetime) -> list[Session]:
        """Dropped sessions whose grace has run out, and the oldest beyond `max_waiting`
        (so that connecting and dropping over and over cannot fill the memory). The caller
        closes them."""
        ended: list[Session] = []
        for session_id in self._waiting:
            session = self._by_id[session_id]
            if not session.expired(now, self._grace) and (
                len(self._waiting) - len(ended) <= self._max_waiting
            ):
                break
            ended.append(session)
        return ended

    def held(self) -> list[Session]:
        return [session for session in self._by_id.values() if session.dropped_at is None]

    def _keep(self, session: Session) -> None:
        self._by_id[session.id] = session
        self._id_by_digest[session.token_digest] = session.id
        if session.dropped_at is None:
            self._waiting.pop(session.id, None)
        elif session.id not in self._waiting:
            self._waiting[session.id] = None
        if session.id in self._unstored:
            return
        try:
            self._store.save_session(session)
        except OSError as error:
            self._events.error("session_store_failed", reason=str(error))

    def _forget_stored(self, session_id: str) -> None:
        try:
            self._store.forget_session(session_id)
        except OSError as error:
            self._events.error("session_store_failed", reason=str(error))
