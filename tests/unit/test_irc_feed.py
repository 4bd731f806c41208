"""The IRC feed as each client reads it: its own tag variant, its own messages left out
without echo-message, whatever how far behind it is."""

from datetime import UTC, datetime

from app.adapters.irc.feed import FeedView, IrcFeed
from app.adapters.irc.render import SERVER_TIME, Renderer
from app.domain.events import NickChanged, PublicMessage

AT = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


def feed_of(*senders: str) -> IrcFeed:
    feed = IrcFeed(Renderer("irc.test", "#chat", "chatroom"))
    for number, sender in enumerate(senders, start=1):
        feed.publish(PublicMessage(id=number, sender=sender, text=f"m{number}", sent_at=AT))
    return feed


def read_all(view: FeedView, start: int = 0) -> tuple[bytes, int]:
    data, position = bytearray(), start
    while position < view.end:
        chunk, position = view.read(position, view.end, 256 << 10)
        data += chunk
    return bytes(data), position


def test_a_client_far_behind_its_own_long_run_still_reads_what_others_said_after_it() -> None:
    feed = feed_of(*(["ann"] * 5000), "bob")
    view = FeedView(feed)
    view.nick = "ann"
    chunk, position = view.read(0, feed.end, 256 << 10)
    # 5,000 of its own messages skipped in one read, bob's found after them.
    assert position == feed.end
    assert chunk == b":bob!bob@chatroom PRIVMSG #chat m5001\r\n"


def test_what_a_client_owes_counts_its_variant_bytes_without_reading_them() -> None:
    feed = feed_of("bob", "cat")
    view = FeedView(feed)
    plain = view.size(0, feed.end)
    view.variant = SERVER_TIME
    tagged = view.size(0, feed.end)
    assert plain == len(read_all(FeedView(feed))[0])
    assert tagged > plain


def test_a_rename_in_the_feed_moves_what_counts_as_its_own() -> None:
    feed = feed_of("ann")
    feed.publish(NickChanged(old="ann", new="anna", at=AT))
    feed.publish(PublicMessage(id=2, sender="anna", text="as anna", sent_at=AT))
    feed.publish(PublicMessage(id=3, sender="ann", text="someone new", sent_at=AT))
    view = FeedView(feed)
    view.nick = "ann"
    data, _ = read_all(view)
    assert view.nick == "anna"
    assert b"as anna" not in data
    assert b"someone new" in data  # the old nick is someone else's now


def test_released_entries_are_gone_for_good_and_the_rest_still_reads() -> None:
    feed = feed_of(*(["bob"] * 2000))
    feed.release(1500)
    view = FeedView(feed)
    data, position = read_all(view, 1500)
    assert position == 2000
    assert data.count(b"PRIVMSG") == 500
    assert view.size(1500, 2000) == len(data)
