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
