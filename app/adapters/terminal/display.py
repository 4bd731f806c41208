"""What the chat session shows, as a port: the full-screen window and the pipe implement it."""

from typing import Protocol

from app.adapters.terminal.render import Fragments


class Display(Protocol):
    """Called from the session's threads; an implementation hands the work to its own."""

    def show(self, line: Fragments) -> None:
        """A line for the transcript."""

    def pending(self, line: Fragments) -> int:
        """A line just sent and not yet confirmed; returns a key to settle it by."""

    def settle(self, key: int, line: Fragments) -> None:
        """The pending line `key` is confirmed: `line` (server time, id) replaces it."""

    def refused(self, key: int | None, line: Fragments, reason: str) -> None:
        """Something typed was refused, by the server or the client: `line` says so (and
        replaces the pending line `key`, if there is one); `reason` is the why, plain."""

    def bell(self) -> None:
        """Someone named you."""

    def changed(self) -> None:
        """Something the status bar shows changed: nick, users, connection, /pm partner."""
