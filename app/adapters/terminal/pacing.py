"""Keeps the client's messages within the server's default flood limit, so none is refused."""

import time
from collections.abc import Callable

from app.domain.flood import DEFAULT_BURST, DEFAULT_RATE, TokenBucket

_MIN_SLEEP = 0.001


class MessagePacer:
    """Waits, when needed, before a message goes out: a script piping in a hundred lines gets
    them all delivered at the server's pace instead of most of them refused.

    It keeps well inside the server's default allowance (4 a second and bursts of 5 against
    5 and 10), so a server that is slow to read a burst still has tokens to spare.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE * 0.8,
        burst: int = DEFAULT_BURST // 2,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._bucket = TokenBucket(rate, burst, monotonic())

    def wait_for_turn(self) -> None:
        while not self._bucket.allow(self._monotonic()):
            # At least a millisecond: a tinier step can vanish in the clock's float rounding.
            self._sleep(max(_MIN_SLEEP, self._bucket.wait_time(self._monotonic())))
