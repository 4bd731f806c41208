"""The room log's SQLite schema and how rows and Python values map onto each other."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from app.domain.events import Message, PrivateMessage, PublicMessage
from app.domain.sessions import Session
from app.services.ports import LoggedTotals

SCHEMA_VERSION: Final = 1
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND: Final = timedelta(microseconds=1)
SCHEMA: Final = """
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
MESSAGE_COLUMNS: Final = "id, sender, recipient, text, sent_at"
SAVE_SESSION: Final = "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?)"
INSERT_MESSAGE: Final = "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?)"


def create_if_new(db: sqlite3.Connection, earlier: Callable[[], LoggedTotals]) -> None:
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version == SCHEMA_VERSION:
        return
    if version != 0:
        raise sqlite3.DatabaseError(f"unknown schema version {version}")
    # One statement at a time: executescript would commit the transaction we are in.
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    before = earlier()  # counted only now: reading big text logs takes a while
    db.execute("INSERT INTO earlier VALUES (?, ?)", (before.public, before.private))
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def read_position(db: sqlite3.Connection) -> tuple[int, int, LoggedTotals]:
    """(last id, the last id of the text-log era, totals), as the database has them."""
    earlier_public, earlier_private = db.execute("SELECT * FROM earlier").fetchone()
    floor = earlier_public + earlier_private
    (newest,) = db.execute("SELECT max(id) FROM messages").fetchone()
    public, private = db.execute(
        "SELECT count(*) - count(recipient), count(recipient) FROM messages"
    ).fetchone()
    totals = LoggedTotals(public=earlier_public + public, private=earlier_private + private)
    return max(floor, newest or 0), floor, totals


def read_sessions(db: sqlite3.Connection) -> list[Session]:
    rows = db.execute("SELECT id, nick, token_digest, first_id, dropped_at FROM sessions")
    return [
        Session(
            id=id_,
            nick=nick,
            token_digest=bytes(digest),
            first_id=first_id,
            dropped_at=None if dropped is None else EPOCH + dropped * MICROSECOND,
        )
        for id_, nick, digest, first_id, dropped in rows
    ]


def session_row(session: Session) -> tuple[object, ...]:
    dropped = None if session.dropped_at is None else micros(session.dropped_at)
    return (session.id, session.nick, session.token_digest, session.first_id, dropped)


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN ... COMMIT; on any failure, ROLLBACK, then OSError."""
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
        db.execute("COMMIT")
    except sqlite3.Error as error:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise OSError(f"the room log failed: {error}") from error


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def message_of(row: tuple[Any, ...]) -> Message:
    id_, sender, recipient, text, sent_at = row
    moment = EPOCH + sent_at * MICROSECOND
    if recipient is None:
        return PublicMessage(id=id_, sender=sender, text=text, sent_at=moment)
    return PrivateMessage(id=id_, sender=sender, recipient=recipient, text=text, sent_at=moment)
