"""Where the client keeps what outlives one run (input history), per platform convention."""

import os
import sys
from pathlib import Path


def state_directory() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "chatroom"


def history_file() -> Path | None:
    """The history file's path, its folder made; None if no folder can be made."""
    folder = state_directory()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder / "history"


# The file keeps prompt_toolkit's layout (an entry is a line starting with "+"), which
# earlier versions of the client wrote, so nobody's history is lost in the upgrade.
_ENTRY_PREFIX = "+"
MAX_REMEMBERED = 1000


class InputHistory:
    """Lines typed before, in this run and earlier ones; Up and Down walk through them."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._entries: list[str] = _load(path) if path is not None else []
        self._position: int | None = None  # None: editing a new line, not recalling
        self._draft = ""

    def add(self, line: str) -> None:
        self._position = None
        if not line.strip() or (self._entries and self._entries[-1] == line):
            return
        self._entries.append(line)
        del self._entries[:-MAX_REMEMBERED]
        if self._path is not None:
            try:
                # What you typed, private messages included: for your eyes only.
                descriptor = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with open(descriptor, "a", encoding="utf-8") as file:
                    file.write(f"{_ENTRY_PREFIX}{line}\n")
            except OSError:
                self._path = None  # a read-only home: remember for this run only

    def older(self, current: str) -> str | None:
        """The entry before the one shown (Up); None at the oldest."""
        if self._position is None:
            if not self._entries:
                return None
            self._draft = current
            self._position = len(self._entries)
        if self._position == 0:
            return None
        self._position -= 1
        return self._entries[self._position]

    def newer(self) -> str | None:
        """The entry after the one shown (Down), the line being typed after the newest;
        None when not recalling."""
        if self._position is None:
            return None
        self._position += 1
        if self._position >= len(self._entries):
            self._position = None
            return self._draft
        return self._entries[self._position]


def _load(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    entries = [line[1:] for line in text.splitlines() if line.startswith(_ENTRY_PREFIX)]
    return entries[-MAX_REMEMBERED:]
