"""An I/O thread that serves many sockets through one selector."""

import contextlib
import heapq
import itertools
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

import structlog

Handler = Callable[[int], None]  # called with the ready mask (selectors.EVENT_READ/WRITE)
_log = structlog.get_logger()
_IDLE_WAKE_SECONDS: Final = 1.0
_COMPACT_ABOVE: Final = 64  # cancelled timers kept in the heap before it is compacted


def _nothing() -> None:
    pass


class _CancelTally:
    """How many cancelled timers still sit in a loop's heap."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class Timer:
    """A call due at a moment on the loop's monotonic clock; `cancel` makes it a no-op.
    `cancelled` is also set once the loop has taken it out of its heap to run it."""

    __slots__ = ("_tally", "call", "cancelled", "due")

    def __init__(self, due: float, call: Callable[[], None], tally: _CancelTally) -> None:
        self.due = due
        self.call = call
        self.cancelled = False
        self._tally = tally

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self._tally.count += 1
        self.call = _nothing  # and let go of what the call held (a closed connection, say)


class IoLoop:
    """Runs socket handlers and queued calls on its own thread.

    Any thread may `call_soon`; everything else is for the loop's own thread. Work queued from
    other threads costs one wake-up byte per batch, not one per call.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._selector = selectors.DefaultSelector()
        self._waker_in, self._waker_out = socket.socketpair()
        self._waker_in.setblocking(False)
        self._waker_out.setblocking(False)
        self._selector.register(self._waker_in, selectors.EVENT_READ, self._drain_waker)
        self._calls: deque[Callable[[], None]] = deque()
        self._calls_lock = threading.Lock()
        self._wake_pending = False
        self._timers: list[tuple[float, int, Timer]] = []  # a heap, soonest first
        self._cancelled = _CancelTally()
        self._timer_order = itertools.count()
        self._running = True
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def call_soon(self, call: Callable[[], None]) -> None:
        """Run `call` on the loop thread, after the calls queued before it. Thread-safe."""
        with self._calls_lock:
            if self._closed:
                return
            self._calls.append(call)
            wake = not self._wake_pending and not self.in_loop_thread()
            if wake:
                self._wake_pending = True
        if wake:
            # A full pipe already holds wake-ups: the loop will wake.
            with contextlib.suppress(BlockingIOError):
                self._waker_out.send(b"\0")

    def call_later(self, delay: float, call: Callable[[], None]) -> Timer:
        """Run `call` on the loop thread after `delay` seconds. Loop thread only."""
        timer = Timer(time.monotonic() + delay, call, self._cancelled)
        heapq.heappush(self._timers, (timer.due, next(self._timer_order), timer))
        if self._cancelled.count > _COMPACT_ABOVE and 2 * self._cancelled.count > len(self._timers):
            self._compact_timers()
        return timer

    def _compact_timers(self) -> None:
        """Drop the cancelled timers from the heap. Every client starts with a registration
        timer (30 s), cancelled when it registers: thousands joining at once would otherwise
        keep thousands of dead timers until they fall due. (Checked when a timer is added,
        which every new client does; dead ones left after the last join go when due.)"""
        self._timers = [entry for entry in self._timers if not entry[2].cancelled]
        heapq.heapify(self._timers)
        self._cancelled.count = 0

    def watch(self, sock: socket.socket, events: int, handler: Handler) -> None:
        """Start, change (events > 0) or stop (events == 0) watching `sock`. Loop thread only."""
        registered = sock in self._selector.get_map()
        if events and registered:
            self._selector.modify(sock, events, handler)
        elif events:
            self._selector.register(sock, events, handler)
        elif registered:
            self._selector.unregister(sock)

    def stop(self) -> None:
        self.call_soon(self._halt)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _halt(self) -> None:
        self._running = False

    def _run(self) -> None:
        try:
            while self._running:
                for key, mask in self._selector.select(self._select_timeout()):
                    self._guarded(key.data, mask)
                self._run_calls()
                self._run_due_timers()
        except Exception:
            _log.exception("io_loop_crashed", loop=self.name)
            raise
        finally:
            with self._calls_lock:
                self._closed = True  # from now on call_soon drops its call: nobody would run it
            self._selector.close()
            self._waker_in.close()
            self._waker_out.close()

    def _select_timeout(self) -> float:
        if self._calls:
            return 0
        if self._timers:
            return max(0.0, min(_IDLE_WAKE_SECONDS, self._timers[0][0] - time.monotonic()))
        return _IDLE_WAKE_SECONDS

    def _run_due_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                self._cancelled.count -= 1
            else:
                # Out of the heap: cancelling it now (say, from its own call) counts nothing.
                timer.cancelled = True
                self._guarded(timer.call)

    def _run_calls(self) -> None:
        with self._calls_lock:
            batch, self._calls = self._calls, deque()
            self._wake_pending = False
        for call in batch:
            self._guarded(call)

    def _guarded(self, call: Callable[..., None], *args: object) -> None:
        try:
            call(*args)
        except Exception:
            # Our own bug in one handler must not stop every other socket on this loop.
            _log.exception("io_handler_failed", loop=self.name)

    def _drain_waker(self, _mask: int) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._waker_in.recv(4096):
                pass
