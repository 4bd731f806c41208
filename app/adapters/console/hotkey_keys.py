"""A global `q` hotkey through the `keyboard` package: opt-in, since it hears every window.

On Linux it needs root and /dev/input; where it cannot hook, it says so at start-up.
"""

import contextlib
import queue


class HotkeyUnavailable(Exception):
    pass


class GlobalHotkeyKeys:
    def __init__(self, key: str = "q") -> None:
        self._pressed: queue.Queue[str] = queue.Queue()
        try:
            import keyboard  # imported late: it probes the OS for input devices on import

            self._keyboard = keyboard
            self._hook = keyboard.add_hotkey(key, lambda: self._pressed.put(key))
        except Exception as error:  # keyboard raises bare ImportError/OSError/ValueError alike
            raise HotkeyUnavailable(f"cannot hook the keyboard: {error}") from error

    def read_key(self, timeout: float) -> str | None:
        try:
            return self._pressed.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        with contextlib.suppress(KeyError, ValueError):  # already gone
            self._keyboard.remove_hotkey(self._hook)
