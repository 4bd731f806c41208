"""The room log and the sessions in one SQLite database in the log directory.

WAL journal, synchronous=NORMAL: a commit is in the WAL file before `append` returns, so a
message the server has acknowledged survives SIGKILL of the server (only losing power can
cost the last commits). The database is opened in exclusive locking mode, so a second
server on the same directory is refused at start-up instead of handing out the same ids.
"""

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from app.adapters.storage.files import StorageUnavailable, TextLogs
from app.domain.drafts import Draft, PrivateDraft, with_id
from app.domain.events import Message, PrivateMessage, PublicMessage
from app.domain.sessions import Session
from app.services.ports import LoggedTotals

DATABASE_NAME: Final = "chatroom.sqlite3"
_SCHEMA_VERSION: Final = 1
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_SCHEMA: Final = """
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    recipient TEXT,                  -- NULL for a public message
    text TEXT NOT NULL,
    sent_at INTEGER NOT NULL,        -- microseconds since 1970, UTC
    sender_session TEXT NOT NULL,
    recipient_session TEXT
);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    nick TEXT NOT NULL,
    token_digest BLOB NOT NULL,
    first_id INTEGER NOT NULL,
    dropped_at INTEGER               -- NULL while a connection holds it
);
-- Messages counted in text logs from before this database: ids continue after them.
CREATE TABLE earlier (public INTEGER NOT NULL, private INTEGER NOT NULL);
"""
_COLUMNS: Final = "id, sender, recipient, text, sent_at"


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
            earlier = text_logs.line_counts() if text_logs else LoggedTotals(0, 0)
            self._db, self._identity = self._open(earlier)
            self._last_id, self._floor, totals = _position(self._db)
            self._sessions = {session.id: session for session in _sessions(self._db)}
        except (sqlite3.Error, OSError) as error:
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
                _micros(draft.sent_at),
                draft.sender_session,
                draft.recipient_session if isinstance(draft, PrivateDraft) else None,
            )
            # The text line first, then the row (its own transaction): if the row cannot be
            # committed the line is taken back, so neither keeps a message the other lacks.
            if self._text_logs is not None:
                self._text_logs.append(message)
            try:
                self._db.execute(_INSERT_MESSAGE, row)
            except sqlite3.Error as error:
                if self._text_logs is not None:
                    self._text_logs.undo_last()
                raise OSError(f"the room log failed: {error}") from error
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
            f"SELECT {_COLUMNS} FROM messages WHERE id > ?"
            " AND (recipient IS NULL OR sender_session = ? OR recipient_session = ?)"
            " ORDER BY id LIMIT ?",
            (last_id, visible_to, visible_to, limit),
        )
        return [_message(row) for row in rows]

    def newest(self, limit: int, before: int | None = None) -> list[PublicMessage]:
        rows = self._query(
            f"SELECT {_COLUMNS} FROM messages WHERE recipient IS NULL AND id < ?"
            " ORDER BY id DESC LIMIT ?",
            (self._last_id + 1 if before is None else before, max(0, limit)),
        )
        found = [_message(row) for row in reversed(rows)]
        return [message for message in found if isinstance(message, PublicMessage)]

    # --- SessionStore ---------------------------------------------------------------------

    def sessions(self) -> list[Session]:
        with self._lock:
            return list(self._sessions.values())

    def save_session(self, session: Session) -> None:
        with self._lock:
            self._sessions[session.id] = session
            self._write(_SAVE_SESSION, _session_row(session))

    def forget_session(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
            self._write("DELETE FROM sessions WHERE id = ?", (session_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- inside ---------------------------------------------------------------------------

    def _open(self, earlier: LoggedTotals) -> tuple[sqlite3.Connection, tuple[int, int]]:
        """The database at our path, made if new (its ids to follow `earlier` messages)."""
        # A short busy timeout: a lock held by another server will not be let go.
        db = sqlite3.connect(self.path, timeout=0.2, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            with _transaction(db):  # takes the exclusive lock now, and keeps it
                _create_if_new(db, earlier)
            status = os.stat(self.path)
        except BaseException:
            db.close()
            raise
        return db, (status.st_dev, status.st_ino)

    def _follow_path(self) -> None:
        """Start a new database if ours was removed or replaced; OSError if none can be."""
        try:
            status = os.stat(self.path)
            if (status.st_dev, status.st_ino) == self._identity:
                return
        except FileNotFoundError:
            pass
        try:
            db, identity = self._open(self.totals())
            last_id, _, totals = _position(db)
            with _transaction(db):  # the sessions waiting for their clients come along
                for session in self._sessions.values():
                    db.execute(_SAVE_SESSION, _session_row(session))
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


_SAVE_SESSION: Final = "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?)"
_INSERT_MESSAGE: Final = "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?)"


def _create_if_new(db: sqlite3.Connection, earlier: LoggedTotals) -> None:
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version == _SCHEMA_VERSION:
        return
    if version != 0:
        raise sqlite3.DatabaseError(f"unknown schema version {version}")
    # One statement at a time: executescript would commit the transaction we are in.
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO earlier VALUES (?, ?)", (earlier.public, earlier.private))
    db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")


def _position(db: sqlite3.Connection) -> tuple[int, int, LoggedTotals]:
    """(last id, the last id of the text-log era, totals), as the database has them."""
    earlier_public, earlier_private = db.execute("SELECT * FROM earlier").fetchone()
    floor = earlier_public + earlier_private
    (newest,) = db.execute("SELECT max(id) FROM messages").fetchone()
    public, private = db.execute(
        "SELECT count(*) - count(recipient), count(recipient) FROM messages"
    ).fetchone()
    totals = LoggedTotals(public=earlier_public + public, private=earlier_private + private)
    return max(floor, newest or 0), floor, totals


def _sessions(db: sqlite3.Connection) -> list[Session]:
    rows = db.execute("SELECT id, nick, token_digest, first_id, dropped_at FROM sessions")
    return [
        Session(
            id=id_,
            nick=nick,
            token_digest=bytes(digest),
            first_id=first_id,
            dropped_at=None if dropped is None else _EPOCH + dropped * _MICROSECOND,
        )
        for id_, nick, digest, first_id, dropped in rows
    ]


def _session_row(session: Session) -> tuple[object, ...]:
    dropped = None if session.dropped_at is None else _micros(session.dropped_at)
    return (session.id, session.nick, session.token_digest, session.first_id, dropped)


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN ... COMMIT; on any failure, ROLLBACK, then OSError."""
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
        db.execute("COMMIT")
    except sqlite3.Error as error:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise OSError(f"the room log failed: {error}") from error


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _message(row: tuple[Any, ...]) -> Message:
    id_, sender, recipient, text, sent_at = row
    moment = _EPOCH + sent_at * _MICROSECOND
    if recipient is None:
        return PublicMessage(id=id_, sender=sender, text=text, sent_at=moment)
    return PrivateMessage(id=id_, sender=sender, recipient=recipient, text=text, sent_at=moment)


def _why_unusable(path: Path, error: Exception) -> str:
    if "locked" in str(error):
        return f"{path} is in use by another chat-server (one server per log directory)"
    reason = getattr(error, "strerror", None) or str(error)
    return f"cannot keep the room log in {path}: {reason}"
