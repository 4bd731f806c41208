"""History frames as the client shows them, and what it remembers of the room's history:
the newest id it has seen (to resume from) and the oldest (to page back from)."""

from collections.abc import Callable
from datetime import datetime

from app.adapters.tcp.wire import HistoryFrame, PrivateFrame, PublicFrame, WelcomeFrame
from app.adapters.terminal.render import Fragments, divider, history_line, notice, warning

MessageFrame = PublicFrame | PrivateFrame
# Given one of our own messages from a replay: True if it confirmed a line shown pending.
Claim = Callable[[MessageFrame], bool]


class HistoryView:
    """`marker` None: history under dividers, dimmed; else every history line starts with
    `marker` and there are no dividers (for a pipe)."""

    def __init__(self, show: Callable[[Fragments], None], marker: str | None) -> None:
        self._show = show
        self._marker = marker
        self.last_id = 0  # the newest message this client has seen (or needs no longer)
        self.oldest_public: int | None = None  # where /history pages back from
        self.replaying = False
        self._replay: list[MessageFrame] = []
        self._replay_gap = False
        self._replay_upto = 0
        self._backlog_after = 0  # the newest message seen before the last welcome

    def welcomed(self, frame: WelcomeFrame) -> None:
        if frame.resumed:
            # What was missed arrives as a replay; until it has all come, last_id stays.
            self.replaying, self._replay, self._replay_gap = True, [], False
            self._replay_upto = frame.last_id
        else:
            # Older messages come only as history: none of them is missed. A backlog after
            # a reconnect as a new session holds lines already on screen: not twice.
            self._backlog_after = self.last_id
            self.last_id = max(self.last_id, frame.last_id)

    def saw(self, message: MessageFrame) -> None:
        self.last_id = max(self.last_id, message.id)
        if isinstance(message, PublicFrame) and (
            self.oldest_public is None or message.id < self.oldest_public
        ):
            self.oldest_public = message.id

    def receive(
        self, frame: HistoryFrame, messages: list[MessageFrame], me: str, claim: Claim
    ) -> None:
        """One history frame, its messages already checked against the protocol's rules."""
        if frame.reason == "resume":
            # Seen only once shown: a replay cut short is asked for again from the start.
            self._replay += messages
            self._replay_gap |= frame.gap
            if not frame.more:
                self._end_replay(me, claim, frame)
            return
        for message in messages:
            self.saw(message)
        if frame.reason == "backlog":
            new = [message for message in messages if message.id > self._backlog_after]
            if new:
                self._block("earlier", new, me)
        else:
            self._older(messages, me, more=frame.more, at=frame.ts)

    def _older(self, messages: list[MessageFrame], me: str, *, more: bool, at: datetime) -> None:
        if not messages:
            self._show(notice("* no older messages: that is the beginning of the room", at))
            return
        self._block(f"{len(messages)} older message{_plural(messages)}", messages, me)
        if not more and self._marker is None:
            self._show(divider("the beginning of the room"))

    def _end_replay(self, me: str, claim: Claim, frame: HistoryFrame) -> None:
        replay, self._replay = self._replay, []
        self.replaying = False
        for message in replay:
            self.saw(message)
        # Our own lines sent just before the drop are already on screen, pending: confirmed
        # in place, they are not shown a second time.
        replay = [message for message in replay if not claim(message)]
        self.last_id = max(self.last_id, self._replay_upto)
        if self._replay_gap:
            lost = "! some messages from while you were away are no longer on the server"
            self._show(warning(lost, frame.ts))
        if not replay:
            self._show(notice("* nothing was said while you were away", frame.ts))
            return
        self._block(f"{len(replay)} message{_plural(replay)} while you were away", replay, me)

    def _block(self, title: str, messages: list[MessageFrame], me: str) -> None:
        if self._marker is not None:
            for message in messages:
                self._show([("", self._marker), *history_line(message, me)])
            return
        self._show(divider(title))
        for message in messages:
            self._show(history_line(message, me))


def _plural(items: list[MessageFrame]) -> str:
    return "" if len(items) == 1 else "s"
