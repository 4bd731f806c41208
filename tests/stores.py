"""The real store of a log directory, as chat-server builds it: SQLite plus the text logs."""

from pathlib import Path

from app.adapters.storage.files import TextLogs
from app.adapters.storage.sqlite import SqliteRoomStore


def disk_store(directory: Path) -> SqliteRoomStore:
    return SqliteRoomStore(directory, TextLogs(directory))
