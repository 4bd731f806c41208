from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.adapters.irc.message import (
    MAX_CLIENT_TAG_BYTES,
    IrcMessage,
    IrcParseError,
    format_line,
    parse_line,
    prefix_bytes,
)


def parse(line: bytes) -> IrcMessage:
    message = parse_line(line)
    assert message is not None
    return message


def test_a_plain_command_is_upper_cased_and_split_into_params() -> None:
    assert parse(b"privmsg #room hello") == IrcMessage("PRIVMSG", ("#room", "hello"))


def test_a_numeric_stays_its_digits() -> None:
    assert parse(b":irc.example 001 ada :Welcome").command == "001"


def test_an_unknown_command_comes_back_for_the_caller_to_refuse() -> None:
    assert parse(b"frobnicate x").command == "FROBNICATE"


def test_tags_are_unescaped_and_a_tag_without_value_is_empty() -> None:
    message = parse(b"@a=b\\\\and\\nk;c=72\\s45;d=gh\\:764;k;+draft/reply=1 TAGMSG #room")
    assert message.tags == {
        "a": "b\\and\nk",
        "c": "72 45",
        "d": "gh;764",
        "k": "",
        "+draft/reply": "1",
    }


def test_tag_escapes_unknown_and_trailing_backslash() -> None:
    message = parse(b"@a=value\\1;b=value2\\;c=\\\\\\r\\n PING")
    assert message.tags == {"a": "value1", "b": "value2", "c": "\\\r\n"}


def test_a_later_duplicate_tag_wins() -> None:
    assert parse(b"@t=1;u=2;t=3 PING").tags == {"t": "3", "u": "2"}


def test_an_empty_tag_from_a_stray_semicolon_is_skipped() -> None:
    assert parse(b"@a=1;;b; PING").tags == {"a": "1", "b": ""}


@pytest.mark.parametrize("key", [b"=1", b"caf\xc3\xa9=1", b"a_b", b"a;+", b"a+b", b"a\\r=1"])
def test_a_tag_name_outside_the_grammar_is_refused(key: bytes) -> None:
    with pytest.raises(IrcParseError) as error:
        parse_line(b"@" + key + b" PING")
    assert not error.value.too_long


def test_tags_and_source_and_params_together() -> None:
    assert parse(b"@c;h=;a=b :quux ab cd") == IrcMessage(
        "AB", ("cd",), {"c": "", "h": "", "a": "b"}, "quux"
    )


@pytest.mark.parametrize(
    ("line", "params"),
    [
        (b"PRIVMSG #room :hello there", ("#room", "hello there")),
        (b"PRIVMSG #room :lol :) ", ("#room", "lol :) ")),
        (b"PRIVMSG #room ::starts with a colon", ("#room", ":starts with a colon")),
        (b"PRIVMSG #room :", ("#room", "")),
        (b"PRIVMSG #room :  ", ("#room", "  ")),
        (b"JOIN :#room", ("#room",)),
        (b"MODE   #room    +o   ada  ", ("#room", "+o", "ada")),
        (b"AWAY ", ()),
        (b"PRIVMSG a\tb :x", ("a\tb", "x")),  # a tab is no separator
    ],
)
def test_params_and_the_trailing_param(line: bytes, params: tuple[str, ...]) -> None:
    assert parse(line).params == params


def test_more_than_fifteen_params_are_folded_into_the_last() -> None:
    words = [f"p{n}" for n in range(1, 19)]
    message = parse(b"CMD " + " ".join(words).encode() + b" :and the rest")
    assert len(message.params) == 15
    assert message.params[:14] == tuple(words[:14])
    assert message.params[14] == "p15 p16 p17 p18 and the rest"


@pytest.mark.parametrize("line", [b"", b" ", b"    "])
def test_a_blank_line_is_ignored(line: bytes) -> None:
    assert parse_line(line) is None


@pytest.mark.parametrize("line", [b"@a=1", b"@a=1   ", b":ada", b":ada  ", b"@a=1 :ada "])
def test_a_line_without_a_command_is_refused(line: bytes) -> None:
    with pytest.raises(IrcParseError, match="command"):
        parse_line(line)


def test_a_line_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(IrcParseError, match="UTF-8") as error:
        parse_line(b"PRIVMSG #room :caf\xe9")
    assert not error.value.too_long


def test_tags_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(IrcParseError, match="UTF-8"):
        parse_line(b"@a=\xff PING")


@pytest.mark.parametrize("line", [b"PRIVMSG #room :a\x00b", b"@a=\x00 PING", b"PI\x00NG"])
def test_a_nul_anywhere_is_refused(line: bytes) -> None:
    with pytest.raises(IrcParseError, match="NUL"):
        parse_line(line)


def test_a_line_of_510_bytes_passes_and_one_more_is_too_long() -> None:
    line = b"PRIVMSG #room :" + b"x" * (510 - 15)
    assert len(line) == 510
    assert parse(line).params[1] == "x" * 495
    for longer in (line + b"x", b"PRIVMSG #room :" + b"x" * (513 - 15)):
        with pytest.raises(IrcParseError) as error:
            parse_line(longer)
        assert error.value.too_long


def test_tags_do_not_count_against_the_512_bytes() -> None:
    tags = b"@" + b"a" * 100 + b"=" + b"v" * 2000
    line = b"PRIVMSG #room :" + b"x" * (510 - 15)
    assert parse(tags + b" " + line).params[1] == "x" * 495


def test_tags_beyond_their_own_limit_are_too_long() -> None:
    assert parse(b"@a=" + b"v" * (MAX_CLIENT_TAG_BYTES - 2) + b" PING").command == "PING"
    with pytest.raises(IrcParseError) as error:
        parse_line(b"@a=" + b"v" * (MAX_CLIENT_TAG_BYTES - 1) + b" PING")
    assert error.value.too_long


def test_format_writes_crlf_and_a_colon_only_where_needed() -> None:
    assert format_line("PING", "token") == b"PING token\r\n"
    assert format_line("PRIVMSG", "#room", "hi there") == b"PRIVMSG #room :hi there\r\n"
    assert format_line("PRIVMSG", "#room", ":)") == b"PRIVMSG #room ::)\r\n"
    assert format_line("AWAY", "") == b"AWAY :\r\n"
    assert format_line("AWAY") == b"AWAY\r\n"


def test_format_writes_source_and_escaped_tags_in_order() -> None:
    line = format_line(
        "PRIVMSG",
        "#room",
        "hi",
        source="ada!ada@host",
        tags={"time": "2024-01-01T00:00:00.000Z", "k": "", "x": "a b;c\\d\r\n"},
    )
    assert line == (
        b"@time=2024-01-01T00:00:00.000Z;k;x=a\\sb\\:c\\\\d\\r\\n"
        b" :ada!ada@host PRIVMSG #room hi\r\n"
    )


@pytest.mark.parametrize("middle", ["two words", "", ":colon"])
def test_only_the_last_param_may_need_a_colon(middle: str) -> None:
    with pytest.raises(ValueError, match="last"):
        format_line("PRIVMSG", middle, "text")


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: format_line("PRIVMSG", "#room", "forged\r\nQUIT"), "CR, LF or NUL"),
        (lambda: format_line("PRIVMSG", "#room", "nul\x00"), "CR, LF or NUL"),
        (lambda: format_line("PRIVMSG", "#room", "x", source="a\nb"), "CR, LF or NUL"),
        (lambda: format_line("PRIVMSG", "#room", "x", source="a b"), "source"),
        (lambda: format_line("TAGMSG", "#room", tags={"bad key": "v"}), "tag name"),
        (lambda: format_line(""), "command"),
        (lambda: format_line("TWO WORDS"), "command"),
        (lambda: format_line("CMD", *"abcdefghijklmnop"), "at most 15 params"),
    ],
)
def test_a_line_that_could_not_be_read_back_is_a_programming_error(
    call: Callable[[], bytes], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        call()


def test_prefix_bytes_counts_utf8_and_the_colon_and_space() -> None:
    assert prefix_bytes("zoë!z@h") == len(":zoë!z@h ".encode())


no_line_breaks = st.characters(codec="utf-8", exclude_characters="\r\n\x00")
words = st.text(no_line_breaks.filter(lambda c: c != " "), min_size=1, max_size=12)
middles = words.filter(lambda w: not w.startswith(":"))
tag_keys = st.from_regex(r"\+?[A-Za-z0-9][A-Za-z0-9/.\-]{0,15}", fullmatch=True)


@given(
    command=st.from_regex(r"[A-Za-z]{1,12}|[0-9]{3}", fullmatch=True),
    params=st.lists(middles, max_size=14),
    last=st.none() | st.text(no_line_breaks, max_size=60),
    source=st.none() | words,
    tags=st.dictionaries(
        tag_keys, st.text(st.characters(codec="utf-8", exclude_characters="\x00")), max_size=5
    ),
)
def test_what_is_formatted_parses_back_the_same(
    command: str,
    params: list[str],
    last: str | None,
    source: str | None,
    tags: dict[str, str],
) -> None:
    all_params = (*params, last) if last is not None else tuple(params)
    line = format_line(command, *all_params, source=source, tags=tags)
    assert line.endswith(b"\r\n")
    assert line.count(b"\n") == 1
    tag_bytes = line.index(b" ") + 1 if tags else 0
    assume(len(line) - tag_bytes <= 512)
    assert parse_line(line.removesuffix(b"\r\n")) == IrcMessage(
        command.upper(), all_params, tags, source
    )


@given(st.binary(max_size=600))
def test_any_bytes_parse_or_fail_with_a_reason(line: bytes) -> None:
    try:
        parse_line(line)
    except IrcParseError as error:
        assert error.reason
