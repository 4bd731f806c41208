from datetime import datetime

from app.adapters.tcp.wire import (
    ErrorFrame,
    LeaveFrame,
    NickChangedFrame,
    PongFrame,
    PrivateFrame,
    ProtocolError,
    PublicFrame,
    WelcomeFrame,
)
from app.adapters.terminal.render import clock_time, printable, render
from tests.fakes import T0

AT = clock_time(T0)


def test_times_are_shown_as_local_hours_minutes_seconds() -> None:
    assert T0.astimezone().strftime("[%H:%M:%S]") == AT
    assert len(AT) == len("[20:57:43]")


def test_a_public_message_shows_time_sender_and_text() -> None:
    frame = PublicFrame(id=1, sender="bob", text="hi all", ts=T0)
    assert render(frame, me="ann") == f"{AT} <bob> hi all"


def test_private_messages_are_marked_with_their_direction() -> None:
    incoming = PrivateFrame(id=2, sender="bob", to="ann", text="psst", ts=T0)
    outgoing = PrivateFrame(id=3, sender="ann", to="bob", text="hey", ts=T0)
    assert render(incoming, me="ann") == f"{AT} [pm from bob] psst"
    assert render(outgoing, me="ann") == f"{AT} [pm to bob] hey"


def test_a_random_nickname_is_explained_in_the_welcome() -> None:
    frame = WelcomeFrame(nick="Tamara", requested="alice", renamed=True, users=["Tamara"], ts=T0)
    shown = render(frame, me="Tamara")
    assert shown is not None
    assert "alice was taken" in shown
    assert "Tamara" in shown


def test_joins_leaves_and_renames_are_shown() -> None:
    assert render(LeaveFrame(nick="cy", reason="quit", ts=T0), me="ann") == f"{AT} * cy left (quit)"
    rename = NickChangedFrame(old="ann", new="anna", ts=T0)
    assert render(rename, me="ann") == f"{AT} * you are now known as anna"
    assert render(rename, me="bob") == f"{AT} * ann is now known as anna"


def test_errors_are_shown_and_pongs_are_not() -> None:
    error = ErrorFrame(code="nick_taken", message="the nickname bob is taken", ts=T0)
    assert render(error, me="ann") == f"{AT} ! the nickname bob is taken (nick_taken)"
    assert render(PongFrame(token=None, ts=T0), me="ann") is None


def test_a_malformed_line_from_the_server_is_reported_not_fatal() -> None:
    shown = render(ProtocolError("invalid_frame", "bad"), me="ann")
    assert shown is not None
    assert "malformed" in shown


def test_escape_sequences_and_bidi_overrides_are_shown_escaped() -> None:
    assert printable("\x1b]0;pwned\x07") == "\\u001b]0;pwned\\u0007"
    assert printable("abc\u202edef") == "abc\\u202edef"
    assert printable("plain ünïcode") == "plain ünïcode"


def test_even_a_server_sending_escapes_in_a_message_cannot_reach_the_terminal() -> None:
    frame = PublicFrame(
        id=1, sender="evil\u202e", text="\x1b[2Jcleared?", ts=datetime.now(T0.tzinfo)
    )
    shown = render(frame, me="ann")
    assert shown is not None
    assert "\x1b" not in shown
    assert "\u202e" not in shown
