"""A cluster node's messages.txt and private_messages.txt: a complete copy of the room's log,
written from the stream in id order, and the point they are complete to.

The point is kept in a small file beside them, rewritten at most once a second. Lines
written after the point saved last (a crash, or just the last second) are counted at start:
that many messages are skipped rather than written twice.
"""

import fcntl
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from app.adapters.storage.files import StorageUnavailable, TextLogs
from app.domain.events import Message, PublicMessage

POSITION_NAME: Final = "cluster_position.json"
LOCK_NAME: Final = "cluster.lock"
# The point is saved at most this often: rewriting it at every batch cost a node's reader a
# third of its time, and a stale point costs nothing (the line counts tell what to skip).
SAVE_EVERY: Final = 1.0


@dataclass(frozen=True)
class Written:
    """How far the files go: the stream position, and the line counts at that point."""

    position: str = "0-0"
    public_lines: int = 0
    private_lines: int = 0


class ClusterArchive:
    def __init__(self, directory: Path, text_logs: TextLogs) -> None:
        """Raises StorageUnavailable, in words a person can act on, if the directory is
        another running server's, or holds logs that are not a cluster node's copy."""
        self._path = directory / POSITION_NAME
        self._logs = text_logs
        self._lock = _lock_directory(directory)
        try:
            self.written = self._read()
        except OSError as error:
            raise StorageUnavailable(str(error)) from error
        counts = text_logs.line_counts()
        if not self._path.exists() and (counts.public or counts.private):
            raise StorageUnavailable(
                f"{directory} already has message logs, not written by a cluster node (no"
                f" {POSITION_NAME}): give each node a log directory of its own, new or used"
                " only by that node; a single server's logs stay with that server"
            )
        # Lines past the recorded point: written, then a crash before the point was saved.
        self._skip_public = max(0, counts.public - self.written.public_lines)
        self._skip_private = max(0, counts.private - self.written.private_lines)
        self._public, self._private = counts.public, counts.private
        self._saved_at = -SAVE_EVERY

    def write(self, messages: Sequence[Message], position: str) -> None:
        for message in messages:
            if isinstance(message, PublicMessage):
                if self._skip_public:
                    self._skip_public -= 1
                    continue
                self._logs.append(message)
                self._public += 1
            else:
                if self._skip_private:
                    self._skip_private -= 1
                    continue
                self._logs.append(message)
                self._private += 1
        self.written = Written(position, self._public, self._private)
        now = time.monotonic()
        if now - self._saved_at >= SAVE_EVERY:
            self._save()
            self._saved_at = now

    def lines_past_position(self) -> tuple[int, int]:
        """Public and private messages written past the saved position (not yet skipped):
        since ids have no holes, the files' last message id is the position's plus these."""
        return self._skip_public, self._skip_private

    def close(self) -> None:
        """Saves the position (a clean stop leaves it exact) and lets the directory go."""
        try:
            self._save()
        finally:
            self._lock.close()

    def _read(self) -> Written:
        try:
            data = json.loads(self._path.read_text())
            return Written(str(data["position"]), int(data["public"]), int(data["private"]))
        except FileNotFoundError:
            return Written()
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise OSError(f"{self._path} is unreadable: {error}") from error

    def _save(self) -> None:
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(
            json.dumps(
                {
                    "position": self.written.position,
                    "public": self.written.public_lines,
                    "private": self.written.private_lines,
                }
            )
        )
        os.replace(temporary, self._path)


def _lock_directory(directory: Path) -> IO[bytes]:
    """Held while the node runs (the OS lets go when it exits, or the file is closed): a
    second server on the same directory would write every line twice."""
    held = (directory / LOCK_NAME).open("ab")
    try:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held.close()
        raise StorageUnavailable(
            f"another chat-server uses {directory}: give each node its own --log-dir"
        ) from None
    return held


def refuse_if_cluster_node_directory(directory: Path) -> None:
    """For a single server: StorageUnavailable if `directory` is a cluster node's (running,
    or stopped: its files are a copy of the cluster's log, which its lines would spoil)."""
    if (directory / POSITION_NAME).exists():
        raise StorageUnavailable(
            f"{directory} is a cluster node's log directory: a single server needs its own"
        )
    if (directory / LOCK_NAME).exists():
        _lock_directory(directory).close()  # refused if a node holds it now
