from pathlib import Path

import pytest

from app.adapters.terminal.state import MAX_REMEMBERED, InputHistory, history_file


def typed(history: InputHistory, *lines: str) -> InputHistory:
    for line in lines:
        history.add(line)
    return history


def test_up_recalls_older_lines_and_stops_at_the_oldest() -> None:
    history = typed(InputHistory(None), "one", "two", "three")
    assert history.older("") == "three"
    assert history.older("three") == "two"
    assert history.older("two") == "one"
    assert history.older("one") is None


def test_down_walks_back_and_ends_on_the_line_being_typed() -> None:
    history = typed(InputHistory(None), "one", "two")
    assert history.older("half a thou") == "two"
    assert history.older("two") == "one"
    assert history.newer() == "two"
    assert history.newer() == "half a thou"  # the draft, kept
    assert history.newer() is None  # not recalling any more


def test_down_without_up_does_nothing() -> None:
    assert typed(InputHistory(None), "one").newer() is None
    assert InputHistory(None).older("draft") is None


def test_sending_a_line_starts_recalling_from_the_newest_again() -> None:
    history = typed(InputHistory(None), "one", "two")
    assert history.older("") == "two"
    assert history.older("two") == "one"
    history.add("one")
    assert history.older("") == "one"
    assert history.older("one") == "two"


def test_blank_lines_and_repeats_of_the_last_line_are_not_remembered() -> None:
    history = typed(InputHistory(None), "one", "   ", "one", "two", "one")
    assert [history.older(""), history.older(""), history.older(""), history.older("")] == [
        "one",
        "two",
        "one",
        None,
    ]


def test_lines_are_remembered_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "history"
    typed(InputHistory(path), "hello", "/msg bob hi")
    again = InputHistory(path)
    assert again.older("") == "/msg bob hi"
    assert again.older("") == "hello"
    assert again.older("") is None


def test_a_history_file_written_by_the_old_client_is_read(tmp_path: Path) -> None:
    path = tmp_path / "history"
    path.write_text(
        "\n# 2025-03-01 10:00:00.000000\n+hello\n\n# 2025-03-01 10:00:05.000000\n+/users\n",
        encoding="utf-8",
    )
    history = InputHistory(path)
    assert history.older("") == "/users"
    assert history.older("") == "hello"
    assert history.older("") is None
    history.add("new")
    assert path.read_text(encoding="utf-8").endswith("+/users\n+new\n")


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "history"
    path.write_text("".join(f"+line {n}\n" for n in range(MAX_REMEMBERED + 5)), encoding="utf-8")
    history = InputHistory(path)
    recalled = []
    while (line := history.older("")) is not None:
        recalled.append(line)
    assert len(recalled) == MAX_REMEMBERED
    assert recalled[-1] == "line 5"


def test_a_history_that_cannot_be_written_is_kept_for_this_run_only(tmp_path: Path) -> None:
    unwritable = tmp_path  # a folder where the file should be: reading and writing both fail
    history = typed(InputHistory(unwritable), "one", "two")
    assert history.older("") == "two"
    assert history.older("") == "one"


def test_the_history_file_lives_in_the_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert history_file() == tmp_path / "state" / "chatroom" / "history"
    assert (tmp_path / "state" / "chatroom").is_dir()


def test_no_history_file_when_its_folder_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    assert history_file() is None
