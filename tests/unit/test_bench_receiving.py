"""How the load generator reads: markers counted and PINGs answered chunk by chunk, without
splitting a chunk into lines unless it may hold a PING; and, for the shutdown workload, the
messages before the shutdown frame told apart from anything after it.

A worker reads one end of a socketpair; the test writes the server's bytes into the other,
cut into chunks at every place, and reads back what the worker answered. The pair is local
and a send lands in the peer's buffer at once, so nothing waits on time.
"""

import socket
from collections.abc import Iterator

import pytest

from bench.loadgen import (
    Client,
    LoadWorker,
    WorkerPlan,
    count_markers,
    may_start_line,
    receive_only_plan,
)
from bench.shutdown import SHUTDOWN_FRAME, ClientEnding, ShutdownWorker

READ_TIMEOUT = 2.0  # a bound on each select: the bytes are already there when it runs
PING = b"PING :bench.local\r\n"
PONG = b"PONG :bench.local\r\n"


def irc_message(number: int, text: bytes = b"") -> bytes:
    return b":b1!~b1@127.0.0.1 PRIVMSG #bench :MSG#%d#" % number + text + b"xxxx\r\n"


def v1_message(number: int) -> bytes:
    return b'{"type":"public","id":%d,"from":"b1","text":"MSG#%d#xxxx"}\n' % (number, number)


def plan(dialect: str) -> WorkerPlan:
    return receive_only_plan(dialect, timeout=READ_TIMEOUT)


class Wire:
    """A worker with one client, the far end of its socket played by the test."""

    def __init__(self, worker: LoadWorker, *, probe: bool = False) -> None:
        self.worker = worker
        self.server, near = socket.socketpair()
        near.setblocking(False)
        self.server.setblocking(False)
        self.client: Client = worker.add_client(near, sender=False, probe=probe)

    def deliver(self, *chunks: bytes) -> None:
        """Each chunk a recv of its own: sent, then read by the worker before the next."""
        for chunk in chunks:
            self.server.sendall(chunk)
            self.worker.read_ready(READ_TIMEOUT)

    def answered(self) -> bytes:
        """Everything the worker has sent back (it sends synchronously, so it is all here)."""
        replies = b""
        while True:
            try:
                data = self.server.recv(4096)
            except BlockingIOError:
                return replies
            if not data:
                return replies
            replies += data

    def close(self) -> None:
        self.server.close()
        self.worker.close()


@pytest.fixture
def wires() -> Iterator[list[Wire]]:
    opened: list[Wire] = []
    yield opened
    for wire in opened:
        wire.close()


def cuts(stream: bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    """The stream cut into three chunks in every way (an empty chunk left out when sent)."""
    for first in range(1, len(stream)):
        for second in range(first, len(stream)):
            yield stream[:first], stream[first:second], stream[second:]


def fed(wires: list[Wire], dialect: str, chunks: tuple[bytes, ...], *, probe: bool = False) -> Wire:
    wire = Wire(LoadWorker(plan(dialect), [0], 0), probe=probe)
    wires.append(wire)
    wire.deliver(*(chunk for chunk in chunks if chunk))
    return wire


def test_a_ping_cut_anywhere_across_chunks_is_answered_exactly_once(wires: list[Wire]) -> None:
    stream = irc_message(1) + PING + irc_message(2)
    for chunks in cuts(stream):
        wire = fed(wires, "irc", chunks)
        assert wire.answered() == PONG, chunks
        assert wire.worker.result.received == 2, chunks
        wire.close()
        wires.remove(wire)


def test_markers_are_counted_right_with_ping_lines_between_them(wires: list[Wire]) -> None:
    stream = PING + irc_message(1) + PING + PING + irc_message(2) + irc_message(3) + PING
    for cut in range(1, len(stream)):
        wire = fed(wires, "irc", (stream[:cut], stream[cut:]))
        assert wire.worker.result.received == 3, cut
        assert wire.answered() == PONG * 4, cut
        wire.close()
        wires.remove(wire)


def test_a_ping_in_the_middle_of_a_message_is_not_answered(wires: list[Wire]) -> None:
    stream = irc_message(1, text=b"PING :bench.local ") + b":b2!~b2@h PRIVMSG #bench :PING :x\r\n"
    for chunks in cuts(stream):
        wire = fed(wires, "irc", chunks)
        assert wire.answered() == b"", chunks
        assert wire.worker.result.received == 1, chunks
        wire.close()
        wires.remove(wire)


def test_a_chunk_without_a_ping_is_not_split_but_its_last_line_is_kept(
    wires: list[Wire],
) -> None:
    wire = fed(wires, "irc", (irc_message(1) + irc_message(2)[:10],))
    assert wire.client.pending_line == irc_message(2)[:10]
    wire.deliver(irc_message(2)[10:])
    assert wire.client.pending_line == b""
    assert wire.worker.result.received == 2


def test_v1_counts_the_same_way_and_never_answers(wires: list[Wire]) -> None:
    stream = v1_message(1) + v1_message(2) + v1_message(3)
    for cut in range(1, len(stream)):
        wire = fed(wires, "v1", (stream[:cut], stream[cut:]))
        assert wire.worker.result.received == 3, cut
        assert wire.answered() == b"", cut
        wire.close()
        wires.remove(wire)


def test_a_probe_times_every_message_and_still_answers_pings(wires: list[Wire]) -> None:
    wire = fed(wires, "irc", (irc_message(10**9) + PING,), probe=True)
    assert len(wire.worker.result.latencies_ns) == 1
    assert wire.answered() == PONG


def test_a_marker_cut_in_two_is_counted_once() -> None:
    assert count_markers(b"", b"MSG#1#x\n") == 1
    assert count_markers(b"text MS", b"G#1#x\n") == 1
    assert count_markers(b"text MSG", b"#1#x\n") == 1
    assert count_markers(b"text MSG#", b"1#x\n") == 0  # counted with the chunk before


def test_only_a_line_that_starts_with_the_prefix_may_hold_it() -> None:
    assert may_start_line(b"PING ", b"", b"PING :x\r\n")
    assert may_start_line(b"PING ", b"PI", b"NG :x\r\n")
    assert may_start_line(b"PING ", b"PING :bench.lo", b"cal\r\n")
    assert may_start_line(b"PING ", b":a PRIVMSG #b :hi", b"\r\nPING :x\r\n")
    assert not may_start_line(b"PING ", b":a PRIVMSG #b :", b"PING :x\r\n")
    assert not may_start_line(b"PING ", b"", b":a PRIVMSG #b :PING :x\r\n")


# --- the shutdown workload -----------------------------------------------------------------


def shutdown_wire(wires: list[Wire], chunks: tuple[bytes, ...]) -> tuple[Wire, ClientEnding]:
    """A shutdown worker's client fed `chunks`, and what it has seen (updated as it reads)."""
    worker = ShutdownWorker(plan("v1"), [0], 0)
    wire = Wire(worker)
    wires.append(wire)
    wire.deliver(*(chunk for chunk in chunks if chunk))
    return wire, worker.ending(wire.client)


FRAME = SHUTDOWN_FRAME + b',"reason":"server closing","ts":"2026-11-24T17:45:23Z"}\n'


def test_every_message_before_the_shutdown_frame_counts_however_it_is_cut(
    wires: list[Wire],
) -> None:
    stream = v1_message(1) + v1_message(2) + FRAME
    for chunks in cuts(stream):
        wire, ending = shutdown_wire(wires, chunks)
        assert (ending.messages, ending.shutdown_seen, ending.after_shutdown) == (2, True, 0)
        wire.close()
        wires.remove(wire)


def test_a_message_after_the_shutdown_frame_is_told_apart(wires: list[Wire]) -> None:
    stream = v1_message(1) + FRAME + v1_message(2)
    for cut in range(1, len(stream)):
        wire, ending = shutdown_wire(wires, (stream[:cut], stream[cut:]))
        assert (ending.messages, ending.shutdown_seen, ending.after_shutdown) == (1, True, 1)
        wire.close()
        wires.remove(wire)


def test_the_end_of_the_connection_is_noted_not_taken_for_an_error(wires: list[Wire]) -> None:
    wire, ending = shutdown_wire(wires, (v1_message(1) + FRAME,))
    wire.server.close()
    wire.worker.read_ready(READ_TIMEOUT)
    assert ending.closed_ns > 0
    assert ending.why == "closed by the server"
    assert wire.worker.result.error is None
