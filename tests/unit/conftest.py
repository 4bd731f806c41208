import time
from collections.abc import Iterator

import pytest

from app.adapters.terminal.pacing import MessagePacer
from app.adapters.terminal.session import ChatSession
from tests.fakes import T0
from tests.unit.client_fakes import (
    FakeServerConnection,
    NewSession,
    RecordingDisplay,
    unhurried_pacer,
)


@pytest.fixture
def new_session() -> Iterator[NewSession]:
    """Chat sessions on fake connections, their clocks stopped at T0; `online` as if
    registered already (nick set, sending open). Their sender threads end with the test."""
    made: list[ChatSession] = []

    def new(
        connection: FakeServerConnection,
        *,
        nick: str = "ann",
        online: bool = True,
        marker: str | None = None,
        pacer: MessagePacer | None = None,
    ) -> tuple[ChatSession, RecordingDisplay]:
        display = RecordingDisplay()
        session = ChatSession(
            connection,  # type: ignore[arg-type]
            display,
            pacer or unhurried_pacer(),
            history_marker=marker,
            now=lambda: T0,
        )
        made.append(session)
        session.nick = nick
        if online:
            session.online_again(resumed=False)
        return session, display

    yield new
    for session in made:
        session.unsent()  # stops its sender thread


@pytest.fixture(autouse=True)
def _local_time_restored() -> Iterator[None]:
    """A test that sets TZ gets the machine's own time zone back afterwards."""
    yield
    time.tzset()
