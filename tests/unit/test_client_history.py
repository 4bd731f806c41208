"""How the client shows history and resumes: without a terminal or a socket."""

import threading
from collections import deque
from collections.abc import Iterator

from app.adapters.tcp.wire import (
    AskHistory,
    ClientFrame,
    Hello,
    HistoryFrame,
    Ping,
    PrivateFrame,
    PublicFrame,
    ResumeFields,
    SendPublic,
    ServerFrame,
    WelcomeFrame,
)
from app.adapters.terminal.reconnect import reconnect
from app.adapters.terminal.render import Fragments, plain, render
from app.adapters.terminal.session import ChatSession
from tests.fakes import T0

PSST = PrivateFrame(id=6, sender="bob", to="ann", text="psst", ts=T0)


def public(number: int, text: str = "", sender: str = "bob") -> PublicFrame:
    return PublicFrame(id=number, sender=sender, text=text or f"m{number}", ts=T0)


def welcome(*, resumed: bool, last_id: int, token: str = "t2") -> WelcomeFrame:
    return WelcomeFrame(
        nick="ann",
        requested="ann",
        renamed=False,
        users=["ann", "bob"],
        ts=T0,
        resume_token=token,
        resumed=resumed,
        last_id=last_id,
    )


def history(reason: str, *messages: PublicFrame | PrivateFrame, **flags: bool) -> HistoryFrame:
    return HistoryFrame(
        reason=reason,  # type: ignore[arg-type]
        messages=list(messages),
        more=flags.get("more", False),
        gap=flags.get("gap", False),
        ts=T0,
    )


class ScriptedConnection:
    """A server connection that answers with the frames given, in order, and keeps what
    is sent to it."""

    def __init__(self, *frames: ServerFrame) -> None:
        self.queue: deque[ServerFrame] = deque(frames)
        self.sent: list[ClientFrame] = []

    def send(self, frame: ClientFrame) -> None:
        self.sent.append(frame)

    def read_frame(self, timeout: float | None = None) -> ServerFrame | None:
        return self.queue.popleft() if self.queue else None

    def frames(self) -> Iterator[ServerFrame]:
        while self.queue:
            yield self.queue.popleft()

    def close(self) -> None:
        pass


def session_on(
    connection: ScriptedConnection, marker: str | None = None
) -> tuple[ChatSession, list[Fragments]]:
    shown: list[Fragments] = []
    session = ChatSession(connection, shown.append, history_marker=marker)  # type: ignore[arg-type]
    return session, shown


def texts(shown: list[Fragments]) -> list[str]:
    return [plain(fragments) for fragments in shown]


def test_the_backlog_comes_under_a_divider_dimmed_and_never_highlighted() -> None:
    connection = ScriptedConnection(
        welcome(resumed=False, last_id=2),
        history("backlog", public(1), public(2, "ann: are you there?")),
    )
    session, shown = session_on(connection)
    session.register("ann")
    session.read_until_closed()

    assert texts(shown)[0] == "-- earlier --"
    assert texts(shown)[2].endswith("<bob> ann: are you there?")
    styles = {style for fragments in shown[1:] for style, _ in fragments}
    assert styles == {"class:history"}  # no mention highlight, so no bell either


def test_in_a_pipe_history_lines_are_marked_and_there_are_no_dividers() -> None:
    connection = ScriptedConnection(
        welcome(resumed=False, last_id=1), history("backlog", public(1))
    )
    session, shown = session_on(connection, marker="[history] ")
    session.register("ann")
    session.read_until_closed()
    assert texts(shown) == [f"[history] {texts([_live_line(public(1))])[0]}"]


def _live_line(frame: PublicFrame) -> Fragments:
    fragments = render(frame, "ann")
    assert fragments is not None
    return fragments


def test_older_pages_say_how_many_and_where_the_room_began() -> None:
    session, shown = session_on(
        ScriptedConnection(
            history("request", public(3), public(4), more=True),
            history("request", public(1), public(2)),
            history("request"),
        )
    )
    session.nick = "ann"
    session.read_until_closed()
    assert [line for line in texts(shown) if not line.startswith("[")] == [
        "-- 2 older messages --",
        "-- 2 older messages --",
        "-- the beginning of the room --",
        "* no older messages: that is the beginning of the room",
    ]


def test_history_requests_page_back_from_the_oldest_message_seen() -> None:
    connection = ScriptedConnection(public(7), history("backlog", public(5), public(6)))
    session, _ = session_on(connection)
    session.read_until_closed()
    session.submit("/history 20")
    assert connection.sent[-1].model_dump() == {"type": "history", "before": 5, "limit": 20}


def test_a_replay_is_shown_once_complete_with_how_many_were_missed() -> None:
    connection = ScriptedConnection(
        welcome(resumed=True, last_id=9),
        history("resume", public(3), more=True, gap=True),
        history(
            "resume", public(5), PrivateFrame(id=6, sender="bob", to="ann", text="psst", ts=T0)
        ),
    )
    session, shown = session_on(connection)
    session.resume_token = "t1"
    session.register("ann")
    assert session.replaying
    session.read_replay()

    assert not session.replaying
    lines = texts(shown)
    assert lines[0].startswith("! some messages from while you were away are no longer")
    assert lines[1] == "-- 3 messages while you were away --"
    assert lines[4].endswith("[pm from bob] psst")
    hello = connection.sent[0]
    assert isinstance(hello, Hello)
    assert hello.resume == ResumeFields(token="t1", last_id=0)
    assert session.resume_token == "t2"


def test_a_replay_cut_short_is_asked_for_again_and_shown_whole() -> None:
    connection = ScriptedConnection(
        welcome(resumed=True, last_id=9), history("resume", public(3), more=True)
    )
    session, shown = session_on(connection)
    session.resume_token = "t1"
    session.register("ann")
    session.read_until_closed()  # the first page, and then the connection drops
    again = ScriptedConnection(
        welcome(resumed=True, last_id=9, token="t3"), history("resume", public(3), public(9))
    )
    session.connection = again  # type: ignore[assignment]
    session.register("ann")
    session.read_replay()

    hello = again.sent[0]
    assert isinstance(hello, Hello)
    assert hello.resume == ResumeFields(token="t2", last_id=0)  # not 3: 3 was never shown
    lines = texts(shown)
    assert lines[0] == "-- 2 messages while you were away --"
    assert [line.rsplit(" ", 1)[1] for line in lines[1:]] == ["m3", "m9"]


def test_reconnecting_shows_the_replay_before_sending_what_was_typed_meanwhile() -> None:
    old = ScriptedConnection(welcome(resumed=False, last_id=0, token="t1"))
    session, shown = session_on(old)
    session.register("ann")
    session.disconnected()
    session.submit("typed while away")
    fresh = ScriptedConnection(welcome(resumed=True, last_id=4), history("resume", public(4)))

    assert reconnect(session, lambda: fresh, shown.append, threading.Event(), iter([0.0]))  # type: ignore[arg-type, return-value]

    lines = texts(shown)
    replay_at = lines.index("-- 1 message while you were away --")
    assert lines.index("* reconnected as ann") < replay_at
    assert replay_at < lines.index("* sending the 1 line(s) typed while disconnected")
    assert fresh.sent[-1] == SendPublic(text="typed while away")


def test_a_reconnect_that_could_not_resume_says_what_was_lost() -> None:
    old = ScriptedConnection(welcome(resumed=False, last_id=0, token="t1"))
    session, shown = session_on(old)
    session.register("ann")
    fresh = ScriptedConnection(welcome(resumed=False, last_id=8))
    assert reconnect(session, lambda: fresh, shown.append, threading.Event(), iter([0.0]))  # type: ignore[arg-type, return-value]
    assert "but as a new session" in texts(shown)[-1]


def test_a_history_message_breaking_the_text_rules_is_dropped_with_a_warning() -> None:
    session, shown = session_on(
        ScriptedConnection(history("backlog", public(1, "fine"), public(2, "evil\x1b[2J")))
    )
    session.read_until_closed()
    lines = texts(shown)
    assert any("dropped a message from bob" in line for line in lines)
    assert not any("evil" in line for line in lines)


def test_history_asked_for_while_away_becomes_one_request_once_back() -> None:
    old = ScriptedConnection(welcome(resumed=False, last_id=0, token="t1"))
    session, shown = session_on(old)
    session.register("ann")
    session.disconnected()
    session.submit("/history 10")
    session.submit("/history 10")
    fresh = ScriptedConnection(welcome(resumed=True, last_id=4), history("resume", public(4)))

    assert reconnect(session, lambda: fresh, shown.append, threading.Event(), iter([0.0]))  # type: ignore[arg-type, return-value]

    asked = [frame for frame in fresh.sent if isinstance(frame, AskHistory)]
    assert asked == [AskHistory(before=4, limit=20)]
    assert isinstance(fresh.sent[1], Ping)  # the resume acknowledged before anything else
