"""A raw-socket test client: sends JSON lines, waits for frames, always with a timeout."""

import json
import socket
from typing import Any, Final

READ_TIMEOUT: Final = 5.0
Frame = dict[str, Any]


class WireClient:
    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=READ_TIMEOUT)
        self._buffer = b""
        self._pings = 0

    def send(self, frame: Frame | bytes) -> None:
        data = frame if isinstance(frame, bytes) else json.dumps(frame).encode() + b"\n"
        self.sock.sendall(data)

    def recv(self) -> Frame:
        """The next frame; fails the test after READ_TIMEOUT seconds without one."""
        while b"\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed by the server; unread: {self._buffer!r}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        frame: Frame = json.loads(line)
        return frame

    def expect(self, frame_type: str) -> Frame:
        frame = self.recv()
        assert frame["type"] == frame_type, frame
        return frame

    def hello(self, nick: str | None) -> Frame:
        self.send({"type": "hello", "nick": nick})
        return self.expect("welcome")

    def resume(self, nick: str, token: str, last_id: int) -> Frame:
        self.send({"type": "hello", "nick": nick, "resume": {"token": token, "last_id": last_id}})
        return self.expect("welcome")

    def history_until_done(self, reason: str) -> list[Frame]:
        """The history frames of one answer or replay: up to the one with more: false
        (for a resume) or just the next one (for anything else)."""
        pages = [self.expect("history")]
        while reason == "resume" and pages[-1]["more"]:
            pages.append(self.expect("history"))
        assert {page["reason"] for page in pages} == {reason}
        return pages

    def drain(self) -> list[Frame]:
        """Everything the server sent before now: a ping is the barrier, its pong the end."""
        self._pings += 1
        token = f"drain-{self._pings}"
        self.send({"type": "ping", "token": token})
        frames = []
        while True:
            frame = self.recv()
            if frame["type"] == "pong" and frame["token"] == token:
                return frames
            frames.append(frame)

    def frames_until_closed(self) -> list[Frame]:
        """Every frame left, once the server has closed; times out if it never does."""
        frames = []
        while True:
            try:
                frames.append(self.recv())
            except (ConnectionError, OSError) as error:
                if isinstance(error, TimeoutError):
                    raise
                return frames

    def close(self) -> None:
        self.sock.close()
