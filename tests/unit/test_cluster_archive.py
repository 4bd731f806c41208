"""A cluster node's log files: complete up to a stream position, and never a line twice."""

from datetime import timedelta
from pathlib import Path

import pytest

from app.adapters.storage.cluster_archive import POSITION_NAME, ClusterArchive, Written
from app.adapters.storage.files import (
    PRIVATE_LOG_NAME,
    PUBLIC_LOG_NAME,
    StorageUnavailable,
    TextLogs,
)
from app.adapters.storage.lines import private_line, public_line
from app.domain.events import Message, PrivateMessage, PublicMessage
from app.services.cluster_replica import follows, parse_position
from tests.fakes import T0


def public(message_id: int, text: str) -> PublicMessage:
    return PublicMessage(
        id=message_id, sender="ann", text=text, sent_at=T0 + timedelta(seconds=message_id)
    )


def private(message_id: int, text: str) -> PrivateMessage:
    return PrivateMessage(
        id=message_id,
        sender="ann",
        recipient="bob",
        text=text,
        sent_at=T0 + timedelta(seconds=message_id),
    )


def lines(directory: Path, name: str) -> list[str]:
    return (directory / name).read_text().splitlines(keepends=True)


def archive_in(directory: Path) -> ClusterArchive:
    """What a node builds at start: the text logs, then the archive over them."""
    return ClusterArchive(directory, TextLogs(directory))


def test_a_new_directory_is_complete_up_to_the_start_of_the_stream(tmp_path: Path) -> None:
    assert archive_in(tmp_path).written == Written(position="0-0")


def test_the_lines_go_to_the_files_and_the_position_is_remembered(tmp_path: Path) -> None:
    archive = archive_in(tmp_path)
    batch: list[Message] = [public(1, "hi"), private(2, "psst"), public(3, "all")]

    archive.write(batch, "3-2")

    assert lines(tmp_path, PUBLIC_LOG_NAME) == [
        public_line(public(1, "hi")),
        public_line(public(3, "all")),
    ]
    assert lines(tmp_path, PRIVATE_LOG_NAME) == [private_line(private(2, "psst"))]
    assert archive.written == Written(position="3-2", public_lines=2, private_lines=1)
    archive.close()  # the node stops
    assert archive_in(tmp_path).written == archive.written  # after a restart


def test_a_restart_carries_on_where_the_files_stop(tmp_path: Path) -> None:
    first = archive_in(tmp_path)
    first.write([public(1, "one")], "1-0")
    first.close()

    restarted = archive_in(tmp_path)
    restarted.write([public(2, "two"), private(3, "three")], "3-0")

    assert lines(tmp_path, PUBLIC_LOG_NAME) == [
        public_line(public(1, "one")),
        public_line(public(2, "two")),
    ]
    assert lines(tmp_path, PRIVATE_LOG_NAME) == [private_line(private(3, "three"))]
    restarted.close()
    assert archive_in(tmp_path).written == Written("3-0", public_lines=2, private_lines=1)


def test_lines_written_just_before_a_crash_are_not_written_twice(tmp_path: Path) -> None:
    archive_in(tmp_path).write([public(1, "one")], "1-0")
    # The next batch's lines reached the files, then the node died before saving the point.
    crashed = TextLogs(tmp_path)
    for message in (public(2, "two"), private(3, "three")):
        crashed.append(message)
    crashed.close()

    restarted = archive_in(tmp_path)
    assert restarted.written.position == "1-0"  # so the stream is read again from there
    restarted.write([public(2, "two"), private(3, "three"), public(4, "four")], "4-1")

    assert lines(tmp_path, PUBLIC_LOG_NAME) == [
        public_line(public(1, "one")),
        public_line(public(2, "two")),
        public_line(public(4, "four")),
    ]
    assert lines(tmp_path, PRIVATE_LOG_NAME) == [private_line(private(3, "three"))]
    assert restarted.written == Written("4-1", public_lines=3, private_lines=1)


def test_lines_from_a_crash_are_skipped_across_batches(tmp_path: Path) -> None:
    archive_in(tmp_path).write([], "0-1")
    crashed = TextLogs(tmp_path)
    for message in (public(1, "one"), public(2, "two")):
        crashed.append(message)
    crashed.close()

    restarted = archive_in(tmp_path)
    restarted.write([public(1, "one")], "1-0")
    restarted.write([public(2, "two"), public(3, "three")], "3-0")

    assert [line.split(": ", 1)[1] for line in lines(tmp_path, PUBLIC_LOG_NAME)] == [
        "one\n",
        "two\n",
        "three\n",
    ]


def test_an_unreadable_position_file_stops_the_node(tmp_path: Path) -> None:
    (tmp_path / POSITION_NAME).write_text("{not json")

    with pytest.raises(StorageUnavailable, match=POSITION_NAME):
        archive_in(tmp_path)


# --- the stream's order -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "position"),
    [
        ("0-0", "1-0"),  # the first message
        ("0-0", "0-1"),  # a join before any message
        ("7-0", "8-0"),  # the next message
        ("7-0", "7-1"),  # an event after message 7
        ("7-3", "7-4"),
        ("7-3", "8-0"),  # the next message after events
    ],
)
def test_the_very_next_entry_follows(previous: str, position: str) -> None:
    assert follows(previous, position)


@pytest.mark.parametrize(
    ("previous", "position"),
    [
        ("7-0", "7-0"),  # the same entry again
        ("7-3", "7-3"),
        ("7-0", "9-0"),  # a message missing
        ("7-1", "7-3"),  # an event missing
        ("7-3", "8-1"),  # message 8 missing
        ("7-3", "6-4"),  # from before
        ("7-3", "7-2"),
    ],
)
def test_anything_else_is_a_gap(previous: str, position: str) -> None:
    assert not follows(previous, position)


def test_a_position_reads_as_the_message_id_then_the_events_after_it() -> None:
    assert parse_position("17-3") == (17, 3)
    assert parse_position("17") == (17, 0)


def test_a_second_server_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    running = archive_in(tmp_path)
    with pytest.raises(StorageUnavailable, match="another chat-server uses"):
        archive_in(tmp_path)
    running.close()
    archive_in(tmp_path)  # free again once it stopped


def test_a_directory_with_logs_no_cluster_node_wrote_is_refused(tmp_path: Path) -> None:
    single_server = TextLogs(tmp_path)
    single_server.append(public(1, "from before"))
    single_server.close()

    with pytest.raises(StorageUnavailable, match="not written by a cluster node"):
        archive_in(tmp_path)
