import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

from app.adapters.clock import SystemClock
from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.tcp.limits import ConnectionLimits
from app.adapters.tcp.server import ChatServer
from app.domain.flood import FloodLimits
from app.main_server import build_server
from app.services.membership import RoomSettings
from app.services.ports import RoomStore
from tests.fakes import names_from


def pytest_configure() -> None:
    # The server logs every connection at info level; in tests only warnings are worth reading.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


StartServer = Callable[..., ChatServer]


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    """Starts real servers on 127.0.0.1, port 0; stops them all after the test."""
    running: list[ChatServer] = []

    def start(
        store: RoomStore | None = None, names: tuple[str, ...] = (), **options: Any
    ) -> ChatServer:
        # Most tests send as fast as they can: flood control is off unless a test sets limits.
        options.setdefault("limits", ConnectionLimits(flood=FloodLimits.unlimited()))
        options.setdefault("clock", SystemClock())
        # A backlog after every welcome would be noise in tests about something else; the
        # backlog's own tests turn it on.
        options.setdefault("settings", RoomSettings(backlog=0))
        server = build_server(
            ("127.0.0.1", 0),
            store=store if store is not None else InMemoryRoomStore(),
            suggest_name=names_from(*names),
            **options,
        )
        server.start()
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()
