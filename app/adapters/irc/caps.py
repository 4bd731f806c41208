"""IRCv3 capability negotiation (CAP LS / REQ / LIST / END): what the gateway offers, what a
client took. Pure: the session sends the lines this returns."""

from typing import Final

from app.adapters.irc.render import MESSAGE_TAGS, SERVER_TIME

OFFERED: Final = (
    "batch",
    "cap-notify",
    "draft/chathistory",
    "echo-message",
    "message-tags",
    "multi-prefix",
    "server-time",
)


class Capabilities:
    """What one client negotiated. `holding` is True from CAP LS or REQ until CAP END: its
    registration waits until then, as the spec says."""

    __slots__ = ("enabled", "holding", "version")

    def __init__(self) -> None:
        self.enabled: set[str] = set()
        self.holding = False
        self.version = 301

    def listed(self, version: str | None) -> str:
        """CAP LS [version]: the offer (302 and later also imply cap-notify)."""
        if version is not None and version.isdigit():
            self.version = max(self.version, int(version))
        if self.version >= 302:
            self.enabled.add("cap-notify")
        return " ".join(OFFERED)

    def request(self, wanted: str) -> bool:
        """CAP REQ: all or nothing. '-name' turns a capability off. True if acknowledged."""
        changes = wanted.split()
        names = [change.removeprefix("-") for change in changes]
        if not changes or any(name not in OFFERED for name in names):
            return False
        for change, name in zip(changes, names, strict=True):
            if change.startswith("-"):
                self.enabled.discard(name)
            else:
                self.enabled.add(name)
        return True

    def has(self, name: str) -> bool:
        return name in self.enabled

    @property
    def variant(self) -> int:
        """Which tags this client's lines carry (see render.Variant)."""
        return (SERVER_TIME if "server-time" in self.enabled else 0) | (
            MESSAGE_TAGS if "message-tags" in self.enabled else 0
        )
