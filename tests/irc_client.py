"""A raw-socket IRC test client: sends lines, waits for lines, every read with a timeout.

Lines from the server are parsed here, not by the gateway's own parser: what a test checks
must not lean on the code under test (and a line the gateway should never send, one over
512 bytes, say, must still be readable so the test can say what was wrong with it).
"""

import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

READ_TIMEOUT: Final = 5.0


@dataclass(frozen=True)
class IrcLine:
    """One line from the server: `raw` is the bytes as received, CRLF included."""

    raw: bytes
    command: str
    params: tuple[str, ...]
    tags: dict[str, str] = field(default_factory=dict)
    source: str | None = None

    @property
    def nick(self) -> str | None:
        """The nick of the source (nick!user@host), or the whole source of a server line."""
        return None if self.source is None else self.source.split("!", 1)[0]

    @property
    def text(self) -> str:
        """The last param: a message's text, a numeric's human-readable part."""
        return self.params[-1] if self.params else ""

    @property
    def bytes_without_tags(self) -> int:
        """The line's length as IRC's 512-byte limit counts it: tags out, CRLF in."""
        line = self.raw
        if line.startswith(b"@"):
            line = line.split(b" ", 1)[1]
        return len(line)

    def __str__(self) -> str:
        return self.raw.decode(errors="replace").rstrip("\r\n")


_UNESCAPES: Final = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}


def _unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(_UNESCAPES.get(following, following))
        else:
            out.append(char)
    return "".join(out)


def parse(raw: bytes) -> IrcLine:
    """An IRC line, CRLF included, as tags, source, command and params."""
    text = raw.decode().rstrip("\r\n")
    tags: dict[str, str] = {}
    if text.startswith("@"):
        tag_data, _, text = text[1:].partition(" ")
        for tag in tag_data.split(";"):
            key, _, value = tag.partition("=")
            tags[key] = _unescape(value)
    source = None
    if text.startswith(":"):
        source, _, text = text[1:].partition(" ")
    command, _, text = text.partition(" ")
    params: list[str] = []
    while text:
        if text.startswith(":"):
            params.append(text[1:])
            break
        param, _, text = text.partition(" ")
        if param:
            params.append(param)
    return IrcLine(raw, command.upper(), tuple(params), tags, source)


class IrcClient:
    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=READ_TIMEOUT)
        self._buffer = b""
        self._pings = 0
        self.nick: str | None = None

    # --- sending --------------------------------------------------------------------------

    def send(self, line: str) -> None:
        self.send_raw(line.encode() + b"\r\n")

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    # --- receiving ------------------------------------------------------------------------

    def recv_line(self, timeout: float = READ_TIMEOUT) -> IrcLine:
        """The next line; TimeoutError after `timeout` seconds without one."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no line within {timeout} s; unread: {self._buffer!r}")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed by the server; unread: {self._buffer!r}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\n", 1)
        return parse(raw + b"\n")

    def lines_until(
        self, done: Callable[[IrcLine], bool], timeout: float = READ_TIMEOUT
    ) -> list[IrcLine]:
        """Every line up to and including the first for which `done` is true; fails the test
        with the lines seen if none comes within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        seen: list[IrcLine] = []
        while True:
            try:
                line = self.recv_line(max(0.0, deadline - time.monotonic()))
            except (TimeoutError, ConnectionError) as error:
                shown = "\n".join(str(each) for each in seen)
                raise AssertionError(f"{error}; the lines seen:\n{shown}") from None
            seen.append(line)
            if done(line):
                return seen

    def expect(self, command: str, timeout: float = READ_TIMEOUT) -> IrcLine:
        """The first line with this command or numeric (those before it are skipped)."""
        wanted = command.upper()
        return self.lines_until(lambda line: line.command == wanted, timeout)[-1]

    def drain(self) -> list[IrcLine]:
        """Every line the server sent before now: a PING is the barrier, its PONG the end
        (a registered client's PING is answered after everything it sent before)."""
        self._pings += 1
        token = f"drain-{self._pings}"
        self.send(f"PING :{token}")
        lines = self.lines_until(lambda line: line.command == "PONG" and line.text == token)
        return lines[:-1]

    def lines_until_closed(self, timeout: float = READ_TIMEOUT) -> list[IrcLine]:
        """Every line left, once the server has closed; fails if it does not within `timeout`."""
        deadline = time.monotonic() + timeout
        lines: list[IrcLine] = []
        while True:
            try:
                lines.append(self.recv_line(max(0.0, deadline - time.monotonic())))
            except ConnectionError:
                return lines
            except TimeoutError:
                shown = "\n".join(str(each) for each in lines)
                raise AssertionError(f"still open after {timeout} s; seen:\n{shown}") from None

    # --- registering ----------------------------------------------------------------------

    def register(
        self, nick: str, caps: Iterable[str] = (), *, autojoin: bool = True
    ) -> list[IrcLine]:
        """Registration as modern clients do it (with CAP LS 302 when asking for caps), read
        up to the end of the channel's names (366), or to the end of the welcome burst
        (422) for a gateway that does not autojoin. Returns the lines read."""
        wanted: Sequence[str] = list(caps)
        lines: list[IrcLine] = []
        if wanted:
            self.send("CAP LS 302")
            self.send(f"CAP REQ :{' '.join(wanted)}")
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick} the tester")
        if wanted:
            self.send("CAP END")
            lines += self.lines_until(lambda line: line.command == "CAP" and line.params[1] == "LS")
            answer = self.lines_until(lambda line: line.command == "CAP")
            lines += answer
            assert answer[-1].params[1] == "ACK", answer[-1]
        end = "366" if autojoin else "422"
        lines += self.lines_until(lambda line: line.command == end)
        self.nick = nick
        return lines

    def close(self) -> None:
        self.sock.close()
