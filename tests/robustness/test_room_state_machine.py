"""The room service under random joins, quits, drops, resumes, renames and messages, checked
after every step against a model of what each person must have received."""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

from app.domain.commands import ResumeRequest
from app.domain.errors import (
    ChatError,
    InvalidNick,
    InvalidText,
    NickTaken,
    NoSuchUser,
    NotRegistered,
)
from app.domain.events import History, PrivateMessage, PublicMessage, Welcome
from app.domain.nicknames import fold_nick
from tests.fakes import RecordingRecipient
from tests.unit.room_harness import RoomHarness

NICKS = st.sampled_from(["ann", "ANN", "Ann", "bob", "b0b", "cy", "zed", "bad nick", ""])
VALID_TEXTS = ("hi", "hello there", "ünï")
TEXTS = st.sampled_from([*VALID_TEXTS, " ", "two\nlines"])


class Person:
    """One person over time: a session, and each connection it has had."""

    def __init__(self, connection: RecordingRecipient) -> None:
        self.connections = [connection]
        self.nick: str | None = None  # None until a hello succeeds
        self.token = ""
        self.online = False
        self.first_public = 0  # public messages said before its first hello

    @property
    def connection(self) -> RecordingRecipient:
        return self.connections[-1]

    def messages(self, connection: RecordingRecipient) -> list[PublicMessage | PrivateMessage]:
        found: list[PublicMessage | PrivateMessage] = []
        for event in connection.received:
            if isinstance(event, History):
                found += event.messages
            elif isinstance(event, PublicMessage | PrivateMessage):
                found.append(event)
        return found

    def seen(self) -> list[PublicMessage | PrivateMessage]:
        return [m for connection in self.connections for m in self.messages(connection)]


class RoomMachine(RuleBasedStateMachine):
    people = Bundle("people")

    def __init__(self) -> None:
        super().__init__()
        self.room = RoomHarness(None, "Rand", "Rand", "Moe", backlog=0, grace=10**6)
        self.chat = self.room.chat
        self.publics: list[int] = []  # ids of every public message said
        self.privates: dict[int, tuple[Person, Person]] = {}  # id -> (sender, recipient)
        self.everyone: list[Person] = []

    def in_room(self) -> list[Person]:
        return [p for p in self.everyone if p.nick is not None]

    @rule(target=people, wanted=st.none() | NICKS)
    def join(self, wanted: str | None) -> Person:
        person = Person(self.room.person())
        self.everyone.append(person)
        try:
            joined = self.chat.join(person.connection, wanted)
        except InvalidNick:
            assert wanted in ("bad nick", "")
            return person  # not in the room; later requests get NotRegistered
        welcome = person.connection.received[0]
        assert isinstance(welcome, Welcome)
        taken = wanted is not None and fold_nick(wanted) in self.folded_nicks(person)
        assert joined.renamed == taken
        person.nick, person.token, person.online = joined.nick, welcome.resume_token, True
        person.first_public = len(self.publics)
        return person

    def folded_nicks(self, but: Person) -> set[str]:
        return {fold_nick(p.nick) for p in self.in_room() if p is not but and p.nick}

    @rule(person=consumes(people))
    def quit(self, person: Person) -> None:
        departure = self.chat.quit(person.connection, "quit")
        was = departure.nick if departure is not None else None
        assert was == (person.nick if person.online else None)
        if person.online:
            person.nick, person.online = None, False

    @rule(person=people, data=st.data())
    def drop(self, person: Person, data: st.DataObject) -> None:
        was = self.chat.drop(person.connection, "disconnected")
        assert was == (person.nick if person.online else None)
        person.online = False
        # Whatever was still on its way when the connection died never reached the person.
        received = person.connection.received
        person.connection.received = received[: data.draw(st.integers(0, len(received)))]

    @rule(person=people)
    def resume(self, person: Person) -> None:
        if person.nick is None or person.online:
            return
        connection = self.room.person()
        person.connections.append(connection)
        last_id = max((m.id for m in person.seen()), default=0)
        joined = self.chat.join(connection, "whatever", ResumeRequest(person.token, last_id))
        assert (joined.resumed, joined.nick) == (True, person.nick)
        welcome = connection.received[0]
        assert isinstance(welcome, Welcome)
        person.token, person.online = welcome.resume_token, True

    @rule(person=people, wanted=NICKS)
    def rename(self, person: Person, wanted: str) -> None:
        try:
            change = self.chat.rename(person.connection, wanted)
        except NickTaken:
            assert fold_nick(wanted) in self.folded_nicks(person)
            return
        except NotRegistered:
            assert not person.online
            return
        except InvalidNick:
            assert wanted in ("bad nick", "")
            return
        assert person.online
        person.nick = change.new

    @rule(person=people, text=TEXTS)
    def say_public(self, person: Person, text: str) -> None:
        try:
            message = self.chat.say_public(person.connection, text)
        except NotRegistered:
            assert not person.online
            return
        except InvalidText:
            assert text not in VALID_TEXTS
            return
        assert person.online
        assert text in VALID_TEXTS  # and a valid message from someone online is never refused
        self.publics.append(message.id)

    @precondition(lambda self: len(self.everyone) > 0)
    @rule(person=people, to=NICKS, text=TEXTS)
    def say_private(self, person: Person, to: str, text: str) -> None:
        online = {fold_nick(p.nick): p for p in self.in_room() if p.online and p.nick}
        try:
            message = self.chat.say_private(person.connection, to, text)
        except NotRegistered:
            assert not person.online
            return
        except NoSuchUser:
            assert person.online
            assert fold_nick(to) not in online
            return
        except InvalidText:
            assert text not in VALID_TEXTS
            return
        except ChatError as error:
            raise AssertionError(f"refused for no reason: {error!r}") from error
        assert person.online
        assert text in VALID_TEXTS
        self.privates[message.id] = (person, online[fold_nick(to)])

    @invariant()
    def nicks_are_unique_regardless_of_case_online_or_away(self) -> None:
        folded = [fold_nick(p.nick) for p in self.in_room() if p.nick]
        assert len(folded) == len(set(folded))

    @invariant()
    def totals_agree_with_the_log_and_the_room(self) -> None:
        snapshot = self.chat.snapshot()
        assert snapshot.users == sum(p.online for p in self.everyone)
        assert snapshot.public_total == len(self.room.store.public) == len(self.publics)
        assert snapshot.private_total == len(self.room.store.private) == len(self.privates)

    @invariant()
    def ids_rise_on_every_connection_without_a_duplicate(self) -> None:
        for person in self.everyone:
            for connection in person.connections:
                ids = [m.id for m in person.messages(connection)]
                assert ids == sorted(set(ids))

    @invariant()
    def everyone_online_has_seen_every_public_message_since_joining_once(self) -> None:
        for person in self.everyone:
            seen = [m.id for m in person.seen() if isinstance(m, PublicMessage)]
            assert len(seen) == len(set(seen))  # a resume replays nothing twice
            if person.online:
                assert seen == self.publics[person.first_public :]

    @invariant()
    def everyone_online_has_seen_each_of_their_private_messages_once(self) -> None:
        for person in self.everyone:
            if not person.online:
                continue
            seen = [m.id for m in person.seen() if isinstance(m, PrivateMessage)]
            theirs = [i for i, pair in self.privates.items() if person in pair]
            assert sorted(seen) == sorted(set(seen)) == sorted(theirs)

    @invariant()
    def nobody_sees_a_private_message_that_was_not_theirs(self) -> None:
        for person in self.everyone:
            for message in person.seen():
                if isinstance(message, PrivateMessage):
                    assert person in self.privates[message.id]


RoomMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestRoom = RoomMachine.TestCase
