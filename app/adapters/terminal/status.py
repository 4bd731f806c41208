"""The status bar's text. Pure: the figures in, one line out, fitted to the width."""

from dataclasses import dataclass

from app.adapters.terminal.render import printable

SEPARATOR = " | "


@dataclass(frozen=True)
class Status:
    server: str  # host:port
    nick: str  # "" before the welcome
    online: int | None  # None: not known now (before the welcome, or disconnected)
    connection: str  # connected, reconnecting in 7 s, connecting, leaving
    partner: str | None = None  # whom /pm talks to
    unseen: int = 0  # lines below the view while scrolled up
    waiting: int = 0  # typed lines not yet sent


def status_line(status: Status, width: int) -> str:
    """Fields in reading order: server, nick, users online, connection, /pm partner, then
    what waits. On a narrow terminal the least needed are left out whole, never cut."""
    fields: list[tuple[int, str]] = [(6, status.server)]  # (priority: lower stays longer)
    if status.nick:
        fields.append((1, printable(status.nick)))
    if status.online is not None:
        fields.append((5, f"{status.online} online"))
    fields.append((0, status.connection))
    if status.partner is not None:
        fields.append((2, f"pm: {printable(status.partner)}"))
    if status.unseen:
        fields.append((3, f"{status.unseen} new below (PageDown)"))
    if status.waiting:
        fields.append((4, f"{status.waiting} waiting to send"))
    for cut in range(6, -1, -1):
        kept = [text for priority, text in fields if priority <= cut]
        line = SEPARATOR.join(kept)
        if len(line) <= width or cut == 0:
            return line[:width]
    return ""
