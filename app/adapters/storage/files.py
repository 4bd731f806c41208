"""The text logs on disk: messages.txt and private_messages.txt, one line per message."""

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import Final

from app.adapters.storage.lines import private_line, public_line
from app.domain.events import Message, PublicMessage
from app.services.ports import LoggedTotals

PUBLIC_LOG_NAME: Final = "messages.txt"
PRIVATE_LOG_NAME: Final = "private_messages.txt"
_READ_CHUNK: Final = 1 << 20


class StorageUnavailable(Exception):
    """The log directory cannot be used; said once, at start-up, in words a person can act on."""


class AppendOnlyLog:
    """One log file. Each line goes to the OS in one write, or not at all.

    If the file is removed or replaced while the server runs, the next append notices and
    starts a new file at the same path, so messages never vanish into an unlinked file.
    Not thread-safe by itself: the room log appends under its lock, which also keeps lines
    in message-id order.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1
        self._identity = (0, 0)
        self._size = 0
        self._size_before_last = 0
        self._open()

    def append(self, line: str) -> None:
        data = line.encode("utf-8")
        self._follow_path()
        try:
            _write_all(self._fd, data)
        except OSError:
            # Cut off whatever part of the line did reach the file: no half-logged message.
            self._truncate(self._size)
            raise
        self._size_before_last = self._size
        self._size += len(data)

    def line_count(self) -> int:
        """Lines in the file (it always ends in a newline: _open makes sure)."""
        count = 0
        offset = 0
        while chunk := os.pread(self._fd, _READ_CHUNK, offset):
            count += chunk.count(b"\n")
            offset += len(chunk)
        return count

    def undo_last(self) -> None:
        """Take back the last line appended (its message could not be stored elsewhere);
        OSError if the file cannot be cut back."""
        os.ftruncate(self._fd, self._size_before_last)
        self._size = self._size_before_last

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)

    def _truncate(self, size: int) -> None:
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, size)

    def _open(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            os.close(fd)
            raise OSError(errno.EINVAL, f"{self.path.name} is not a regular file")
        if status.st_size and os.pread(fd, 1, status.st_size - 1) != b"\n":
            # A torn last line (a crash mid-write) must not swallow the next message's start.
            _write_all(fd, b"\n")
        self.close()
        self._fd = fd
        self._identity = (status.st_dev, status.st_ino)
        self._size = os.fstat(fd).st_size

    def _follow_path(self) -> None:
        """Reopen if the file at our path is no longer the one we hold open."""
        try:
            status = os.stat(self.path)
            current = (status.st_dev, status.st_ino) == self._identity
        except FileNotFoundError:
            current = False
        if not current:
            self._open()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class TextLogs:
    """Public messages to messages.txt, private ones to private_messages.txt, as they have
    always been written: the room log writes each line in the same step as its own record."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._public = AppendOnlyLog(directory / PUBLIC_LOG_NAME)
            self._private = AppendOnlyLog(directory / PRIVATE_LOG_NAME)
        except OSError as error:
            reason = error.strerror or str(error)
            raise StorageUnavailable(
                f"cannot keep message logs in {directory}: {reason}"
            ) from error
        self._last: AppendOnlyLog | None = None

    def line_counts(self) -> LoggedTotals:
        """Messages already in the files: what a room log new to this directory starts after."""
        return LoggedTotals(public=self._public.line_count(), private=self._private.line_count())

    def append(self, message: Message) -> None:
        if isinstance(message, PublicMessage):
            self._public.append(public_line(message))
            self._last = self._public
        else:
            self._private.append(private_line(message))
            self._last = self._private

    def undo_last(self) -> None:
        """Take back the line of the last message appended; OSError if it cannot be."""
        last, self._last = self._last, None
        if last is not None:
            last.undo_last()

    def close(self) -> None:
        self._public.close()
        self._private.close()
