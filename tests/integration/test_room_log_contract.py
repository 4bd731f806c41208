"""One contract for every room store: the in-memory one (for tests) and SQLite (the default),
the same test run against each; then what only the one on disk can promise."""

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from app.adapters.storage.files import StorageUnavailable, TextLogs
from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.storage.sqlite import DATABASE_NAME, SqliteRoomStore
from app.domain.drafts import PrivateDraft, PublicDraft, with_id
from app.domain.events import PublicMessage
from app.domain.sessions import Session
from app.services.ports import RoomStore
from tests.fakes import T0


def public(text: str, session: str = "s-ann", sender: str = "ann") -> PublicDraft:
    return PublicDraft(sender=sender, text=text, sent_at=T0, sender_session=session)


def private(text: str, sender: str, recipient: str) -> PrivateDraft:
    return PrivateDraft(
        sender=sender,
        recipient=recipient,
        text=text,
        sent_at=T0,
        sender_session=f"s-{sender}",
        recipient_session=f"s-{recipient}",
    )


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RoomStore]:
    if request.param == "memory":
        yield InMemoryRoomStore()
        return
    on_disk = SqliteRoomStore(tmp_path, TextLogs(tmp_path))
    yield on_disk
    on_disk.close()


def test_a_new_store_is_empty(store: RoomStore) -> None:
    assert store.last_id() == 0
    assert (store.totals().public, store.totals().private) == (0, 0)
    assert store.newest(10) == []
    assert store.after(0, 10, visible_to="s-ann") == []
    assert store.sessions() == []


def test_appending_gives_ids_from_one_up_shared_by_public_and_private(store: RoomStore) -> None:
    ids = [
        store.append(public("one")).id,
        store.append(private("two", "ann", "bob")).id,
        store.append(public("three")).id,
    ]
    assert ids == [1, 2, 3]
    assert store.last_id() == 3
    assert (store.totals().public, store.totals().private) == (2, 1)


def test_a_message_reads_back_exactly_as_it_was_appended(store: RoomStore) -> None:
    draft = private("ünï \u202e text", "ann", "bob")
    draft = replace(draft, sent_at=T0 + timedelta(microseconds=1))
    appended = store.append(draft)
    assert appended == with_id(draft, 1)
    assert store.after(0, 10, visible_to="s-bob") == [appended]


def test_after_reads_in_id_order_from_an_id_up_to_a_limit(store: RoomStore) -> None:
    for number in range(1, 8):
        store.append(public(f"m{number}"))
    assert [m.id for m in store.after(2, 3, visible_to="s-x")] == [3, 4, 5]
    assert store.after(7, 3, visible_to="s-x") == []


def test_after_holds_public_messages_and_only_the_sessions_own_private_ones(
    store: RoomStore,
) -> None:
    store.append(public("for all"))
    store.append(private("ann to bob", "ann", "bob"))
    store.append(private("bob to cy", "bob", "cy"))
    store.append(private("cy to ann", "cy", "ann"))
    assert [m.text for m in store.after(0, 10, visible_to="s-ann")] == [
        "for all",
        "ann to bob",
        "cy to ann",
    ]
    assert [m.text for m in store.after(0, 10, visible_to="s-dan")] == ["for all"]


def test_newest_holds_the_latest_public_messages_before_an_id_oldest_first(
    store: RoomStore,
) -> None:
    for number in range(1, 6):
        store.append(public(f"m{number}"))
        store.append(private(f"p{number}", "ann", "bob"))
    assert [m.text for m in store.newest(2)] == ["m4", "m5"]
    assert [m.text for m in store.newest(2, before=7)] == ["m2", "m3"]  # ids 3 and 5
    assert [m.text for m in store.newest(10, before=2)] == ["m1"]
    assert all(isinstance(m, PublicMessage) for m in store.newest(10))


def test_sessions_are_kept_replaced_and_forgotten(store: RoomStore) -> None:
    ann = Session(id="s-ann", nick="ann", token_digest=b"\x01" * 32, first_id=4)
    store.save_session(ann)
    store.save_session(replace(ann, nick="anna", dropped_at=T0))
    store.save_session(Session(id="s-bob", nick="bob", token_digest=b"\x02" * 32, first_id=0))
    store.forget_session("s-bob")
    assert store.sessions() == [replace(ann, nick="anna", dropped_at=T0)]


# --- on disk ---------------------------------------------------------------------------------


def test_ids_and_sessions_outlive_closing_and_reopening(tmp_path: Path) -> None:
    first = SqliteRoomStore(tmp_path)
    first.append(public("one"))
    first.append(private("two", "ann", "bob"))
    session = Session(id="s", nick="ann", token_digest=b"\x03" * 32, first_id=0, dropped_at=T0)
    first.save_session(session)
    first.close()

    again = SqliteRoomStore(tmp_path)
    assert again.last_id() == 2
    assert again.append(public("three")).id == 3
    assert again.sessions() == [session]
    assert [m.text for m in again.after(0, 10, visible_to="s-ann")] == ["one", "two", "three"]


def test_a_new_database_beside_old_text_logs_gives_ids_after_their_messages(
    tmp_path: Path,
) -> None:
    (tmp_path / "messages.txt").write_text("[2026-01-01 10:00:00+00:00] old: hi\n" * 4)
    (tmp_path / "private_messages.txt").write_text("[2026-01-01 10:00:00+00:00] a -> b: x\n")
    store = SqliteRoomStore(tmp_path, TextLogs(tmp_path))
    assert store.last_id() == 5
    assert (store.totals().public, store.totals().private) == (4, 1)
    assert store.append(public("new")).id == 6
    assert store.first_kept_id() == 6  # the five before it live in the text logs only


def test_a_message_the_text_logs_cannot_take_is_not_kept_in_the_database_either(
    tmp_path: Path,
) -> None:
    store = SqliteRoomStore(tmp_path, TextLogs(tmp_path))
    store.append(public("one"))
    (tmp_path / "messages.txt").unlink()
    (tmp_path / "messages.txt").mkdir()  # the text log cannot be reopened: writes fail
    with pytest.raises(IsADirectoryError):
        store.append(public("lost"))
    assert store.after(0, 10, visible_to="s-ann") == [with_id(public("one"), 1)]
    (tmp_path / "messages.txt").rmdir()
    assert store.append(public("two")).id == 2  # the refused one used up no id


def test_a_second_server_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    first = SqliteRoomStore(tmp_path)
    with pytest.raises(StorageUnavailable, match="in use by another chat-server"):
        SqliteRoomStore(tmp_path)
    first.close()
    SqliteRoomStore(tmp_path).close()


def test_a_removed_database_is_started_anew_with_ids_carrying_on(tmp_path: Path) -> None:
    store = SqliteRoomStore(tmp_path)
    store.append(public("one"))
    session = Session(id="s", nick="ann", token_digest=b"\x04" * 32, first_id=1)
    store.save_session(session)
    for name in (DATABASE_NAME, f"{DATABASE_NAME}-wal"):
        (tmp_path / name).unlink(missing_ok=True)

    assert store.append(public("two")).id == 2
    store.close()
    again = SqliteRoomStore(tmp_path)
    assert again.last_id() == 2
    assert again.sessions() == [session]
    assert again.first_kept_id() == 2


def test_an_unusable_database_file_is_a_clear_error_at_start_up(tmp_path: Path) -> None:
    (tmp_path / DATABASE_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageUnavailable, match="cannot keep the room log"):
        SqliteRoomStore(tmp_path)


def test_a_database_that_holds_something_else_is_a_clear_error_at_start_up(
    tmp_path: Path,
) -> None:
    SqliteRoomStore(tmp_path).close()
    db = sqlite3.connect(tmp_path / DATABASE_NAME, isolation_level=None)
    db.execute("DELETE FROM earlier")
    db.close()
    with pytest.raises(StorageUnavailable, match="something else than a room log"):
        SqliteRoomStore(tmp_path)
