"""The client's side of a chat session: who we are, whom /pm talks to, what to show."""

import contextlib
import itertools
import threading
from collections import deque
from collections.abc import Callable
from typing import Final

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.tcp.wire import (
    ErrorFrame,
    Hello,
    JoinFrame,
    LeaveFrame,
    NickChangedFrame,
    Ping,
    PongFrame,
    PrivateFrame,
    ProtocolError,
    PublicFrame,
    SendPrivate,
    SendPublic,
    ServerFrame,
    ShutdownFrame,
    UsersFrame,
    WelcomeFrame,
)
from app.adapters.terminal.commands import (
    EndPrivateChat,
    Leave,
    Send,
    ShowLocally,
    StartPrivateChat,
    parse_input,
)
from app.adapters.terminal.pacing import MessagePacer
from app.adapters.terminal.render import Fragments, notice, printable, render
from app.domain.text import breaks_lines

Show = Callable[[Fragments], None]
MAX_HELD_LINES: Final = 100


class ChatSession:
    """Turns typed lines into frames and received frames into lines, for either front end."""

    def __init__(
        self, connection: ServerConnection, show: Show, pacer: MessagePacer | None = None
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
        self._waiting_pongs: dict[str, threading.Event] = {}
        self._tokens = itertools.count(1)

    def register(self, wanted: str | None, timeout: float = 10.0) -> WelcomeFrame | ErrorFrame:
        """Say hello; returns the welcome, or the error that refused the nick."""
        self.connection.send(Hello(nick=wanted))
        while True:
            try:
                frame = self.connection.read_frame(timeout)
            except TimeoutError as error:
                raise ConnectionLost("the server did not answer the hello") from error
            if frame is None:
                raise ConnectionLost("the server closed the connection")
            if isinstance(frame, WelcomeFrame):
                self.nick = frame.nick
                self.online = set(frame.users)
                return frame
            if isinstance(frame, ErrorFrame):
                return frame
            self._receive(frame)

    def read_until_closed(self) -> None:
        """Show every frame as it arrives; returns when the server is gone."""
        try:
            for frame in self.connection.frames():
                self._receive(frame)
        finally:
            self.ended.set()
            for pong in self._waiting_pongs.values():
                pong.set()

    def submit(self, line: str) -> bool:
        """Act on one typed line. False once the user has asked to quit."""
        action = parse_input(line, self.partner)
        match action:
            case None:
                pass
            case Send(frame=frame):
                with self._send_lock:
                    if not self.connected:
                        self._hold(line)
                        return True
                    if isinstance(frame, SendPublic | SendPrivate):
                        self._pacer.wait_for_turn()
                    try:
                        self.connection.send(frame)
                    except ConnectionLost:
                        self.connected = False  # the reader will notice and reconnect
                        self._hold(line)
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
            held = list(self.held)
            self.held.clear()
            if held:
                self._show(notice(f"* sending the {len(held)} line(s) typed while disconnected"))
            for line in held:
                self.submit(line)

    def unsent(self) -> list[str]:
        """Lines typed while disconnected that never went out (for the user to see)."""
        return list(self.held)

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

    def caught_up(self, timeout: float) -> bool:
        """Wait until the server has answered everything sent so far (a ping as a barrier).

        Frames from one connection are served in order, so the pong comes after every echo
        or error owed for what was sent before it.
        """
        token = f"sync-{next(self._tokens)}"
        answered = threading.Event()
        self._waiting_pongs[token] = answered
        if self.ended.is_set():
            return False
        self.connection.send(Ping(token=token))
        return answered.wait(timeout) and not self.ended.is_set()

    def _receive(self, frame: ServerFrame | ProtocolError) -> None:
        if isinstance(frame, PublicFrame | PrivateFrame) and breaks_lines(frame.text):
            # The protocol forbids this: a rogue or broken server. Say so; show none of it.
            self._show(
                [
                    (
                        "class:warning",
                        f"! dropped a message from {printable(frame.sender)}:"
                        " it held control characters, which the protocol forbids",
                    )
                ]
            )
            return
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
            case PongFrame(token=token) if token in self._waiting_pongs:
                self._waiting_pongs.pop(token).set()
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
