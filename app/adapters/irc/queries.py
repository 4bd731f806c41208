"""The questions IRC clients ask once in the channel (NAMES, WHO, WHOIS, MODE, ...) and
draft/chathistory: each answered from the room's user list, stats or history, or at once."""

from typing import TYPE_CHECKING, Final

from app.adapters.irc import replies
from app.adapters.irc.message import IrcMessage
from app.domain import commands
from app.domain.commands import HISTORY_MAX_LIMIT
from app.domain.nicknames import fold_nick
from app.services.connection import Verdict

if TYPE_CHECKING:
    from app.adapters.irc.handlers import Handlers

_OK: Final = Verdict.CONTINUE
# MODE #chat <list>: the lists a client may ask for, all empty.
_LISTS: Final = {
    "b": ("368", "End of channel ban list"),
    "e": ("349", "End of channel exception list"),
    "I": ("347", "End of channel invite list"),
}


class Queries:
    def __init__(self, handlers: "Handlers") -> None:
        self.s = handlers.s
        self.with_users = handlers.with_users
        self.is_ours = handlers.is_ours

    def names(self, line: IrcMessage) -> Verdict:
        s = self.s
        channel = line.params[0] if line.params else s.render.channel
        if not self.is_ours(channel):
            return s.reply("366", channel, "End of /NAMES list")
        return self.with_users(
            lambda users: replies.names(s.render, s.nick, s.render.channel, users)
        )

    def who(self, line: IrcMessage) -> Verdict:
        s = self.s
        mask = line.params[0] if line.params else "*"
        if self.is_ours(mask) or mask == "*":
            return self.with_users(lambda users: replies.who(s.render, s.nick, mask, users))
        if mask[:1] in "#&":
            return s.reply("315", mask, "End of /WHO list")
        return self.with_users(
            lambda users: replies.who(
                s.render, s.nick, mask, [u for u in users if fold_nick(u) == fold_nick(mask)]
            )
        )

    def whois(self, line: IrcMessage) -> Verdict:
        s = self.s
        if not line.params:
            return s.refuse("431", "No nickname given")
        target = line.params[-1]
        return self.with_users(lambda users: replies.whois(s.render, s.nick, target, users))

    def userhost(self, line: IrcMessage) -> Verdict:
        s = self.s
        if not line.params:
            return s.refuse("461", "USERHOST", "Not enough parameters")
        wanted = line.params
        return self.with_users(lambda users: replies.userhost(s.render, s.nick, wanted, users))

    def ison(self, line: IrcMessage) -> Verdict:
        s = self.s
        if not line.params:
            return s.refuse("461", "ISON", "Not enough parameters")
        wanted = [nick for param in line.params for nick in param.split()]
        return self.with_users(lambda users: replies.ison(s.render, s.nick, wanted, users))

    def list(self, line: IrcMessage) -> Verdict:
        del line
        s = self.s
        return self.with_users(lambda users: replies.channel_list(s.render, s.nick, users))

    def mode(self, line: IrcMessage) -> Verdict:
        s = self.s
        if not line.params:
            return s.refuse("461", "MODE", "Not enough parameters")
        target, changes = line.params[0], line.params[1:]
        if self.is_ours(target):
            if not changes:
                s.send(replies.channel_modes(s.render, s.nick, s.settings.created))
                return _OK
            wanted = changes[0].lstrip("+")
            if len(changes) == 1 and wanted in _LISTS:
                numeric, text = _LISTS[wanted]
                return s.reply(numeric, target, text)
            return s.refuse("482", target, "You're not channel operator")
        if target[:1] in "#&":
            return s.refuse("403", target, "No such channel")
        if fold_nick(target) != fold_nick(s.nick):
            return s.refuse("502", "Can't change mode for other users")
        if not changes:
            return s.reply("221", "+i")
        if changes[0] in ("+i", "-i"):
            s.send(s.render.format("MODE", s.nick, changes[0], source=s.render.mask(s.nick)))
            return _OK
        return s.refuse("501", "Unknown MODE flag")

    def topic(self, line: IrcMessage) -> Verdict:
        s = self.s
        if not line.params:
            return s.refuse("461", "TOPIC", "Not enough parameters")
        channel = line.params[0]
        if not self.is_ours(channel):
            return s.refuse("403", channel, "No such channel")
        if len(line.params) > 1:
            return s.refuse("482", channel, "You're not channel operator")
        return s.reply("331", channel, "No topic is set")

    def away(self, line: IrcMessage) -> Verdict:
        if line.params and line.params[0]:
            return self.s.reply("306", "You have been marked as being away")
        return self.s.reply("305", "You are no longer marked as being away")

    def time(self, line: IrcMessage) -> Verdict:
        del line
        s = self.s
        now = s.clock.now().strftime("%A %B %d %Y -- %H:%M:%S UTC")
        return s.reply("391", s.render.server, now)

    def lusers(self, line: IrcMessage) -> Verdict:
        del line
        return self.s.run(commands.ShowStats())

    def motd(self, line: IrcMessage) -> Verdict:
        del line
        return self.s.reply("422", "MOTD File is missing")

    def version(self, line: IrcMessage) -> Verdict:
        del line
        s = self.s
        s.reply("351", s.settings.version, s.render.server, "chatroom IRC gateway")
        s.send(replies.isupport(s.render, s.settings, s.nick))
        return Verdict.CONTINUE

    def needs_operator(self, line: IrcMessage) -> Verdict:
        channel = line.params[0] if line.params else self.s.render.channel
        return self.s.refuse("482", channel, "You're not channel operator")

    def chathistory(self, line: IrcMessage) -> Verdict:
        """draft/chathistory LATEST and BEFORE, by msgid (the message ids)."""
        s = self.s
        if len(line.params) < 4:
            return self._history_fail("NEED_MORE_PARAMS", "Missing parameters")
        sub, target, reference, count = line.params[0].upper(), *line.params[1:4]
        if sub not in ("LATEST", "BEFORE"):
            return self._history_fail(
                "INVALID_PARAMS", f"{sub} is not supported: use LATEST or BEFORE"
            )
        if not self.is_ours(target):
            return self._history_fail(
                "INVALID_TARGET", f"only {s.render.channel} has history", sub, target
            )
        limit = min(int(count), HISTORY_MAX_LIMIT) if count.isdigit() else 0  # CHATHISTORY=200
        if limit < 1:
            return self._history_fail(
                "INVALID_PARAMS", f"the limit is a number from 1 to {HISTORY_MAX_LIMIT}", sub
            )
        msgid = reference.removeprefix("msgid=")
        if not (msgid.isdigit() or (sub == "LATEST" and reference == "*")):
            return self._history_fail(
                "INVALID_PARAMS", "give a msgid= reference (or * for LATEST)", sub
            )
        before = int(msgid) if sub == "BEFORE" else None
        if before is not None and before < 1:
            before = 1
        waiting = s.encoder.history_after
        waiting.append(int(msgid) if sub == "LATEST" and reference != "*" else None)
        size = len(waiting)
        verdict = s.run(commands.FetchHistory(before=before, limit=limit))
        if len(waiting) == size:  # refused: the page comes at once, or never
            waiting.pop()
        return verdict

    def _history_fail(self, code: str, text: str, *context: str) -> Verdict:
        s = self.s
        return s.fail(s.render.reply("FAIL", "CHATHISTORY", code, *context, text))
