"""A cluster node's chat service: every change is a write to the shared store, and what a
client hears comes back through the stream."""

import json
from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest

from app.adapters.tcp.codec import encode_event
from app.domain.commands import ResumeRequest, SayPublic
from app.domain.errors import (
    AlreadyRegistered,
    InvalidNick,
    NickTaken,
    NoSuchUser,
    NotRegistered,
    ServerClosing,
    Unavailable,
)
from app.domain.events import (
    History,
    NickChanged,
    PublicMessage,
    Refusal,
    StatsReport,
    UserJoined,
    UserLeft,
    UserList,
    Welcome,
)
from app.domain.flood import FloodLimits
from app.domain.metrics import MetricsSnapshot
from app.services.cluster_ports import StoreUnavailable
from app.services.connection import Connection, ConnectionPolicy, Verdict
from app.services.membership import Joined
from tests.cluster_fakes import SharedRoom
from tests.fakes import T0, RecordingRecipient
from tests.unit.cluster_harness import ClusterNodeHarness


def welcome_of(person: RecordingRecipient) -> Welcome:
    welcome = person.received[0]
    assert isinstance(welcome, Welcome)
    return welcome


def texts(events: Sequence[object]) -> list[str]:
    return [event.text for event in events if isinstance(event, PublicMessage)]


# --- saying hello ---------------------------------------------------------------------------


def test_a_sender_hears_its_own_message_only_when_the_stream_brings_it() -> None:
    node = ClusterNodeHarness()
    ann, bob = node.joined("ann", "bob")

    message_id = node.say(ann, "hi all")

    assert message_id == 1
    assert ann.received == []
    assert bob.received == []
    node.pump()
    sent = PublicMessage(id=1, sender="ann", text="hi all", sent_at=T0)
    assert ann.received == [sent]
    assert bob.received == [sent]


def test_a_nick_taken_on_another_node_is_replaced_by_a_suggestion_and_the_welcome_says_so() -> None:
    room = SharedRoom()
    ClusterNodeHarness(room, node="node1").joined("alice")
    two = ClusterNodeHarness(room, "Tamara", node="node2")
    newcomer = two.person()

    joined = two.chat.join(newcomer, "ALICE")
    two.pump()

    assert joined == Joined(nick="Tamara", renamed=True, resumed=False)
    welcome = welcome_of(newcomer)
    assert (welcome.nick, welcome.requested, welcome.renamed) == ("Tamara", "ALICE", True)
    assert welcome.users == ("alice", "Tamara")


def test_with_every_suggestion_taken_a_numbered_one_is_given() -> None:
    room = SharedRoom()
    ClusterNodeHarness(room, node="node1").joined("Zed", "ann")
    two = ClusterNodeHarness(room, *["Zed"] * 20, node="node2")
    newcomer = two.person()

    two.chat.join(newcomer, "ann")
    two.pump()

    assert welcome_of(newcomer).nick == "Zed2"


def test_an_invalid_nick_is_refused_and_the_client_may_try_again() -> None:
    node = ClusterNodeHarness()
    person = node.person()

    with pytest.raises(InvalidNick):
        node.chat.join(person, "no spaces")
    node.pump()
    assert person.received == []
    assert node.room.entries == []  # nothing was written

    node.chat.join(person, "fine")
    node.pump()
    assert welcome_of(person).nick == "fine"


def test_saying_hello_twice_is_refused() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")
    with pytest.raises(AlreadyRegistered):
        node.chat.join(ann, "ann2")


def test_nothing_may_be_said_before_hello() -> None:
    node = ClusterNodeHarness()
    with pytest.raises(NotRegistered):
        node.say(node.person(), "hi")


def test_a_newcomer_is_shown_the_backlog_after_its_welcome() -> None:
    node = ClusterNodeHarness(backlog=2)
    (ann,) = node.joined("ann")
    for text in ("one", "two", "three"):
        node.say(ann, text)
    node.pump()
    bob = node.person()

    node.chat.join(bob, "bob")
    node.pump()

    welcome, backlog = bob.received
    assert isinstance(welcome, Welcome)
    assert welcome.last_id == 3
    assert isinstance(backlog, History)
    assert (backlog.reason, backlog.more) == ("backlog", True)
    assert [message.text for message in backlog.messages] == ["two", "three"]


def test_a_message_said_just_after_a_join_reaches_the_newcomer_once() -> None:
    node = ClusterNodeHarness(backlog=50)
    (ann,) = node.joined("ann")
    node.say(ann, "before")
    node.pump()
    bob = node.person()

    node.chat.join(bob, "bob")
    node.say(ann, "after")  # in the stream after bob's join, unread by the node
    node.pump()

    welcome, backlog, *live = bob.received
    assert isinstance(welcome, Welcome)
    assert welcome.last_id == 1
    assert isinstance(backlog, History)
    assert [message.text for message in backlog.messages] == ["before"]
    assert texts(live) == ["after"]


# --- resuming ---------------------------------------------------------------------------------


def test_a_resume_with_an_unknown_token_opens_a_new_session() -> None:
    node = ClusterNodeHarness()
    person = node.person()

    joined = node.chat.join(person, "ann", ResumeRequest(token="nobody's", last_id=7))
    node.pump()

    assert joined == Joined(nick="ann", renamed=False, resumed=False)
    welcome = welcome_of(person)
    assert (welcome.nick, welcome.resumed, welcome.renamed) == ("ann", False, False)


def test_a_resumed_client_keeps_its_nick_whatever_it_asks_for() -> None:
    node = ClusterNodeHarness()
    ann = node.person()
    node.chat.join(ann, "ann")
    node.pump()
    token = welcome_of(ann).resume_token
    assert token is not None
    node.chat.drop(ann, "disconnected")

    again = node.person()
    joined = node.chat.join(again, "someone_else", ResumeRequest(token=token, last_id=0))
    node.pump()

    assert joined == Joined(nick="ann", renamed=False, resumed=True)
    welcome = welcome_of(again)
    assert (welcome.nick, welcome.requested, welcome.renamed, welcome.resumed) == (
        "ann",
        "someone_else",
        False,
        True,
    )
    assert welcome.resume_token not in (None, token)


def test_once_confirmed_the_token_resumed_with_is_spent() -> None:
    node = ClusterNodeHarness()
    ann = node.person()
    node.chat.join(ann, "ann")
    node.pump()
    first = welcome_of(ann).resume_token
    assert first is not None
    node.chat.drop(ann, "disconnected")
    again = node.person()
    node.chat.join(again, "ann", ResumeRequest(token=first, last_id=0))
    node.pump()

    node.chat.confirm(again)
    node.chat.drop(again, "disconnected")
    stranger = node.person()
    joined = node.chat.join(stranger, None, ResumeRequest(token=first, last_id=0))

    assert joined.resumed is False
    assert joined.nick != "ann"


def test_an_old_connection_found_dead_after_a_resume_on_the_same_node_leaves_the_new_one_be() -> (
    None
):
    node = ClusterNodeHarness()
    ann = node.person()
    node.chat.join(ann, "ann")
    (bob,) = node.joined("bob")
    token = welcome_of(ann).resume_token
    assert token is not None

    again = node.person()
    node.chat.join(again, "ann", ResumeRequest(token=token, last_id=0))
    node.chat.drop(ann, "disconnected")  # the half-open connection is noticed only now
    node.pump()

    assert again.ended is None
    node.say(bob, "still with us?")
    node.pump()
    assert texts(again.received) == ["still with us?"]
    assert "ann" in node.room.online


# --- leaving ------------------------------------------------------------------------------------


def test_a_quit_is_heard_with_its_goodbye_and_frees_the_nick() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    ann, bob = one.joined("ann", "bob")

    departure = one.chat.quit(ann, "quit", "bye now")
    one.pump()

    assert departure is not None
    assert (departure.nick, departure.message) == ("ann", "bye now")
    assert bob.received == [UserLeft(nick="ann", reason="quit", at=T0, message="bye now")]
    assert ann.received == []
    newcomer = two.person()
    two.chat.join(newcomer, "ann")
    two.pump()
    assert welcome_of(newcomer).nick == "ann"


def test_a_drop_the_store_missed_is_sent_at_the_next_heartbeat_once() -> None:
    node = ClusterNodeHarness()
    ann, bob = node.joined("ann", "bob")
    node.room.unavailable = True

    assert node.chat.drop(ann, "disconnected") == "ann"
    assert node.chat.ghosts_suspected
    node.clock.advance(1)
    with pytest.raises(StoreUnavailable):
        node.chat.release_ghosts()  # still away: the heartbeat tries again at its next beat
    node.room.unavailable = False
    node.pump()
    assert bob.received == []
    assert "ann" in node.room.online

    node.clock.advance(1)
    assert node.chat.release_ghosts() == 1
    assert node.chat.release_ghosts() == 0
    node.pump()

    # Said when it could be: the connection's drop, as the others learn of it.
    assert bob.received == [
        UserLeft(nick="ann", reason="disconnected", at=T0 + timedelta(seconds=2))
    ]
    assert "ann" not in node.room.online
    assert not node.chat.is_registered(ann)


def test_a_missed_drop_once_sent_is_not_sent_again() -> None:
    node = ClusterNodeHarness()
    ann = node.person()
    node.chat.join(ann, "ann")
    node.joined("bob")
    token = welcome_of(ann).resume_token
    assert token is not None
    node.room.unavailable = True
    node.chat.drop(ann, "disconnected")
    node.room.unavailable = False
    node.chat.release_ghosts()
    again = node.person()
    node.chat.join(again, "ann", ResumeRequest(token=token, last_id=0))
    node.pump()

    node.chat.release_ghosts()  # the heartbeat after
    node.pump()

    assert again.ended is None
    assert "ann" in node.room.online


def test_a_drop_retried_after_the_session_was_resumed_here_leaves_the_new_connection_be() -> None:
    node = ClusterNodeHarness()
    ann = node.person()
    node.chat.join(ann, "ann")
    node.joined("bob")
    token = welcome_of(ann).resume_token
    assert token is not None
    node.room.unavailable = True
    node.chat.drop(ann, "disconnected")
    node.room.unavailable = False
    again = node.person()
    node.chat.join(again, "ann", ResumeRequest(token=token, last_id=0))
    node.pump()

    node.chat.release_ghosts()  # the next heartbeat
    node.pump()

    assert again.ended is None
    assert "ann" in node.room.online


def test_a_drop_retried_after_the_session_was_resumed_elsewhere_changes_nothing() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    ann = one.person()
    one.chat.join(ann, "ann")
    one.pump()
    token = welcome_of(ann).resume_token
    assert token is not None
    room.unavailable = True
    one.chat.drop(ann, "disconnected")
    room.unavailable = False
    again = two.person()
    two.chat.join(again, "ann", ResumeRequest(token=token, last_id=0))

    one.chat.release_ghosts()  # the session is node2's now: the store refuses, nothing is said
    two.pump()

    assert isinstance(again.received[0], Welcome)
    assert again.ended is None
    assert room.sessions[room.online["ann"]].node == "node2"


# --- the store away -----------------------------------------------------------------------------


def store_away(how: str) -> Callable[[ClusterNodeHarness], None]:
    def unavailable(node: ClusterNodeHarness) -> None:
        node.room.unavailable = True

    def fenced(node: ClusterNodeHarness) -> None:
        node.room.reap(node.store.node, T0)  # declared dead by the others

    def lost(node: ClusterNodeHarness) -> None:
        node.room.lost = True

    return {"unavailable": unavailable, "fenced": fenced, "lost": lost}[how]


@pytest.mark.parametrize("how", ["unavailable", "fenced", "lost"])
def test_a_message_the_store_could_not_take_is_refused_as_unavailable(how: str) -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")
    connection = Connection(
        node.chat,
        ann,
        policy=ConnectionPolicy(flood=FloodLimits.unlimited()),
        clock=node.clock,
        events=node.events,
        now=1000.0,
    )
    store_away(how)(node)

    verdict = connection.receive(SayPublic(text="anyone?"), 1000.0)
    node.chat.publisher.send_waiting(0.0)  # the node's writer tries; the store does not take it

    assert verdict is Verdict.CONTINUE
    (refusal,) = ann.received
    assert isinstance(refusal, Refusal)
    assert isinstance(refusal.error, Unavailable)
    assert json.loads(encode_event(refusal))["code"] == "unavailable"
    assert node.room.public == 0  # nothing was sent


@pytest.mark.parametrize("how", ["unavailable", "fenced", "lost"])
def test_a_hello_the_store_could_not_take_is_refused_as_unavailable_and_may_be_repeated(
    how: str,
) -> None:
    node = ClusterNodeHarness()
    person = node.person()
    store_away(how)(node)

    with pytest.raises(Unavailable):
        node.chat.join(person, "ann")
    assert not node.chat.is_registered(person)
    assert node.delivery.close_local() == 0  # not one of this node's clients
    assert person.received == []


def test_a_hello_answered_again_is_welcomed() -> None:
    node = ClusterNodeHarness()
    person = node.person()
    node.room.unavailable = True
    with pytest.raises(Unavailable):
        node.chat.join(person, "ann")
    node.room.unavailable = False

    node.chat.join(person, "ann")
    node.pump()

    assert welcome_of(person).nick == "ann"


def test_a_hello_whose_answer_was_lost_leaves_no_one_behind() -> None:
    node = ClusterNodeHarness()
    (bob,) = node.joined("bob")
    person = node.person()
    node.room.answers_lost = True
    with pytest.raises(Unavailable):
        node.chat.join(person, "ann")
    node.room.answers_lost = False

    node.chat.release_ghosts()  # the next heartbeat
    node.pump()

    assert "ann" not in node.room.online
    assert bob.received[-1] == UserLeft(nick="ann", reason="disconnected", at=T0)


def test_a_message_from_a_session_taken_over_elsewhere_is_refused_as_not_registered() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    ann = one.person()
    one.chat.join(ann, "ann")
    one.pump()
    token = welcome_of(ann).resume_token
    assert token is not None
    two.chat.join(two.person(), "ann", ResumeRequest(token=token, last_id=0))

    with pytest.raises(NotRegistered):
        one.say(ann, "am I still here?")  # node1 has not read the takeover yet


def test_a_whisper_from_a_session_taken_over_elsewhere_is_refused_as_not_registered() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    ann = one.person()
    one.chat.join(ann, "ann")
    one.pump()
    token = welcome_of(ann).resume_token
    assert token is not None
    two.chat.join(two.person(), "ann", ResumeRequest(token=token, last_id=0))

    with pytest.raises(NotRegistered):
        one.say(ann, to="ann", text="am I still here?")


# --- private messages and nick changes -----------------------------------------------------------


def test_a_private_message_to_nobody_online_is_refused() -> None:
    node = ClusterNodeHarness()
    ann, bob = node.joined("ann", "bob")
    node.chat.drop(bob, "disconnected")  # his nick is held, but he is not online

    for nobody in ("bob", "cy"):
        with pytest.raises(NoSuchUser):
            node.say(ann, to=nobody, text="psst")


def test_a_nick_change_comes_back_through_the_stream_to_everyone_here() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    ann, bob = one.joined("ann", "bob")
    (cy,) = two.joined("cy")
    one.pump()
    for person in (ann, bob):
        person.take()

    changed = one.chat.rename(ann, "Annie")

    assert changed == NickChanged(old="ann", new="Annie", at=T0)
    assert ann.received == []
    one.pump()
    two.pump()
    for person in (ann, bob, cy):
        assert person.received == [changed]
    one.chat.list_users(bob)
    assert bob.received[-1] == UserList(users=("Annie", "bob", "cy"), at=T0)


def test_a_nick_held_anywhere_in_the_cluster_cannot_be_taken_by_a_rename() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    (ann,) = one.joined("ann")
    (bob,) = two.joined("bob")
    two.chat.drop(bob, "disconnected")  # held for his resume grace

    with pytest.raises(NickTaken):
        one.chat.rename(ann, "BOB")


def test_renaming_to_the_same_nick_tells_only_the_one_who_asked() -> None:
    node = ClusterNodeHarness()
    ann, bob = node.joined("ann", "bob")

    node.chat.rename(ann, "ann")
    node.pump()

    assert ann.received == [NickChanged(old="ann", new="ann", at=T0)]
    assert bob.received == []


def test_a_case_change_of_ones_own_nick_is_allowed() -> None:
    node = ClusterNodeHarness()
    ann, bob = node.joined("ann", "bob")

    node.chat.rename(ann, "Ann")
    node.pump()

    assert bob.received == [NickChanged(old="ann", new="Ann", at=T0)]


# --- what the node knows of the room --------------------------------------------------------------


def test_figures_are_the_clusters_and_here_counts_this_nodes_clients() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    ann, bob = one.joined("ann", "bob")
    (cy,) = two.joined("cy")
    two.say(cy, "hello from node2")
    two.say(cy, to="ann", text="psst")
    one.say(ann, "hello from node1")
    one.pump()
    two.pump()

    assert one.chat.snapshot() == MetricsSnapshot(users=3, public_total=2, private_total=1, here=2)
    assert two.chat.snapshot() == MetricsSnapshot(users=3, public_total=2, private_total=1, here=1)
    bob.take()
    one.chat.list_users(bob)
    one.chat.report_stats(bob)
    assert bob.received == [
        UserList(users=("ann", "bob", "cy"), at=T0),
        StatsReport(users=3, public_total=2, private_total=1, at=T0),
    ]


def test_figures_follow_the_stream_not_the_writes() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")
    node.say(ann, "unread yet")

    assert node.chat.snapshot().public_total == 0
    node.pump()
    assert node.chat.snapshot().public_total == 1


def test_a_hello_still_on_its_way_counts_here_but_not_online() -> None:
    node = ClusterNodeHarness()
    node.joined("ann")
    node.chat.join(node.person(), "bob")

    assert node.chat.snapshot() == MetricsSnapshot(users=1, public_total=0, private_total=0, here=2)


def test_after_a_shutdown_nothing_is_accepted() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")

    event = node.chat.shut_down("maintenance")

    assert ann.received == [event]
    assert node.chat.closing
    with pytest.raises(ServerClosing):
        node.say(ann, "hello?")
    with pytest.raises(ServerClosing):
        node.chat.join(node.person(), "late")


def test_the_shutdown_frame_is_the_last_thing_a_client_is_sent() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    (ann,) = one.joined("ann")
    (bob,) = two.joined("bob")
    one.pump()
    ann.take()

    event = one.chat.shut_down("maintenance")
    two.say(bob, "anyone left?")
    one.pump()

    assert ann.received == [event]


def test_the_history_asked_for_comes_from_the_shared_log() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    (ann,) = one.joined("ann")
    (bob,) = two.joined("bob")
    for text in ("one", "two", "three"):
        one.say(ann, text)

    two.chat.history(bob, before=3, limit=1)

    (page,) = bob.received
    assert isinstance(page, History)
    assert (page.reason, page.more) == ("request", True)
    assert [message.text for message in page.messages] == ["two"]


def test_a_joined_user_is_announced_to_the_others_on_every_node() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    (ann,) = one.joined("ann")

    two.joined("bob")
    one.pump()

    assert ann.received == [UserJoined(nick="bob", at=T0)]
