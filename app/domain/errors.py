"""Mistakes a client can make. Each has a stable wire code, given in each codec's table.

Our own bugs raise ordinary exceptions; only a client breaking a chat rule raises these.
"""


class ChatError(Exception):
    """A chat rule was broken; the message is safe to show to the client that broke it."""


class NotRegistered(ChatError):
    def __init__(self, message: str = "say hello first: send a hello frame with your nickname"):
        super().__init__(message)


class AlreadyRegistered(ChatError):
    def __init__(self, nick: str) -> None:
        super().__init__(f"you are already registered as {nick}")


class InvalidNick(ChatError):
    pass


class NickTaken(ChatError):
    def __init__(self, nick: str) -> None:
        super().__init__(f"the nickname {nick} is taken")
        self.nick = nick  # for codecs that name it in their reply (IRC's 433)


class NoSuchUser(ChatError):
    def __init__(self, nick: str) -> None:
        super().__init__(f"nobody called {nick} is online")
        self.nick = nick  # for codecs that name it in their reply (IRC's 401)


class InvalidText(ChatError):
    pass


class NotSupported(ChatError):
    """Asked of a room that cannot do it (a cluster node, for what only one server does)."""


class InvalidFrame(ChatError):
    """What the client sent is not a command of the protocol (bad JSON, unknown type, ...)."""


class FrameTooLarge(ChatError):
    """A line over the length limit; the rest of it was skipped."""


class RateLimited(ChatError):
    """Over the flood limit: the command was not served."""


class ServerFull(ChatError):
    """The server already serves as many clients as it may."""


class ServerClosing(ChatError):
    def __init__(self) -> None:
        super().__init__("the server is shutting down")


class StorageFailed(ChatError):
    """The room log failed: a message was neither delivered nor counted, or history not read."""

    def __init__(
        self, message: str = "the server could not store your message; it was not sent, try again"
    ) -> None:
        super().__init__(message)


class Unavailable(ChatError):
    """The store the room lives in (a cluster's Redis) did not answer: nothing was sent."""

    def __init__(
        self, message: str = "the room is unreachable for a moment; it was not sent, try again"
    ) -> None:
        super().__init__(message)
