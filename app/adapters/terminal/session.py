"""The client's side of a chat session: who we are, whom /pm talks to, what to show.

Three threads meet here: the front end's (typed lines in), the reader's (frames in, and
reconnecting) and the sender's (lines out, paced, in the order typed). Nothing here knows
how the lines are drawn: that is the Display's business.
"""

import contextlib
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.tcp.wire import (
    AskHistory,
    ErrorFrame,
    Hello,
    HistoryFrame,
    JoinFrame,
    LeaveFrame,
    NickChangedFrame,
    Ping,
    PongFrame,
    PrivateFrame,
    ProtocolError,
    PublicFrame,
    Quit,
    ResumeFields,
    SendPrivate,
    SendPublic,
    ServerFrame,
    ShutdownFrame,
    StatsFrame,
    UsersFrame,
    WelcomeFrame,
)
from app.adapters.terminal.barrier import PongBarrier
from app.adapters.terminal.commands import (
    EndPrivateChat,
    FetchOlder,
    Leave,
    Reconnect,
    Refuse,
    Send,
    ShowLocally,
    StartPrivateChat,
    parse_input,
)
from app.adapters.terminal.display import Display
from app.adapters.terminal.echoes import AwaitingAnswers, Draft, Request
from app.adapters.terminal.history import HistoryView
from app.adapters.terminal.pacing import MessagePacer
from app.adapters.terminal.render import (
    acceptable,
    error,
    is_mention,
    notice,
    pending,
    printable,
    refused,
    render,
    said,
)
from app.adapters.terminal.sender import Outgoing, SendQueue
from app.domain.nicknames import fold_nick

MAX_HELD_LINES: Final = 100
# A /history starts where the answer to the previous one ended: it waits this long for it.
_HISTORY_ANSWER_SECONDS: Final = 5.0
_QUIT_SECONDS: Final = 0.5
_FULL: Final = f"more than {MAX_HELD_LINES} lines are waiting for the connection"


def utc_now() -> datetime:
    return datetime.now(UTC)


class ChatSession:
    """Turns typed lines into frames and received frames into lines, for either front end.

    `history_marker`: None shows history under dividers, dimmed (a terminal); a string
    starts every history line with it instead (a pipe, for scripts to tell them apart).
    """

    def __init__(
        self,
        connection: ServerConnection,
        display: Display,
        pacer: MessagePacer | None = None,
        *,
        history_marker: str | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.connection = connection
        self._display = display
        self._pacer = pacer or MessagePacer()
        self._now = now
        self.nick = ""
        self.partner: str | None = None
        self.shutdown_reason: str | None = None
        self.ended = threading.Event()  # the server closed the connection
        self.left = threading.Event()  # the quit went out (or could not): nothing follows
        self.quitting = False  # the user asked to leave: a closed connection is expected
        self.online: set[str] = set()  # nicks online, as far as this client has heard
        self.resume_token: str | None = None  # from the last welcome: gets this session back
        # When the next reconnect attempt is due (time.monotonic), while waiting for it.
        self.retry_at: float | None = None
        self.retry_now = threading.Event()  # set by /reconnect or its key
        self._queue = SendQueue()
        self._awaiting = AwaitingAnswers()
        self._wire = threading.Lock()  # the sender's turn against the reader's reconnect
        self._history = HistoryView(self._display.show, history_marker)
        self._history_answered = threading.Event()  # no /history is waiting for its answer
        self._history_answered.set()
        self._pongs = PongBarrier()
        self._sender = threading.Thread(target=self._send_loop, name="sender", daemon=True)
        self._sender.start()

    # -- what the front end asks ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._queue.is_open

    @property
    def replaying(self) -> bool:
        """A resume's replay has begun and not yet ended."""
        return self._history.replaying

    def waiting(self) -> int:
        """Lines typed and not yet sent (they wait for the connection, or for the pacer)."""
        return len(self._queue)

    def unanswered(self) -> int:
        """Lines typed that the server has not yet confirmed or refused (or not yet seen)."""
        return len(self._queue) + len(self._awaiting)

    def connection_state(self, monotonic: float | None = None) -> str:
        """For the status bar: connected, reconnecting in N s, connecting."""
        if self.connected:
            return "connected"
        retry_at = self.retry_at  # one read: the reader thread may clear it meanwhile
        if retry_at is None:
            return "connecting"
        now = time.monotonic() if monotonic is None else monotonic
        return f"reconnecting in {max(1, math.ceil(retry_at - now))} s"

    def submit(self, line: str) -> bool:
        """Act on one typed line. False once the user has asked to quit."""
        action = parse_input(line, self.partner)
        match action:
            case None:
                pass
            case Send(frame=SendPublic(text=text) | SendPrivate(text=text) as frame):
                to = frame.to if isinstance(frame, SendPrivate) else None
                self._queue_message(line, frame, to, text)
            case Send(frame=frame):
                self._enqueue(Outgoing(line, frame))
            case FetchOlder(limit=limit):
                self._enqueue(Outgoing(line, None, history_limit=limit))
            case StartPrivateChat(partner=partner):
                self.partner = partner
                self._note(f"* talking privately with {printable(partner)}; /exit to stop")
                if fold_nick(partner) not in {fold_nick(nick) for nick in self.online}:
                    self._note(f"* {printable(partner)} is not online now: lines will be refused")
                self._display.changed()
            case EndPrivateChat():
                partner = printable(self.partner or "")
                self._note(f"* back to everyone (no longer talking with {partner})")
                self.partner = None
                self._display.changed()
            case Reconnect():
                if self.connected:
                    self._note("* already connected")
                else:
                    self.retry_now.set()
            case ShowLocally(text=text):
                first, *rest = text.splitlines()
                self._note(first)  # the time once, on the first line of a block
                for text_line in rest:
                    self._display.show([("notice", text_line)])
            case Refuse(reason=reason):
                self._display.refused(None, error(f"! {reason}", self._now()), reason)
            case Leave(frame=frame):
                self.quitting = True
                if self.connected:
                    self._queue.put(Outgoing(line, frame, leaves=True))
                else:
                    self.left.set()
                return False
        return True

    def leave_now(self) -> None:
        """Ctrl-C: quit at once, whatever is still waiting to go out. The quit goes from a
        thread of its own, given half a second: a sender stuck on a full socket holds the
        connection, and the window must close anyway."""
        self.quitting = True
        self.retry_now.set()  # a reconnect waiting for its countdown gives up at once
        if self.connected:
            connection = self.connection

            def say_quit() -> None:
                with contextlib.suppress(ConnectionLost):
                    connection.send(Quit())

            quitting = threading.Thread(target=say_quit, name="quit", daemon=True)
            quitting.start()
            quitting.join(_QUIT_SECONDS)
        self.left.set()

    def close(self) -> list[str]:
        """The end: stops the sender, closes the connection; returns the typed lines that
        never went out (for the user to see)."""
        unsent = self.unsent()
        self.connection.close()
        return unsent

    def unsent(self) -> list[str]:
        """Stop sending; the typed lines that never went out (for the user to see)."""
        return [item.line for item in self._queue.stop() if item.line and not item.leaves]

    def caught_up(self, timeout: float) -> bool:
        """Wait until the server has answered everything sent so far (see PongBarrier)."""
        waiting = self._pongs.new_token()
        if waiting is None or self.ended.is_set():
            return False
        token, answered = waiting
        self._queue.put(Outgoing("", Ping(token=token)))
        # The ping waits behind the lines still queued (paced to the server's rate): the
        # timeout counts from the last progress of the queue, not from now, so that a long
        # script is not cut off while its lines are still going out.
        deadline, left = time.monotonic() + timeout, len(self._queue)
        while not answered.wait(min(0.2, max(0.0, deadline - time.monotonic()))):
            if self.ended.is_set():
                return False
            if (now_left := len(self._queue)) < left:
                deadline, left = time.monotonic() + timeout, now_left
            elif time.monotonic() >= deadline:
                return False
        return not self.ended.is_set()

    # -- the reader's side -------------------------------------------------------------

    def register(self, wanted: str | None, timeout: float = 10.0) -> WelcomeFrame | ErrorFrame:
        """Say hello (resuming the session we had, if any); returns the welcome, or the
        error that refused the nick."""
        resume = None
        if self.resume_token is not None:
            resume = ResumeFields(token=self.resume_token, last_id=self._history.last_id)
        self.connection.send(Hello(nick=wanted, resume=resume))
        while True:
            frame = self._next_frame(timeout, "the server did not answer the hello")
            if isinstance(frame, WelcomeFrame):
                self.nick = frame.nick
                self.online = set(frame.users)
                self.resume_token = frame.resume_token
                self._history.welcomed(frame)
                self._display.changed()
                return frame
            if isinstance(frame, ErrorFrame):
                return frame
            self._receive(frame)

    def read_replay(self, timeout: float = 30.0) -> None:
        """Show the replay of a resumed session up to its last page (so that what was typed
        meanwhile goes out after it)."""
        while self._history.replaying:
            self._receive(self._next_frame(timeout, "the server stopped in the replay"))

    def online_again(self, *, resumed: bool) -> None:
        """Registered on a new connection. Messages sent on the old one that the replay did
        not show were never taken: they go out again, first. Without a resume there is no
        telling, so they are marked as perhaps lost."""
        with self._wire:
            drafts = self._awaiting.drafts_left()
            if resumed:
                self._queue.put_front(Outgoing(d.line, d.frame, draft=d) for d in drafts)
            else:
                for draft in drafts:
                    reason = "the connection dropped before the server answered"
                    line = refused(
                        self.nick, draft.to, draft.text, draft.at, reason, verdict="perhaps lost"
                    )
                    self._display.refused(draft.key, line, reason)
            self.ended.clear()
            self._pongs.reconnected()
            self.retry_at = None
            self.retry_now.clear()
            self._queue.open()
        self._display.changed()

    def read_until_closed(self) -> None:
        """Show every frame as it arrives; returns when the server is gone."""
        try:
            for frame in self.connection.frames():
                self._receive(frame)
        finally:
            self.ended.set()
            self._history_answered.set()
            self._pongs.ended()

    def disconnected(self) -> None:
        self._queue.shut()
        self._display.changed()

    def acknowledge_resume(self) -> None:
        """Tell the server the resumed welcome (and its new token) arrived: the token the
        client resumed with is spent from then on."""
        self.connection.send(Ping())

    def note(self, text: str) -> None:
        self._note(text)

    def changed(self) -> None:
        self._display.changed()

    # -- inside ------------------------------------------------------------------------

    def _note(self, text: str) -> None:
        self._display.show(notice(text, self._now()))

    def _queue_message(
        self, line: str, frame: SendPublic | SendPrivate, to: str | None, text: str
    ) -> None:
        if self._full():
            shown = refused(self.nick, to, text, self._now(), _FULL, verdict="not sent")
            self._display.refused(None, shown, _FULL)
            return
        at = self._now()
        key = self._display.pending(pending(self.nick or "you", to, text, at))
        draft = Draft(line=line, frame=frame, to=to, text=text, at=at, key=key)
        self._queue.put(Outgoing(line, frame, draft=draft))

    def _enqueue(self, item: Outgoing) -> None:
        if self._full():
            shown = error(f"! not sent ({_FULL}): {printable(item.line)}", self._now())
            self._display.refused(None, shown, _FULL)
            return
        self._queue.put(item)

    def _full(self) -> bool:
        """Disconnected, with as many lines waiting as the client holds."""
        return not self.connected and len(self._queue) >= MAX_HELD_LINES

    def _send_loop(self) -> None:
        """The sender thread: one item at a time, messages paced inside the flood limit."""
        while (item := self._queue.next()) is not None:
            if item.draft is not None:
                self._pacer.wait_for_turn()
            if item.frame is None:
                # Where this page starts depends on the answer to the one before: wait for it.
                self._history_answered.wait(_HISTORY_ANSWER_SECONDS)
            with self._wire:
                if not self._queue.done(item):
                    continue  # disconnected meanwhile, or the reconnect put drafts first
                frame = item.frame
                if frame is None:
                    self._history_answered.clear()
                    frame = AskHistory(before=self._history.oldest_public, limit=item.history_limit)
                if not item.leaves:
                    self._awaiting.sent(item.draft or Request())
                connection = self.connection
            # If this fails the reader notices, reconnects, and the draft goes out again.
            with contextlib.suppress(ConnectionLost):
                connection.send(frame)
            if item.leaves:
                self.left.set()
                return

    def _next_frame(self, timeout: float, silence: str) -> ServerFrame | ProtocolError:
        try:
            frame = self.connection.read_frame(timeout)
        except TimeoutError as lost:
            raise ConnectionLost(silence) from lost
        if frame is None:
            raise ConnectionLost("the server closed the connection")
        return frame

    def _receive(self, frame: ServerFrame | ProtocolError) -> None:
        if self._answers_a_request(frame):
            self._awaiting.answered()
        if isinstance(frame, PublicFrame | PrivateFrame):
            self._message(frame)
            return
        if isinstance(frame, HistoryFrame):
            messages = [m for m in frame.messages if acceptable(m, self._display.show)]
            self._history.receive(frame, messages, self.nick, self._claim)
            if frame.reason == "request":
                self._history_answered.set()
            return
        if isinstance(frame, ErrorFrame):
            self._history_answered.set()  # perhaps the refusal of a /history: do not wait
            self._refusal(frame)
            return
        for line in render(frame, self.nick):  # before tracking: "you are now known as ..."
            self._display.show(line)
        self._track(frame)

    def _answers_a_request(self, frame: ServerFrame | ProtocolError) -> bool:
        match frame:
            case UsersFrame() | StatsFrame():
                return True
            case PongFrame(token=token):
                return token is not None  # the resume's own ping is not in the queue
            case HistoryFrame(reason=reason):
                return reason == "request"
            case NickChangedFrame(old=old):
                return old == self.nick
            case _:
                return False

    def _message(self, frame: PublicFrame | PrivateFrame) -> None:
        if not acceptable(frame, self._display.show):
            return
        self._history.saw(frame)
        if self._claim(frame):
            return
        self._display.show(said(frame, self.nick))
        if is_mention(frame, self.nick):
            self._display.bell()

    def _claim(self, frame: PublicFrame | PrivateFrame) -> bool:
        """Our own message coming back: it confirms the line shown pending for it."""
        if frame.sender != self.nick:
            return False
        to = frame.to if isinstance(frame, PrivateFrame) else None
        draft = self._awaiting.echoed(to, frame.text)
        if draft is None:
            return False
        self._display.settle(draft.key, said(frame, self.nick))
        return True

    def _refusal(self, frame: ErrorFrame) -> None:
        reason = f"{frame.message} ({frame.code})"
        draft = self._awaiting.answered()
        if not isinstance(draft, Draft):  # a request's error, or one about no frame
            line = error(f"! {printable(reason)}", frame.ts)
            self._display.refused(None, line, reason)
            return
        line = refused(self.nick, draft.to, draft.text, draft.at, reason)
        self._display.refused(draft.key, line, reason)

    def _track(self, frame: ServerFrame | ProtocolError) -> None:
        self._track_online(frame)
        match frame:
            case NickChangedFrame(old=old, new=new):
                if old == self.nick:
                    self.nick = new
                if self._is_partner(old):
                    self.partner = new  # keep talking to the same person under the new name
            case LeaveFrame(nick=nick) if self._is_partner(nick):
                self._note(f"* {printable(nick)} left; /exit to talk to everyone again")
            case PongFrame(token=token) if token is not None:
                self._pongs.answered(token)
            case ShutdownFrame(reason=reason):
                self.shutdown_reason = reason
            case _:
                return
        self._display.changed()

    def _is_partner(self, nick: str) -> bool:
        return self.partner is not None and fold_nick(nick) == fold_nick(self.partner)

    def _track_online(self, frame: ServerFrame | ProtocolError) -> None:
        match frame:
            # A new set each time, never changed in place: the window reads it meanwhile.
            case JoinFrame(nick=nick):
                self.online = self.online | {nick}
            case LeaveFrame(nick=nick):
                self.online = self.online - {nick}
            case NickChangedFrame(old=old, new=new):
                self.online = (self.online - {old}) | {new}
            case UsersFrame(users=users):
                self.online = set(users)
            case _:
                return
        self._display.changed()
