import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

BIN = Path(sys.executable).parent
SERVER = str(BIN / "chat-server")
CLIENT = str(BIN / "chat-client")


class ServerProcess:
    """`chat-server` running in a pseudo-terminal, as a person would start it."""

    def __init__(self, log_dir: Path, port: int = 0, extra: tuple[str, ...] = ()) -> None:
        self.child = pexpect.spawn(
            SERVER,
            ["--port", str(port), "--log-dir", str(log_dir), "--stats-interval", "0.2", *extra],
            encoding="utf-8",
            timeout=10,
            dimensions=(40, 200),
            env={**os.environ, "NO_COLOR": "1"},
        )
        self.child.expect(r"server_listening\s.*port=(\d+)")
        self.port = int(self.child.match.group(1))
        self.child.expect("press_q_to_stop")

    def output_after(self, pattern: str) -> str:
        self.child.expect(pattern)
        return str(self.child.before) + str(self.child.after)


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path)
    yield process
    if process.child.isalive():
        process.child.terminate(force=True)


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", text)
