"""The room log and session store kept in memory: the SQLite store's stand-in for tests, held
to the same contract tests."""

import threading
from collections import deque

from app.adapters.storage.lines import private_line, public_line
from app.domain import drafts
from app.domain.drafts import Draft, with_id
from app.domain.events import Message, PrivateMessage, PublicMessage
from app.domain.sessions import Session
from app.services.ports import LoggedTotals


class InMemoryRoomStore:
    """Messages and sessions in plain collections.

    `failing = True` makes appends fail as a full disk would, `failing_reads = True` makes
    reads fail as a broken disk would; `keep_last` forgets all but
    the newest messages, as a store with a retention limit would; `logged_public` and
    `logged_private` stand for messages logged before this store existed (ids follow them).
    """

    def __init__(
        self, logged_public: int = 0, logged_private: int = 0, keep_last: int | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._entries: deque[tuple[Message, Draft]] = deque(maxlen=keep_last)
        self._last_id = logged_public + logged_private
        self._public_total = logged_public
        self._private_total = logged_private
        self._sessions: dict[str, Session] = {}
        self.public: list[PublicMessage] = []  # everything appended, for tests to look at
        self.private: list[PrivateMessage] = []
        self.failing = False
        self.failing_reads = False

    # --- RoomLog --------------------------------------------------------------------------

    def append(self, draft: Draft) -> Message:
        with self._lock:
            self._fail_if_asked()
            message = with_id(draft, self._last_id + 1)
            self._entries.append((message, draft))
            self._last_id = message.id
            if isinstance(message, PublicMessage):
                self.public.append(message)
                self._public_total += 1
            else:
                self.private.append(message)
                self._private_total += 1
            return message

    def last_id(self) -> int:
        return self._last_id

    def first_kept_id(self) -> int:
        with self._lock:
            return self._entries[0][0].id if self._entries else self._last_id + 1

    def totals(self) -> LoggedTotals:
        return LoggedTotals(public=self._public_total, private=self._private_total)

    def after(self, last_id: int, limit: int, *, visible_to: str) -> list[Message]:
        self._fail_reads_if_asked()
        with self._lock:
            found = [
                message
                for message, draft in self._entries
                if message.id > last_id and drafts.visible_to(draft, visible_to)
            ]
        return found[:limit]

    def newest(self, limit: int, before: int | None = None) -> list[PublicMessage]:
        self._fail_reads_if_asked()
        with self._lock:
            found = [
                message
                for message, _ in self._entries
                if isinstance(message, PublicMessage) and (before is None or message.id < before)
            ]
        return found[-limit:] if limit > 0 else []

    # --- SessionStore ---------------------------------------------------------------------

    def sessions(self) -> list[Session]:
        with self._lock:
            return list(self._sessions.values())

    def save_session(self, session: Session) -> None:
        with self._lock:
            self._sessions[session.id] = session

    def forget_session(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    # --- for tests --------------------------------------------------------------------------

    def public_lines(self) -> list[str]:
        return [public_line(message) for message in self.public]

    def private_lines(self) -> list[str]:
        return [private_line(message) for message in self.private]

    def _fail_if_asked(self) -> None:
        if self.failing:
            raise OSError(28, "No space left on device")

    def _fail_reads_if_asked(self) -> None:
        if self.failing_reads:
            raise OSError(5, "Input/output error")
