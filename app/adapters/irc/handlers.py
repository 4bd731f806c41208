"""What the gateway does with each IRC command: registration, the channel, messages, and
the questions clients ask after joining. Each handler answers its line and returns the
Connection's verdict."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from app.adapters.irc import replies
from app.adapters.irc.message import IrcMessage
from app.adapters.irc.queries import Queries
from app.adapters.irc.text import (
    action_to_native,
    format_ctcp,
    parse_ctcp,
    strip_formatting,
)
from app.domain import commands
from app.domain.errors import InvalidNick
from app.domain.nicknames import fold_nick, validate_nick
from app.services.chat import split_goodbye
from app.services.connection import Verdict

if TYPE_CHECKING:
    from app.adapters.irc.session import IrcSession

Handler = Callable[[IrcMessage], Verdict]
# CTCP requests the gateway answers itself (none is passed on as text).
_CTCP_ANSWERED: Final = frozenset({"VERSION", "PING", "TIME", "CLIENTINFO"})
_OK: Final = Verdict.CONTINUE


class Handlers:
    def __init__(self, session: "IrcSession") -> None:
        self.s = session

    def table(self) -> dict[str, Handler]:
        queries = Queries(self)
        return {
            "CAP": self.cap,
            "NICK": self.nick,
            "USER": self.user,
            "PASS": self.password,
            "PING": self.ping,
            "QUIT": self.quit,
            "JOIN": self.join,
            "PART": self.part,
            "PRIVMSG": self.privmsg,
            "NOTICE": self.privmsg,
            "TAGMSG": self.tagmsg,
            "NAMES": queries.names,
            "WHO": queries.who,
            "WHOIS": queries.whois,
            "USERHOST": queries.userhost,
            "ISON": queries.ison,
            "LIST": queries.list,
            "MODE": queries.mode,
            "TOPIC": queries.topic,
            "AWAY": queries.away,
            "TIME": queries.time,
            "LUSERS": queries.lusers,
            "MOTD": queries.motd,
            "VERSION": queries.version,
            "CHATHISTORY": queries.chathistory,
            "KICK": queries.needs_operator,
            "INVITE": queries.needs_operator,
        }

    # --- registration ---------------------------------------------------------------------

    def cap(self, line: IrcMessage) -> Verdict:
        s = self.s
        if not line.params:
            return s.refuse("461", "CAP", "Not enough parameters")
        sub, arg = line.params[0].upper(), (line.params[1] if len(line.params) > 1 else None)
        render, caps = s.render, s.caps
        if sub == "LS":
            caps.holding = not s.welcomed
            s.send(render.reply("CAP", s.nick, "LS", caps.listed(arg)))
        elif sub == "LIST":
            s.send(render.reply("CAP", s.nick, "LIST", " ".join(sorted(caps.enabled))))
        elif sub == "REQ":
            caps.holding = not s.welcomed
            answer = "ACK" if caps.request(arg or "") else "NAK"
            s.send(render.reply("CAP", s.nick, answer, arg or ""))
            s.feed.variant, s.feed.echo = caps.variant, caps.has("echo-message")
        elif sub == "END":
            caps.holding = False
            return s.try_to_register()
        else:
            return s.refuse("410", sub, "Invalid CAP command")
        return _OK

    def nick(self, line: IrcMessage) -> Verdict:
        s = self.s
        if not line.params or not line.params[0]:
            return s.refuse("431", "No nickname given")
        wanted = line.params[0]
        try:
            validate_nick(wanted)
        except InvalidNick as error:
            return s.refuse("432", wanted, f"Erroneous nickname: {error}")
        if not s.welcomed:
            s.wanted_nick = wanted
            return s.try_to_register()
        if wanted == s.nick:
            return _OK
        return s.run(commands.Rename(nick=wanted))

    def user(self, line: IrcMessage) -> Verdict:
        s = self.s
        if s.welcomed or s.user is not None:
            return s.refuse("462", "You may not reregister")
        if len(line.params) < 4:
            return s.refuse("461", "USER", "Not enough parameters")
        s.user = line.params[0]
        return s.try_to_register()

    def password(self, line: IrcMessage) -> Verdict:
        del line  # no passwords yet: one given is accepted, as by a server without them
        return self.s.refuse("462", "You may not reregister") if self.s.welcomed else _OK

    def ping(self, line: IrcMessage) -> Verdict:
        s = self.s
        if not line.params:
            return s.refuse("409", "No origin specified")
        if not s.welcomed:
            s.send(s.render.reply("PONG", s.render.server, line.params[0]))
            return _OK
        # Through the room: answered after everything sent before it has been taken.
        return s.run(commands.Ping(token=line.params[0]))

    def quit(self, line: IrcMessage) -> Verdict:
        s = self.s
        said = _plain(line.params[0]) if line.params else None
        if not s.welcomed:
            s.close_with("Quit", reason="quit")
            return Verdict.CLOSE
        verdict = s.run(commands.Leave(reason=said))
        shown, _ = split_goodbye(said)
        why = "Quit" if shown is None else f"Quit: {shown}"
        s.send(s.render.closing(f"{s.nick} ({why})"))
        return verdict

    # --- the channel ----------------------------------------------------------------------

    def join(self, line: IrcMessage) -> Verdict:
        s = self.s
        if not line.params or not _names(line.params[0]):
            return s.refuse("461", "JOIN", "Not enough parameters")
        if line.params[0] == "0":  # "leave every channel"
            return self._part_channel(None)
        verdict = _OK
        for channel in _names(line.params[0]):
            if not self.is_ours(channel):
                verdict = s.refuse("403", channel or "*", "No such channel")
            elif not s.chat.is_in(s.host):
                # The backlog once only: coming back after a PART, one was there all along.
                verdict = s.run(commands.Enter(backlog=not s.has_been_in))
            if verdict is Verdict.CLOSE:
                break
        return verdict

    def part(self, line: IrcMessage) -> Verdict:
        s = self.s
        if not line.params or not _names(line.params[0]):
            return s.refuse("461", "PART", "Not enough parameters")
        said = _plain(line.params[1]) if len(line.params) > 1 else None
        verdict = _OK
        for channel in _names(line.params[0]):
            if not self.is_ours(channel):
                verdict = s.refuse("403", channel or "*", "No such channel")
            elif not s.chat.is_in(s.host):
                verdict = s.refuse("442", channel, "You're not on that channel")
            else:
                verdict = self._part_channel(said)
            if verdict is Verdict.CLOSE:
                break
        return verdict

    def _part_channel(self, said: str | None) -> Verdict:
        s = self.s
        if not s.chat.is_in(s.host):
            return _OK
        return s.run(commands.Part(message=said))  # its own PART comes with the others'

    def privmsg(self, line: IrcMessage) -> Verdict:
        s = self.s
        notice = line.command == "NOTICE"  # never answered with an error
        if not line.params or not line.params[0]:
            return _OK if notice else s.refuse("411", f"No recipient given ({line.command})")
        target = line.params[0]
        if len(line.params) < 2 or not line.params[1]:
            return _OK if notice else s.refuse("412", "No text to send")
        if "," in target:
            return _OK if notice else s.refuse("407", target, "Too many recipients")
        text = line.params[1]
        ctcp = parse_ctcp(text)
        if ctcp is not None and ctcp.verb != "ACTION":
            if not notice and ctcp.verb in _CTCP_ANSWERED:
                return self._answer_ctcp(target, ctcp.verb, ctcp.argument)
            return _OK  # other CTCPs (and every CTCP reply) stop here
        text = _plain(text if ctcp is None else ctcp.argument)
        if not text.strip():
            return _OK if notice else s.refuse("412", "No text to send")
        if ctcp is not None:
            text = action_to_native(text)
        if self.is_ours(target):
            if not s.chat.is_in(s.host):
                return _OK if notice else s.refuse("404", target, "Cannot send to channel")
            return s.run(commands.SayPublic(text=text))
        if target[:1] in "#&":
            return _OK if notice else s.refuse("403", target, "No such channel")
        return s.run(commands.SayPrivate(to=target, text=text))

    def _answer_ctcp(self, target: str, verb: str, argument: str) -> Verdict:
        """The gateway answers, in its own name (it cannot ask a native client): to the
        channel, or to a nick in the room; 401 for anyone else."""
        s = self.s
        answers = {
            "VERSION": f"chatroom IRC gateway {s.settings.version}",
            "PING": argument,
            "TIME": s.clock.now().strftime("%a %b %d %H:%M:%S %Y UTC"),
            "CLIENTINFO": "ACTION CLIENTINFO PING TIME VERSION",
        }
        answer = s.render.reply("NOTICE", s.nick, format_ctcp(verb, answers[verb]))
        if self.is_ours(target):
            s.send(answer)
            return _OK
        if target[:1] in "#&":
            return s.refuse("403", target, "No such channel")

        def answered(users: tuple[str, ...]) -> bytes:
            if replies.find(target, users) is None:
                return s.render.reply("401", s.nick, target, "No such nick/channel")
            return answer

        return self.with_users(answered)

    def tagmsg(self, line: IrcMessage) -> Verdict:
        del line  # only client-only tags (typing, reactions), which CLIENTTAGDENY=* refuses
        return _OK

    def with_users(self, answer: Callable[[tuple[str, ...]], bytes]) -> Verdict:
        """Ask the room who is in it; `answer` turns the list into this query's lines."""
        s = self.s
        waiting = s.encoder.users_answers
        waiting.append(answer)
        verdict = s.run(commands.ListUsers())
        if waiting and waiting[-1] is answer:  # refused (the list comes at once, or never)
            waiting.pop()
        return verdict

    def is_ours(self, channel: str) -> bool:
        return fold_nick(channel) == fold_nick(self.s.render.channel)


def _plain(text: str) -> str:
    """IRC text as the room takes it: no mIRC formatting, and tabs (which the room refuses,
    as control characters) as spaces, since pasted text holds them."""
    return strip_formatting(text).replace("\t", " ")


def _names(channels: str) -> list[str]:
    return [channel for channel in channels.split(",") if channel]
