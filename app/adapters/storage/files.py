"""The message logs on disk: messages.txt and private_messages.txt, one line per message."""

import os
from pathlib import Path
from typing import Final

from app.adapters.storage.lines import private_line, public_line
from app.domain.events import PrivateMessage, PublicMessage
from app.services.ports import LoggedTotals

PUBLIC_LOG_NAME: Final = "messages.txt"
PRIVATE_LOG_NAME: Final = "private_messages.txt"
_READ_CHUNK: Final = 1 << 20


class StorageUnavailable(Exception):
    """The log directory cannot be used; said once, at start-up, in words a person can act on."""


class AppendOnlyLog:
    """One log file. Each line goes to the OS in one write, or not at all.

    Not thread-safe by itself: the chat service appends under its lock, which also keeps
    lines in message-id order.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        self.line_count, ends_cleanly = _count_lines(self._fd)
        if not ends_cleanly:
            # A torn last line (a crash mid-write) must not swallow the next message's start.
            self._write_all(b"\n")
        self._size = os.fstat(self._fd).st_size

    def append(self, line: str) -> None:
        data = line.encode("utf-8")
        try:
            self._write_all(data)
        except OSError:
            # Cut off whatever part of the line did reach the file: no half-logged message.
            os.ftruncate(self._fd, self._size)
            raise
        self._size += len(data)
        self.line_count += 1

    def close(self) -> None:
        os.close(self._fd)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]


def _count_lines(fd: int) -> tuple[int, bool]:
    """(lines in the file, whether it ends in a newline). A torn last line counts as a line."""
    count = 0
    last = b"\n"
    offset = 0
    while chunk := os.pread(fd, _READ_CHUNK, offset):
        count += chunk.count(b"\n")
        last = chunk[-1:]
        offset += len(chunk)
    ends_cleanly = last == b"\n"
    return count + (0 if ends_cleanly else 1), ends_cleanly


class FileMessageLog:
    """Appends public messages to messages.txt and private ones to private_messages.txt."""

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
        # Read once, here: the totals carry on from what earlier runs logged.
        self._totals = LoggedTotals(
            public=self._public.line_count, private=self._private.line_count
        )

    def totals(self) -> LoggedTotals:
        return self._totals

    def append_public(self, message: PublicMessage) -> None:
        self._public.append(public_line(message))

    def append_private(self, message: PrivateMessage) -> None:
        self._private.append(private_line(message))

    def close(self) -> None:
        self._public.close()
        self._private.close()
