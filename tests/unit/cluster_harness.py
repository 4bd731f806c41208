"""A node of a cluster on fakes, and people on it: the cluster unit tests' room.

Several nodes share one SharedRoom. Nothing runs by itself: `pump()` is the node's writer
sending what its clients said, then its reader bringing one batch (everything after the
node's position) and applying it.
"""

from app.domain.events import ChatEvent, Refusal
from app.services.cluster_chat import ClusterChatService
from app.services.cluster_delivery import ClusterDelivery
from app.services.feed import RoomFeed
from app.services.membership import RoomSettings
from tests.cluster_fakes import FakeClusterStore, RecordingArchive, SharedRoom
from tests.fakes import (
    CountingSecrets,
    ManualClock,
    RecordingEvents,
    RecordingRecipient,
    names_from,
)


class JournaledRecipient(RecordingRecipient):
    """A RecordingRecipient that also notes each event it gets in a journal shared with the
    archive, so a test can see what came first."""

    def __init__(self, feed: RoomFeed, journal: list[tuple[str, object]]) -> None:
        super().__init__(feed)
        self._journal = journal

    def deliver(self, event: ChatEvent) -> None:
        super().deliver(event)
        self._journal.append(("delivered", event))

    def _hear(self, event: ChatEvent) -> None:
        if self._following:
            self._journal.append(("delivered", event))
        super()._hear(event)


class ClusterNodeHarness:
    def __init__(
        self,
        room: SharedRoom | None = None,
        *names: str,
        node: str = "node1",
        backlog: int = 0,
        grace: float = 120.0,
        clock: ManualClock | None = None,
    ) -> None:
        self.room = room if room is not None else SharedRoom()
        self.store: FakeClusterStore = self.room.node(node)
        self.clock = clock or ManualClock()
        self.secrets = CountingSecrets()
        self.events = RecordingEvents()
        self.journal: list[tuple[str, object]] = []
        self.archive = RecordingArchive(self.journal)
        settings = RoomSettings(backlog=backlog, resume_grace=grace)
        self.delivery = ClusterDelivery(
            node=node,
            log=self.store,
            archive=self.archive,
            clock=self.clock,
            events=self.events,
            settings=settings,
        )
        self.delivery.start_at(self.store.state())
        self.chat = ClusterChatService(
            store=self.store,
            log=self.store,
            clock=self.clock,
            suggest_name=names_from(*names),
            make_secret=self.secrets,
            events=self.events,
            delivery=self.delivery,
            settings=settings,
        )

    def person(self) -> JournaledRecipient:
        return JournaledRecipient(self.chat.feed, self.journal)

    def pump(self) -> bool:
        """The node's writer and reader, once each: what its clients said sent to the store,
        then the stream after this node's position applied."""
        self.chat.publisher.send_waiting(0.0)
        return self.delivery.apply(
            self.store.read(self.delivery.position, 1000, 0.0, self.room.epoch)
        )

    def say(self, person: RecordingRecipient, text: str, to: str | None = None) -> int:
        """Says `text` (to `to`, privately, if given) and sends it to the store at once, as
        the node's writer would: returns the message's id. A refusal raises its error, as
        the client is sent it."""
        heard = len(person.received)
        if to is None:
            self.chat.say_public(person, text)
        else:
            self.chat.say_private(person, to, text)
        self.chat.publisher.send_waiting(0.0)
        refusals = [e for e in person.received[heard:] if isinstance(e, Refusal)]
        if refusals:
            del person.received[heard:]
            raise refusals[0].error
        return self.room.last_ms

    def joined(self, *nicks: str) -> list[JournaledRecipient]:
        """People who said hello here and were welcomed, with what that brought them read."""
        people = []
        for nick in nicks:
            person = self.person()
            self.chat.join(person, nick)
            people.append(person)
        self.pump()
        for person in people:
            person.take()
        return people
