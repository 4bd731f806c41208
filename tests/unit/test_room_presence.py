"""Registered but not in the room: a member that stepped out (an IRC client that parted, or
one that registered without joining) keeps its nick and its private messages, but is not
listed, not counted, and hears nothing of the room until it comes back in."""

import pytest

from app.domain.errors import NickTaken, NoSuchUser
from app.domain.events import (
    Entered,
    History,
    PrivateMessage,
    PublicMessage,
    UserJoined,
    UserLeft,
    UserList,
    Welcome,
)
from app.domain.nicknames import NicknameRegistry
from app.domain.room import Room
from tests.fakes import T0
from tests.unit.room_harness import RoomHarness

# --- the room -----------------------------------------------------------------------------


def room_of(*members: str) -> Room[str]:
    """A room whose members are named for their nicks."""
    room: Room[str] = Room(NicknameRegistry(lambda: "guest"))
    for member in members:
        room.admit(member, member)
    return room


def test_a_member_that_stepped_out_is_reachable_but_not_listed_or_counted() -> None:
    room = room_of("ann", "bob", "cat")

    assert room.step_out("bob") is True

    assert room.nicks() == ("ann", "cat")
    assert len(room) == 2
    assert room.find("BOB") == "bob"  # private messages still find it
    assert "bob" in room
    assert not room.is_in("bob")
    assert room.is_in("ann")


def test_stepping_out_twice_or_in_while_in_changes_nothing() -> None:
    room = room_of("ann", "bob")

    assert room.step_in("bob") is False
    assert room.step_out("bob") is True
    assert room.step_out("bob") is False

    assert room.nicks() == ("ann",)


def test_a_member_steps_back_in_where_the_list_sorts_it() -> None:
    room = room_of("ann", "bob", "cat")
    room.step_out("bob")

    assert room.step_in("bob") is True

    assert room.nicks() == ("ann", "bob", "cat")
    assert len(room) == 3
    assert room.is_in("bob")


def test_a_rename_while_out_keeps_the_member_out_under_its_new_nick() -> None:
    room = room_of("ann", "bob")
    room.step_out("bob")

    assert room.rename("bob", "rob") == ("bob", "rob")

    assert room.nicks() == ("ann",)
    assert len(room) == 1
    assert room.find("rob") == "bob"
    with pytest.raises(NoSuchUser):
        room.find("bob")
    room.step_in("bob")
    assert room.nicks() == ("ann", "rob")


def test_a_member_in_the_room_that_steps_away_and_comes_back_is_listed_again() -> None:
    room = room_of("ann", "bob", "cat")

    room.step_away("bob")
    assert room.nicks() == ("ann", "cat")
    with pytest.raises(NoSuchUser):
        room.find("bob")

    room.come_back("bob")
    assert room.nicks() == ("ann", "bob", "cat")


def test_a_member_that_stepped_out_then_away_leaves_the_others_listed() -> None:
    room = room_of("ann", "bob", "cat")
    room.step_out("bob")

    room.step_away("bob")

    assert room.nicks() == ("ann", "cat")
    assert len(room) == 2
    with pytest.raises(NoSuchUser):
        room.find("bob")
    room.come_back("bob")  # as a resume: back in the room
    assert room.nicks() == ("ann", "bob", "cat")
    assert room.is_in("bob")


def test_removing_a_member_that_stepped_out_frees_its_nick_and_leaves_the_list_alone() -> None:
    room = room_of("ann", "bob", "cat")
    room.step_out("bob")

    assert room.remove("bob") == "bob"

    assert room.nicks() == ("ann", "cat")
    assert "bob" not in room
    with pytest.raises(NoSuchUser):
        room.find("bob")
    room.admit("newbob", "bob", exact=True)  # its nick is free again
    assert room.nicks() == ("ann", "bob", "cat")


def test_a_member_admitted_not_present_is_reachable_but_not_listed() -> None:
    room = room_of("ann")

    room.admit("bob", "bob", present=False)

    assert room.nicks() == ("ann",)
    assert room.find("bob") == "bob"
    assert not room.is_in("bob")


def test_an_exact_admit_under_a_taken_nick_is_refused_and_changes_nothing() -> None:
    room = room_of("ann")

    with pytest.raises(NickTaken):
        room.admit("other", "ANN", exact=True)

    assert "other" not in room
    assert room.nicks() == ("ann",)
    assert room.find("ann") == "ann"


# --- the chat service ---------------------------------------------------------------------


def public(message_id: int, sender: str, text: str) -> PublicMessage:
    return PublicMessage(id=message_id, sender=sender, text=text, sent_at=T0)


def test_part_announces_the_leave_with_its_message_and_stops_the_feed() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")

    parted = room.chat.part(ann, "back soon")
    assert parted is not None
    assert (parted.nick, parted.message) == ("ann", "back soon")

    leave = UserLeft(nick="ann", reason="part", at=T0, message="back soon")
    assert bob.take() == [leave]
    assert ann.take() == [leave]  # its own part in its place, as IRC clients expect, then no more
    assert not room.chat.is_in(ann)
    assert room.chat.is_registered(ann)
    room.chat.say_public(bob, "anyone?")
    assert ann.take() == []


def test_a_parted_client_still_gets_private_messages_and_holds_its_nick() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    room.chat.part(ann)
    bob.take()
    ann.take()

    room.chat.say_private(bob, "ann", "psst")

    assert ann.take() == [
        PrivateMessage(id=1, sender="bob", recipient="ann", text="psst", sent_at=T0)
    ]
    with pytest.raises(NickTaken):
        room.chat.join(room.person(), "ann", exact=True)


def test_part_when_not_in_the_room_announces_nothing() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    room.chat.part(ann)
    bob.take()

    assert room.chat.part(ann, "again") is None

    assert bob.take() == []


def test_enter_announces_the_join_then_gives_who_is_there_and_the_backlog() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    room.chat.part(ann)
    room.chat.say_public(bob, "while you were out")
    bob.take()
    assert ann.take() == [UserLeft(nick="ann", reason="part", at=T0)]  # and not what followed

    assert room.chat.enter(ann) is True

    assert bob.take() == [UserJoined(nick="ann", at=T0)]
    assert ann.take() == [
        Entered(nick="ann", users=("ann", "bob"), at=T0),
        History(
            reason="backlog",
            messages=(public(1, "bob", "while you were out"),),
            more=False,
            at=T0,
        ),
    ]
    assert room.chat.is_in(ann)
    room.chat.say_public(bob, "welcome back")
    assert ann.take() == [public(2, "bob", "welcome back")]


def test_enter_when_in_the_room_already_changes_nothing() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")

    assert room.chat.enter(ann) is False

    assert ann.take() == []
    assert bob.take() == []


def test_a_join_not_present_is_welcomed_alone_and_hears_nothing_of_the_room() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    room.chat.say_public(ann, "before")
    ann.take()
    bob = room.person()

    room.chat.join(bob, "bob", present=False)

    (welcome,) = bob.take()  # no backlog either: it is not in the room
    assert isinstance(welcome, Welcome)
    assert (welcome.nick, welcome.users) == ("bob", ("ann",))
    assert ann.take() == []
    assert not room.chat.is_in(bob)
    room.chat.say_public(ann, "after")
    assert bob.take() == []


def test_quit_of_a_parted_client_announces_no_second_leave() -> None:
    room = RoomHarness()
    ann, bob = room.joined("ann", "bob")
    room.chat.part(ann)
    bob.take()

    departure = room.chat.quit(ann, "quit", "bye")

    assert departure is not None
    assert departure.nick == "ann"
    assert bob.take() == []
    assert not room.chat.is_registered(ann)


def test_drop_of_a_parted_client_announces_no_leave_and_keeps_the_others_listed() -> None:
    room = RoomHarness()
    ann, bob, _cat = room.joined("ann", "bob", "cat")
    room.chat.part(bob)
    ann.take()

    assert room.chat.drop(bob, "disconnected") == "bob"

    assert ann.take() == []
    assert room.chat.snapshot().users == 2
    room.chat.list_users(ann)
    assert ann.take() == [UserList(users=("ann", "cat"), at=T0)]


def test_an_exact_join_under_a_taken_nick_raises_and_changes_nothing() -> None:
    room = RoomHarness()
    (ann,) = room.joined("ann")
    other = room.person()

    with pytest.raises(NickTaken):
        room.chat.join(other, "Ann", exact=True)

    assert other.take() == []
    assert ann.take() == []
    assert not room.chat.is_registered(other)
    assert room.chat.snapshot().users == 1
    room.chat.join(other, "ann2", exact=True)  # it may try again
    assert room.chat.is_registered(other)


def test_a_session_that_is_not_resumable_is_never_stored_so_no_restart_holds_its_nick() -> None:
    room = RoomHarness()
    irc_user = room.person()
    welcome_nick = room.chat.join(irc_user, "ann", resumable=False).nick
    assert welcome_nick == "ann"
    assert room.store.sessions() == []  # a crash now leaves nothing to restore
    room.chat.drop(irc_user, "disconnected")
    assert room.store.sessions() == []
    restarted = RoomHarness(store=room.store)
    newcomer = restarted.person()
    assert restarted.chat.join(newcomer, "ann", exact=True).nick == "ann"
