import pytest

from app.adapters.storage.memory import InMemoryRoomStore
from app.domain.errors import (
    AlreadyRegistered,
    InvalidFrame,
    InvalidNick,
    InvalidText,
    NickTaken,
    NoSuchUser,
    NotRegistered,
    ServerClosing,
    StorageFailed,
)
from app.domain.events import (
    NickChanged,
    Pong,
    PrivateMessage,
    PublicMessage,
    ServerShutdown,
    StatsReport,
    UserJoined,
    UserLeft,
    UserList,
    Welcome,
)
from app.services.chat import Departure
from tests.fakes import T0
from tests.unit.room_harness import RoomHarness


def test_a_newcomer_is_welcomed_with_the_users_online_and_the_others_hear_of_it() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    bob = room.person()

    room.chat.join(bob, "bob")

    assert bob.received == [
        Welcome(
            nick="bob",
            requested="bob",
            renamed=False,
            users=("ann", "bob"),
            at=T0,
            resume_token=room.secrets.given[-1],
            resumed=False,
            last_id=0,
        )
    ]
    assert ann.received == [UserJoined(nick="bob", at=T0)]


def test_a_taken_nick_is_replaced_by_a_random_one_and_the_welcome_says_so() -> None:
    room = RoomHarness(None, "Tamara")
    room.joined("alice")
    newcomer = room.person()

    room.chat.join(newcomer, "Alice")

    welcome = newcomer.received[0]
    assert isinstance(welcome, Welcome)
    assert (welcome.nick, welcome.requested, welcome.renamed) == ("Tamara", "Alice", True)
    assert welcome.users == ("alice", "Tamara")


def test_an_invalid_nick_is_refused_and_the_client_may_try_again() -> None:
    room = RoomHarness()
    person = room.person()
    with pytest.raises(InvalidNick):
        room.chat.join(person, "no spaces")
    room.chat.join(person, "fine")
    assert room.chat.snapshot().users == 1


def test_saying_hello_twice_is_refused() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    with pytest.raises(AlreadyRegistered):
        room.chat.join(ann, "ann2")


def test_a_public_message_reaches_everyone_sender_included_and_is_logged() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")

    room.chat.say_public(ann, "hi all")

    sent = PublicMessage(id=1, sender="ann", text="hi all", sent_at=T0)
    assert ann.received == [sent]
    assert bob.received == [sent]
    assert room.store.public == [sent]


def test_a_private_message_reaches_only_its_recipient_and_is_logged() -> None:
    room = RoomHarness()
    ann, bob, cy = room.joined("ann", "bob", "cy")

    room.chat.say_private(ann, to="BOB", text="psst")

    sent = PrivateMessage(id=1, sender="ann", recipient="bob", text="psst", sent_at=T0)
    assert bob.received == [sent]
    assert ann.received == [sent]  # the sender gets an echo
    assert cy.received == []
    assert room.store.private == [sent]


def test_a_private_message_keeps_its_place_among_the_public_ones() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    room.chat.say_public(ann, "one")
    room.chat.say_private(ann, "bob", "two")
    room.chat.say_public(ann, "three")
    assert [getattr(event, "text", None) for event in bob.received] == ["one", "two", "three"]


def test_a_note_to_oneself_arrives_once() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    room.chat.say_private(ann, to="ann", text="remember")
    assert len(ann.received) == 1


def test_a_private_message_to_nobody_is_refused_and_not_logged() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    with pytest.raises(NoSuchUser):
        room.chat.say_private(ann, to="ghost", text="hello?")
    assert room.store.private == []


def test_message_ids_increase_across_public_and_private_messages() -> None:
    room = RoomHarness()
    ann, _bob = room.joined("ann", "bob")
    ids = [
        room.chat.say_public(ann, "one").id,
        room.chat.say_private(ann, "bob", "two").id,
        room.chat.say_public(ann, "three").id,
    ]
    assert ids == [1, 2, 3]


def test_ids_and_totals_carry_on_after_the_messages_already_logged() -> None:
    room = RoomHarness(InMemoryRoomStore(logged_public=120, logged_private=7))
    (ann,) = room.joined("ann")

    assert room.chat.say_public(ann, "next").id == 128
    snapshot = room.chat.snapshot()
    assert (snapshot.public_total, snapshot.private_total) == (121, 7)


def test_bad_text_is_refused_and_neither_delivered_logged_nor_counted() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    for text in ["", "   ", "two\nlines", "x" * 2001]:
        with pytest.raises(InvalidText):
            room.chat.say_public(ann, text)
    assert bob.received == []
    assert room.store.public == []
    assert room.chat.snapshot().public_total == 0


def test_before_hello_nothing_but_hello_is_served() -> None:
    room = RoomHarness()
    room.joined("ann")
    stranger = room.person()
    chat = room.chat
    for request in [
        lambda: chat.say_public(stranger, "hi"),
        lambda: chat.say_private(stranger, "ann", "hi"),
        lambda: chat.list_users(stranger),
        lambda: chat.rename(stranger, "x"),
        lambda: chat.report_stats(stranger),
        lambda: chat.ping(stranger, None),
        lambda: chat.history(stranger, None, 10),
    ]:
        with pytest.raises(NotRegistered):
            request()
    assert stranger.received == []


def test_the_user_list_is_sorted_case_insensitively() -> None:
    room = RoomHarness()
    ann, _, _ = room.joined("ann", "Bob", "carl")
    room.chat.list_users(ann)
    assert ann.received == [UserList(users=("ann", "Bob", "carl"), at=T0)]


def test_a_nick_change_is_announced_to_everyone_and_frees_the_old_nick() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")

    room.chat.rename(ann, "anna")

    change = NickChanged(old="ann", new="anna", at=T0)
    assert ann.received == [change]
    assert bob.received == [change]
    newcomer = room.person()
    room.chat.join(newcomer, "ann")
    welcome = newcomer.received[0]
    assert isinstance(welcome, Welcome)
    assert (welcome.nick, welcome.renamed, welcome.users) == ("ann", False, ("ann", "anna", "bob"))


def test_a_change_to_the_very_same_nick_is_told_to_the_requester_only() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    room.chat.rename(ann, "ann")
    assert ann.received == [NickChanged(old="ann", new="ann", at=T0)]
    assert bob.received == []


def test_a_nick_change_to_a_taken_nick_is_refused() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    with pytest.raises(NickTaken):
        room.chat.rename(ann, "BOB")
    assert bob.received == []


def test_messages_after_a_rename_carry_the_new_nick() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    room.chat.rename(ann, "anna")
    assert room.chat.say_public(ann, "hi").sender == "anna"


def test_stats_report_users_and_message_totals_from_the_store() -> None:
    room = RoomHarness(InMemoryRoomStore(logged_public=3, logged_private=1))
    ann, _ = room.joined("ann", "bob")
    room.chat.say_private(ann, "bob", "x")
    ann.take()
    room.chat.report_stats(ann)
    assert ann.received == [StatsReport(users=2, public_total=3, private_total=2, at=T0)]


def test_a_ping_is_answered_with_its_token() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    room.chat.ping(ann, "abc")
    assert ann.received == [Pong(token="abc", at=T0)]


def test_quitting_is_announced_once_to_those_who_stay_and_frees_the_nick() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")

    assert room.chat.quit(ann, "quit") == Departure(nick="ann", message=None)
    assert room.chat.quit(ann, "quit") is None
    assert room.chat.drop(ann, "disconnected") is None

    assert bob.received == [UserLeft(nick="ann", reason="quit", at=T0)]
    assert ann.received == []
    assert room.chat.snapshot().users == 1
    newcomer = room.person()
    assert room.chat.join(newcomer, "ann").renamed is False


def test_a_goodbye_is_shown_to_those_who_stay_and_a_broken_one_is_dropped() -> None:
    room = RoomHarness()
    ann, bob, cy = room.joined("ann", "bob", "cy")

    assert room.chat.quit(ann, "quit", "gotta go") == Departure(nick="ann", message="gotta go")
    departure = room.chat.quit(bob, "quit", "bye\x1b[2J")

    assert departure is not None
    assert (departure.nick, departure.message) == ("bob", None)
    assert departure.dropped == "a message may not contain control characters or line breaks"
    assert cy.received == [
        UserLeft(nick="ann", reason="quit", at=T0, message="gotta go"),
        UserLeft(nick="bob", reason="quit", at=T0),
    ]
    assert room.chat.snapshot().users == 1


def test_a_failing_log_refuses_the_message_and_reuses_its_id_once_the_log_recovers() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    room.store.failing = True
    with pytest.raises(StorageFailed):
        room.chat.say_public(ann, "lost?")
    assert bob.received == []
    room.store.failing = False

    assert room.chat.say_public(ann, "again").id == 1
    assert room.chat.snapshot().public_total == 1


def test_shutdown_tells_everyone_then_accepts_nothing_new() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")

    room.chat.shut_down("server closing")

    assert ann.received == [ServerShutdown(reason="server closing", at=T0)]
    with pytest.raises(ServerClosing):
        room.chat.say_public(ann, "too late")
    with pytest.raises(ServerClosing):
        room.chat.join(room.person(), "late")
    room.chat.drop(ann, "server_shutdown")
    assert bob.received == [ServerShutdown(reason="server closing", at=T0)]  # no leave noise


def test_a_history_limit_outside_one_to_two_hundred_is_refused() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    for limit in (0, 201):
        with pytest.raises(InvalidFrame):
            room.chat.history(ann, None, limit)


def test_after_the_shutdown_frame_nothing_more_is_answered() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    room.chat.shut_down("server closing")
    chat = room.chat
    for request in [
        lambda: chat.list_users(ann),
        lambda: chat.report_stats(ann),
        lambda: chat.ping(ann, "x"),
        lambda: chat.history(ann, None, 10),
        lambda: chat.rename(ann, "anna"),
    ]:
        with pytest.raises(ServerClosing):
            request()
    assert ann.received == [ServerShutdown(reason="server closing", at=T0)]


def test_history_that_cannot_be_read_is_a_storage_error_and_a_join_goes_on_without_one() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    room.chat.say_public(ann, "hi")
    room.store.failing_reads = True
    with pytest.raises(StorageFailed, match="history"):
        room.chat.history(ann, None, 10)
    bob = room.person()
    room.chat.join(bob, "bob")
    assert [type(event) for event in bob.received] == [Welcome]  # no backlog, still welcome
