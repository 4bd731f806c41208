"""The two languages the load generator speaks: protocol v1 and plain IRC."""

import json
from typing import Final, Protocol

CHANNEL: Final = "#bench"


class Dialect(Protocol):
    name: str
    echoes_own: bool  # does a sender receive its own messages back?

    def register(self, nick: str, *, join: bool) -> bytes: ...
    def is_registered(self, line: bytes, *, join: bool) -> bool: ...
    def message(self, text: str) -> bytes: ...
    def answer(self, line: bytes) -> bytes | None: ...


class V1Dialect:
    name = "v1"
    echoes_own = True

    def register(self, nick: str, *, join: bool) -> bytes:
        return json.dumps({"type": "hello", "nick": nick}).encode() + b"\n"

    def is_registered(self, line: bytes, *, join: bool) -> bool:
        return line.startswith(b'{"type":"welcome"')

    def message(self, text: str) -> bytes:
        return json.dumps({"type": "public", "text": text}).encode() + b"\n"

    def answer(self, line: bytes) -> bytes | None:
        return None


class IrcDialect:
    """Just enough IRC: register, join one channel, talk in it, answer PING."""

    name = "irc"
    echoes_own = False

    def register(self, nick: str, *, join: bool) -> bytes:
        lines = f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n"
        if join:
            lines += f"JOIN {CHANNEL}\r\n"
        return lines.encode()

    def is_registered(self, line: bytes, *, join: bool) -> bool:
        reply = line.split(b" ", 2)[1:2]
        # 366 ends the channel's name list, so the JOIN is complete; 001 is the welcome.
        return reply == ([b"366"] if join else [b"001"])

    def message(self, text: str) -> bytes:
        return f"PRIVMSG {CHANNEL} :{text}\r\n".encode()

    def answer(self, line: bytes) -> bytes | None:
        if line.startswith(b"PING"):
            return b"PONG" + line[4:].rstrip(b"\r") + b"\r\n"
        return None


def dialect_named(name: str) -> Dialect:
    return IrcDialect() if name == "irc" else V1Dialect()
