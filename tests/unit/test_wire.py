import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.adapters.tcp.codec import decode_line, encode_event
from app.adapters.tcp.framing import Oversized
from app.adapters.tcp.wire import (
    AskHistory,
    AskStats,
    AskUsers,
    ChangeNick,
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
    Quit,
    ResumeFields,
    SendPrivate,
    SendPublic,
    ShutdownFrame,
    StatsFrame,
    UsersFrame,
    WelcomeFrame,
    decode_client_frame,
    decode_server_frame,
    encode_frame,
    format_timestamp,
)
from app.domain import commands
from app.domain.errors import FrameTooLarge, InvalidFrame
from app.domain.events import History, PrivateMessage, PublicMessage, UserLeft, Welcome
from app.domain.text import MAX_QUIT_MESSAGE_CHARS
from tests.fakes import T0

TS = format_timestamp(T0)

texts = st.text(max_size=40)
# What may be shown as text: no control characters, line separators or lone surrogates.
shown_texts = st.text(
    st.characters(blacklist_categories=("Cc", "Zl", "Zp", "Cs")), min_size=1, max_size=40
).filter(lambda text: not text.isspace())
nicks = st.text(min_size=1, max_size=32)
stamps = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))

ids = st.integers(1, 2**53)
client_frames = st.one_of(
    st.builds(
        Hello,
        nick=st.none() | nicks,
        resume=st.none()
        | st.builds(ResumeFields, token=st.text(min_size=1, max_size=40), last_id=ids | st.just(0)),
    ),
    st.builds(AskHistory, before=st.none() | ids, limit=st.integers(1, 200)),
    st.builds(SendPublic, text=texts),
    st.builds(SendPrivate, to=nicks, text=texts),
    st.builds(AskUsers),
    st.builds(ChangeNick, nick=nicks),
    st.builds(AskStats),
    st.builds(Ping, token=st.none() | texts),
    st.builds(Quit, reason=st.none() | texts),
)
server_frames = st.one_of(
    st.builds(
        WelcomeFrame,
        nick=nicks,
        requested=st.none() | nicks,
        renamed=st.booleans(),
        users=st.lists(nicks),
        ts=stamps,
        resume_token=st.text(min_size=1, max_size=40),
        resumed=st.booleans(),
        last_id=st.integers(0, 2**53),
    ),
    st.builds(
        HistoryFrame,
        reason=st.sampled_from(["backlog", "resume", "request"]),
        messages=st.lists(
            st.builds(PublicFrame, id=ids, sender=nicks, text=texts, ts=stamps)
            | st.builds(PrivateFrame, id=ids, sender=nicks, to=nicks, text=texts, ts=stamps),
            max_size=3,
        ),
        more=st.booleans(),
        gap=st.booleans(),
        ts=stamps,
    ),
    st.builds(PublicFrame, id=st.integers(1, 2**53), sender=nicks, text=texts, ts=stamps),
    st.builds(
        PrivateFrame, id=st.integers(1, 2**53), sender=nicks, to=nicks, text=texts, ts=stamps
    ),
    st.builds(JoinFrame, nick=nicks, ts=stamps),
    st.builds(LeaveFrame, nick=nicks, reason=texts, message=st.none() | shown_texts, ts=stamps),
    st.builds(NickChangedFrame, old=nicks, new=nicks, ts=stamps),
    st.builds(UsersFrame, users=st.lists(nicks), ts=stamps),
    st.builds(
        StatsFrame,
        users=st.integers(0, 10**6),
        public_total=st.integers(0, 10**9),
        private_total=st.integers(0, 10**9),
        ts=stamps,
    ),
    st.builds(PongFrame, token=st.none() | texts, ts=stamps),
    st.builds(
        ErrorFrame,
        code=st.sampled_from(["invalid_frame", "nick_taken", "rate_limited"]),
        message=texts,
        ts=stamps,
    ),
    st.builds(ShutdownFrame, reason=texts, ts=stamps),
)


@given(client_frames)
def test_every_valid_client_frame_round_trips(frame: object) -> None:
    line = encode_frame(frame)  # type: ignore[arg-type]
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert decode_client_frame(line.rstrip(b"\n")) == frame


@given(server_frames)
def test_every_valid_server_frame_round_trips(frame: object) -> None:
    line = encode_frame(frame)  # type: ignore[arg-type]
    assert line.count(b"\n") == 1
    assert decode_server_frame(line.rstrip(b"\n")) == frame


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise_anything_but_a_protocol_error(line: bytes) -> None:
    for decode in (decode_client_frame, decode_server_frame):
        try:
            decode(line)
        except ProtocolError as error:
            assert error.code == "invalid_frame"


@given(
    st.dictionaries(
        st.sampled_from(["type", "text", "to", "nick", "x"]), st.none() | texts | st.integers()
    )
)
def test_arbitrary_json_objects_never_raise_anything_but_a_protocol_error(
    obj: dict[str, object],
) -> None:
    try:
        decode_client_frame(json.dumps(obj).encode())
    except ProtocolError as error:
        assert error.message


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        (b"not json", "JSON"),
        (b'{"text":"hi"}', "type"),
        (b'{"type":"shout","text":"hi"}', "is not a frame type"),
        (b'{"type":"public"}', "text"),
        (b'{"type":"public","text":5}', "text"),
        (b'{"type":"public","text":"hi","from":"mallory"}', "from"),
    ],
)
def test_a_bad_frame_is_an_invalid_frame_error_that_says_what_is_wrong(
    line: bytes, hint: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_client_frame(line)
    assert caught.value.code == "invalid_frame"
    assert hint in caught.value.message


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            b'{"type":"public","id":1,"text":"x","ts":"' + TS.encode() + b'"}',
            'a "public" frame needs "from"',
        ),
        (
            b'{"type":"pong","token":5,"ts":"' + TS.encode() + b'"}',
            '"token" in a "pong" frame must be a string or null, not a number',
        ),
    ],
)
def test_the_client_says_in_words_what_is_wrong_with_a_server_frame(
    line: bytes, message: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_server_frame(line)
    assert caught.value.message == message


def test_server_timestamps_are_rfc3339_utc_with_milliseconds() -> None:
    assert format_timestamp(T0) == "2026-11-23T20:57:43.123Z"


def test_a_private_message_is_encoded_as_the_protocol_shows_it() -> None:
    line = encode_event(
        PrivateMessage(id=18, sender="alice", recipient="bob", text="psst", sent_at=T0)
    )
    assert json.loads(line) == {
        "type": "private",
        "id": 18,
        "from": "alice",
        "to": "bob",
        "text": "psst",
        "ts": "2026-11-23T20:57:43.123Z",
    }


def test_the_client_refuses_a_server_frame_with_a_naive_timestamp() -> None:
    with pytest.raises(ProtocolError):
        decode_server_frame(b'{"type":"join","nick":"a","ts":"2026-11-23T20:57:43"}')


def test_the_welcome_carries_what_a_client_needs_to_resume() -> None:
    line = encode_event(
        Welcome(
            nick="alice",
            requested="alice",
            renamed=False,
            users=("alice",),
            at=T0,
            resume_token="tok",
            resumed=True,
            last_id=1300,
        )
    )
    fields = json.loads(line)
    assert (fields["resume_token"], fields["resumed"], fields["last_id"]) == ("tok", True, 1300)


def test_a_history_frame_holds_whole_message_frames_oldest_first() -> None:
    line = encode_event(
        History(
            reason="backlog",
            messages=(
                PublicMessage(id=1, sender="bob", text="hi", sent_at=T0),
                PrivateMessage(id=2, sender="bob", recipient="alice", text="psst", sent_at=T0),
            ),
            more=False,
            at=T0,
        )
    )
    assert json.loads(line) == {
        "type": "history",
        "reason": "backlog",
        "messages": [
            {"type": "public", "id": 1, "from": "bob", "text": "hi", "ts": format_timestamp(T0)},
            {
                "type": "private",
                "id": 2,
                "from": "bob",
                "to": "alice",
                "text": "psst",
                "ts": format_timestamp(T0),
            },
        ],
        "more": False,
        "gap": False,
        "ts": format_timestamp(T0),
    }


@pytest.mark.parametrize(
    "line",
    [
        b'{"type":"history","limit":0}',
        b'{"type":"history","limit":201}',
        b'{"type":"history","before":0}',
        b'{"type":"history","before":9223372036854775808}',
        b'{"type":"hello","nick":"a","resume":{"token":"t","last_id":9223372036854775808}}',
        b'{"type":"history","limit":"50"}',
        b'{"type":"hello","nick":"a","resume":{"token":"t","last_id":-1}}',
        b'{"type":"hello","nick":"a","resume":{"token":"","last_id":1}}',
        b'{"type":"hello","nick":"a","resume":{"token":"t","last_id":1,"x":1}}',
    ],
)
def test_a_history_request_or_resume_out_of_bounds_is_an_invalid_frame(line: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_client_frame(line)
    assert caught.value.code == "invalid_frame"


def test_a_history_request_defaults_to_the_newest_fifty() -> None:
    assert decode_line(b'{"type":"history"}') == commands.FetchHistory(before=None, limit=50)


def test_a_client_ignores_server_fields_it_does_not_know_the_server_refuses_client_ones() -> None:
    newer = b'{"type":"join","nick":"a","ts":"2026-11-23T20:57:43.123Z","away":true}'
    assert decode_server_frame(newer) == JoinFrame(nick="a", ts=T0)
    with pytest.raises(ProtocolError):
        decode_client_frame(b'{"type":"users","away":true}')


def test_a_leave_carries_the_goodbye_of_a_quit_and_has_no_message_field_without_one() -> None:
    goodbye = encode_event(UserLeft(nick="eve", reason="quit", at=T0, message="gotta go"))
    silent = encode_event(UserLeft(nick="eve", reason="disconnected", at=T0))
    assert json.loads(goodbye) == {
        "type": "leave",
        "nick": "eve",
        "reason": "quit",
        "message": "gotta go",
        "ts": TS,
    }
    assert json.loads(silent) == {
        "type": "leave",
        "nick": "eve",
        "reason": "disconnected",
        "ts": TS,
    }
    for line in (goodbye, silent):
        assert encode_frame(decode_server_frame(line.rstrip(b"\n"))) == line


def test_a_leave_frame_with_or_without_a_message_round_trips() -> None:
    goodbye = "x" * MAX_QUIT_MESSAGE_CHARS
    with_goodbye = LeaveFrame(nick="eve", reason="quit", message=goodbye, ts=T0)
    without = LeaveFrame(nick="eve", reason="disconnected", ts=T0)
    for frame in (with_goodbye, without):
        assert decode_server_frame(encode_frame(frame).rstrip(b"\n")) == frame
    decoded = decode_server_frame(encode_frame(with_goodbye).rstrip(b"\n"))
    assert isinstance(decoded, LeaveFrame)
    assert decoded.message == goodbye
    assert b"message" not in encode_frame(without)


@pytest.mark.parametrize(
    "message",
    ["x" * (MAX_QUIT_MESSAGE_CHARS + 1), "two\nlines", "\u001b[2J", "", "  "],
    ids=["201 characters", "line break", "escape", "empty", "blank"],
)
def test_the_client_refuses_a_leave_whose_message_breaks_the_text_rules(message: str) -> None:
    frame = {"type": "leave", "nick": "eve", "reason": "quit", "message": message, "ts": TS}
    line = json.dumps(frame).encode()
    with pytest.raises(ProtocolError) as caught:
        decode_server_frame(line)
    assert caught.value.code == "invalid_frame"


def test_a_quit_whatever_its_reason_is_a_quit_the_service_judges_the_reason() -> None:
    line = json.dumps({"type": "quit", "reason": "x" * 10_000 + "\n"}).encode()
    assert decode_line(line) == commands.Leave(reason="x" * 10_000 + "\n")


def test_lines_become_protocol_neutral_commands() -> None:
    resume = b'{"type":"hello","nick":"ann","resume":{"token":"t","last_id":7}}'
    assert decode_line(resume) == commands.Join(
        nick="ann", resume=commands.ResumeRequest(token="t", last_id=7)
    )
    assert decode_line(b'{"type":"quit"}') == commands.Leave(reason=None)
    bad = decode_line(b"{")
    assert isinstance(bad, commands.Malformed)
    assert isinstance(bad.error, InvalidFrame)
    too_long = decode_line(Oversized())
    assert isinstance(too_long, commands.Malformed)
    assert isinstance(too_long.error, FrameTooLarge)
