"""A ping as a barrier: frames from one connection are served in order, so the pong to a ping
comes after every answer owed for what was sent before it."""

import itertools
import threading


class PongBarrier:
    """Waits for the pong to a ping of its own. The reader thread reports pongs and the end
    of the connection; any other thread may wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, threading.Event] = {}
        self._tokens = itertools.count(1)
        self._ended = False

    def new_token(self) -> tuple[str, threading.Event] | None:
        """A token to ping with and the event its pong sets; None once the connection ended."""
        with self._lock:
            if self._ended:
                return None
            token, answered = f"sync-{next(self._tokens)}", threading.Event()
            self._waiting[token] = answered
            return token, answered

    def answered(self, token: str) -> None:
        with self._lock:
            event = self._waiting.pop(token, None)
        if event is not None:
            event.set()

    def ended(self) -> None:
        """The connection is gone: nobody waits for a pong that will never come."""
        with self._lock:
            self._ended = True
            waiting, self._waiting = self._waiting, {}
        for event in waiting.values():
            event.set()

    def reconnected(self) -> None:
        with self._lock:
            self._ended = False
