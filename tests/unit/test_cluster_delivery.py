"""A cluster node delivers the room's stream, in stream order, to its own clients."""

from collections.abc import Sequence

from app.domain.commands import ResumeRequest
from app.domain.events import (
    History,
    PrivateMessage,
    PublicMessage,
    ServerShutdown,
    UserJoined,
    UserLeft,
    Welcome,
)
from app.services.cluster_delivery import RECONNECT_REASON
from app.services.membership import Joined
from tests.cluster_fakes import SharedRoom
from tests.fakes import T0, RecordingRecipient
from tests.unit.cluster_harness import ClusterNodeHarness


def texts(events: Sequence[object]) -> list[str]:
    return [event.text for event in events if isinstance(event, PublicMessage | PrivateMessage)]


def welcome_of(person: RecordingRecipient) -> Welcome:
    welcome = person.received[0]
    assert isinstance(welcome, Welcome)
    return welcome


def caught_up(*people: RecordingRecipient) -> None:
    """What they were sent so far is read: a test looks at what comes next."""
    for person in people:
        person.take()


def test_a_hello_is_welcomed_only_when_its_join_comes_back_through_the_stream() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")
    bob = node.person()

    joined = node.chat.join(bob, "bob")

    assert joined == Joined(nick="bob", renamed=False, resumed=False)
    assert bob.received == []
    assert ann.received == []

    node.pump()

    (welcome,) = bob.received
    assert isinstance(welcome, Welcome)
    assert welcome == Welcome(
        nick="bob",
        requested="bob",
        renamed=False,
        users=("ann", "bob"),
        at=T0,
        resume_token=welcome.resume_token,
        resumed=False,
        last_id=0,
    )
    assert welcome.resume_token is not None
    assert ann.received == [UserJoined(nick="bob", at=T0)]


def test_a_newcomer_hears_everything_after_its_own_join_and_nothing_before_it() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")
    bob = node.person()
    node.say(ann, "before bob")
    node.chat.join(bob, "bob")
    node.say(ann, "after bob")

    node.pump()  # one batch: the message, bob's join, the next message

    welcome, *rest = bob.received
    assert isinstance(welcome, Welcome)
    assert welcome.last_id == 1  # "before bob" is in the past for him
    assert rest == [PublicMessage(id=2, sender="ann", text="after bob", sent_at=T0)]
    assert texts(ann.received) == ["before bob", "after bob"]
    assert UserJoined(nick="bob", at=T0) in ann.received


def test_a_public_message_reaches_every_follower_here_in_the_stream_order() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    ann, bob = one.joined("ann", "bob")
    (cy,) = two.joined("cy")
    one.pump()
    caught_up(ann, bob)

    one.say(ann, "first")
    two.say(cy, "second")
    one.say(bob, "third")
    one.pump()
    two.pump()

    for person in (ann, bob):
        assert [
            (event.id, event.sender)
            for event in person.received
            if isinstance(event, PublicMessage)
        ] == [(1, "ann"), (2, "cy"), (3, "bob")]
        assert texts(person.received) == ["first", "second", "third"]
    assert cy.received == ann.received


def test_a_private_message_reaches_only_its_two_ends_on_this_node() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    ann, bob, cy = one.joined("ann", "bob", "cy")
    (dan,) = two.joined("dan")
    one.pump()
    caught_up(ann, bob, cy)

    one.say(ann, to="bob", text="to bob")
    one.say(ann, to="dan", text="to dan")
    one.pump()
    two.pump()

    to_bob = PrivateMessage(id=1, sender="ann", recipient="bob", text="to bob", sent_at=T0)
    to_dan = PrivateMessage(id=2, sender="ann", recipient="dan", text="to dan", sent_at=T0)
    assert ann.received == [to_bob, to_dan]  # the echoes, from the stream
    assert bob.received == [to_bob]
    assert cy.received == []
    assert dan.received == [to_dan]


def test_a_note_to_oneself_arrives_once() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")

    node.say(ann, to="ANN", text="remember")
    node.pump()

    assert ann.received == [
        PrivateMessage(id=1, sender="ann", recipient="ann", text="remember", sent_at=T0)
    ]


def test_a_session_taken_over_by_another_node_closes_its_client_here() -> None:
    room = SharedRoom()
    one = ClusterNodeHarness(room, node="node1")
    two = ClusterNodeHarness(room, node="node2")
    ann = one.person()
    one.chat.join(ann, "ann")
    one.pump()
    (welcome,) = ann.take()
    assert isinstance(welcome, Welcome)
    assert welcome.resume_token is not None
    (bob,) = one.joined("bob")
    caught_up(ann)

    # ann's connection to node1 looks alive there, but she comes back through node2
    ann_again = two.person()
    two.chat.join(ann_again, "ann", ResumeRequest(token=welcome.resume_token, last_id=0))
    one.pump()

    assert ann.ended == "replaced"
    # told at most to reconnect: not even her own leave
    assert all(isinstance(event, ServerShutdown) for event in ann.received)
    assert bob.received == [
        UserLeft(nick="ann", reason="disconnected", at=T0),
        UserJoined(nick="ann", at=T0),
    ]
    assert not one.chat.is_registered(ann)

    ann.take()
    one.say(bob, "still there?")
    one.pump()
    two.pump()
    assert ann.received == []
    assert texts(ann_again.received) == ["still there?"]


def test_a_batch_that_does_not_follow_the_position_is_refused_and_nothing_is_delivered() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")
    for text in ("one", "two", "three"):
        node.say(ann, text)
    before = node.delivery.position
    batch = node.store.read(before, 1000, 0.0, node.room.epoch)

    assert node.delivery.apply(batch[1:]) is False  # "one" is missing

    assert ann.received == []
    assert node.archive.batches == []
    assert node.delivery.position == before
    assert node.delivery.apply(batch) is True
    assert texts(ann.received) == ["one", "two", "three"]


def test_a_batch_with_a_hole_inside_is_refused_whole() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")
    for text in ("one", "two", "three"):
        node.say(ann, text)
    before = node.delivery.position
    one, _, three = node.store.read(before, 1000, 0.0, node.room.epoch)

    assert node.delivery.apply([one, three]) is False

    assert ann.received == []
    assert node.archive.batches == []
    assert node.delivery.position == before


def test_an_empty_read_changes_nothing() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")
    before = node.delivery.position

    assert node.delivery.apply([]) is True
    assert node.delivery.position == before
    assert ann.received == []


def test_the_archive_has_a_batchs_messages_before_anyone_is_sent_them() -> None:
    node = ClusterNodeHarness()
    ann, bob = node.joined("ann", "bob")
    node.journal.clear()
    node.say(ann, "one")
    node.say(ann, to="bob", text="two")
    node.say(bob, "three")

    node.pump()

    assert node.journal[0] == ("archived", (1, 2, 3))
    assert [kind for kind, _ in node.journal[1:]] == ["delivered"] * 6
    assert node.archive.batches[0][1] == node.delivery.position
    assert texts(bob.received) == ["one", "two", "three"]


def test_a_batch_without_messages_is_not_archived() -> None:
    node = ClusterNodeHarness()
    node.joined("ann", "bob")

    assert node.archive.batches == []


def test_a_failing_archive_is_reported_and_the_messages_still_go_out() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")
    node.archive.failing = True

    node.say(ann, "on a full disk")
    node.pump()

    assert texts(ann.received) == ["on a full disk"]
    assert "log_write_failed" in node.events.events()


def test_closing_local_clients_tells_each_to_reconnect_and_ends_it() -> None:
    node = ClusterNodeHarness()
    ann, bob = node.joined("ann", "bob")
    cy = node.person()
    node.chat.join(cy, "cy")  # its join is still on its way

    closed = node.delivery.close_local()

    assert closed == 3
    farewell = ServerShutdown(reason=RECONNECT_REASON, at=T0)
    assert "reconnect" in farewell.reason
    for person in (ann, bob, cy):
        assert person.received == [farewell]
        assert person.ended == RECONNECT_REASON
    assert node.chat.snapshot().here == 0

    node.pump()  # cy's join arrives: nobody is welcomed or told of it here
    node.chat.join(dan := node.person(), "dan")
    node.pump()
    for person in (ann, bob, cy):
        assert person.received == [farewell]
    assert isinstance(dan.received[0], Welcome)


def test_a_resumed_client_is_sent_what_it_missed_then_carries_on_live() -> None:
    node = ClusterNodeHarness(grace=60.0)
    ann = node.person()
    node.chat.join(ann, "ann")
    (bob,) = node.joined("bob")
    (welcome,) = ann.take()[:1]
    assert isinstance(welcome, Welcome)
    assert welcome.resume_token is not None
    node.say(bob, "seen")
    node.pump()
    (seen,) = ann.received
    assert isinstance(seen, PublicMessage)
    node.chat.drop(ann, "disconnected")
    node.say(bob, "missed 1")
    node.say(bob, to="bob", text="bob's own note")
    node.pump()
    node.say(bob, "missed 2")  # not yet read by the node when ann comes back

    ann_again = node.person()
    joined = node.chat.join(
        ann_again, "ann", ResumeRequest(token=welcome.resume_token, last_id=seen.id)
    )
    node.say(bob, "live")  # after her join in the stream
    node.pump()

    assert joined == Joined(nick="ann", renamed=False, resumed=True)
    welcome_back, replayed, *live = ann_again.received
    assert isinstance(welcome_back, Welcome)
    assert (welcome_back.resumed, welcome_back.renamed, welcome_back.last_id) == (True, False, 4)
    assert welcome_back.users == ("ann", "bob")
    assert isinstance(replayed, History)
    assert (replayed.reason, replayed.more, replayed.gap) == ("resume", False, False)
    assert [message.text for message in replayed.messages] == ["missed 1", "missed 2"]
    assert texts(live) == ["live"]  # once: not in the replay as well


def test_a_resume_over_a_hole_in_the_log_says_some_is_missing() -> None:
    node = ClusterNodeHarness()
    ann = node.person()
    node.chat.join(ann, "ann")
    (bob,) = node.joined("bob")
    token = welcome_of(ann).resume_token
    assert token is not None
    node.chat.drop(ann, "disconnected")
    for text in ("one", "two", "three"):
        node.say(bob, text)
    node.pump()
    node.room.delete(2)  # by hand, in the shared store

    again = node.person()
    node.chat.join(again, "ann", ResumeRequest(token=token, last_id=0))
    node.pump()

    _, replayed = again.received
    assert isinstance(replayed, History)
    assert replayed.gap
    assert [message.text for message in replayed.messages] == ["one", "three"]
