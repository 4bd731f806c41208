"""Every way a client frame can be wrong gets an invalid_frame error in plain words."""

import json
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.adapters.tcp.codec import decode_line
from app.adapters.tcp.wire import ClientFrame, ProtocolError, decode_client_frame
from app.domain.commands import Malformed
from app.domain.errors import InvalidFrame

TYPES = "hello, public, private, users, nick, stats, ping, quit, history"
PYDANTIC_WORDING = (
    "Input should",
    "Extra inputs",
    "Field required",
    "validation error",
    "type=",
    "Invalid JSON",
    "Input tag",
    "Unable to extract",
    "String should",
    "expected_tags",
    "Value error",
)

# One good frame of every type a client may send (with all its fields), and the required ones.
GOOD: dict[str, dict[str, Any]] = {
    "hello": {"type": "hello", "nick": "ann", "resume": {"token": "t", "last_id": 7}},
    "public": {"type": "public", "text": "hi"},
    "private": {"type": "private", "to": "bob", "text": "psst"},
    "users": {"type": "users"},
    "nick": {"type": "nick", "nick": "ann2"},
    "stats": {"type": "stats"},
    "ping": {"type": "ping", "token": "x"},
    "quit": {"type": "quit", "reason": "bye"},
    "history": {"type": "history", "before": 10, "limit": 5},
}
REQUIRED: dict[str, list[str]] = {"public": ["text"], "private": ["to", "text"], "nick": ["nick"]}
ANOTHER_KIND: dict[type, object] = {str: 5, int: "5", dict: 5}  # the good value's -> a bad one


def without(frame: dict[str, Any], field: str) -> dict[str, Any]:
    return {name: value for name, value in frame.items() if name != field}


def line(frame: object) -> bytes:
    return json.dumps(frame).encode()


def client_frame_types() -> list[str]:
    (frames, _) = get_args(ClientFrame)
    return [frame.model_fields["type"].default for frame in get_args(frames)]


def every_way_to_get_it_wrong() -> list[Any]:
    """(line, a part of the sentence naming the field), each way each frame can be wrong."""
    cases = []
    for name in client_frame_types():  # a new frame type without a GOOD example: KeyError
        good = GOOD[name]
        cases += [
            pytest.param(line(good)[:-1], "this line is not JSON (", id=f"{name}-not JSON"),
            pytest.param(line([good]), "a frame is a JSON object like", id=f"{name}-not an object"),
            pytest.param(
                line(without(good, "type")), 'a frame needs a "type"', id=f"{name}-no type"
            ),
            pytest.param(
                line(good | {"type": name.upper()}),
                f'"{name.upper()}" is not a frame type',
                id=f"{name}-unknown type",
            ),
            pytest.param(
                line(good | {"from": "mallory"}),
                f'a "{name}" frame has no field "from"',
                id=f"{name}-extra field",
            ),
        ]
        cases += [
            pytest.param(
                line(without(good, field)),
                f'a "{name}" frame needs "{field}"',
                id=f"{name}-missing {field}",
            )
            for field in REQUIRED.get(name, [])
        ]
        cases += [
            pytest.param(
                line(good | {field: ANOTHER_KIND[type(good[field])]}),
                f'"{field}" in a "{name}" frame must be ',
                id=f"{name}-{field} of the wrong type",
            )
            for field in good
            if field != "type"
        ]
    resume = GOOD["hello"]["resume"]
    for case, named, bad in [
        ("empty token", '"resume.token" in a "hello" frame must be from 1 to 256', {"token": ""}),
        (
            "long token",
            '"resume.token" in a "hello" frame must be from 1 to 256',
            {"token": "t" * 257},
        ),
        (
            "negative last_id",
            '"resume.last_id" in a "hello" frame must be from 0 to',
            {"last_id": -1},
        ),
        (
            "huge last_id",
            '"resume.last_id" in a "hello" frame must be from 0 to',
            {"last_id": 2**63},
        ),
        ("extra field", '"resume" in a "hello" frame has no field "x"', {"x": 1}),
    ]:
        hello = line(GOOD["hello"] | {"resume": resume | bad})
        cases.append(pytest.param(hello, named, id=f"hello-resume {case}"))
    hello = line(GOOD["hello"] | {"resume": without(resume, "last_id")})
    named = '"resume" in a "hello" frame needs "last_id"'
    cases.append(pytest.param(hello, named, id="hello-resume missing last_id"))
    for field, value in [("limit", 0), ("limit", 201), ("before", 0), ("before", 2**63)]:
        history = line(GOOD["history"] | {field: value})
        named = f'"{field}" in a "history" frame must be from 1 to'
        cases.append(pytest.param(history, named, id=f"history-{field} {value}"))
    return cases


def message_for(bad: bytes) -> str:
    with pytest.raises(ProtocolError) as caught:
        decode_client_frame(bad)
    assert caught.value.code == "invalid_frame"
    return caught.value.message


def assert_plain(message: str) -> None:
    assert not [words for words in PYDANTIC_WORDING if words in message], message
    assert len(message) < 200
    assert message.isprintable(), message  # one line, no control characters


@pytest.mark.parametrize(("bad", "named"), every_way_to_get_it_wrong())
def test_every_way_a_frame_can_be_wrong_is_said_in_plain_words_that_name_the_field(
    bad: bytes, named: str
) -> None:
    message = message_for(bad)
    assert_plain(message)
    assert named in message


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            b"not json",
            "a frame is one JSON object per line; this line is not JSON "
            "(Expecting value at column 1)",
        ),
        (
            b'{"type":"public","text":"hi}',
            "a frame is one JSON object per line; this line is not JSON "
            "(Unterminated string starting at column 25)",
        ),
        (
            b'{"type":"public","text":"\xff"}',
            "a frame is one JSON object per line in UTF-8; byte 26 of this line is not UTF-8",
        ),
        (b"[1, 2]", 'a frame is a JSON object like {"type": "public", "text": "hi"}, not a list'),
        (b"null", 'a frame is a JSON object like {"type": "public", "text": "hi"}, not null'),
        (b'{"text":"hi"}', f'a frame needs a "type": one of {TYPES}'),
        (b'{"type":"shout"}', f'"shout" is not a frame type; the types are {TYPES}'),
        (b'{"type":5}', f'"type" must be a string, one of {TYPES}, not a number'),
        (b'{"type":"public"}', 'a "public" frame needs "text" (the message)'),
        (
            b'{"type":"private","text":"hi"}',
            'a "private" frame needs "to" (the nickname to send to)',
        ),
        (
            b'{"type":"public","text":"hi","from":"bob"}',
            'a "public" frame has no field "from"; its fields are type, text',
        ),
        (
            b'{"type":"users","away":true}',
            'a "users" frame has no field "away"; its only field is type',
        ),
        (
            b'{"type":"public","text":5}',
            '"text" in a "public" frame must be a string, not a number',
        ),
        (
            b'{"type":"hello","nick":[]}',
            '"nick" in a "hello" frame must be a string or null, not a list',
        ),
        (
            b'{"type":"history","limit":"50"}',
            '"limit" in a "history" frame must be a whole number, not a string',
        ),
        (
            b'{"type":"history","limit":2.5}',
            '"limit" in a "history" frame must be a whole number, not a decimal number',
        ),
        (
            b'{"type":"history","limit":500}',
            '"limit" in a "history" frame must be from 1 to 200, not 500',
        ),
        (
            b'{"type":"hello","resume":{"token":"t","last_id":-1}}',
            '"resume.last_id" in a "hello" frame must be from 0 to 9223372036854775807, not -1',
        ),
        (
            b'{"type":"hello","resume":{"token":"","last_id":1}}',
            '"resume.token" in a "hello" frame must be from 1 to 256 characters long, not 0',
        ),
        (
            b'{"type":"hello","resume":{"token":"t"}}',
            '"resume" in a "hello" frame needs "last_id" (the newest message id you have seen)',
        ),
        (
            b'{"type":"hello","resume":{"token":"t","last_id":1,"x":1}}',
            '"resume" in a "hello" frame has no field "x"; its fields are token, last_id',
        ),
    ],
)
def test_the_message_for_a_bad_frame_says_what_to_fix(bad: bytes, message: str) -> None:
    assert message_for(bad) == message


@pytest.mark.parametrize(
    ("frame", "shown"),
    [
        ({"type": "\x1b[2J\u202e" + "x" * 500}, '"\\u001b[2J\\u202exxx'),
        ({"type": "public", "text": "hi", "\x1b[31m\n" + "y" * 500: 1}, '"\\u001b[31m\\nyyy'),
        ({"type": "history", "limit": "z" * 500}, "must be a whole number, not a string"),
    ],
    ids=["unknown type", "extra field", "wrong type"],
)
def test_what_the_client_sent_is_shown_back_short_and_escaped(
    frame: dict[str, Any], shown: str
) -> None:
    message = message_for(line(frame))
    assert_plain(message)
    assert shown in message
    assert "x" * 31 not in message
    assert "y" * 31 not in message
    assert "z" not in message


def test_a_number_too_long_to_show_is_not_shown() -> None:
    message = message_for(b'{"type":"history","limit":' + b"9" * 4000 + b"}")
    assert message == '"limit" in a "history" frame must be from 1 to 200, not a number that long'


def test_the_server_answers_a_bad_line_with_the_same_sentence() -> None:
    bad = decode_line(b'{"type":"public","text":"hi","from":"bob"}')
    assert isinstance(bad, Malformed)
    assert isinstance(bad.error, InvalidFrame)
    assert str(bad.error) == 'a "public" frame has no field "from"; its fields are type, text'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
field_names = st.sampled_from(["type", "text", "to", "nick", "resume", "token", "limit", "before"])
frame_like = st.builds(
    lambda tag, fields: fields | {"type": tag},
    st.sampled_from(list(GOOD)),
    st.dictionaries(field_names | st.text(max_size=60), json_values),
)


@given(st.binary(max_size=200) | (json_values | frame_like).map(line))
def test_any_bad_line_gets_a_short_plain_sentence(bad: bytes) -> None:
    try:
        decode_client_frame(bad)
    except ProtocolError as error:
        assert_plain(error.message)
