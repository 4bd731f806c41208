"""Single key presses from the terminal the server runs in, without waiting for Enter."""

import os
import sys
import threading
from types import TracebackType
from typing import Any, Final, Self

_WINDOWS_POLL_SECONDS: Final = 0.02


class NoTerminal(Exception):
    """Standard input is not a terminal, so no key can be read from it."""


class TerminalKeys:
    """Reads keys from stdin in cbreak mode (POSIX) or the console (Windows).

    cbreak, not raw: output still gets its carriage returns and Ctrl-C still sends SIGINT.
    The terminal is restored by `close`.
    """

    def __init__(self) -> None:
        if not sys.stdin.isatty():
            raise NoTerminal("standard input is not a terminal")
        self._fd = sys.stdin.fileno()
        self._saved: list[Any] | None = None
        self._lock = threading.Lock()
        if sys.platform != "win32":
            import termios  # POSIX only; imported here so the module loads on Windows
            import tty

            self._saved = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def read_key(self, timeout: float) -> str | None:
        if sys.platform == "win32":
            return _read_windows_key(timeout)
        import select

        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(self._fd, 1)
        return data.decode("latin-1") if data else None

    def close(self) -> None:
        with self._lock:
            if self._saved is not None and sys.platform != "win32":
                import termios

                termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
                self._saved = None


def _read_windows_key(timeout: float) -> str | None:
    import msvcrt  # Windows only
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if msvcrt.kbhit():  # type: ignore[attr-defined,unused-ignore]
            key: str = msvcrt.getwch()  # type: ignore[attr-defined,unused-ignore]
            return key
        time.sleep(_WINDOWS_POLL_SECONDS)
    return None
