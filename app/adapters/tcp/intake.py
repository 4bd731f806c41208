"""What comes in on one connection: a received line becomes a frame to serve, or a refusal."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from app.adapters.tcp.framing import MAX_FRAME_BYTES, Oversized
from app.adapters.tcp.wire import (
    ClientFrame,
    ErrorCode,
    ProtocolError,
    SendPrivate,
    SendPublic,
    decode_client_frame,
)
from app.domain.flood import FloodGuard, FloodLimits, FrameKind

DEFAULT_MAX_OUTBUF: Final = 1 << 20
DEFAULT_REGISTER_TIMEOUT: Final = 30.0


@dataclass(frozen=True)
class ConnectionLimits:
    """What one client may cost the server."""

    max_outbuf: int = DEFAULT_MAX_OUTBUF  # bytes queued before it is dropped as too slow
    flood: FloodLimits = field(default_factory=FloodLimits)
    register_timeout: float = DEFAULT_REGISTER_TIMEOUT  # seconds to say hello
    monotonic: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class Refusal:
    """A line that is not served: the error to answer with, and how to account for it."""

    code: ErrorCode
    message: str
    was_valid: bool  # a well-formed frame refused only for the rate limit
    quiet: bool = False  # not worth a console line of its own


class FrameIntake:
    """Decodes lines and applies flood control, in that order, for one connection."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self._limits = limits
        self._flood = FloodGuard(limits.flood, limits.monotonic())
        self._in_refused_run = False  # the last line was refused for the rate limit

    def admit(self, line: bytes | Oversized) -> ClientFrame | Refusal:
        frame: ClientFrame | None = None
        problem: ProtocolError | None = None
        if isinstance(line, Oversized):
            message = f"a frame is at most {MAX_FRAME_BYTES} bytes; the rest of it was dropped"
            problem = ProtocolError("frame_too_large", message)
        else:
            try:
                frame = decode_client_frame(line)
            except ProtocolError as error:
                problem = error
        is_message = isinstance(frame, SendPublic | SendPrivate)
        kind = FrameKind.MESSAGE if is_message else FrameKind.CONTROL
        if not self._flood.allow(kind, self._limits.monotonic()):
            # One console line per run of refusals: a flood must not flood the console too.
            refusal = Refusal(
                "rate_limited",
                self._rate_limit_text(kind),
                was_valid=problem is None,
                quiet=self._in_refused_run,
            )
            self._in_refused_run = True
            return refusal
        self._in_refused_run = False
        if frame is None:
            assert problem is not None
            return Refusal(problem.code, problem.message, was_valid=False)
        return frame

    def too_many_invalid(self, *, valid: bool) -> bool:
        """Count one served or refused frame; True once too many invalid ones came in a row."""
        return self._flood.record(valid=valid)

    def _rate_limit_text(self, kind: FrameKind) -> str:
        flood = self._limits.flood
        if kind is FrameKind.MESSAGE:
            return (
                f"slow down: at most {flood.rate:g} messages a second (bursts of {flood.burst});"
                " this one was not sent"
            )
        return "slow down: too many requests; this one was not served"
