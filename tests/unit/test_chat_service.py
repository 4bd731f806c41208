import pytest

from app.adapters.storage.memory import InMemoryMessageLog
from app.domain.errors import (
    AlreadyRegistered,
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
from app.services.chat import ChatService
from tests.fakes import T0, ManualClock, RecordingRecipient, names_from


def make_chat(log: InMemoryMessageLog | None = None, *names: str) -> ChatService:
    return ChatService(
        log=log or InMemoryMessageLog(), clock=ManualClock(), suggest_name=names_from(*names)
    )


def joined(chat: ChatService, *nicks: str) -> list[RecordingRecipient]:
    people = []
    for nick in nicks:
        person = RecordingRecipient()
        chat.join(person, nick)
        people.append(person)
    for person in people:
        person.take()
    return people


def test_a_newcomer_is_welcomed_with_the_users_online_and_the_others_hear_of_it() -> None:
    chat = make_chat()
    (ann,) = joined(chat, "ann")
    bob = RecordingRecipient()

    chat.join(bob, "bob")

    assert bob.received == [
        Welcome(nick="bob", requested="bob", renamed=False, users=("ann", "bob"), at=T0)
    ]
    assert ann.received == [UserJoined(nick="bob", at=T0)]


def test_a_taken_nick_is_replaced_by_a_random_one_and_the_welcome_says_so() -> None:
    chat = make_chat(None, "Tamara")
    joined(chat, "alice")
    newcomer = RecordingRecipient()

    chat.join(newcomer, "Alice")

    assert newcomer.received[0] == Welcome(
        nick="Tamara", requested="Alice", renamed=True, users=("alice", "Tamara"), at=T0
    )


def test_an_invalid_nick_is_refused_and_the_client_may_try_again() -> None:
    chat = make_chat()
    person = RecordingRecipient()
    with pytest.raises(InvalidNick):
        chat.join(person, "no spaces")
    chat.join(person, "fine")
    assert chat.snapshot().users == 1


def test_saying_hello_twice_is_refused() -> None:
    chat = make_chat()
    (ann,) = joined(chat, "ann")
    with pytest.raises(AlreadyRegistered):
        chat.join(ann, "ann2")


def test_a_public_message_reaches_everyone_sender_included_and_is_logged() -> None:
    log = InMemoryMessageLog()
    chat = make_chat(log)
    ann, bob = joined(chat, "ann", "bob")

    chat.say_public(ann, "hi all")

    sent = PublicMessage(id=1, sender="ann", text="hi all", sent_at=T0)
    assert ann.received == [sent]
    assert bob.received == [sent]
    assert log.public == [sent]


def test_a_private_message_reaches_only_its_recipient_and_is_logged() -> None:
    log = InMemoryMessageLog()
    chat = make_chat(log)
    ann, bob, cy = joined(chat, "ann", "bob", "cy")

    chat.say_private(ann, to="BOB", text="psst")

    sent = PrivateMessage(id=1, sender="ann", recipient="bob", text="psst", sent_at=T0)
    assert bob.received == [sent]
    assert ann.received == [sent]  # the sender gets an echo
    assert cy.received == []
    assert log.private == [sent]


def test_a_note_to_oneself_arrives_once() -> None:
    chat = make_chat()
    (ann,) = joined(chat, "ann")
    chat.say_private(ann, to="ann", text="remember")
    assert len(ann.received) == 1


def test_a_private_message_to_nobody_is_refused_and_not_logged() -> None:
    log = InMemoryMessageLog()
    chat = make_chat(log)
    (ann,) = joined(chat, "ann")
    with pytest.raises(NoSuchUser):
        chat.say_private(ann, to="ghost", text="hello?")
    assert log.private == []


def test_message_ids_increase_across_public_and_private_messages() -> None:
    chat = make_chat()
    ann, _bob = joined(chat, "ann", "bob")
    ids = [
        chat.say_public(ann, "one").id,
        chat.say_private(ann, "bob", "two").id,
        chat.say_public(ann, "three").id,
    ]
    assert ids == [1, 2, 3]


def test_ids_and_totals_carry_on_after_the_messages_already_logged() -> None:
    chat = make_chat(InMemoryMessageLog(logged_public=120, logged_private=7))
    (ann,) = joined(chat, "ann")

    assert chat.say_public(ann, "next").id == 128
    snapshot = chat.snapshot()
    assert (snapshot.public_total, snapshot.private_total) == (121, 7)


def test_bad_text_is_refused_and_neither_delivered_logged_nor_counted() -> None:
    log = InMemoryMessageLog()
    chat = make_chat(log)
    ann, bob = joined(chat, "ann", "bob")
    for text in ["", "   ", "two\nlines", "x" * 2001]:
        with pytest.raises(InvalidText):
            chat.say_public(ann, text)
    assert bob.received == []
    assert log.public == []
    assert chat.snapshot().public_total == 0


def test_before_hello_nothing_but_hello_is_served() -> None:
    chat = make_chat()
    joined(chat, "ann")
    stranger = RecordingRecipient()
    for request in [
        lambda: chat.say_public(stranger, "hi"),
        lambda: chat.say_private(stranger, "ann", "hi"),
        lambda: chat.list_users(stranger),
        lambda: chat.rename(stranger, "x"),
        lambda: chat.report_stats(stranger),
        lambda: chat.ping(stranger, None),
    ]:
        with pytest.raises(NotRegistered):
            request()
    assert stranger.received == []


def test_the_user_list_is_sorted_case_insensitively() -> None:
    chat = make_chat()
    ann, _, _ = joined(chat, "ann", "Bob", "carl")
    chat.list_users(ann)
    assert ann.received == [UserList(users=("ann", "Bob", "carl"), at=T0)]


def test_a_nick_change_is_announced_to_everyone_and_frees_the_old_nick() -> None:
    chat = make_chat()
    ann, bob = joined(chat, "ann", "bob")

    chat.rename(ann, "anna")

    change = NickChanged(old="ann", new="anna", at=T0)
    assert ann.received == [change]
    assert bob.received == [change]
    newcomer = RecordingRecipient()
    chat.join(newcomer, "ann")
    assert newcomer.received[0] == Welcome(
        nick="ann", requested="ann", renamed=False, users=("ann", "anna", "bob"), at=T0
    )


def test_a_nick_change_to_a_taken_nick_is_refused() -> None:
    chat = make_chat()
    ann, bob = joined(chat, "ann", "bob")
    with pytest.raises(NickTaken):
        chat.rename(ann, "BOB")
    assert bob.received == []


def test_messages_after_a_rename_carry_the_new_nick() -> None:
    chat = make_chat()
    (ann,) = joined(chat, "ann")
    chat.rename(ann, "anna")
    assert chat.say_public(ann, "hi").sender == "anna"


def test_stats_report_users_and_message_totals() -> None:
    chat = make_chat(InMemoryMessageLog(logged_public=3, logged_private=1))
    ann, _ = joined(chat, "ann", "bob")
    chat.say_private(ann, "bob", "x")
    ann.take()
    chat.report_stats(ann)
    assert ann.received == [StatsReport(users=2, public_total=3, private_total=2, at=T0)]


def test_a_ping_is_answered_with_its_token() -> None:
    chat = make_chat()
    (ann,) = joined(chat, "ann")
    chat.ping(ann, "abc")
    assert ann.received == [Pong(token="abc", at=T0)]


def test_leaving_is_announced_once_to_those_who_stay_and_frees_the_nick() -> None:
    chat = make_chat()
    ann, bob = joined(chat, "ann", "bob")

    assert chat.leave(ann, "quit") == "ann"
    assert chat.leave(ann, "disconnected") is None

    assert bob.received == [UserLeft(nick="ann", reason="quit", at=T0)]
    assert ann.received == []
    assert chat.snapshot().users == 1


def test_a_failing_log_refuses_the_message_and_reuses_its_id_once_the_log_recovers() -> None:
    log = InMemoryMessageLog()
    chat = make_chat(log)
    ann, bob = joined(chat, "ann", "bob")
    log.failing = True
    with pytest.raises(StorageFailed):
        chat.say_public(ann, "lost?")
    assert bob.received == []
    log.failing = False

    assert chat.say_public(ann, "again").id == 1
    assert chat.snapshot().public_total == 1


def test_shutdown_tells_everyone_then_accepts_nothing_new() -> None:
    chat = make_chat()
    ann, bob = joined(chat, "ann", "bob")

    chat.shut_down("server closing")

    assert ann.received == [ServerShutdown(reason="server closing", at=T0)]
    with pytest.raises(ServerClosing):
        chat.say_public(ann, "too late")
    with pytest.raises(ServerClosing):
        chat.join(RecordingRecipient(), "late")
    chat.leave(ann, "server_shutdown")
    assert bob.received == [ServerShutdown(reason="server closing", at=T0)]  # no leave noise
