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
from app.adapters.terminal.render import (
    clock_time,
    is_mention,
    mentions,
    nick_style,
    plain,
    printable,
)
from app.adapters.terminal.render import render as render_fragments
from tests.fakes import T0

AT = clock_time(T0)


def as_text(frame: object, me: str) -> str | None:
    fragments = render_fragments(frame, me)  # type: ignore[arg-type]
    return None if fragments is None else plain(fragments)


def test_times_are_shown_as_local_hours_minutes_seconds() -> None:
    assert T0.astimezone().strftime("[%H:%M:%S]") == AT
    assert len(AT) == len("[20:57:43]")


def test_a_public_message_shows_time_sender_and_text() -> None:
    frame = PublicFrame(id=1, sender="bob", text="hi all", ts=T0)
    assert as_text(frame, me="ann") == f"{AT} <bob> hi all"


def test_private_messages_are_marked_with_their_direction() -> None:
    incoming = PrivateFrame(id=2, sender="bob", to="ann", text="psst", ts=T0)
    outgoing = PrivateFrame(id=3, sender="ann", to="bob", text="hey", ts=T0)
    assert as_text(incoming, me="ann") == f"{AT} [pm from bob] psst"
    assert as_text(outgoing, me="ann") == f"{AT} [pm to bob] hey"


def test_a_random_nickname_is_explained_in_the_welcome() -> None:
    frame = WelcomeFrame(nick="Tamara", requested="alice", renamed=True, users=["Tamara"], ts=T0)
    shown = as_text(frame, me="Tamara")
    assert shown is not None
    assert "alice was taken" in shown
    assert "Tamara" in shown


def test_joins_leaves_and_renames_are_shown() -> None:
    assert (
        as_text(LeaveFrame(nick="cy", reason="quit", ts=T0), me="ann") == f"{AT} * cy left (quit)"
    )
    rename = NickChangedFrame(old="ann", new="anna", ts=T0)
    assert as_text(rename, me="ann") == f"{AT} * you are now known as anna"
    assert as_text(rename, me="bob") == f"{AT} * ann is now known as anna"


def test_errors_are_shown_and_pongs_are_not() -> None:
    error = ErrorFrame(code="nick_taken", message="the nickname bob is taken", ts=T0)
    assert as_text(error, me="ann") == f"{AT} ! the nickname bob is taken (nick_taken)"
    assert as_text(PongFrame(token=None, ts=T0), me="ann") is None


def test_a_malformed_line_from_the_server_is_reported_not_fatal() -> None:
    shown = as_text(ProtocolError("invalid_frame", "bad"), me="ann")
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
    shown = as_text(frame, me="ann")
    assert shown is not None
    assert "\x1b" not in shown
    assert "\u202e" not in shown


def test_every_nick_has_one_stable_colour_and_your_own_stands_out() -> None:
    assert (
        nick_style("bob", me="ann") == nick_style("BOB", me="ann") == "class:nick8"
    )  # crc32: every run
    assert nick_style("ann", me="ann") == "class:self"
    assert len({nick_style(f"user{n}", me="ann") for n in range(100)}) > 6


def test_a_message_naming_you_is_a_mention_and_is_highlighted() -> None:
    assert mentions("hey Ann, lunch?", "ann")
    assert not mentions("hey annabel", "ann")
    frame = PublicFrame(id=1, sender="bob", text="ann: look", ts=T0)
    assert is_mention(frame, "ann")
    fragments = render_fragments(frame, "ann")
    assert fragments is not None
    assert ("class:mention", "ann: look") in fragments
    own = PublicFrame(id=2, sender="ann", text="I am ann", ts=T0)
    assert not is_mention(own, "ann")


def test_slash_me_is_shown_as_an_action() -> None:
    frame = PublicFrame(id=1, sender="alice", text="/me waves", ts=T0)
    assert as_text(frame, me="bob") == f"{AT} * alice waves"
