"""Asking before a long paste goes out, as irssi and WeeChat do."""

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from app.adapters.terminal.render import printable


class ConfirmPaste(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "send"),
        Binding("n,escape", "answer(False)", "cancel"),
    ]
    DEFAULT_CSS = """
    ConfirmPaste { align: center middle; }
    ConfirmPaste > Vertical {
        width: 60; max-width: 100%; height: auto; border: round $warning; padding: 0 1;
        background: $surface;
    }
    """

    def __init__(self, lines: list[str], target: str) -> None:
        super().__init__()
        self._lines = lines
        self._target = target

    def compose(self) -> ComposeResult:
        first = printable(self._lines[0])
        with Vertical():
            yield Static(
                f"Send {len(self._lines)} lines to {printable(self._target)}?", markup=False
            )
            yield Static(f"first: {first}", markup=False)
            yield Static("y or Enter: send   n or Esc: cancel", markup=False)

    def action_answer(self, send: bool) -> None:
        self.dismiss(send)
