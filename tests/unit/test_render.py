from datetime import datetime

from app.adapters.tcp.wire import (
    ErrorFrame,
    JoinFrame,
    LeaveFrame,
    NickChangedFrame,
    PongFrame,
    PrivateFrame,
    ProtocolError,
    PublicFrame,
    ServerFrame,
    ShutdownFrame,
    WelcomeFrame,
)
from app.adapters.terminal.render import (
    NICK_COLOURS,
    clock_time,
    is_mention,
    mentions,
    nick_style,
    notice,
    pending,
    plain,
    printable,
    refused,
    render,
)
from tests.fakes import T0

AT = clock_time(T0)


def as_text(frame: ServerFrame | ProtocolError, me: str) -> list[str]:
    return [plain(line) for line in render(frame, me)]


def styles(frame: ServerFrame, me: str) -> set[str]:
    return {style for line in render(frame, me) for style, _ in line}


def test_times_are_shown_as_local_hours_minutes_seconds() -> None:
    assert T0.astimezone().strftime("[%H:%M:%S]") == AT
    assert len(AT) == len("[20:57:43]")


def test_a_public_message_shows_time_sender_and_text() -> None:
    frame = PublicFrame(id=1, sender="bob", text="hi all", ts=T0)
    assert as_text(frame, me="ann") == [f"{AT} <bob> hi all"]


def test_private_messages_are_marked_with_their_direction() -> None:
    incoming = PrivateFrame(id=2, sender="bob", to="ann", text="psst", ts=T0)
    outgoing = PrivateFrame(id=3, sender="ann", to="bob", text="hey", ts=T0)
    assert as_text(incoming, me="ann") == [f"{AT} [pm from bob] psst"]
    assert as_text(outgoing, me="ann") == [f"{AT} [pm to bob] hey"]


def test_private_lines_have_a_style_of_their_own_that_no_nick_is_given() -> None:
    incoming = PrivateFrame(id=2, sender="bob", to="ann", text="psst", ts=T0)
    public = PublicFrame(id=1, sender="bob", text="psst", ts=T0)
    assert "private" in styles(incoming, "ann")
    assert "private" not in styles(public, "ann")
    nick_styles = {nick_style(f"user{n}", me="ann") for n in range(1000)}
    assert nick_styles == {f"nick{n}" for n in range(NICK_COLOURS)}
    assert NICK_COLOURS == 10


def test_slash_me_in_a_private_message_is_shown_as_an_action() -> None:
    incoming = PrivateFrame(id=2, sender="bob", to="ann", text="/me hugs you", ts=T0)
    outgoing = PrivateFrame(id=3, sender="ann", to="bob", text="/me hugs bob", ts=T0)
    assert as_text(incoming, me="ann") == [f"{AT} [pm from bob] * bob hugs you"]
    assert as_text(outgoing, me="ann") == [f"{AT} [pm to bob] * ann hugs bob"]
    assert "action" in styles(incoming, "ann")


def test_a_random_nickname_is_explained_in_the_welcome() -> None:
    frame = WelcomeFrame(nick="Tamara", requested="alice", renamed=True, users=["Tamara"], ts=T0)
    welcome, online = as_text(frame, me="Tamara")
    assert welcome.startswith(f"{AT} * welcome, Tamara!")
    assert "alice was taken" in welcome
    assert online == f"{AT} * online (1): Tamara"


def test_joins_leaves_and_renames_are_shown() -> None:
    assert as_text(JoinFrame(nick="cy", ts=T0), me="ann") == [f"{AT} * cy joined"]
    assert as_text(LeaveFrame(nick="cy", reason="quit", ts=T0), me="ann") == [
        f"{AT} * cy left (quit)"
    ]
    rename = NickChangedFrame(old="ann", new="anna", ts=T0)
    assert as_text(rename, me="ann") == [f"{AT} * you are now known as anna"]
    assert as_text(rename, me="bob") == [f"{AT} * ann is now known as anna"]


def test_a_leave_shows_the_quit_message_after_the_reason() -> None:
    leave = LeaveFrame(nick="eve", reason="quit", message="gotta go", ts=T0)
    assert as_text(leave, me="ann") == [f"{AT} * eve left (quit: gotta go)"]


def test_a_shutdown_is_one_line_with_the_reason_unless_it_is_the_default() -> None:
    default = ShutdownFrame(reason="server closing", ts=T0)
    given = ShutdownFrame(reason="upgrade, back at 10", ts=T0)
    assert as_text(default, me="ann") == [f"{AT} * the server is shutting down"]
    assert as_text(given, me="ann") == [f"{AT} * the server is shutting down: upgrade, back at 10"]


def test_a_notice_from_the_client_carries_its_time() -> None:
    line = notice("* talking privately with bob", T0)
    assert plain(line) == f"{AT} * talking privately with bob"
    assert line[0] == ("time", AT)


def test_a_pending_line_is_dimmed_whole_and_a_refused_one_says_why() -> None:
    line = pending("ann", None, "hello", T0)
    assert plain(line) == f"{AT} <ann> hello"
    assert {style for style, _ in line} == {"pending"}
    to_bob = pending("ann", "bob", "psst", T0)
    assert plain(to_bob) == f"{AT} [pm to bob] psst"
    no = refused("ann", None, "hello", T0, "slow down (rate_limited)")
    assert plain(no) == f"{AT} <ann> hello  [refused: slow down (rate_limited)]"
    assert no[-1][0] == "error"


def test_a_pending_line_naming_someone_is_not_highlighted() -> None:
    assert {style for style, _ in pending("ann", None, "ann: note to self", T0)} == {"pending"}


def test_errors_are_shown_and_pongs_are_not() -> None:
    error = ErrorFrame(code="nick_taken", message="the nickname bob is taken", ts=T0)
    assert as_text(error, me="ann") == [f"{AT} ! the nickname bob is taken (nick_taken)"]
    assert as_text(PongFrame(token=None, ts=T0), me="ann") == []


def test_a_malformed_line_from_the_server_is_reported_not_fatal() -> None:
    [shown] = as_text(ProtocolError("invalid_frame", "bad"), me="ann")
    assert "malformed" in shown


def test_escape_sequences_and_bidi_overrides_are_shown_escaped() -> None:
    assert printable("\x1b]0;pwned\x07") == "\\u001b]0;pwned\\u0007"
    assert printable("abc\u202edef") == "abc\\u202edef"
    assert printable("plain ünïcode") == "plain ünïcode"


def test_even_a_server_sending_escapes_in_a_message_cannot_reach_the_terminal() -> None:
    frame = PublicFrame(
        id=1, sender="evil\u202e", text="\x1b[2Jcleared?", ts=datetime.now(T0.tzinfo)
    )
    [shown] = as_text(frame, me="ann")
    assert "\x1b" not in shown
    assert "\u202e" not in shown


def test_every_nick_has_one_stable_colour_and_your_own_stands_out() -> None:
    # crc32 of the folded nick: the same in every run and every client
    assert nick_style("bob", me="ann") == nick_style("BOB", me="ann") == "nick4"
    assert nick_style("ann", me="ann") == "self"
    assert len({nick_style(f"user{n}", me="ann") for n in range(100)}) > 6


def test_a_message_naming_you_is_a_mention_and_is_highlighted() -> None:
    assert mentions("hey Ann, lunch?", "ann")
    assert not mentions("hey annabel", "ann")
    frame = PublicFrame(id=1, sender="bob", text="ann: look", ts=T0)
    assert is_mention(frame, "ann")
    [line] = render(frame, "ann")
    assert ("mention", "ann: look") in line
    own = PublicFrame(id=2, sender="ann", text="I am ann", ts=T0)
    assert not is_mention(own, "ann")


def test_a_private_message_naming_you_is_highlighted_too() -> None:
    frame = PrivateFrame(id=2, sender="bob", to="ann", text="ann, are you there?", ts=T0)
    assert is_mention(frame, "ann")
    [line] = render(frame, "ann")
    assert ("mention", "ann, are you there?") in line


def test_slash_me_is_shown_as_an_action() -> None:
    frame = PublicFrame(id=1, sender="alice", text="/me waves", ts=T0)
    assert as_text(frame, me="bob") == [f"{AT} * alice waves"]


def test_a_rename_to_the_same_nick_says_so_rather_than_announcing_a_change() -> None:
    same = NickChangedFrame(old="ann", new="ann", ts=T0)
    assert as_text(same, me="ann") == [f"{AT} * you are already known as ann"]
