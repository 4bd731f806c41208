"""One client's socket on the server side: reads frames in, queues frames out."""

import selectors
import socket
from collections.abc import Callable
from typing import Final

import structlog

from app.adapters.tcp.dispatch import AfterFrame, serve_frame
from app.adapters.tcp.frames import ERROR_CODES, encode_event, error_frame
from app.adapters.tcp.framing import LineSplitter, Oversized
from app.adapters.tcp.intake import ConnectionLimits, FrameIntake, Refusal
from app.adapters.tcp.loop import IoLoop, Timer
from app.adapters.tcp.outbox import Outbox
from app.adapters.tcp.wire import (
    ClientFrame,
    ErrorCode,
)
from app.domain.errors import ChatError, ServerClosing, StorageFailed
from app.domain.events import ChatEvent
from app.services.chat import ChatService
from app.services.ports import Clock

_log = structlog.get_logger()
_RECV_BYTES: Final = 65_536


class ClientConnection:
    """A client as the chat service sees it (its Recipient), served by one IoLoop.

    `deliver` may be called from any thread, under the service lock: it only appends bytes
    to a buffer and asks the loop to flush, so no client ever waits for another's socket.
    Everything else runs on the loop's thread.
    """

    def __init__(
        self,
        sock: socket.socket,
        peer: str,
        *,
        loop: IoLoop,
        chat: ChatService,
        clock: Clock,
        on_closed: Callable[["ClientConnection"], None],
        limits: ConnectionLimits,
    ) -> None:
        self.peer = peer
        self.loop = loop
        self._sock = sock
        self._chat = chat
        self._clock = clock
        self._on_closed = on_closed
        self._limits = limits
        self._intake = FrameIntake(limits)
        self._register_timer: Timer | None = None
        self._splitter = LineSplitter()
        self._log = _log.bind(peer=peer)
        self._outbox = Outbox()
        # Set by any thread, cleared by the loop just before it gathers: a put that finds it
        # set is sure to be gathered; one that finds it clear schedules another flush.
        self._flush_scheduled = False
        self._dropped = False  # no more output accepted: it overflowed or closed
        # Loop thread only.
        self._reading = True
        self._close_when_flushed = False
        self._close_reason = "quit"
        self._closed = False
        self._watching = 0

    # --- the Recipient port: any thread -------------------------------------------------

    def deliver(self, event: ChatEvent) -> None:
        self.send_bytes(encode_event(event))

    def send_bytes(self, data: bytes) -> None:
        """Queue `data` and see that the loop flushes it; never waits for the socket."""
        if self._dropped:
            return
        self._outbox.put(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush_queued)

    def socket_option(self, level: int, option: int) -> int:
        """A socket option as the kernel has it (for diagnostics and tests)."""
        return self._sock.getsockopt(level, option)

    # --- lifecycle: loop thread ----------------------------------------------------------

    def start(self) -> None:
        self._log.info("client_connected")
        self._register_timer = self.loop.call_later(
            self._limits.register_timeout, self._on_register_timeout
        )
        self._update_watch()

    def finish(self, shutdown_frame: bytes) -> None:
        """The server is stopping: send what is queued (and a shutdown to the unregistered)."""
        if self._closed:
            return
        if not self._chat.is_registered(self):
            self.send_bytes(shutdown_frame)
        self._close_after_flush("server_shutdown")

    def abort(self) -> None:
        """Close now, whatever is still queued."""
        self._end("server_shutdown")

    # --- socket events: loop thread ------------------------------------------------------

    def _on_ready(self, mask: int) -> None:
        try:
            if mask & selectors.EVENT_READ:
                self._read()
            if mask & selectors.EVENT_WRITE and not self._closed:
                self._flush()
        except Exception:
            # Our own bug: log it with its traceback and end this connection only.
            self._log.exception("connection_failed")
            self._end("server_error")

    def _flush_queued(self) -> None:
        self._on_ready(selectors.EVENT_WRITE)

    def _read(self) -> None:
        try:
            data = self._sock.recv(_RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._end("disconnected")
            return
        if not data:
            # The peer is done sending; it may still read what it is owed (a half-close).
            self._leave("disconnected")
            self._close_after_flush("disconnected")
            return
        for line in self._splitter.feed(data):
            if not self._reading:
                break  # it quit, or we are closing: what follows is not served
            self._handle_line(line)

    def _handle_line(self, line: bytes | Oversized) -> None:
        admitted = self._intake.admit(line)
        if isinstance(admitted, Refusal):
            self._reply_error(admitted.code, admitted.message, quietly=admitted.quiet)
            self._note_frame(valid=admitted.was_valid)
        else:
            self._serve(admitted)

    def _serve(self, frame: ClientFrame) -> None:
        try:
            after = serve_frame(self._chat, self, frame, self._log)
        except ServerClosing:
            return  # the shutdown frame is already on its way: nothing more to say
        except ChatError as error:
            if isinstance(error, StorageFailed):  # the operator must hear of this one
                self._log.error("storage_failed", reason=str(error.__cause__))
            code = ERROR_CODES[type(error)]
            self._reply_error(code, str(error))
            self._note_frame(valid=code != "invalid_frame")
            return
        self._note_frame(valid=True)
        if after is AfterFrame.CLOSE:
            self._close_after_flush("quit")

    def _note_frame(self, *, valid: bool) -> None:
        if self._intake.too_many_invalid(valid=valid) and self._reading:
            limit = self._limits.flood.max_invalid_streak
            self._reply_error("invalid_frame", f"{limit} invalid frames in a row: goodbye")
            self._leave("invalid_frames")
            self._close_after_flush("invalid_frames")

    def _on_register_timeout(self) -> None:
        if self._closed or not self._reading or self._chat.is_registered(self):
            return
        seconds = self._limits.register_timeout
        self._reply_error("not_registered", f"no hello within {seconds:g} seconds: goodbye")
        self._close_after_flush("register_timeout")

    def _reply_error(self, code: ErrorCode, message: str, *, quietly: bool = False) -> None:
        """The one place a client's mistake becomes an error frame (and a console line)."""
        if not quietly:
            self._log.info("client_error", code=code, message=message)
        self.send_bytes(error_frame(code, message, self._clock.now()))

    def _flush(self) -> None:
        if self._closed:
            return
        self._flush_scheduled = False
        chunk = self._outbox.next_chunk()
        if chunk:
            try:
                sent = self._sock.send(chunk)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._end("disconnected")
                return
            self._outbox.sent(chunk, sent)
        if len(self._outbox.unsent) > self._limits.max_outbuf:
            # It is not reading: drop it rather than let memory grow without bound.
            self._drop_slow_consumer()
        elif self._close_when_flushed and not self._outbox.unsent:
            self._end(self._close_reason)
        else:
            self._update_watch()

    def _drop_slow_consumer(self) -> None:
        self._log.warning("slow_consumer_dropped", max_outbuf=self._limits.max_outbuf)
        self._end("slow_consumer")

    def _close_after_flush(self, reason: str) -> None:
        self._reading = False
        self._close_when_flushed = True
        self._close_reason = reason
        self._flush()

    def _update_watch(self) -> None:
        wanted = (selectors.EVENT_READ if self._reading else 0) | (
            selectors.EVENT_WRITE if self._outbox.unsent else 0
        )
        if wanted != self._watching:
            self.loop.watch(self._sock, wanted, self._on_ready)
            self._watching = wanted

    def _end(self, reason: str) -> None:
        """The one way out: exactly one leave for a registered client, then the socket closes."""
        if self._closed:
            return
        self._closed = True
        self._reading = False
        self._dropped = True
        self._outbox.clear()
        self._leave(reason)
        if self._register_timer is not None:
            self._register_timer.cancel()  # and let go of this connection now, not in 30 s
        if self._watching:
            self.loop.watch(self._sock, 0, self._on_ready)
        self._sock.close()
        self._log.info("client_disconnected")
        self._on_closed(self)

    def _leave(self, reason: str) -> None:
        nick = self._chat.leave(self, reason)
        if nick is not None:
            self._log.info("client_left", nick=nick, reason=reason)
