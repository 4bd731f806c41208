"""The server operator's controls: `q` at the console, or a signal, stops the server."""

import threading
from enum import Enum
from typing import Final

from app.services.ports import KeySource

QUIT_KEYS: Final = frozenset({"q", "Q"})
_POLL_SECONDS: Final = 0.1


class StopCause(Enum):
    QUIT_KEY = "quit_key"
    SIGNAL = "signal"


def wait_for_stop(keys: KeySource | None, stop_requested: threading.Event) -> StopCause:
    """Block until `q` is pressed (when there is a key source) or `stop_requested` is set."""
    while not stop_requested.is_set():
        if keys is None:
            stop_requested.wait(_POLL_SECONDS)
        elif keys.read_key(_POLL_SECONDS) in QUIT_KEYS:
            return StopCause.QUIT_KEY
    return StopCause.SIGNAL
