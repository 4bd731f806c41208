"""A rogue server (a small test double speaking v1) cannot steer the client's terminal."""

import io
import json
import socket
import threading

from app.adapters.tcp.client import ServerConnection
from app.adapters.terminal.piped import run_piped

TS = "2026-11-23T20:57:43.123Z"
ROGUE_FRAMES = [
    {
        "type": "welcome",
        "nick": "ann",
        "requested": "ann",
        "renamed": False,
        "users": ["ann"],
        "ts": TS,
    },
    {
        "type": "public",
        "id": 1,
        "from": "evil",
        "text": "\x1b[2J\x1b]0;pwned\x07cleared?",
        "ts": TS,
    },
    {"type": "public", "id": 2, "from": "evil\u202e", "text": "abc\u202edef\u200b", "ts": TS},
    {"type": "join", "nick": "\x1b[31mred", "ts": TS},
]


def serve_rogue(listener: socket.socket) -> None:
    connection, _ = listener.accept()
    with connection:
        connection.settimeout(5)
        reader = connection.makefile("rb")
        reader.readline()  # the hello
        for frame in ROGUE_FRAMES:
            connection.sendall(json.dumps(frame).encode() + b"\n")
        while line := reader.readline():  # answer the client's closing ping, then its quit
            request = json.loads(line)
            if request["type"] == "quit":
                return
            if request["type"] == "ping":
                pong = {"type": "pong", "token": request["token"], "ts": TS}
                connection.sendall(json.dumps(pong).encode() + b"\n")


def test_escape_sequences_and_bidi_overrides_never_reach_the_terminal() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)
        rogue = threading.Thread(target=serve_rogue, args=(listener,), daemon=True)
        rogue.start()
        out, err = io.StringIO(), io.StringIO()
        connection = ServerConnection.open(*listener.getsockname()[:2])
        status = run_piped(connection, "ann", [], out=out, err=err)
        rogue.join(timeout=5)
    shown = out.getvalue()
    assert status == 0
    assert "\x1b" not in shown
    assert "\x07" not in shown
    assert "\u202e" not in shown
    assert "\u200b" not in shown
    assert "dropped a message from evil" in shown  # the forbidden one, with a warning
    assert "abc\\u202edef\\u200b" in shown  # the merely unusual one, escaped
    assert "\\u001b[31mred joined" in shown
