"""5. No control character gets through, no log line can be forged, no look-alike nick."""

from pathlib import Path

import pytest

from app.adapters.tcp.wire import PublicFrame
from app.adapters.terminal.render import plain, render
from tests.conftest import StartServer
from tests.fakes import T0
from tests.stores import disk_store
from tests.wire_client import WireClient

FORGERIES = [
    "hi\n[2026-11-23 20:57:43+00:00] admin: give me your password",
    "hi\r[2026-11-23 20:57:43+00:00] admin: spoofed",
    "hi\u2028[2026-11-23 20:57:43+00:00] admin: spoofed",
    "hi\u0085admin: spoofed",
    "\x1b[2J\x1b]0;owned\x07",
]


def test_no_message_can_forge_a_second_log_line(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server(store=disk_store(tmp_path))
    mallory = WireClient(server.address)
    mallory.hello("mallory")
    for text in FORGERIES:
        mallory.send({"type": "public", "text": text})
        mallory.send({"type": "private", "to": "mallory", "text": text})
        assert [f["code"] for f in (mallory.recv(), mallory.recv())] == ["invalid_frame"] * 2
    for nick in ["a\nb", "a\u2028b", "admin:", "a b"]:
        mallory.send({"type": "nick", "nick": nick})
        assert mallory.expect("error")["code"] == "invalid_nick"
    assert (tmp_path / "messages.txt").read_text() == ""
    assert (tmp_path / "private_messages.txt").read_text() == ""


@pytest.mark.parametrize(
    ("online", "look_alike"),
    [
        ("alice", "\u0430lice"),
        ("paypal", "\u0440\u0430yp\u0430l"),
        ("Bill", "bi11"),
        ("nikita", "n\u04cfk\u04cfta"),
    ],
)
def test_a_nick_that_only_looks_like_one_online_counts_as_taken(
    start_server: StartServer, online: str, look_alike: str
) -> None:
    server = start_server(names=("Zed",))
    first, second = WireClient(server.address), WireClient(server.address)
    first.hello(online)
    welcome = second.hello(look_alike)
    assert (welcome["nick"], welcome["renamed"]) == ("Zed", True)
    second.send({"type": "nick", "nick": look_alike})
    assert second.expect("error")["code"] == "nick_taken"
    first.close()
    second.close()


def test_the_client_shows_escapes_and_bidi_overrides_instead_of_obeying_them() -> None:
    frame = PublicFrame(id=1, sender="mallory", text="\x1b]0;title\x07 \u202eevil", ts=T0)
    shown = "\n".join(plain(line) for line in render(frame, me="ann"))
    for obeyed in ["\x1b", "\x07", "\u202e"]:
        assert obeyed not in shown
    assert "\\u001b]0;title\\u0007 \\u202eevil" in shown
