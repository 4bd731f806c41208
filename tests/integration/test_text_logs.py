"""messages.txt and private_messages.txt: the format they always had, written before delivery."""

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from app.adapters.storage.files import StorageUnavailable, TextLogs
from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.tcp.server import ChatServer
from app.domain.drafts import PrivateDraft, PublicDraft
from app.domain.events import PrivateMessage, PublicMessage
from tests.fakes import T0
from tests.stores import disk_store
from tests.wire_client import WireClient

HELLO = PublicMessage(id=1, sender="alice", text="hi all", sent_at=T0)
PSST = PrivateMessage(id=2, sender="alice", recipient="bob", text="psst", sent_at=T0)


def test_the_text_logs_hold_one_line_per_message_in_the_documented_format(
    tmp_path: Path,
) -> None:
    logs = TextLogs(tmp_path)
    logs.append(HELLO)
    logs.append(PSST)
    assert (tmp_path / "messages.txt").read_text() == "[2026-11-23 20:57:43+00:00] alice: hi all\n"
    assert (tmp_path / "private_messages.txt").read_text() == (
        "[2026-11-23 20:57:43+00:00] alice -> bob: psst\n"
    )


def test_the_memory_store_renders_the_same_lines_as_the_text_logs(tmp_path: Path) -> None:
    memory, disk = InMemoryRoomStore(), disk_store(tmp_path)
    for store in (memory, disk):
        store.append(PublicDraft("alice", "hi all", T0, "s1"))
        store.append(PrivateDraft("alice", "bob", "psst", T0, "s1", "s2"))
    assert memory.public_lines() == (tmp_path / "messages.txt").read_text().splitlines(True)
    assert memory.private_lines() == (tmp_path / "private_messages.txt").read_text().splitlines(
        True
    )


def test_line_counts_carry_on_from_what_earlier_runs_logged(tmp_path: Path) -> None:
    first = TextLogs(tmp_path)
    for _ in range(3):
        first.append(HELLO)
    first.append(PSST)
    first.close()
    counts = TextLogs(tmp_path).line_counts()
    assert (counts.public, counts.private) == (3, 1)


def test_a_torn_last_line_is_counted_and_never_glued_to_the_next_message(tmp_path: Path) -> None:
    (tmp_path / "messages.txt").write_text("[2026-11-23 20:57:43+00:00] alice: cut sh")
    logs = TextLogs(tmp_path)
    assert logs.line_counts().public == 1
    logs.append(HELLO)
    lines = (tmp_path / "messages.txt").read_text().splitlines()
    assert lines[1] == "[2026-11-23 20:57:43+00:00] alice: hi all"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_log_directory_is_a_clear_error_at_start_up(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StorageUnavailable, match="cannot keep message logs"):
            TextLogs(tmp_path / "logs")
    finally:
        tmp_path.chmod(0o700)


def test_a_log_path_that_is_a_file_is_a_clear_error_at_start_up(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("not a directory")
    with pytest.raises(StorageUnavailable, match="cannot keep message logs"):
        TextLogs(tmp_path / "taken")


def test_lines_from_concurrent_senders_never_interleave(
    start_server: Callable[..., ChatServer], tmp_path: Path
) -> None:
    server = start_server(store=disk_store(tmp_path))
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
    server = start_server(store=disk_store(tmp_path))
    alice, bob = WireClient(server.address), WireClient(server.address)
    alice.hello("alice")
    bob.hello("bob")
    alice.send({"type": "public", "text": "durable"})
    assert bob.expect("public")["text"] == "durable"
    assert (tmp_path / "messages.txt").read_text().endswith("alice: durable\n")
    alice.close()
    bob.close()
