"""The room service under random joins, leaves, renames and messages, checked after every step."""

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

from app.adapters.storage.memory import InMemoryMessageLog
from app.domain.errors import ChatError, InvalidNick, NickTaken, NoSuchUser
from app.domain.events import PrivateMessage, PublicMessage
from app.domain.nicknames import fold_nick
from app.services.chat import ChatService
from tests.fakes import ManualClock, RecordingRecipient, names_from

NICKS = st.sampled_from(["ann", "ANN", "Ann", "bob", "b0b", "cy", "zed", "bad nick", ""])
TEXTS = st.sampled_from(["hi", "hello there", " ", "two\nlines", "ünï"])


class RoomMachine(RuleBasedStateMachine):
    members = Bundle("members")

    def __init__(self) -> None:
        super().__init__()
        self.log = InMemoryMessageLog()
        self.chat = ChatService(
            log=self.log, clock=ManualClock(), suggest_name=names_from("Rand", "Rand", "Moe")
        )
        self.nick_of: dict[RecordingRecipient, str] = {}
        self.publics_owed: dict[RecordingRecipient, int] = {}
        self.sent_public = 0
        self.sent_private = 0

    @rule(target=members, wanted=st.none() | NICKS)
    def join(self, wanted: str | None) -> RecordingRecipient:
        person = RecordingRecipient()
        try:
            claim = self.chat.join(person, wanted)
        except InvalidNick:
            assert wanted is not None
            return person  # not in the room; later requests get NotRegistered
        self.nick_of[person] = claim.nick
        self.publics_owed[person] = 0
        return person

    @rule(person=consumes(members))
    def leave(self, person: RecordingRecipient) -> None:
        was = self.chat.leave(person, "quit")
        assert was == self.nick_of.pop(person, None)
        self.publics_owed.pop(person, None)

    @rule(person=members, wanted=NICKS)
    def rename(self, person: RecordingRecipient, wanted: str) -> None:
        try:
            change = self.chat.rename(person, wanted)
        except NickTaken:
            others = {fold_nick(n) for p, n in self.nick_of.items() if p is not person}
            assert fold_nick(wanted) in others
            return
        except ChatError:
            assert person not in self.nick_of or wanted in ("bad nick", "")
            return
        self.nick_of[person] = change.new

    @rule(person=members, text=TEXTS)
    def say_public(self, person: RecordingRecipient, text: str) -> None:
        try:
            self.chat.say_public(person, text)
        except ChatError:
            return
        assert person in self.nick_of
        self.sent_public += 1
        for member in self.publics_owed:
            self.publics_owed[member] += 1

    @precondition(lambda self: len(self.nick_of) > 0)
    @rule(person=members, to=NICKS)
    def say_private(self, person: RecordingRecipient, to: str) -> None:
        try:
            self.chat.say_private(person, to, "psst")
        except NoSuchUser:
            assert fold_nick(to) not in {fold_nick(n) for n in self.nick_of.values()}
            return
        except ChatError:
            return
        self.sent_private += 1

    @invariant()
    def nicks_are_unique_regardless_of_case(self) -> None:
        folded = [fold_nick(nick) for nick in self.nick_of.values()]
        assert len(folded) == len(set(folded))

    @invariant()
    def totals_agree_with_the_log_and_the_room(self) -> None:
        snapshot = self.chat.snapshot()
        assert snapshot.users == len(self.nick_of)
        assert snapshot.public_total == len(self.log.public) == self.sent_public
        assert snapshot.private_total == len(self.log.private) == self.sent_private

    @invariant()
    def ids_rise_in_the_log_and_for_every_member(self) -> None:
        logged = sorted([m.id for m in self.log.public] + [m.id for m in self.log.private])
        assert logged == list(range(1, len(logged) + 1))
        for person in self.nick_of:
            ids = [e.id for e in person.received if isinstance(e, PublicMessage | PrivateMessage)]
            assert ids == sorted(set(ids))

    @invariant()
    def everyone_present_got_every_public_message_since_joining(self) -> None:
        for person, owed in self.publics_owed.items():
            got = sum(isinstance(event, PublicMessage) for event in person.received)
            assert got == owed


RoomMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestRoom = RoomMachine.TestCase
