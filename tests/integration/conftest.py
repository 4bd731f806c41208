from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.adapters.clock import SystemClock
from app.adapters.storage.memory import InMemoryMessageLog
from app.adapters.tcp.connection import ConnectionLimits
from app.adapters.tcp.server import ChatServer
from app.domain.flood import FloodLimits
from app.main_server import build_server
from app.services.ports import MessageLog
from tests.fakes import names_from
from tests.wire_client import WireClient

StartServer = Callable[..., ChatServer]


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    """Starts real servers on 127.0.0.1, port 0; stops them all after the test."""
    running: list[ChatServer] = []

    def start(
        log: MessageLog | None = None, names: tuple[str, ...] = (), **options: Any
    ) -> ChatServer:
        # Most tests send as fast as they can: flood control is off unless a test sets limits.
        options.setdefault("limits", ConnectionLimits(flood=FloodLimits.unlimited()))
        server = build_server(
            ("127.0.0.1", 0),
            log=log if log is not None else InMemoryMessageLog(),
            clock=SystemClock(),
            suggest_name=names_from(*names),
            **options,
        )
        server.start()
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def log() -> InMemoryMessageLog:
    return InMemoryMessageLog()


@pytest.fixture
def server(start_server: StartServer, log: InMemoryMessageLog) -> ChatServer:
    return start_server(log=log, names=("Tamara", "Zed"))


@pytest.fixture
def connect(server: ChatServer) -> Iterator[Callable[[], WireClient]]:
    clients: list[WireClient] = []

    def open_client() -> WireClient:
        client = WireClient(server.address)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def registered(connect: Callable[[], WireClient]) -> Callable[..., list[WireClient]]:
    """Clients that have said hello, in order, with everything owed to them read."""

    def make(*nicks: str) -> list[WireClient]:
        clients = []
        for nick in nicks:
            client = connect()
            assert client.hello(nick)["nick"] == nick
            clients.append(client)
        for client in clients:
            client.drain()
        return clients

    return make
