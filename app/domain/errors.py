"""Mistakes a client can make. Each has a stable wire code, given in the adapter's table.

Our own bugs raise ordinary exceptions; only a client breaking a chat rule raises these.
"""


class ChatError(Exception):
    """A chat rule was broken; the message is safe to show to the client that broke it."""


class NotRegistered(ChatError):
    def __init__(self) -> None:
        super().__init__("say hello first: send a hello frame with your nickname")


class AlreadyRegistered(ChatError):
    def __init__(self, nick: str) -> None:
        super().__init__(f"you are already registered as {nick}")


class InvalidNick(ChatError):
    pass


class NickTaken(ChatError):
    def __init__(self, nick: str) -> None:
        super().__init__(f"the nickname {nick} is taken")


class NoSuchUser(ChatError):
    def __init__(self, nick: str) -> None:
        super().__init__(f"nobody called {nick} is online")


class InvalidText(ChatError):
    pass


class ServerClosing(ChatError):
    def __init__(self) -> None:
        super().__init__("the server is shutting down")


class StorageFailed(ChatError):
    """The message log could not record a message, so it was neither delivered nor counted."""

    def __init__(self) -> None:
        super().__init__("the server could not store your message; it was not sent, try again")
