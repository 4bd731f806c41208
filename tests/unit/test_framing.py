from hypothesis import given
from hypothesis import strategies as st

from app.adapters.tcp.framing import LineSplitter, Oversized


def feed_all(splitter: LineSplitter, chunks: list[bytes]) -> list[bytes | Oversized]:
    return [line for chunk in chunks for line in splitter.feed(chunk)]


def test_a_frame_cut_into_one_byte_reads_comes_out_whole() -> None:
    data = b'{"type":"users"}\n{"type":"stats"}\n'
    assert feed_all(LineSplitter(), [bytes([b]) for b in data]) == [
        b'{"type":"users"}',
        b'{"type":"stats"}',
    ]


def test_a_carriage_return_before_the_newline_is_tolerated() -> None:
    assert LineSplitter().feed(b"abc\r\n") == [b"abc"]


def test_an_unfinished_line_waits_for_its_end() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"abc") == []
    assert splitter.feed(b"def\n") == [b"abcdef"]


def test_a_line_exactly_at_the_limit_passes_and_one_byte_more_does_not() -> None:
    splitter = LineSplitter(limit=8)
    assert splitter.feed(b"1234567\n") == [b"1234567"]
    assert splitter.feed(b"12345678\nok\n") == [Oversized(), b"ok"]


def test_an_overlong_line_is_reported_once_and_its_rest_skipped() -> None:
    splitter = LineSplitter(limit=8)
    out = feed_all(splitter, [b"x" * 5, b"x" * 5, b"x" * 20, b"xx\nnext\n"])
    assert out == [Oversized(), b"next"]
    assert splitter.buffered == 0


@given(st.lists(st.binary(max_size=50), max_size=20), st.integers(min_value=2, max_value=64))
def test_memory_held_never_exceeds_the_limit(chunks: list[bytes], limit: int) -> None:
    splitter = LineSplitter(limit=limit)
    for chunk in chunks:
        splitter.feed(chunk)
        assert splitter.buffered < limit


@given(st.lists(st.binary(max_size=30).filter(lambda b: b"\n" not in b), max_size=10), st.data())
def test_lines_under_the_limit_survive_any_chunking(
    lines: list[bytes], data: st.DataObject
) -> None:
    stream = b"".join(line + b"\n" for line in lines)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    expected = [line.removesuffix(b"\r") for line in lines]
    assert feed_all(LineSplitter(limit=64), chunks) == expected
