"""The client's side of a chat session: who we are, whom /pm talks to, what to show."""

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from typing import Final

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.tcp.wire import (
    AskHistory,
    ClientFrame,
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
    ResumeFields,
    SendPrivate,
    SendPublic,
    ServerFrame,
    ShutdownFrame,
    UsersFrame,
    WelcomeFrame,
)
from app.adapters.terminal.barrier import PongBarrier
from app.adapters.terminal.commands import (
    EndPrivateChat,
    FetchOlder,
    Leave,
    Send,
    ShowLocally,
    StartPrivateChat,
    parse_input,
)
from app.adapters.terminal.history import HistoryView
from app.adapters.terminal.pacing import MessagePacer
from app.adapters.terminal.render import Fragments, acceptable, notice, printable, render
from app.domain.commands import HISTORY_MAX_LIMIT

Show = Callable[[Fragments], None]
MAX_HELD_LINES: Final = 100
# A /history starts where the answer to the previous one ended: it waits this long for it.
_HISTORY_ANSWER_SECONDS: Final = 5.0


class ChatSession:
    """Turns typed lines into frames and received frames into lines, for either front end.

    `history_marker`: None shows history under dividers, dimmed (a terminal); a string
    starts every history line with it instead (a pipe, for scripts to tell them apart).
    """

    def __init__(
        self,
        connection: ServerConnection,
        show: Show,
        pacer: MessagePacer | None = None,
        *,
        history_marker: str | None = None,
    ) -> None:
        self.connection = connection
        self._pacer = pacer or MessagePacer()
        self.nick = ""
        self.partner: str | None = None
        self.shutdown_reason: str | None = None
        self.ended = threading.Event()  # the server closed the connection
        self.online: set[str] = set()  # nicks online, as far as this client has heard
        # Lines typed while the connection is down wait here and go out once it is back.
        self.connected = True
        self.held: deque[str] = deque()
        # Typing and catching up must not interleave; re-entrant, as catching up submits.
        self._send_lock = threading.RLock()
        self._show = show
        self._history = HistoryView(show, history_marker)
        self.resume_token: str | None = None  # from the last welcome: gets this session back
        self._history_answered = threading.Event()  # no /history is waiting for its answer
        self._history_answered.set()
        self._pongs = PongBarrier()

    @property
    def replaying(self) -> bool:
        """A resume's replay has begun and not yet ended."""
        return self._history.replaying

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
                return frame
            if isinstance(frame, ErrorFrame):
                return frame
            self._receive(frame)

    def read_replay(self, timeout: float = 30.0) -> None:
        """Show the replay of a resumed session up to its last page (so that what was typed
        meanwhile goes out after it)."""
        while self._history.replaying:
            self._receive(self._next_frame(timeout, "the server stopped in the replay"))

    def read_until_closed(self) -> None:
        """Show every frame as it arrives; returns when the server is gone."""
        try:
            for frame in self.connection.frames():
                self._receive(frame)
        finally:
            self.ended.set()
            self._history_answered.set()
            self._pongs.ended()

    def submit(self, line: str) -> bool:
        """Act on one typed line. False once the user has asked to quit."""
        action = parse_input(line, self.partner)
        match action:
            case None:
                pass
            case Send(frame=frame):
                self._send(line, frame)
            case FetchOlder(limit=limit):
                # Where this page starts depends on the answer to the one before: wait for it.
                self._history_answered.wait(_HISTORY_ANSWER_SECONDS)
                self._fetch_older(limit, line)
            case StartPrivateChat(partner=partner):
                self.partner = partner
                self._show(notice(f"* talking privately with {printable(partner)}; /exit to stop"))
            case EndPrivateChat():
                self._show(notice(f"* back to everyone (no longer talking with {self.partner})"))
                self.partner = None
            case ShowLocally(text=text):
                self._show(notice(text))
            case Leave(frame=frame):
                with contextlib.suppress(ConnectionLost):  # leaving anyway
                    self.connection.send(frame)
                return False
        return True

    def disconnected(self) -> None:
        with self._send_lock:
            self.connected = False

    def resume(self) -> None:
        """Connected again: send what was typed meanwhile, in order, before anything new."""
        with self._send_lock:
            self.connected = True
            self.ended.clear()
            self._pongs.reconnected()
            held = list(self.held)
            self.held.clear()
            if held:
                self._show(notice(f"* sending the {len(held)} line(s) typed while disconnected"))
            # This runs on the reader thread, so nothing can wait for a /history answer here:
            # the /history lines typed meanwhile become one request, after the rest.
            older = 0
            for line in held:
                action = parse_input(line, self.partner)
                if isinstance(action, FetchOlder):
                    older += action.limit
                else:
                    self.submit(line)
            if older:
                self._fetch_older(min(older, HISTORY_MAX_LIMIT), f"/history {older}")

    def unsent(self) -> list[str]:
        """Lines typed while disconnected that never went out (for the user to see)."""
        return list(self.held)

    def caught_up(self, timeout: float) -> bool:
        """Wait until the server has answered everything sent so far (see PongBarrier)."""
        waiting = self._pongs.new_token()
        if waiting is None or self.ended.is_set():
            return False
        token, answered = waiting
        self.connection.send(Ping(token=token))
        return answered.wait(timeout) and not self.ended.is_set()

    def acknowledge_resume(self) -> None:
        """Tell the server the resumed welcome (and its new token) arrived: the token the
        client resumed with is spent from then on."""
        self.connection.send(Ping())

    def _fetch_older(self, limit: int, line: str) -> None:
        self._history_answered.clear()
        before = self._history.oldest_public
        if not self._send(line, AskHistory(before=before, limit=limit)):
            self._history_answered.set()

    def _send(self, line: str, frame: ClientFrame) -> bool:
        """Send `frame` now, or hold `line` to send when connected again; True if sent."""
        with self._send_lock:
            if not self.connected:
                self._hold(line)
                return False
            if isinstance(frame, SendPublic | SendPrivate):
                self._pacer.wait_for_turn()
            try:
                self.connection.send(frame)
            except ConnectionLost:
                self.connected = False  # the reader will notice and reconnect
                self._hold(line)
                return False
            return True

    def _hold(self, line: str) -> None:
        if len(self.held) >= MAX_HELD_LINES:
            self._show(
                [
                    (
                        "class:error",
                        f"! not sent (more than {MAX_HELD_LINES} lines waiting): {printable(line)}",
                    )
                ]
            )
            return
        self.held.append(line)
        self._show(notice(f"* not connected: will send when back ({len(self.held)} waiting)"))

    def _next_frame(self, timeout: float, silence: str) -> ServerFrame | ProtocolError:
        try:
            frame = self.connection.read_frame(timeout)
        except TimeoutError as error:
            raise ConnectionLost(silence) from error
        if frame is None:
            raise ConnectionLost("the server closed the connection")
        return frame

    def _receive(self, frame: ServerFrame | ProtocolError) -> None:
        if isinstance(frame, PublicFrame | PrivateFrame) and not acceptable(frame, self._show):
            return
        if isinstance(frame, HistoryFrame):
            messages = [message for message in frame.messages if acceptable(message, self._show)]
            self._history.receive(frame, messages, self.nick)
            if frame.reason == "request":
                self._history_answered.set()
            return
        if isinstance(frame, ErrorFrame):
            self._history_answered.set()  # perhaps the refusal of a /history: do not wait
        if isinstance(frame, PublicFrame | PrivateFrame):
            self._history.saw(frame)
        text = render(frame, self.nick)  # before tracking: "you are now known as ..."
        if text is not None:
            self._show(text)
        self._track(frame)

    def _track(self, frame: ServerFrame | ProtocolError) -> None:
        self._track_online(frame)
        match frame:
            case NickChangedFrame(old=old, new=new):
                if old == self.nick:
                    self.nick = new
                if old == self.partner:
                    self.partner = new  # keep talking to the same person under the new name
            case LeaveFrame(nick=nick) if nick == self.partner:
                self._show(notice(f"* {printable(nick)} left; /exit to talk to everyone again"))
            case PongFrame(token=token) if token is not None:
                self._pongs.answered(token)
            case ShutdownFrame(reason=reason):
                self.shutdown_reason = reason
            case _:
                pass

    def _track_online(self, frame: ServerFrame | ProtocolError) -> None:
        match frame:
            case JoinFrame(nick=nick):
                self.online.add(nick)
            case LeaveFrame(nick=nick):
                self.online.discard(nick)
            case NickChangedFrame(old=old, new=new):
                self.online.discard(old)
                self.online.add(new)
            case UsersFrame(users=users):
                self.online = set(users)
            case _:
                pass
