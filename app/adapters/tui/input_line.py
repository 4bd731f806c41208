"""The input line. Every key is handled here, in the order typed: Textual checks a widget's
own key bindings only once the key has bubbled up to the application, after letters typed
later may already be in, so Enter would send them with the line before. Enter takes the
line and empties the input in one step, so keys typed ahead land in the next line."""

from typing import ClassVar, Protocol

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import Input

from app.adapters.terminal.paste import is_multiline


class LineOwner(Protocol):
    """What the input line hands its work to (the application)."""

    def take_line(self, line: str) -> None: ...
    def take_paste(self, before: str, pasted: str, after: str) -> bool: ...
    def complete(self, text: str, cursor: int) -> tuple[str, int] | None: ...
    def stop_completing(self) -> None: ...
    def recall_older(self, current: str) -> str | None: ...
    def recall_newer(self) -> str | None: ...
    def leave_now(self) -> None: ...


class ChatInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,ctrl+j", "submit", show=False),  # some terminals send LF for Enter
        Binding("tab", "complete", show=False),
        Binding("up", "older", show=False),
        Binding("down", "newer", show=False),
        Binding("ctrl+d", "end_of_input", show=False),
    ]
    DEFAULT_CSS = """
    ChatInput { border: none; height: 1; padding: 0; width: 1fr; }
    ChatInput:focus { border: none; }
    """

    def __init__(self, owner: LineOwner) -> None:
        super().__init__(id="input", select_on_focus=False)
        self._owner = owner

    async def _on_key(self, event: events.Key) -> None:
        if event.key != "tab":
            self._owner.stop_completing()
        if event.is_printable:
            await super()._on_key(event)
            return
        bindings = self._bindings.key_to_bindings.get(event.key)
        if bindings:
            event.stop()
            event.prevent_default()
            await self.run_action(bindings[0].action)

    async def action_submit(self) -> None:
        line, self.value = self.value, ""
        self._owner.take_line(line)

    def action_complete(self) -> None:
        done = self._owner.complete(self.value, self.cursor_position)
        if done is not None:
            self.value, self.cursor_position = done

    def action_older(self) -> None:
        recalled = self._owner.recall_older(self.value)
        if recalled is not None:
            self.value = recalled
            self.cursor_position = len(recalled)

    def action_newer(self) -> None:
        recalled = self._owner.recall_newer()
        if recalled is not None:
            self.value = recalled
            self.cursor_position = len(recalled)

    def action_end_of_input(self) -> None:
        """Ctrl-D quits on an empty line, as in a shell; otherwise it deletes forwards."""
        if self.value:
            self.action_delete_right()
        else:
            self._owner.leave_now()

    def _on_paste(self, event: events.Paste) -> None:
        # Textual would also run Input's own paste handler after this one: not wanted.
        event.prevent_default()
        event.stop()
        pasted = event.text.replace("\t", "    ")
        if not is_multiline(pasted):
            self.insert_text_at_cursor(pasted.strip("\r\n"))
            return
        cursor = self.cursor_position
        if self._owner.take_paste(self.value[:cursor], pasted, self.value[cursor:]):
            self.value = ""
