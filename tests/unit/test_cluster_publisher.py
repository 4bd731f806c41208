"""A node's messages go to the store in batches, from one writer: in order, each answered."""

import threading

import pytest

from app.domain.errors import NoSuchUser, Unavailable
from app.domain.events import PrivateMessage, PublicMessage, Refusal, UserLeft
from app.services.cluster_ports import Said
from app.services.cluster_publisher import MessagePublisher
from app.services.ports import NoTelemetry
from tests.fakes import T0
from tests.unit.cluster_harness import ClusterNodeHarness


def test_messages_said_meanwhile_go_in_one_round_trip_in_the_order_said() -> None:
    node = ClusterNodeHarness()
    ann, bob = node.joined("ann", "bob")
    node.chat.say_public(ann, "one")
    node.chat.say_private(bob, "ann", "two")
    node.chat.say_public(ann, "three")

    assert node.chat.publisher.send_waiting(0.0) == 3
    node.pump()

    assert node.store.publish_batches == [3]
    said = [e for e in ann.received if isinstance(e, PublicMessage | PrivateMessage)]
    assert [(m.id, m.text) for m in said] == [(1, "one"), (2, "two"), (3, "three")]


def test_one_refused_message_is_refused_to_its_sender_alone_and_the_rest_go_out() -> None:
    node = ClusterNodeHarness()
    ann, bob = node.joined("ann", "bob")
    node.chat.say_public(ann, "before")
    node.chat.say_private(bob, "nobody", "psst")
    node.chat.say_public(ann, "after")
    node.pump()

    refusals = [e for e in bob.received if isinstance(e, Refusal)]
    assert len(refusals) == 1
    assert isinstance(refusals[0].error, NoSuchUser)
    assert not any(isinstance(e, Refusal) for e in ann.received)
    assert [e.text for e in ann.received if isinstance(e, PublicMessage)] == ["before", "after"]


def test_a_leave_waits_for_the_messages_its_client_said_before_it() -> None:
    node = ClusterNodeHarness()
    ann, bob = node.joined("ann", "bob")
    node.chat.say_public(ann, "last words")
    writer = threading.Thread(target=node.chat.publisher.send_waiting, args=(5.0,))
    writer.start()
    node.chat.quit(ann, "quit", "bye")  # waits for the writer to send "last words" first
    writer.join()
    node.pump()

    heard = [e for e in bob.received if isinstance(e, PublicMessage | UserLeft)]
    assert [type(e) for e in heard] == [PublicMessage, UserLeft]


def test_past_the_waiting_limit_a_message_is_refused_at_once() -> None:
    node = ClusterNodeHarness()
    (ann,) = node.joined("ann")
    publisher = MessagePublisher(
        node.store,
        clock=node.clock,
        events=node.events,
        telemetry=NoTelemetry,
        when_delivered=node.delivery.when_delivered,
        max_waiting=2,
    )
    said = Said(session="s", hello="h", text="hi", at=T0)
    publisher.submit(ann, said)
    publisher.submit(ann, said)

    with pytest.raises(Unavailable):
        publisher.submit(ann, said)
    assert publisher.send_waiting(0.0) == 2


def test_a_pong_and_a_refusal_come_after_the_echoes_of_what_was_said_before() -> None:
    node = ClusterNodeHarness()
    ann, _ = node.joined("ann", "bob")
    node.chat.say_public(ann, "first")
    node.chat.say_private(ann, "nobody", "psst")
    node.chat.ping(ann, "barrier")
    node.chat.publisher.send_waiting(0.0)
    assert ann.received == []  # nothing before the echo: it is not in the stream yet

    node.pump()

    kinds = [type(event).__name__ for event in ann.received]
    assert kinds == ["PublicMessage", "Refusal", "Pong"]
