"""Frames sent and not yet answered. The server answers one connection's frames in order,
each exactly once: a message with its echo (accepted) or an error (refused), a request
(users, stats, nick, history, ping) with its answer or an error. So whatever answer
arrives is about the oldest frame still waiting, and an error refuses a message only when a
message is the oldest waiting."""

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from app.adapters.tcp.wire import ClientFrame
from app.domain.nicknames import fold_nick


@dataclass(frozen=True)
class Draft:
    """A message as typed: shown pending until the server answers."""

    line: str  # as typed, to say "not sent: ..." or to send again
    frame: ClientFrame
    to: str | None  # None: to everyone
    text: str
    at: datetime  # when it was typed
    key: int  # the display's key for its pending line

    def is_echoed_by(self, to: str | None, text: str) -> bool:
        same_target = (to is None) == (self.to is None)
        if same_target and to is not None and self.to is not None:
            same_target = fold_nick(to) == fold_nick(self.to)
        return same_target and text == self.text


@dataclass(frozen=True)
class Request:
    """Anything else that gets an answer: its answer or error is not about a message."""


class AwaitingAnswers:
    """Frames sent on the wire, oldest first. Thread-safe: the sender adds, the reader takes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: deque[Draft | Request] = deque()

    def sent(self, entry: Draft | Request) -> None:
        with self._lock:
            self._waiting.append(entry)

    def answered(self) -> Draft | Request | None:
        """What an answer (or an error) is about: the oldest frame waiting."""
        with self._lock:
            return self._waiting.popleft() if self._waiting else None

    def echoed(self, to: str | None, text: str) -> Draft | None:
        """The message an echo confirms: the oldest waiting, if it is that message; failing
        that (a replay after a drop, where refusals were lost with the connection), the
        first waiting message with this recipient and text."""
        with self._lock:
            if not self._waiting:
                return None
            oldest = self._waiting[0]
            if isinstance(oldest, Draft) and oldest.is_echoed_by(to, text):
                self._waiting.popleft()
                return oldest
            for entry in self._waiting:
                if isinstance(entry, Draft) and entry.is_echoed_by(to, text):
                    self._waiting.remove(entry)
                    return entry
            return None

    def drafts_left(self) -> list[Draft]:
        """After a drop: the messages still unanswered; requests are forgotten (their
        answers went with the connection)."""
        with self._lock:
            drafts = [entry for entry in self._waiting if isinstance(entry, Draft)]
            self._waiting.clear()
            return drafts

    def __len__(self) -> int:
        return len(self._waiting)
