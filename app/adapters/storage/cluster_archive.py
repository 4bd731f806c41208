"""A cluster node's messages.txt and private_messages.txt: a complete copy of the room's log,
written from the stream in id order, and the point they are complete to.

The point is kept in a small file beside them, rewritten at most once a second. Lines
written after the point saved last (a crash, or just the last second) are counted at start:
that many messages are skipped rather than written twice.
"""

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.adapters.storage.files import TextLogs
from app.domain.events import Message, PublicMessage

POSITION_NAME: Final = "cluster_position.json"
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
        self._path = directory / POSITION_NAME
        self._logs = text_logs
        self.written = self._read()
        counts = text_logs.line_counts()
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
        """Saves the position (a clean stop leaves it exact)."""
        self._save()

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
