from collections.abc import Callable, Iterator

import pytest

from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.tcp.server import ChatServer
from tests.conftest import StartServer
from tests.wire_client import WireClient


@pytest.fixture
def log() -> InMemoryRoomStore:
    return InMemoryRoomStore()


@pytest.fixture
def server(start_server: StartServer, log: InMemoryRoomStore) -> ChatServer:
    return start_server(store=log, names=("Tamara", "Zed"))


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
