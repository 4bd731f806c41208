"""Flood control: how fast one connection may send, and how many bad frames it may send."""

from dataclasses import dataclass
from enum import Enum
from typing import Final

DEFAULT_RATE: Final = 5.0
DEFAULT_BURST: Final = 10
# Requests that are not messages (users, stats, ping, nick, bad frames) cost the server little
# but must not be free: they get a bucket of their own this many times larger.
CONTROL_ALLOWANCE: Final = 4
DEFAULT_MAX_INVALID_STREAK: Final = 50
# Sums of elapsed-time refills carry float error; a token 1e-9 short still counts as whole.
_ROUNDING: Final = 1e-9


class TokenBucket:
    """Allows `rate` actions a second on average and up to `burst` at once. Rate 0: no limit.

    Time is given in seconds on any monotonic scale, so it is tested without a clock.
    """

    __slots__ = ("_burst", "_last", "_rate", "_tokens")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self._rate = rate
        self._burst = float(max(1, burst))
        self._tokens = self._burst
        self._last = now

    def allow(self, now: float) -> bool:
        if self._rate <= 0:
            return True
        self._refill(now)
        if self._tokens >= 1 - _ROUNDING:
            self._tokens = max(0.0, self._tokens - 1)
            return True
        return False

    def wait_time(self, now: float) -> float:
        """Seconds until `allow` would say yes (0 if it would now). Takes nothing."""
        if self._rate <= 0:
            return 0.0
        self._refill(now)
        return max(0.0, (1 - _ROUNDING - self._tokens) / self._rate)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._last)
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._last = now


class FrameKind(Enum):
    MESSAGE = "message"  # public and private messages
    CONTROL = "control"  # every other frame, the invalid ones included


@dataclass(frozen=True)
class FloodLimits:
    rate: float = DEFAULT_RATE
    burst: int = DEFAULT_BURST
    max_invalid_streak: int = DEFAULT_MAX_INVALID_STREAK

    @classmethod
    def unlimited(cls) -> "FloodLimits":
        return cls(rate=0, burst=0, max_invalid_streak=DEFAULT_MAX_INVALID_STREAK)


class FloodGuard:
    """One connection's allowance: a bucket for messages, one for everything else, and a
    count of invalid frames in a row."""

    __slots__ = ("_control", "_invalid_streak", "_limits", "_messages")

    def __init__(self, limits: FloodLimits, now: float) -> None:
        self._limits = limits
        self._messages = TokenBucket(limits.rate, limits.burst, now)
        self._control = TokenBucket(
            limits.rate * CONTROL_ALLOWANCE, limits.burst * CONTROL_ALLOWANCE, now
        )
        self._invalid_streak = 0

    def allow(self, kind: FrameKind, now: float) -> bool:
        bucket = self._messages if kind is FrameKind.MESSAGE else self._control
        return bucket.allow(now)

    def wait_time(self, kind: FrameKind, now: float) -> float:
        bucket = self._messages if kind is FrameKind.MESSAGE else self._control
        return bucket.wait_time(now)

    def record(self, *, valid: bool) -> bool:
        """Note one frame's validity; True once too many invalid frames came in a row."""
        self._invalid_streak = 0 if valid else self._invalid_streak + 1
        return self._invalid_streak >= self._limits.max_invalid_streak
