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
        self._hello_of: dict[Recipient, str] = {}

    def expect(self, hello: str, pending: PendingHello) -> None:
        self.pending[hello] = pending
        self._hello_of[pending.client] = hello

    def arrived(self, hello: str) -> PendingHello | None:
        pending = self.pending.pop(hello, None)
        if pending is not None:
            self._hello_of.pop(pending.client, None)
        return pending

    def forget_hello(self, client: Recipient) -> None:
        hello = self._hello_of.pop(client, None)
        if hello is not None:
            self.pending.pop(hello, None)

    def speaks_for(self, client: Recipient, session: str) -> None:
        """Its hello was accepted: it may send before its welcome arrives (which makes it
        the session's holder here, see `attach`)."""
        self.session_of[client] = session

    def attach(self, client: Recipient, session: str) -> None:
        self.session_of[client] = session
        self.client_of[session] = client

    def detach(self, client: Recipient) -> str | None:
        """Part `client` from its session; it hears no broadcast from now on."""
        self.forget_hello(client)
        session = self.session_of.pop(client, None)
        if session is not None:
            if self.client_of.get(session) is client:
                del self.client_of[session]
            client.unfollow()
        return session

    def everyone(self) -> list[Recipient]:
        """Every client holding a session here, or waiting for its welcome."""
        waiting = [pending.client for pending in self.pending.values()]
        return list(dict.fromkeys([*self.session_of, *waiting]))

    def clear(self) -> None:
        self.session_of.clear()
        self.client_of.clear()
        self.pending.clear()
        self._hello_of.clear()
