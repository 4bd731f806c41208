"""The file log and the in-memory log keep the same contract; the file log survives restarts."""

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from app.adapters.storage.files import FileMessageLog, StorageUnavailable
from app.adapters.storage.memory import InMemoryMessageLog
from app.adapters.tcp.server import ChatServer
from app.domain.events import PrivateMessage, PublicMessage
from app.services.ports import MessageLog
from tests.fakes import T0
from tests.wire_client import WireClient

HELLO = PublicMessage(id=1, sender="alice", text="hi all", sent_at=T0)
PSST = PrivateMessage(id=2, sender="alice", recipient="bob", text="psst", sent_at=T0)


@pytest.fixture(params=["file", "memory"])
def any_log(request: pytest.FixtureRequest, tmp_path: Path) -> MessageLog:
    return FileMessageLog(tmp_path) if request.param == "file" else InMemoryMessageLog()


def test_a_new_log_starts_empty(any_log: MessageLog) -> None:
    totals = any_log.totals()
    assert (totals.public, totals.private) == (0, 0)


def test_appends_are_accepted_in_both_logs(any_log: MessageLog) -> None:
    any_log.append_public(HELLO)
    any_log.append_private(PSST)


def test_the_file_log_writes_one_line_per_message_in_the_documented_format(tmp_path: Path) -> None:
    log = FileMessageLog(tmp_path)
    log.append_public(HELLO)
    log.append_private(PSST)
    assert (tmp_path / "messages.txt").read_text() == "[2026-11-23 20:57:43+00:00] alice: hi all\n"
    assert (tmp_path / "private_messages.txt").read_text() == (
        "[2026-11-23 20:57:43+00:00] alice -> bob: psst\n"
    )


def test_the_memory_log_renders_the_same_lines_as_the_file_log(tmp_path: Path) -> None:
    memory, files = InMemoryMessageLog(), FileMessageLog(tmp_path)
    for log in (memory, files):
        log.append_public(HELLO)
        log.append_private(PSST)
    assert memory.public_lines() == (tmp_path / "messages.txt").read_text().splitlines(True)
    assert memory.private_lines() == (tmp_path / "private_messages.txt").read_text().splitlines(
        True
    )


def test_totals_resume_from_what_earlier_runs_logged(tmp_path: Path) -> None:
    first = FileMessageLog(tmp_path)
    for _ in range(3):
        first.append_public(HELLO)
    first.append_private(PSST)
    first.close()
    totals = FileMessageLog(tmp_path).totals()
    assert (totals.public, totals.private) == (3, 1)


def test_a_torn_last_line_is_counted_and_never_glued_to_the_next_message(tmp_path: Path) -> None:
    (tmp_path / "messages.txt").write_text("[2026-11-23 20:57:43+00:00] alice: cut sh")
    log = FileMessageLog(tmp_path)
    assert log.totals().public == 1
    log.append_public(HELLO)
    lines = (tmp_path / "messages.txt").read_text().splitlines()
    assert lines[1] == "[2026-11-23 20:57:43+00:00] alice: hi all"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_log_directory_is_a_clear_error_at_start_up(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StorageUnavailable, match="cannot keep message logs"):
            FileMessageLog(tmp_path / "logs")
    finally:
        tmp_path.chmod(0o700)


def test_a_log_path_that_is_a_file_is_a_clear_error_at_start_up(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("not a directory")
    with pytest.raises(StorageUnavailable, match="cannot keep message logs"):
        FileMessageLog(tmp_path / "taken")


def test_message_ids_keep_increasing_across_a_server_restart(
    start_server: Callable[..., ChatServer], tmp_path: Path
) -> None:
    first = start_server(log=FileMessageLog(tmp_path))
    alice = WireClient(first.address)
    alice.hello("alice")
    alice.send({"type": "public", "text": "one"})
    alice.send({"type": "private", "to": "alice", "text": "two"})
    assert [alice.expect("public")["id"], alice.expect("private")["id"]] == [1, 2]
    first.stop()
    alice.close()

    second = start_server(log=FileMessageLog(tmp_path))
    bob = WireClient(second.address)
    bob.hello("bob")
    bob.send({"type": "public", "text": "three"})
    assert bob.expect("public")["id"] == 3
    bob.send({"type": "stats"})
    stats = bob.expect("stats")
    assert (stats["public_total"], stats["private_total"]) == (2, 1)
    bob.close()


def test_lines_from_concurrent_senders_never_interleave(
    start_server: Callable[..., ChatServer], tmp_path: Path
) -> None:
    server = start_server(log=FileMessageLog(tmp_path))
    senders = [WireClient(server.address) for _ in range(4)]
    for index, sender in enumerate(senders):
        sender.hello(f"s{index}")

    def send_many(sender: WireClient, index: int) -> None:
        for number in range(50):
            sender.send({"type": "public", "text": f"{index}-{number} " + "x" * 500})

    threads = [threading.Thread(target=send_many, args=(s, i)) for i, s in enumerate(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    for sender in senders:
        sender.drain()
    lines = (tmp_path / "messages.txt").read_text().splitlines()
    assert len(lines) == 200
    for line in lines:
        assert line.endswith(" " + "x" * 500)
        assert line.count("] s") == 1
    for sender in senders:
        sender.close()


def test_a_message_is_on_disk_before_anyone_receives_it(
    start_server: Callable[..., ChatServer], tmp_path: Path
) -> None:
    server = start_server(log=FileMessageLog(tmp_path))
    alice, bob = WireClient(server.address), WireClient(server.address)
    alice.hello("alice")
    bob.hello("bob")
    alice.send({"type": "public", "text": "durable"})
    assert bob.expect("public")["text"] == "durable"
    assert (tmp_path / "messages.txt").read_text().endswith("alice: durable\n")
    alice.close()
    bob.close()
