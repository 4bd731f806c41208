"""The rules of a connection's life, protocol-neutral and tested without a socket: commands
in, a verdict out, replies recorded by a fake client."""

import pytest

from app.domain.commands import (
    Command,
    FetchHistory,
    Join,
    Leave,
    ListUsers,
    Malformed,
    Ping,
    ResumeRequest,
    SayPrivate,
    SayPublic,
)
from app.domain.errors import InvalidFrame, NotRegistered, RateLimited, StorageFailed
from app.domain.events import Pong, Refusal, UserLeft, Welcome
from app.domain.flood import DEFAULT_MAX_INVALID_STREAK, FloodLimits
from app.domain.text import MAX_QUIT_MESSAGE_CHARS
from app.services.connection import Connection, ConnectionPolicy, Verdict
from tests.unit.room_harness import RoomHarness

GARBAGE = Malformed(InvalidFrame("not a JSON object on one line of UTF-8"))


class Line:
    """One client on its connection, with the time standing still unless moved."""

    def __init__(self, room: RoomHarness, flood: FloodLimits | None = None) -> None:
        self.room = room
        self.client = room.person()
        self.now = 1000.0
        policy = ConnectionPolicy(flood=flood or FloodLimits.unlimited(), register_timeout=30)
        self.connection = Connection(
            room.chat,
            self.client,
            policy=policy,
            clock=room.clock,
            events=room.events,
            now=self.now,
        )

    def send(self, *commands: Command | Malformed) -> list[Verdict]:
        return [self.connection.receive(command, self.now) for command in commands]

    def welcome(self) -> Welcome:
        (welcome,) = [e for e in self.client.received if isinstance(e, Welcome)]
        return welcome

    def refusals(self) -> list[type]:
        return [type(e.error) for e in self.client.received if isinstance(e, Refusal)]


def test_before_hello_everything_but_hello_is_refused_and_the_connection_stays_open() -> None:
    line = Line(RoomHarness())
    verdicts = line.send(SayPublic("hi"), Leave(), ListUsers())
    assert verdicts == [Verdict.CONTINUE] * 3
    assert line.refusals() == [NotRegistered] * 3
    line.send(Join("ann"))
    assert isinstance(line.client.received[-1], Welcome)


def test_a_connection_that_never_says_hello_is_closed_when_its_time_is_up() -> None:
    silent = Line(RoomHarness())
    greeted = Line(silent.room)
    greeted.send(Join("ann"))

    assert silent.connection.registration_due() is Verdict.CLOSE
    assert greeted.connection.registration_due() is Verdict.CONTINUE
    (refusal,) = [e for e in silent.client.received if isinstance(e, Refusal)]
    assert "no hello within 30 seconds" in str(refusal.error)


def test_a_run_of_invalid_frames_ends_the_connection_and_the_session_waits_for_a_resume() -> None:
    room = RoomHarness(None, "Zed")
    (bob,) = room.joined("bob")
    line = Line(room)
    line.send(Join("ann"))

    verdicts = line.send(*[GARBAGE] * DEFAULT_MAX_INVALID_STREAK)

    assert verdicts[-1] is Verdict.CLOSE
    assert set(verdicts[:-1]) == {Verdict.CONTINUE}
    assert line.refusals()[-1] is InvalidFrame
    assert UserLeft(nick="ann", reason="invalid_frames", at=room.clock.now()) in bob.received
    assert line.send(Ping("late")) == [Verdict.CLOSE]  # nothing more is served
    taker = room.person()
    room.chat.join(taker, "ann")
    assert isinstance(taker.received[0], Welcome)
    assert taker.received[0].nick == "Zed"  # the nick is held for its owner's return


def test_one_valid_frame_resets_the_run_of_invalid_ones() -> None:
    line = Line(RoomHarness())
    line.send(Join("ann"))
    for _ in range(3):
        line.send(*[GARBAGE] * (DEFAULT_MAX_INVALID_STREAK - 1))
        assert line.send(Ping()) == [Verdict.CONTINUE]


def test_messages_draw_on_their_own_allowance_and_history_requests_count_as_messages() -> None:
    line = Line(RoomHarness(), FloodLimits(rate=1, burst=3))
    line.send(Join("ann"))

    line.send(SayPublic("1"), SayPrivate("ann", "2"), FetchHistory(limit=5), SayPublic("4"))
    line.send(*[Ping() for _ in range(5)])  # other requests have an allowance of their own

    assert line.refusals() == [RateLimited]
    assert sum(isinstance(e, Pong) for e in line.client.received) == 5
    line.now += 1  # one more message's worth
    line.send(SayPublic("later"))
    assert line.refusals() == [RateLimited]


def test_a_run_of_refusals_for_the_rate_is_one_console_line() -> None:
    line = Line(RoomHarness(), FloodLimits(rate=1, burst=1))
    line.send(Join("ann"))
    line.send(*[SayPublic("spam") for _ in range(20)])
    assert line.refusals() == [RateLimited] * 19
    errors = [f for _, event, f in line.room.events.lines if event == "client_error"]
    assert [f["error"] for f in errors] == ["rate_limited"]


def test_quit_closes_the_connection_and_ends_the_session() -> None:
    room = RoomHarness()
    (bob,) = room.joined("bob")
    line = Line(room)
    line.send(Join("ann"))
    assert line.send(Leave("bye")) == [Verdict.CLOSE]
    assert bob.received[-1] == UserLeft(
        nick="ann", reason="quit", at=room.clock.now(), message="bye"
    )
    assert ("info", "client_left", {"nick": "ann", "reason": "quit", "said": "bye"}) in (
        room.events.lines
    )


def test_a_quit_with_a_reason_shows_it_to_the_others_as_the_goodbye_of_the_leave() -> None:
    room = RoomHarness()
    (bob,) = room.joined("bob")
    line = Line(room)
    line.send(Join("ann"))
    assert line.send(Leave("gotta go")) == [Verdict.CLOSE]
    assert bob.received[-1] == UserLeft(
        nick="ann", reason="quit", at=room.clock.now(), message="gotta go"
    )


@pytest.mark.parametrize("said", [None, "", "   "])
def test_a_quit_without_a_reason_leaves_with_no_goodbye(said: str | None) -> None:
    room = RoomHarness()
    (bob,) = room.joined("bob")
    line = Line(room)
    line.send(Join("ann"))
    assert line.send(Leave(said)) == [Verdict.CLOSE]
    assert bob.received[-1] == UserLeft(nick="ann", reason="quit", at=room.clock.now())
    assert ("info", "client_left", {"nick": "ann", "reason": "quit", "said": None}) in (
        room.events.lines
    )


@pytest.mark.parametrize(
    "said",
    [
        "x" * (MAX_QUIT_MESSAGE_CHARS + 1),
        "x" * 10_000,
        "two\nlines",
        "\x1b[2Jcleared",
        "line\u2028separator",
    ],
    ids=["201 characters", "10,000 characters", "line break", "escape", "line separator"],
)
def test_a_goodbye_that_breaks_the_rules_is_dropped_but_the_client_still_leaves(
    said: str,
) -> None:
    room = RoomHarness()
    (bob,) = room.joined("bob")
    line = Line(room)
    line.send(Join("ann"))

    assert line.send(Leave(said)) == [Verdict.CLOSE]

    assert bob.received[-1] == UserLeft(nick="ann", reason="quit", at=room.clock.now())
    assert line.refusals() == []  # nothing to answer: it is gone
    assert room.chat.snapshot().users == 1
    (left,) = [fields for _, event, fields in room.events.lines if event == "client_left"]
    assert left["said"] is None
    assert "dropped" in left
    assert not any(said in str(value) for value in left.values())  # its text stays out


def test_a_goodbye_of_exactly_the_limit_is_shown() -> None:
    room = RoomHarness()
    (bob,) = room.joined("bob")
    line = Line(room)
    line.send(Join("ann"))
    goodbye = "é" * MAX_QUIT_MESSAGE_CHARS
    line.send(Leave(goodbye))
    assert bob.received[-1] == UserLeft(
        nick="ann", reason="quit", at=room.clock.now(), message=goodbye
    )


def test_a_lost_connection_drops_the_session_once() -> None:
    room = RoomHarness()
    (bob,) = room.joined("bob")
    line = Line(room)
    line.send(Join("ann"))
    line.connection.lost("disconnected")
    line.connection.lost("disconnected")
    assert [e for e in bob.received if isinstance(e, UserLeft)] == [
        UserLeft(nick="ann", reason="disconnected", at=room.clock.now())
    ]


def test_a_storage_failure_is_refused_to_the_client_and_reported_to_the_operator() -> None:
    line = Line(RoomHarness())
    line.send(Join("ann"))
    line.room.store.failing = True
    line.send(SayPublic("lost?"))
    assert line.refusals() == [StorageFailed]
    assert "storage_failed" in line.room.events.events()


def test_the_first_command_after_a_resume_spends_the_token_it_resumed_with() -> None:
    room = RoomHarness()
    first = Line(room)
    first.send(Join("ann"))
    token = room.secrets.given[-1]
    first.connection.lost("disconnected")
    second = Line(room)
    second.send(Join("ann", ResumeRequest(token=token, last_id=0)))
    second.connection.lost("disconnected")  # before it said anything: the welcome was lost
    third = Line(room)
    third.send(Join("ann", ResumeRequest(token=token, last_id=0)), Ping())  # pipelined
    assert third.welcome().resumed
    third.connection.lost("disconnected")  # what came with the hello proves nothing

    fourth = Line(room)
    fourth.send(Join("ann", ResumeRequest(token=token, last_id=0)))
    assert fourth.welcome().resumed
    fourth.connection.new_read()
    fourth.send(Ping())  # sent after the welcome came: it has its new token now
    fourth.connection.lost("disconnected")

    fifth = Line(room)
    fifth.send(Join("ann", ResumeRequest(token=token, last_id=0)))
    assert fifth.welcome().resumed is False


def test_once_the_server_is_closing_nothing_more_is_answered() -> None:
    line = Line(RoomHarness(), FloodLimits(rate=1, burst=1))
    line.send(Join("ann"))
    line.room.chat.shut_down("server closing")
    line.send(GARBAGE, SayPublic("a"), SayPublic("b"), ListUsers())
    assert line.refusals() == []


def test_a_refusal_for_the_rate_says_the_limit_in_plain_words() -> None:
    line = Line(RoomHarness(), FloodLimits(rate=1, burst=2))
    line.send(Join("ann"))
    line.send(*[SayPublic("spam") for _ in range(3)])
    said = [str(e.error) for e in line.client.received if isinstance(e, Refusal)]
    assert said == ["too fast: this server takes 1 message a second, 2 at once"]
