"""Who is online, beside the messages."""

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from app.adapters.terminal.render import nick_style, printable
from app.domain.nicknames import fold_nick


class NickList(Static):
    DEFAULT_CSS = """
    NickList {
        width: 18; height: 1fr; padding: 0 1;
        border-left: vkey $foreground 30%;
        overflow-y: auto; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, styles: dict[str, Style]) -> None:
        super().__init__(id="nicks")
        self._styles = styles
        self._shown: tuple[str, tuple[str, ...]] | None = None

    def show_nicks(self, online: set[str], me: str, *, connected: bool) -> None:
        """Before the welcome nobody is known; while away, the last known are shown under
        "offline"."""
        nicks = tuple(sorted(online, key=fold_nick)) if me else ()
        header = f"{len(nicks)} online" if connected else "offline"
        if (header, nicks) == self._shown:
            return
        self._shown = (header, nicks)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{header}\n", self._styles.get("notice"))
        for nick in nicks:
            text.append(f"{printable(nick)}\n", self._styles.get(nick_style(nick, me)))
        text.rstrip()
        self.update(text)
