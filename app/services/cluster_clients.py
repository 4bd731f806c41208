"""A cluster node's own clients: who holds which session here, and the hellos still waiting
for their join to come back through the stream."""

from dataclasses import dataclass

from app.domain.commands import ResumeRequest
from app.services.ports import Recipient


@dataclass(frozen=True)
class PendingHello:
    """A hello whose join is on its way through the stream: its welcome goes out when the
    node applies that join, so the client's feed starts exactly after it."""

    client: Recipient
    wanted: str | None  # the nick asked for, validated (None: none asked)
    token: str  # the resume token the welcome hands over
    resume: ResumeRequest | None


class NodeClients:
    """Not thread-safe: the cluster service holds its lock."""

    def __init__(self) -> None:
        self.session_of: dict[Recipient, str] = {}
        self.client_of: dict[str, Recipient] = {}
        self.pending: dict[str, PendingHello] = {}  # by hello id
        # The hello of each client's connection: the store knows which connection holds a
        # session by it, so an older connection of the same client cannot act for it.
        self.hello_of: dict[Recipient, str] = {}

    def expect(self, hello: str, pending: PendingHello) -> None:
        self.pending[hello] = pending
        self.hello_of[pending.client] = hello

    def arrived(self, hello: str) -> PendingHello | None:
        return self.pending.pop(hello, None)

    def forget_hello(self, client: Recipient) -> str | None:
        hello = self.hello_of.pop(client, None)
        if hello is not None:
            self.pending.pop(hello, None)
        return hello

    def known_hellos(self) -> set[str]:
        return set(self.hello_of.values())

    def speaks_for(self, client: Recipient, session: str) -> None:
        """Its hello was accepted: it may send before its welcome arrives (which makes it
        the session's holder here, see `attach`)."""
        self.session_of[client] = session

    def attach(self, client: Recipient, session: str) -> None:
        self.session_of[client] = session
        self.client_of[session] = client

    def detach(self, client: Recipient) -> tuple[str, str] | None:
        """Part `client` from its session; it hears no broadcast from now on. Returns the
        session and the hello it held it by."""
        hello = self.forget_hello(client)
        session = self.session_of.pop(client, None)
        if session is None or hello is None:
            return None
        if self.client_of.get(session) is client:
            del self.client_of[session]
        client.unfollow()
        return session, hello

    def everyone(self) -> list[Recipient]:
        """Every client holding a session here, or waiting for its welcome."""
        waiting = [pending.client for pending in self.pending.values()]
        return list(dict.fromkeys([*self.session_of, *waiting]))

    def clear(self) -> None:
        self.session_of.clear()
        self.client_of.clear()
        self.pending.clear()
        self.hello_of.clear()
