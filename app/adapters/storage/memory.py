"""A message log kept in memory: the file log's stand-in for tests, held to the same contract."""

from app.adapters.storage.lines import private_line, public_line
from app.domain.events import PrivateMessage, PublicMessage
from app.services.ports import LoggedTotals


class InMemoryMessageLog:
    """Keeps messages in lists. `failing = True` makes appends fail as a full disk would."""

    def __init__(self, logged_public: int = 0, logged_private: int = 0) -> None:
        self._totals = LoggedTotals(public=logged_public, private=logged_private)
        self.public: list[PublicMessage] = []
        self.private: list[PrivateMessage] = []
        self.failing = False

    def totals(self) -> LoggedTotals:
        return self._totals

    def append_public(self, message: PublicMessage) -> None:
        self._fail_if_asked()
        self.public.append(message)

    def append_private(self, message: PrivateMessage) -> None:
        self._fail_if_asked()
        self.private.append(message)

    def public_lines(self) -> list[str]:
        return [public_line(message) for message in self.public]

    def private_lines(self) -> list[str]:
        return [private_line(message) for message in self.private]

    def _fail_if_asked(self) -> None:
        if self.failing:
            raise OSError(28, "No space left on device")
