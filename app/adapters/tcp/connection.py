"""One client's socket on the server side: the glue between the transport, the client's
wire session (v1 or IRC: its codec and the protocol-neutral Connection rules) and the
client's Outbox."""

import contextlib
import selectors
import socket
import time
from collections.abc import Callable, Iterator
from typing import Final, Protocol

from app.adapters.tcp.limits import (
    CHUNKS_PER_FLUSH,
    FLUSH_SECONDS,
    LINGER_CHECK_SECONDS,
    LINGER_SECONDS,
    REPLAY_SLACK,
    ConnectionLimits,
)
from app.adapters.tcp.loop import IoLoop, Timer
from app.adapters.tcp.outbox import Outbox
from app.adapters.tcp.pass_chunks import PassChunks
from app.adapters.tcp.peer_log import PeerLog
from app.adapters.tcp.sockets import discard_unread, safe_to_close, unacknowledged_bytes
from app.adapters.tcp.wire_session import WireProtocol
from app.domain.events import ChatEvent, History
from app.services.connection import Verdict

_RECV_BYTES: Final = 65_536


class TransportTelemetry(Protocol):
    """Figures for monitoring from the TCP adapter, on its loop threads: each only counts
    and returns. Sends are counted per batch, never per frame."""

    def connection_accepted(self) -> None: ...
    def connection_refused(self, reason: str) -> None: ...  # e.g. "server_full"
    def slow_consumer_dropped(self) -> None: ...
    def frames_sent(self, frames: int, sent_bytes: int) -> None: ...


class NoTransportTelemetry:
    """The default TransportTelemetry: counts nothing."""

    def connection_accepted(self) -> None:
        pass

    def connection_refused(self, reason: str) -> None:
        del reason

    def slow_consumer_dropped(self) -> None:
        pass

    def frames_sent(self, frames: int, sent_bytes: int) -> None:
        del frames, sent_bytes


class TcpConnection:
    """A client over TCP as the chat service sees it (its Recipient), served by one IoLoop.

    The Recipient methods may be called from any thread, under the service lock: they only
    queue and ask the loop to flush. The exception is `follow`, which the service calls
    while serving this client's own hello, so on its loop's thread. Everything else runs on
    the loop's thread.
    """

    # No __dict__: an idle client's memory is mostly objects like this one (docs/PERFORMANCE.md).
    __slots__ = (
        "_blocked",
        "_closed",
        "_closing",
        "_draining",
        "_flush_scheduled",
        "_followers",
        "_frames_counted",
        "_heard_at",
        "_input_ended",
        "_limits",
        "_linger_until",
        "_log",
        "_on_closed",
        "_outbox",
        "_session",
        "_sock",
        "_telemetry",
        "_timer",
        "_watching",
        "loop",
        "peer",
        "protocol",
    )

    def __init__(
        self,
        sock: socket.socket,
        peer: str,
        *,
        loop: IoLoop,
        protocol: WireProtocol,
        limits: ConnectionLimits,
        followers: set["TcpConnection"],
        on_closed: Callable[["TcpConnection"], None],
        telemetry: TransportTelemetry,
    ) -> None:
        self.peer = peer
        self.loop = loop
        self.protocol = protocol
        self._sock = sock
        self._limits = limits
        self._followers = followers  # this loop's clients that follow the feed
        self._on_closed = on_closed
        self._log = PeerLog(peer)
        self._telemetry = telemetry
        self._frames_counted = 0  # of the frames the outbox has drawn: loop thread only
        self._session = protocol.open_session(self, self._log)
        self._outbox = Outbox(self._session.feed)
        self._timer: Timer | None = None  # the hello timeout, then the linger timeout
        # Set by any thread, cleared by the loop just before it flushes: a queueing call
        # that finds it set is sure to be flushed; one that finds it clear schedules a flush.
        self._flush_scheduled = False
        # Loop thread only.
        self._closing = False  # serving nothing more; flushing what is owed
        self._draining = False  # all sent and our FIN out; waiting for the client's end
        self._closed = False
        self._blocked = False  # the socket took less than it was given: wait until writable
        self._input_ended = False  # the client half-closed: nothing more to read
        self._watching = 0
        self._heard_at = 0.0  # while draining: when the client last sent something
        self._linger_until = 0.0

    # --- the Recipient port: any thread ---------------------------------------------------

    def deliver(self, event: ChatEvent) -> None:
        if self._closed:
            return
        self._outbox.put(self._session.encode(event))
        self._schedule_flush()

    def deliver_pages(self, pages: Iterator[History]) -> None:
        self._outbox.put_pages(self._session.encode(page) for page in pages)
        self._schedule_flush()

    def follow(self) -> None:
        # On its loop's thread while serving its hello (one server), or on a cluster node's
        # reader thread when its join comes back through the stream. Either way its cursor
        # is the feed's end now, at or past where any feed pass in progress started, so that
        # pass frees nothing it is owed; set.add is atomic, and the loop copies the set
        # before it walks it.
        self._outbox.follow()
        self._followers.add(self)
        self.loop.call_soon(self._registered)

    def _registered(self) -> None:
        """Loop thread: the registration timeout is moot."""
        if self._timer is not None and not self._closing:
            self._timer.cancel()
            self._timer = None

    def unfollow(self) -> None:
        self._outbox.unfollow()

    def end(self, reason: str) -> None:
        self._log.info("connection_superseded", reason=reason)
        self.loop.call_soon(self._close_after_flush)

    # --- the SessionHost port: for the wire session ---------------------------------------

    def send_bytes(self, data: bytes) -> None:
        """Any thread: protocol bytes of the session's own, after what was published before."""
        if data and not self._closed:
            self._outbox.put(data)
            self._schedule_flush()

    def call_later(self, delay: float, call: Callable[[], None]) -> Timer:
        return self.loop.call_later(delay, call)

    def close_soon(self) -> None:
        self._close_after_flush()

    def socket_option(self, level: int, option: int) -> int:
        """A socket option as the kernel has it (for diagnostics and tests)."""
        return self._sock.getsockopt(level, option)

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush)

    # --- lifecycle: loop thread -----------------------------------------------------------

    def start(self) -> None:
        self._log.info("client_connected")
        self._timer = self.loop.call_later(self._limits.register_timeout, self._registration_due)
        self._update_watch()

    def finish(self, shutdown_frame: bytes) -> None:
        """The server is stopping: send what is owed, the shutdown frame last, then close.
        A client in the room gets that frame from the feed; any other, here."""
        if self._closed:
            return
        if not self._outbox.following:
            self._outbox.put(shutdown_frame)
        self._close_after_flush()

    def abort(self) -> None:
        """Close now, whatever is still owed."""
        self._end("server_shutdown")

    def feed_grew(self, chunks: PassChunks | None) -> int | None:
        """The room feed has new entries (the server calls this once per batch): send what
        can be sent. Returns the oldest feed entry this client may still need, if any.
        `chunks` is None for a protocol whose clients each read the feed their own way.

        It runs for every client after every batch of broadcasts, so the common case (only
        the feed is owed) is written out here in full: one send of the chunk shared by every
        client at the same position, and a few assignments (measured: each method call saved
        here is about 3% of the server's CPU in a busy room).
        """
        if self._closed:
            return None
        try:
            if chunks is None or self._blocked or self._draining or self._closing:
                return self._feed_grew_meanwhile()
            outbox = self._outbox
            cursor = outbox.feed_only_at()
            if cursor is None:
                self._flush()  # frames of its own, or a remainder: they go first
                return outbox.feed_position()
            if cursor >= chunks.end:
                return cursor
            chunk, stop = chunks.read.get(cursor) or chunks.chunk_from(cursor)
            try:
                sent = self._sock.send(chunk)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._end("disconnected")
                return None
            outbox.took_feed(chunk, stop, sent)
            # Counted by the pass, which reports every client's sends to telemetry at once.
            self._frames_counted += stop - cursor
            chunks.frames += stop - cursor
            chunks.sent_bytes += sent
            if sent < len(chunk):
                self._blocked = True
                if self._too_far_behind():
                    self._drop_slow_consumer()
                    return None
                self._update_watch()
            elif stop < chunks.end:
                self._schedule_flush()  # a chunk's worth went out and more is owed: next turn
            return stop
        except Exception:  # our own bug: it ends this connection, not everyone's pass
            self._log.exception("connection_failed")
            self._end("server_error")
            return None

    def _feed_grew_meanwhile(self) -> int | None:
        """New entries for a client that cannot take them now: it is waiting for its socket
        to drain (dropped if too far behind), or closing, or all sent and its FIN out."""
        if self._blocked and self._too_far_behind():
            self._drop_slow_consumer()
            return None
        if not self._blocked and not self._draining:
            self._flush()  # the general path (which, closing, finishes once all is sent)
        return self._outbox.feed_position()

    # --- socket events: loop thread -------------------------------------------------------

    def _on_ready(self, mask: int) -> None:
        try:
            if mask & selectors.EVENT_READ:
                self._read()
            if mask & selectors.EVENT_WRITE and not self._closed:
                self._blocked = False
                self._flush()
        except Exception:
            # Our own bug: log it with its traceback and end this connection only.
            self._log.exception("connection_failed")
            self._end("server_error")

    def _read(self) -> None:
        try:
            data = self._sock.recv(_RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._end("disconnected")
            return
        if self._draining:
            if not data:
                self._end("closed")  # the client is done sending: nothing can reset now
            self._heard_at = time.monotonic()
            return  # what a client sends after its goodbye is dropped unread
        if not data:
            # The peer is done sending; it may still read what it is owed (a half-close),
            # and the session may still hold lines of its to serve (paced IRC lines).
            self._input_ended = True
            if self._session.input_ended() is Verdict.CLOSE:
                self._close_after_flush()
            else:
                self._update_watch()
            return
        if not self._closing and self._session.received(data) is Verdict.CLOSE:
            self._close_after_flush()

    def _registration_due(self) -> None:
        if not self._closed and self._session.registration_due() is Verdict.CLOSE:
            self._close_after_flush()

    def _flush(self) -> None:
        """Send what can be sent now. Runs from several places (socket events, the feed
        pass, queued calls), so it guards itself: a bug of ours ends this connection only."""
        self._flush_scheduled = False
        if self._closed or self._draining:
            return
        try:
            self._send_owed()
        except Exception:
            self._log.exception("connection_failed")
            self._end("server_error")

    def _send_owed(self) -> None:
        sent_bytes = 0
        for _ in range(CHUNKS_PER_FLUSH):
            chunk = self._outbox.next_chunk()
            if not chunk:
                break
            sent = self._send_some(chunk)
            if sent is None:
                return
            self._outbox.sent(chunk, sent)
            sent_bytes += sent
            if sent < len(chunk):
                self._blocked = True
                break
        else:
            self._schedule_flush()  # more is owed: after the other clients have had a turn
        if sent_bytes:
            self._count_sent(sent_bytes)
        if self._blocked and self._too_far_behind():
            # It is not reading: drop it rather than let what it is owed grow without bound.
            self._drop_slow_consumer()
        elif self._closing and self._outbox.done():
            self._finish_output()
        else:
            self._update_watch()

    def _send_some(self, chunk: bytes | bytearray) -> int | None:
        """Hand `chunk` to the kernel: how much of it was taken, or None if the connection
        is gone (and now ended)."""
        try:
            return self._sock.send(chunk)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError:
            self._end("disconnected")
            return None

    def _count_sent(self, sent_bytes: int) -> None:
        """Once per flush: the frames drawn since the last count (a frame left partly unsent
        then goes out with a later send, uncounted again) and the bytes the kernel took."""
        drawn = self._outbox.drawn
        self._telemetry.frames_sent(drawn - self._frames_counted, sent_bytes)
        self._frames_counted = drawn

    def _too_far_behind(self) -> bool:
        slack = REPLAY_SLACK if self._outbox.replaying else 1
        return self._outbox.owed() > self._limits.max_outbuf * slack

    def _drop_slow_consumer(self) -> None:
        self._log.warning("slow_consumer_dropped", max_outbuf=self._limits.max_outbuf)
        self._telemetry.slow_consumer_dropped()
        self._end("slow_consumer")

    def _close_after_flush(self) -> None:
        if self._closed or self._closing:
            return
        self._closing = True
        self._session.closing()
        self._restart_timer(FLUSH_SECONDS, lambda: self._end("flush_timeout"))
        self._flush()

    def _finish_output(self) -> None:
        """All handed to the kernel: say so with a FIN, close once it has all arrived."""
        self._draining = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)
        self._heard_at = time.monotonic()
        self._linger_until = self._heard_at + LINGER_SECONDS
        self._restart_timer(LINGER_CHECK_SECONDS, self._close_once_delivered)
        self._update_watch()

    def _close_once_delivered(self) -> None:
        now = time.monotonic()
        delivered = safe_to_close(unacknowledged_bytes(self._sock), now - self._heard_at)
        if delivered or now >= self._linger_until:
            self._end("closed")
        else:
            self._restart_timer(LINGER_CHECK_SECONDS, self._close_once_delivered)

    def _restart_timer(self, delay: float, call: Callable[[], None]) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_later(delay, call)

    def _update_watch(self) -> None:
        reading = (not self._closing and not self._input_ended) or self._draining
        wanted = (selectors.EVENT_READ if reading else 0) | (
            selectors.EVENT_WRITE if self._blocked else 0
        )
        if wanted != self._watching:
            self.loop.watch(self._sock, wanted, self._on_ready)
            self._watching = wanted

    def _end(self, reason: str) -> None:
        """The one way out: the session is dropped if still held, then the socket closes."""
        if self._closed:
            return
        self._closed = True
        self._outbox.clear()
        self._session.lost(reason)
        if self._timer is not None:
            self._timer.cancel()  # and let go of this connection now, not when it is due
        if self._watching:
            self.loop.watch(self._sock, 0, self._on_ready)
        self._followers.discard(self)
        discard_unread(self._sock)
        self._sock.close()
        self._log.info("client_disconnected")
        self._on_closed(self)
