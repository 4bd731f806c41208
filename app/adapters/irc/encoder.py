"""The room's events for one IRC client alone, as lines: its welcome burst, its private
messages, history batches, the answers to its queries and refusals as numerics."""

import itertools
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, assert_never

from app.adapters.irc import replies
from app.domain import errors
from app.domain.events import (
    ChatEvent,
    Entered,
    History,
    NickChanged,
    Pong,
    PrivateMessage,
    PublicMessage,
    Refusal,
    ServerShutdown,
    StatsReport,
    UserJoined,
    UserLeft,
    UserList,
    Welcome,
)
from app.domain.nicknames import fold_nick

if TYPE_CHECKING:
    from app.adapters.irc.session import IrcSession

UsersAnswer = Callable[[tuple[str, ...]], bytes]


class EventEncoder:
    """May run on any thread, under the room's lock (a cluster node's reader delivers):
    it reads the session's negotiated state and sets only its nick and `welcomed`."""

    __slots__ = ("_batches", "_session", "history_after", "users_answers")

    def __init__(self, session: "IrcSession") -> None:
        self._session = session
        # The queries waiting for the room's user list (NAMES, WHO, ...), in order asked.
        self.users_answers: deque[UsersAnswer] = deque()
        # CHATHISTORY requests waiting for their page: the msgid to show messages after.
        self.history_after: deque[int | None] = deque()
        self._batches = itertools.count(1)

    def encode(self, event: ChatEvent) -> bytes:
        session = self._session
        render, variant = session.render, session.caps.variant
        match event:
            case Welcome():
                session.feed.nick = event.nick
                session.welcomed = True
                session.has_been_in = session.settings.autojoin
                burst = replies.welcome(render, session.settings, event.nick)
                if session.settings.autojoin:
                    burst += replies.joined(render, event.nick, event.users, variant, event.at)
                return burst
            case Entered():
                session.feed.nick = event.nick
                session.has_been_in = True
                return replies.joined(render, event.nick, event.users, variant, event.at)
            case PublicMessage():
                return render.message(event, variant)
            case PrivateMessage():
                own = fold_nick(session.nick)
                echoed = fold_nick(event.sender) == own != fold_nick(event.recipient)
                if echoed and not session.caps.has("echo-message"):
                    return b""  # its own, and it did not ask to see it again
                return render.message(event, variant)
            case History():
                return self._history(event)
            case UserJoined():
                return render.joined(event, variant)
            case UserLeft():
                return render.left(event, variant)
            case NickChanged():
                if event.old == event.new:
                    return b""  # IRC does not answer a NICK to the nick one has
                if fold_nick(event.old) == fold_nick(session.nick):
                    session.feed.nick = event.new
                return render.renamed(event, variant)
            case UserList():
                answer = self.users_answers.popleft() if self.users_answers else None
                return b"" if answer is None else answer(event.users)
            case StatsReport():
                return replies.lusers(render, session.nick, event)
            case Pong():
                return render.reply("PONG", render.server, event.token or "")
            case Refusal():
                return self._refusal(event.error)
            case ServerShutdown():
                return render.closing(event.reason)
            case _:
                assert_never(event)

    def _history(self, event: History) -> bytes:
        session = self._session
        render, variant = session.render, session.caps.variant
        messages = event.messages
        if event.reason == "request" and self.history_after:
            after = self.history_after.popleft()
            if after is not None:
                messages = tuple(message for message in messages if message.id > after)
        # Without server-time the time goes into the text, as bouncers do.
        time_in_text = not session.caps.has("server-time")
        if not session.caps.has("batch"):
            return b"".join(
                render.message(message, variant, time_in_text=time_in_text) for message in messages
            )
        ref = f"history{next(self._batches)}"
        lines = [render.reply("BATCH", f"+{ref}", "chathistory", render.channel)]
        lines += [
            render.message(message, variant, batch=ref, time_in_text=time_in_text)
            for message in messages
        ]
        lines.append(render.reply("BATCH", f"-{ref}"))
        return b"".join(lines)

    def _refusal(self, error: errors.ChatError) -> bytes:
        session = self._session
        render, nick, serving = session.render, session.nick, session.serving
        if serving is not None and session.serving_thread != threading.get_ident():
            serving = None  # a refusal that came later (a cluster node's): not this line's
        if serving is not None and serving.command == "NOTICE":
            return b""  # IRC's rule: a NOTICE is never answered with an error
        if not session.connection.open:  # the goodbye of a connection being closed
            return render.closing(error)
        match error:
            case errors.NickTaken():
                return render.reply("433", nick, error.nick, "Nickname is already in use")
            case errors.InvalidNick():
                attempted = serving.params[0] if serving is not None and serving.params else "*"
                return render.reply("432", nick, attempted, f"Erroneous nickname: {error}")
            case errors.NoSuchUser():
                return render.reply("401", nick, error.nick, "No such nick/channel")
            case errors.NotRegistered():
                return render.reply("451", nick, "You have not registered")
            case errors.AlreadyRegistered():
                return render.reply("462", nick, "You may not reregister")
            case errors.FrameTooLarge():
                return render.reply("417", nick, "Input line was too long")
            case _:
                return render.reply("NOTICE", nick, str(error))
