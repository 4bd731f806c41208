"""The room log and the sessions in one SQLite database in the log directory.

WAL journal, synchronous=NORMAL: a commit is in the WAL file before `append` returns, so a
message the server has acknowledged survives SIGKILL of the server (only losing power can
cost the last commits). The database is opened in exclusive locking mode, so a second
server on the same directory is refused at start-up instead of handing out the same ids.
"""

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from app.adapters.storage.files import StorageUnavailable, TextLogs
from app.adapters.storage.sqlite_schema import (
    INSERT_MESSAGE,
    MESSAGE_COLUMNS,
    SAVE_SESSION,
    create_if_new,
    message_of,
    micros,
    read_position,
    read_sessions,
    session_row,
    transaction,
)
from app.domain.drafts import Draft, PrivateDraft, with_id
from app.domain.events import Message, PublicMessage
from app.domain.sessions import Session
from app.services.ports import LoggedTotals

DATABASE_NAME: Final = "chatroom.sqlite3"


class SqliteRoomStore:
    """A RoomLog and a SessionStore. Each append also writes the message's line to the text
    logs, in the same step: if either write fails, neither keeps the message.

    Like the text logs, it follows its path: if the database file is removed (or replaced)
    while the server runs, the next append starts a new one there, ids carrying on.
    """

    def __init__(self, directory: Path, text_logs: TextLogs | None = None) -> None:
        self.path = directory / DATABASE_NAME
        self._text_logs = text_logs
        self._lock = threading.Lock()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._db, self._identity = self._open(self._text_log_counts)
            self._last_id, self._floor, totals = read_position(self._db)
            self._sessions = {session.id: session for session in read_sessions(self._db)}
        except (sqlite3.Error, OSError, TypeError, ValueError) as error:
            # TypeError, ValueError: a database, but its rows are not what we wrote.
            raise StorageUnavailable(_why_unusable(self.path, error)) from error
        self._public_total, self._private_total = totals.public, totals.private

    # --- RoomLog --------------------------------------------------------------------------

    def append(self, draft: Draft) -> Message:
        with self._lock:
            self._follow_path()
            message = with_id(draft, self._last_id + 1)
            private = isinstance(draft, PrivateDraft)
            row = (
                message.id,
                draft.sender,
                draft.recipient if isinstance(draft, PrivateDraft) else None,
                draft.text,
                micros(draft.sent_at),
                draft.sender_session,
                draft.recipient_session if isinstance(draft, PrivateDraft) else None,
            )
            # The text line first, then the row (its own transaction): if the row cannot be
            # committed the line is taken back, so neither keeps a message the other lacks.
            if self._text_logs is not None:
                self._text_logs.append(message)
            try:
                self._db.execute(INSERT_MESSAGE, row)
            except sqlite3.Error as error:
                raise OSError(f"the room log failed: {error}{self._undo_text_line()}") from error
            self._last_id = message.id
            if private:
                self._private_total += 1
            else:
                self._public_total += 1
            return message

    def last_id(self) -> int:
        return self._last_id

    def first_kept_id(self) -> int:
        return self._floor + 1  # nothing is ever deleted; earlier ids are in text logs only

    def totals(self) -> LoggedTotals:
        return LoggedTotals(public=self._public_total, private=self._private_total)

    def after(self, last_id: int, limit: int, *, visible_to: str) -> list[Message]:
        rows = self._query(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id > ?"
            " AND (recipient IS NULL OR sender_session = ? OR recipient_session = ?)"
            " ORDER BY id LIMIT ?",
            (last_id, visible_to, visible_to, limit),
        )
        return [message_of(row) for row in rows]

    def newest(self, limit: int, before: int | None = None) -> list[PublicMessage]:
        rows = self._query(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE recipient IS NULL AND id < ?"
            " ORDER BY id DESC LIMIT ?",
            (self._last_id + 1 if before is None else before, max(0, limit)),
        )
        found = [message_of(row) for row in reversed(rows)]
        return [message for message in found if isinstance(message, PublicMessage)]

    # --- SessionStore ---------------------------------------------------------------------

    def sessions(self) -> list[Session]:
        with self._lock:
            return list(self._sessions.values())

    def save_session(self, session: Session) -> None:
        with self._lock:
            self._sessions[session.id] = session
            self._write(SAVE_SESSION, session_row(session))

    def forget_session(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
            self._write("DELETE FROM sessions WHERE id = ?", (session_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- inside ---------------------------------------------------------------------------

    def _open(
        self, earlier: Callable[[], LoggedTotals]
    ) -> tuple[sqlite3.Connection, tuple[int, int]]:
        """The database at our path; a new one's ids follow the `earlier` messages."""
        # A short busy timeout: a lock held by another server will not be let go.
        db = sqlite3.connect(self.path, timeout=0.2, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            with transaction(db):  # takes the exclusive lock now, and keeps it
                create_if_new(db, earlier)
            status = os.stat(self.path)
        except BaseException:
            db.close()
            raise
        return db, (status.st_dev, status.st_ino)

    def _text_log_counts(self) -> LoggedTotals:
        return self._text_logs.line_counts() if self._text_logs else LoggedTotals(0, 0)

    def _undo_text_line(self) -> str:
        """Take back the text line of a message the database refused; say if that failed."""
        if self._text_logs is None:
            return ""
        try:
            self._text_logs.undo_last()
        except OSError as error:
            return f"; and its line stays in the text log, which could not be cut back: {error}"
        return ""

    def _follow_path(self) -> None:
        """Start a new database if ours was removed or replaced; OSError if none can be."""
        try:
            status = os.stat(self.path)
            if (status.st_dev, status.st_ino) == self._identity:
                return
        except FileNotFoundError:
            pass
        try:
            db, identity = self._open(self.totals)
            last_id, _, totals = read_position(db)
            with transaction(db):  # the sessions waiting for their clients come along
                for session in self._sessions.values():
                    db.execute(SAVE_SESSION, session_row(session))
        except sqlite3.Error as error:
            raise OSError(f"the room log could not be made anew: {error}") from error
        self._db.close()
        self._db, self._identity = db, identity
        self._floor = self._last_id = max(self._last_id, last_id)
        self._public_total = max(self._public_total, totals.public)
        self._private_total = max(self._private_total, totals.private)

    def _query(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows as sqlite3 gives them: typed by the schema, not by Python."""
        with self._lock:
            try:
                return self._db.execute(sql, parameters).fetchall()
            except sqlite3.Error as error:
                raise OSError(f"the room log could not be read: {error}") from error

    def _write(self, sql: str, parameters: tuple[object, ...]) -> None:
        try:
            self._db.execute(sql, parameters)
        except sqlite3.Error as error:
            raise OSError(f"the session store failed: {error}") from error


def _why_unusable(path: Path, error: Exception) -> str:
    if "locked" in str(error):
        return f"{path} is in use by another chat-server (one server per log directory)"
    if isinstance(error, TypeError | ValueError):
        return f"cannot keep the room log in {path}: it holds something else than a room log"
    reason = getattr(error, "strerror", None) or str(error)
    return f"cannot keep the room log in {path}: {reason}"
