import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.adapters.tcp.frames import encode_event
from app.adapters.tcp.wire import (
    AskStats,
    AskUsers,
    ChangeNick,
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
    Quit,
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
from app.domain.events import PrivateMessage
from tests.fakes import T0

texts = st.text(max_size=40)
nicks = st.text(min_size=1, max_size=32)
stamps = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))

client_frames = st.one_of(
    st.builds(Hello, nick=st.none() | nicks),
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
    ),
    st.builds(PublicFrame, id=st.integers(1, 2**53), sender=nicks, text=texts, ts=stamps),
    st.builds(
        PrivateFrame, id=st.integers(1, 2**53), sender=nicks, to=nicks, text=texts, ts=stamps
    ),
    st.builds(JoinFrame, nick=nicks, ts=stamps),
    st.builds(LeaveFrame, nick=nicks, reason=texts, ts=stamps),
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
        (b'{"type":"shout","text":"hi"}', "unknown frame type"),
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
