"""A chat service on fakes, and people in it: the unit tests' room."""

from app.adapters.storage.memory import InMemoryRoomStore
from app.services.chat import ChatService
from app.services.membership import RoomSettings
from tests.fakes import (
    CountingSecrets,
    ManualClock,
    RecordingEvents,
    RecordingRecipient,
    names_from,
)


class RoomHarness:
    def __init__(
        self,
        store: InMemoryRoomStore | None = None,
        *names: str,
        backlog: int = 50,
        grace: float = 120.0,
        clock: ManualClock | None = None,
        max_waiting: int = 10_000,
    ) -> None:
        self.store = store if store is not None else InMemoryRoomStore()
        self.clock = clock or ManualClock()
        self.secrets = CountingSecrets()
        self.events = RecordingEvents()
        self.chat = ChatService(
            log=self.store,
            sessions=self.store,
            clock=self.clock,
            suggest_name=names_from(*names),
            make_secret=self.secrets,
            events=self.events,
            settings=RoomSettings(backlog=backlog, resume_grace=grace, max_waiting=max_waiting),
        )

    def person(self) -> RecordingRecipient:
        return RecordingRecipient(self.chat.feed)

    def joined(self, *nicks: str) -> list[RecordingRecipient]:
        """People who said hello, in order, with what that brought them already read."""
        people = []
        for nick in nicks:
            person = self.person()
            self.chat.join(person, nick)
            people.append(person)
        for person in people:
            person.take()
        return people
