"""Backlog on joining, history on request, and resuming a dropped session: the room's memory,
through the chat service on fakes."""

import pytest

from app.adapters.storage.memory import InMemoryRoomStore
from app.domain.commands import ResumeRequest
from app.domain.errors import NickTaken, NoSuchUser
from app.domain.events import (
    ChatEvent,
    History,
    PrivateMessage,
    PublicMessage,
    UserJoined,
    UserLeft,
    Welcome,
)
from app.services.history import PAGE_TEXT_CHARS, RESUME_PAGE_MESSAGES
from tests.fakes import RecordingRecipient
from tests.unit.room_harness import RoomHarness


def welcome_of(person: RecordingRecipient) -> Welcome:
    welcome = person.received[0]
    assert isinstance(welcome, Welcome)
    return welcome


def histories(events: list[ChatEvent]) -> list[History]:
    return [event for event in events if isinstance(event, History)]


def texts(history: History) -> list[str]:
    return [message.text for message in history.messages]


def message_ids(events: list[ChatEvent]) -> list[int]:
    ids = []
    for event in events:
        found = event.messages if isinstance(event, History) else (event,)
        ids += [m.id for m in found if isinstance(m, PublicMessage | PrivateMessage)]
    return ids


def said(room: RoomHarness, person: RecordingRecipient, *lines: str) -> None:
    for line in lines:
        room.chat.say_public(person, line)


# --- backlog ---------------------------------------------------------------------------------


def test_a_newcomer_gets_the_newest_public_messages_right_after_the_welcome() -> None:
    room = RoomHarness(backlog=3)
    ann, _bob = room.joined("ann", "bob")
    said(room, ann, "one", "two")
    room.chat.say_private(ann, "bob", "not for you")
    said(room, ann, "three", "four")
    cy = room.person()

    room.chat.join(cy, "cy")

    welcome, backlog = cy.received
    assert isinstance(welcome, Welcome)
    assert welcome.last_id == 5
    assert isinstance(backlog, History)
    assert (backlog.reason, texts(backlog), backlog.more) == (
        "backlog",
        ["two", "three", "four"],
        True,
    )


def test_no_backlog_in_a_room_that_never_had_a_message_or_when_switched_off() -> None:
    empty = RoomHarness()
    person = empty.person()
    empty.chat.join(person, "ann")
    assert histories(person.received) == []

    off = RoomHarness(backlog=0)
    (ann,) = off.joined("ann")
    said(off, ann, "hi")
    late = off.person()
    off.chat.join(late, "late")
    assert histories(late.received) == []


def test_the_whole_backlog_of_a_quiet_room_says_there_is_nothing_older() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    said(room, ann, "only")
    cy = room.person()
    room.chat.join(cy, "cy")
    (backlog,) = histories(cy.received)
    assert (texts(backlog), backlog.more) == (["only"], False)


# --- history on request ----------------------------------------------------------------------


def test_history_pages_back_to_the_first_message_public_ones_only() -> None:
    room = RoomHarness()
    ann, _bob = room.joined("ann", "bob")
    said(room, ann, "m1", "m2", "m3")
    room.chat.say_private(ann, "bob", "secret")
    said(room, ann, "m5")
    ann.take()

    room.chat.history(ann, None, 2)
    room.chat.history(ann, 3, 2)
    room.chat.history(ann, 1, 2)

    newest, older, none = histories(ann.received)
    assert (texts(newest), newest.more, newest.reason) == (["m3", "m5"], True, "request")
    assert (texts(older), older.more) == (["m1", "m2"], False)
    assert (texts(none), none.more) == ([], False)


def test_a_history_page_stays_within_its_text_budget_and_says_there_is_more() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    long_text = "x" * 2000
    count = PAGE_TEXT_CHARS // 2000 + 5
    said(room, ann, *[long_text] * count)
    ann.take()
    room.chat.history(ann, None, 200)
    (page,) = histories(ann.received)
    assert len(page.messages) == PAGE_TEXT_CHARS // 2000
    assert page.more
    assert page.messages[-1].id == count  # the newest ones are the ones kept


# --- dropping and resuming -------------------------------------------------------------------


def test_a_dropped_client_is_seen_leaving_and_its_nick_stays_reserved() -> None:
    room = RoomHarness(None, "Zed")
    ann, bob = room.joined("ann", "bob")

    assert room.chat.drop(ann, "disconnected") == "ann"

    assert bob.received == [UserLeft(nick="ann", reason="disconnected", at=room.clock.now())]
    taker = room.person()
    room.chat.join(taker, "ANN")
    assert (welcome_of(taker).nick, welcome_of(taker).renamed) == ("Zed", True)
    with pytest.raises(NickTaken):
        room.chat.rename(bob, "ann")
    with pytest.raises(NoSuchUser):
        room.chat.say_private(bob, "ann", "are you there?")
    assert room.chat.snapshot().users == 2  # bob and Zed: ann is away, not online


def test_after_the_grace_the_nick_is_free_and_the_token_no_longer_resumes() -> None:
    room = RoomHarness(grace=120)
    (ann,) = room.joined("ann")
    token = room.secrets.given[-1]  # ann's resume token
    room.chat.drop(ann, "disconnected")

    room.clock.advance(120)

    newcomer = room.person()
    room.chat.join(newcomer, "ann")
    assert (welcome_of(newcomer).nick, welcome_of(newcomer).renamed) == ("ann", False)
    late = room.person()
    room.chat.join(late, "ann2", ResumeRequest(token=token, last_id=0))
    assert welcome_of(late).resumed is False


def test_resuming_gets_the_nick_back_and_every_missed_message_then_live_traffic() -> None:
    room = RoomHarness()
    ann, bob, cy = room.joined("ann", "bob", "cy")
    token = room.secrets.given[1]  # ann's: her session id came first, then her token
    said(room, bob, "before")
    room.chat.drop(ann, "disconnected")
    said(room, bob, "while away 1")
    room.chat.say_private(bob, "cy", "not for ann")
    said(room, cy, "while away 2")
    bob.take()

    back = room.person()
    joined = room.chat.join(back, "ann", ResumeRequest(token=token, last_id=1))
    said(room, bob, "live")

    assert (joined.nick, joined.resumed) == ("ann", True)
    welcome = back.received[0]
    assert isinstance(welcome, Welcome)
    assert (welcome.nick, welcome.resumed, welcome.last_id) == ("ann", True, 4)
    assert welcome.resume_token not in ("", token)  # a fresh one: the old one is spent
    (replay,) = histories(back.received)
    assert (replay.reason, texts(replay), replay.more, replay.gap) == (
        "resume",
        ["while away 1", "while away 2"],
        False,
        False,
    )
    assert message_ids(back.received) == [2, 4, 5]
    assert UserJoined(nick="ann", at=room.clock.now()) in bob.received


def test_a_replay_holds_the_sessions_own_private_messages_and_no_one_elses() -> None:
    room = RoomHarness()
    ann, bob, cy = room.joined("ann", "bob", "cy")
    token = room.secrets.given[1]
    room.chat.drop(ann, "disconnected")
    room.chat.say_private(bob, "cy", "bob to cy")
    room.chat.quit(cy, "quit")
    other = room.person()
    room.chat.join(other, "cy")  # a new cy: not ann's business either
    room.chat.say_private(bob, "cy", "bob to the new cy")
    back = room.person()

    room.chat.join(back, "ann", ResumeRequest(token=token, last_id=0))

    assert histories(back.received)[0].messages == ()


def test_private_messages_the_session_sent_or_received_before_the_drop_are_replayed() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    token = room.secrets.given[1]
    room.chat.say_private(bob, "ann", "to ann")  # id 1
    room.chat.say_private(ann, "bob", "from ann")  # id 2
    room.chat.drop(ann, "disconnected")  # say she never read either
    back = room.person()

    room.chat.join(back, "ann", ResumeRequest(token=token, last_id=0))

    assert message_ids(back.received) == [1, 2]


def test_a_long_absence_is_replayed_in_pages_of_at_most_five_hundred() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    token = room.secrets.given[1]
    room.chat.drop(ann, "disconnected")
    said(room, bob, *[f"m{n}" for n in range(RESUME_PAGE_MESSAGES + 20)])
    back = room.person()

    room.chat.join(back, "ann", ResumeRequest(token=token, last_id=0))

    pages = histories(back.received)
    assert [len(page.messages) for page in pages] == [RESUME_PAGE_MESSAGES, 20]
    assert [page.more for page in pages] == [True, False]
    assert message_ids(back.received) == list(range(1, RESUME_PAGE_MESSAGES + 21))


def test_a_replay_says_so_when_the_store_no_longer_holds_part_of_the_gap() -> None:
    room = RoomHarness(InMemoryRoomStore(keep_last=3))
    ann, bob = room.joined("ann", "bob")
    token = room.secrets.given[1]
    room.chat.drop(ann, "disconnected")
    said(room, bob, "1", "2", "3", "4", "5")
    back = room.person()

    room.chat.join(back, "ann", ResumeRequest(token=token, last_id=0))

    (replay,) = histories(back.received)
    assert (texts(replay), replay.gap) == (["3", "4", "5"], True)


def test_messages_from_before_the_first_hello_are_not_replayed_as_missed() -> None:
    room = RoomHarness(backlog=0)
    (bob,) = room.joined("bob")
    said(room, bob, "old 1", "old 2")
    (ann,) = room.joined("ann")
    token = room.secrets.given[-1]
    room.chat.drop(ann, "disconnected")
    said(room, bob, "missed")
    back = room.person()

    room.chat.join(back, "ann", ResumeRequest(token=token, last_id=0))

    assert texts(histories(back.received)[0]) == ["missed"]


def test_a_forged_token_is_an_ordinary_join_and_leaves_the_real_session_alone() -> None:
    room = RoomHarness(None, "Zed")
    (ann,) = room.joined("ann")
    token = room.secrets.given[1]
    room.chat.drop(ann, "disconnected")
    forger = room.person()

    room.chat.join(forger, "ann", ResumeRequest(token="guess", last_id=0))

    assert (welcome_of(forger).nick, welcome_of(forger).resumed) == ("Zed", False)
    back = room.person()
    assert room.chat.join(back, "ann", ResumeRequest(token=token, last_id=0)).resumed


def test_a_token_resumes_once_the_client_has_its_new_one() -> None:
    room = RoomHarness(None, "Zed")
    (ann,) = room.joined("ann")
    token = room.secrets.given[1]
    room.chat.drop(ann, "disconnected")
    first = room.person()
    room.chat.join(first, "ann", ResumeRequest(token=token, last_id=0))
    room.chat.confirm(first)  # it sent something: the welcome with the new token reached it
    room.chat.drop(first, "disconnected")
    second = room.person()

    assert room.chat.join(second, "ann", ResumeRequest(token=token, last_id=0)).resumed is False


def test_a_resume_whose_welcome_was_lost_can_be_tried_again_with_the_same_token() -> None:
    room = RoomHarness(None, "Zed")
    (ann,) = room.joined("ann")
    token = room.secrets.given[1]
    room.chat.drop(ann, "disconnected")
    lost = room.person()
    room.chat.join(lost, "ann", ResumeRequest(token=token, last_id=0))
    never_seen = room.secrets.given[-1]  # the new token, in a welcome that never arrived
    room.chat.drop(lost, "disconnected")

    again = room.person()
    assert room.chat.join(again, "ann", ResumeRequest(token=token, last_id=0)).resumed
    room.chat.confirm(again)
    room.chat.drop(again, "disconnected")
    for spent in (token, never_seen):
        late = room.person()
        assert room.chat.join(late, "x", ResumeRequest(token=spent, last_id=0)).resumed is False


def test_quitting_ends_the_session_for_good() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    token = room.secrets.given[1]
    room.chat.quit(ann, "quit")
    again = room.person()
    assert room.chat.join(again, "ann", ResumeRequest(token=token, last_id=0)).resumed is False


def test_resuming_a_session_whose_old_connection_still_looks_alive_takes_it_over() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    token = room.secrets.given[1]
    said(room, bob, "seen")

    second = room.person()
    joined = room.chat.join(second, "ann", ResumeRequest(token=token, last_id=1))

    assert joined.resumed
    assert ann.ended == "replaced"
    said(room, bob, "after")
    assert [getattr(e, "text", None) for e in ann.received] == ["seen"]  # nothing after
    assert message_ids(second.received) == [2]
    assert room.chat.snapshot().users == 2


def test_sessions_outlive_a_restart_with_their_grace_counted_from_the_drop() -> None:
    store = RoomHarness().store
    first = RoomHarness(store, "Zed", grace=120)
    ann, bob = first.joined("ann", "bob")
    token = first.secrets.given[1]
    said(first, bob, "before the restart")
    first.chat.shut_down("server closing")

    later = RoomHarness(store, "Zed", grace=120, clock=first.clock)
    later.clock.advance(60)
    taker = later.person()
    later.chat.join(taker, "ann")
    assert welcome_of(taker).nick == "Zed"  # still reserved
    back = later.person()
    joined = later.chat.join(back, "ann", ResumeRequest(token=token, last_id=0))
    assert (joined.nick, joined.resumed) == ("ann", True)
    assert texts(histories(back.received)[0]) == ["before the restart"]

    later.clock.advance(61)  # bob's grace, counted from the shutdown, is over
    bob_again = later.person()
    later.chat.join(bob_again, "bob")
    assert welcome_of(bob_again).nick == "bob"
    del ann


def test_past_the_limit_of_waiting_sessions_the_oldest_is_closed_early() -> None:
    room = RoomHarness(max_waiting=2)
    ann, bob, cy, dan = room.joined("ann", "bob", "cy", "dan")
    ann_token = room.secrets.given[1]
    for person in (ann, bob, cy):  # three waiting: one too many
        room.chat.drop(person, "disconnected")

    newcomer = room.person()
    room.chat.join(newcomer, "ann")
    assert (welcome_of(newcomer).nick, welcome_of(newcomer).renamed) == ("ann", False)
    back = room.person()
    assert room.chat.join(back, "x", ResumeRequest(token=ann_token, last_id=0)).resumed is False
    assert room.chat.snapshot().users == 3  # dan, the new ann, and x; bob and cy still wait
    del dan
