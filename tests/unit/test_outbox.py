"""A client's outbox: its place in the shared feed and the frames for it alone, in order."""

from collections.abc import Callable, Iterator

from app.adapters.tcp.encoded_feed import EncodedFeed
from app.adapters.tcp.outbox import CHUNK_BYTES, Outbox
from app.adapters.tcp.pass_chunks import PassChunks


def drain(outbox: Outbox, per_send: int = 1 << 30) -> bytes:
    """What a socket taking at most `per_send` bytes a call would receive, until nothing is owed."""
    received = bytearray()
    while chunk := outbox.next_chunk():
        taken = min(per_send, len(chunk))
        received += chunk[:taken]
        outbox.sent(chunk, taken)
    return bytes(received)


def test_frames_for_one_client_go_out_in_order_however_much_each_send_takes() -> None:
    outbox = Outbox(EncodedFeed())
    frames = [b"one\n", b"two\n", b"three\n"]
    outbox.put(frames[0])
    chunk = outbox.next_chunk()
    assert chunk is frames[0]  # a lone frame goes out as it is, uncopied
    outbox.sent(chunk, 2)  # the socket took only part of it
    outbox.put(frames[1])
    outbox.put(frames[2])
    assert b"on" + drain(outbox, per_send=3) == b"".join(frames)
    assert outbox.done()


def test_a_client_follows_the_feed_from_where_it_joined() -> None:
    feed = EncodedFeed()
    feed.append(b"before\n")
    outbox = Outbox(feed)
    outbox.follow()
    feed.append(b"after 1\n")
    feed.append(b"after 2\n")
    assert drain(outbox) == b"after 1\nafter 2\n"


def test_a_frame_for_one_client_keeps_its_place_among_the_broadcasts() -> None:
    feed = EncodedFeed()
    outbox = Outbox(feed)
    outbox.follow()
    outbox.put(b"welcome\n")
    feed.append(b"public 1\n")
    outbox.put(b"private 2\n")
    feed.append(b"public 3\n")
    assert drain(outbox, per_send=5) == b"welcome\npublic 1\nprivate 2\npublic 3\n"


def test_nothing_broadcast_after_leaving_is_owed() -> None:
    feed = EncodedFeed()
    outbox = Outbox(feed)
    outbox.follow()
    feed.append(b"seen\n")
    outbox.unfollow()
    feed.append(b"after the leave\n")
    assert drain(outbox) == b"seen\n"
    assert outbox.done()
    assert outbox.feed_position() is None


def test_a_replay_goes_out_page_by_page_before_the_live_traffic_after_it() -> None:
    feed = EncodedFeed()
    outbox = Outbox(feed)
    drawn: list[int] = []

    def pages() -> Iterator[bytes]:
        for number in range(3):
            drawn.append(number)
            yield f"page {number}\n".encode()

    outbox.follow()
    outbox.put(b"welcome\n")
    outbox.put_pages(pages())
    feed.append(b"live\n")

    chunk = outbox.next_chunk()
    assert chunk == b"welcome\npage 0\n"
    assert drawn == [0]  # the next page is read only when this one has gone
    outbox.sent(chunk, len(chunk))
    assert drain(outbox) == b"page 1\npage 2\nlive\n"


def test_a_client_far_behind_is_sent_the_feed_a_bounded_chunk_at_a_time() -> None:
    feed = EncodedFeed()
    outbox = Outbox(feed)
    outbox.follow()
    frame = b"x" * 999 + b"\n"
    for _ in range(3 * CHUNK_BYTES // len(frame)):
        feed.append(frame)
    first = outbox.next_chunk()
    assert len(first) <= CHUNK_BYTES
    assert len(first) % len(frame) == 0  # whole frames only
    outbox.sent(first, len(first))
    assert len(drain(outbox)) + len(first) == feed.size(0, feed.end)


def test_what_a_client_owes_counts_the_feed_behind_it_and_its_own_frames() -> None:
    feed = EncodedFeed()
    outbox = Outbox(feed)
    outbox.follow()
    feed.append(b"12345\n")
    outbox.put(b"abc\n")
    assert outbox.owed() == 6 + 4
    chunk = outbox.next_chunk()
    outbox.sent(chunk, 3)
    assert outbox.owed() == 7


def test_the_feed_frees_only_what_no_client_still_needs() -> None:
    feed = EncodedFeed()
    slow, fast = Outbox(feed), Outbox(feed)
    slow.follow()
    fast.follow()
    for number in range(100):
        feed.append(b"%04d" % number + b"." * 1000 + b"\n")
    drain(fast)
    feed.release(min(p for p in (slow.feed_position(), fast.feed_position()) if p is not None))
    assert feed.kept_bytes == feed.size(0, 100)  # slow still needs everything
    received = drain(slow)
    assert received.startswith(b"0000")
    assert len(received) == feed.size(0, 100)
    feed.release(feed.end)
    assert feed.kept_bytes == 0
    feed.append(b"next\n")
    assert drain(slow) == b"next\n"


class InterleavedFeed(EncodedFeed):
    """A feed where, the moment an outbox reads where it ends, another I/O thread hands this
    client a private message and publishes the next public one (the worst interleaving)."""

    def __init__(self) -> None:
        self._end_now = 0
        super().__init__()
        self.meanwhile: list[Callable[[], None]] = []

    @property  # type: ignore[override]
    def end(self) -> int:
        actions, self.meanwhile = self.meanwhile, []
        for action in actions:  # what the other thread does just before this read
            action()
        return self._end_now

    @end.setter
    def end(self, value: int) -> None:
        self._end_now = value


def test_a_private_message_keeps_its_place_even_when_another_thread_interleaves() -> None:
    feed = InterleavedFeed()
    outbox = Outbox(feed)
    outbox.follow()
    feed.append(b"public 17\n")
    feed.meanwhile = [lambda: outbox.put(b"private 18\n"), lambda: feed.append(b"public 19\n")]
    assert drain(outbox) == b"public 17\nprivate 18\npublic 19\n"


def test_an_outbox_says_when_a_replay_is_still_being_drawn() -> None:
    outbox = Outbox(EncodedFeed())
    outbox.put_pages(iter([b"page\n"]))
    assert outbox.replaying
    drain(outbox)
    assert not outbox.replaying


def test_clients_at_the_same_position_share_one_read_of_the_feed() -> None:
    feed = EncodedFeed()
    first, second = Outbox(feed), Outbox(feed)
    first.follow()
    second.follow()
    feed.append(b"public 1\n")
    feed.append(b"public 2\n")
    chunks = PassChunks(feed)
    position = first.feed_only_at()
    assert position is not None
    assert position == second.feed_only_at()
    chunk, stop = chunks.chunk_from(position)
    assert chunks.chunk_from(position)[0] is chunk  # read once, sent to both
    assert bytes(chunk) == b"public 1\npublic 2\n"
    assert stop == feed.end


def test_what_a_shared_send_left_over_goes_out_before_a_frame_put_after_it() -> None:
    feed = EncodedFeed()
    outbox = Outbox(feed)
    outbox.follow()
    feed.append(b"public 1\n")
    position = outbox.feed_only_at()
    assert position is not None
    chunk, stop = PassChunks(feed).chunk_from(position)
    outbox.took_feed(chunk, stop, 3)  # the socket took "pub" only
    assert outbox.feed_only_at() is None  # a remainder: not the shared path next time
    outbox.put(b"private 2\n")
    feed.append(b"public 3\n")
    assert b"pub" + drain(outbox, per_send=4) == b"public 1\nprivate 2\npublic 3\n"
    assert bytes(chunk) == b"public 1\n"  # the shared chunk itself is never changed


def test_frames_for_one_client_still_arrive_after_its_queue_emptied() -> None:
    feed = EncodedFeed()
    outbox = Outbox(feed)
    outbox.follow()
    outbox.put(b"welcome\n")
    assert drain(outbox) == b"welcome\n"
    assert outbox.feed_only_at() == feed.end  # nothing of its own waits any more
    outbox.put(b"private\n")
    feed.append(b"public\n")
    assert outbox.feed_only_at() is None
    assert drain(outbox) == b"private\npublic\n"
