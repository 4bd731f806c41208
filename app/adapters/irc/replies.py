"""The numeric replies IRC clients wait for: the welcome burst, a join's names, WHO, WHOIS,
USERHOST, LUSERS, channel modes. Pure: lines from what the room said."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final

from app.adapters.irc.message import format_line
from app.adapters.irc.render import Renderer, tags_for
from app.adapters.irc.settings import IrcSettings
from app.adapters.irc.text import irc_text_budget
from app.domain.commands import HISTORY_MAX_LIMIT
from app.domain.events import StatsReport
from app.domain.nicknames import MAX_NICK_CHARS, fold_nick
from app.domain.text import MAX_QUIT_MESSAGE_CHARS

CHANNEL_MODES: Final = "+nt"  # no outside messages, no topic changes: the only modes there are
_TOKENS_PER_LINE: Final = 12


def isupport_tokens(settings: IrcSettings) -> list[str]:
    return [
        "AWAYLEN=200",
        "CASEMAPPING=ascii",
        f"CHANNELLEN={len(settings.channel)}",
        "CHANMODES=b,,,nt",
        "CHANTYPES=#",
        f"CHATHISTORY={HISTORY_MAX_LIMIT}",
        "CLIENTTAGDENY=*",
        "MSGREFTYPES=msgid",
        "NETWORK=chatroom",
        f"NICKLEN={MAX_NICK_CHARS}",
        "PREFIX=(ov)@+",
        f"QUITLEN={MAX_QUIT_MESSAGE_CHARS}",
        "TARGMAX=JOIN:,NAMES:1,NOTICE:1,PART:,PRIVMSG:1,WHOIS:1",
        "UTF8ONLY",
    ]


def welcome(render: Renderer, settings: IrcSettings, nick: str) -> bytes:
    """001-005, then 422: the end of registration, after which clients send their JOINs."""
    server, version = settings.server, settings.version
    created = f"{settings.created:%Y-%m-%d %H:%M:%S} UTC"
    lines = [
        render.reply("001", nick, f"Welcome to the chatroom IRC gateway, {render.mask(nick)}"),
        render.reply("002", nick, f"Your host is {server}, running version {version}"),
        render.reply("003", nick, f"This server was created {created}"),
        render.reply("004", nick, server, version, "i", "bnt"),
    ]
    lines.append(isupport(render, settings, nick))
    lines.append(render.reply("422", nick, "MOTD File is missing"))
    return b"".join(lines)


def isupport(render: Renderer, settings: IrcSettings, nick: str) -> bytes:
    """005, as many lines as the tokens take."""
    tokens = isupport_tokens(settings)
    return b"".join(
        render.reply("005", nick, *tokens[start : start + _TOKENS_PER_LINE], "are supported")
        for start in range(0, len(tokens), _TOKENS_PER_LINE)
    )


def joined(render: Renderer, nick: str, users: Sequence[str], variant: int, at: datetime) -> bytes:
    """What a client sees of its own join: the JOIN, then who is there (353, 366)."""
    line = format_line("JOIN", render.channel, source=render.mask(nick), tags=tags_for(variant, at))
    return line + names(render, nick, render.channel, users)


def names(render: Renderer, nick: str, channel: str, users: Sequence[str]) -> bytes:
    # Every 353 line within 512 bytes, whatever the nicks' lengths in bytes.
    budget = irc_text_budget(render.server, "353", f"{nick} = {channel}")
    lines = [
        render.reply("353", nick, "=", channel, " ".join(chunk)) for chunk in _chunks(users, budget)
    ]
    lines.append(render.reply("366", nick, channel, "End of /NAMES list"))
    return b"".join(lines)


def who(render: Renderer, nick: str, mask: str, users: Iterable[str]) -> bytes:
    lines = [
        render.reply(
            "352",
            nick,
            render.channel,
            user,
            render.user_host,
            render.server,
            user,
            "H",
            f"0 {user}",
        )
        for user in users
    ]
    lines.append(render.reply("315", nick, mask, "End of /WHO list"))
    return b"".join(lines)


def whois(render: Renderer, nick: str, target: str, users: Sequence[str]) -> bytes:
    found = find(target, users)
    if found is None:
        return render.reply("401", nick, target, "No such nick/channel") + render.reply(
            "318", nick, target, "End of /WHOIS list"
        )
    return b"".join(
        [
            render.reply("311", nick, found, found, render.user_host, "*", found),
            render.reply("319", nick, found, render.channel),
            render.reply("312", nick, found, render.server, "chatroom"),
            render.reply("318", nick, found, "End of /WHOIS list"),
        ]
    )


def userhost(render: Renderer, nick: str, targets: Sequence[str], users: Sequence[str]) -> bytes:
    found = [user for target in targets[:5] if (user := find(target, users)) is not None]
    return render.reply(
        "302", nick, " ".join(f"{user}=+{user}@{render.user_host}" for user in found)
    )


def ison(render: Renderer, nick: str, targets: Sequence[str], users: Sequence[str]) -> bytes:
    found = [user for target in targets if (user := find(target, users)) is not None]
    return render.reply("303", nick, " ".join(found))


def channel_list(render: Renderer, nick: str, users: Sequence[str]) -> bytes:
    return b"".join(
        [
            render.reply("321", nick, "Channel", "Users  Name"),
            render.reply("322", nick, render.channel, str(len(users)), ""),
            render.reply("323", nick, "End of /LIST"),
        ]
    )


def lusers(render: Renderer, nick: str, stats: StatsReport) -> bytes:
    users = str(stats.users)
    said = f"{stats.public_total} public and {stats.private_total} private messages so far"
    return b"".join(
        [
            render.reply("251", nick, f"There are {users} users and 0 invisible on 1 servers"),
            render.reply("254", nick, "1", "channels formed"),
            render.reply("255", nick, f"I have {users} clients and 1 servers"),
            render.reply("265", nick, users, users, f"Current local users {users}, max {users}"),
            render.reply("266", nick, users, users, f"Current global users {users}, max {users}"),
            render.reply("NOTICE", nick, said),
        ]
    )


def channel_modes(render: Renderer, nick: str, created: datetime) -> bytes:
    return render.reply("324", nick, render.channel, CHANNEL_MODES) + render.reply(
        "329", nick, render.channel, str(int(created.timestamp()))
    )


def find(target: str, users: Sequence[str]) -> str | None:
    key = fold_nick(target)
    return next((user for user in users if fold_nick(user) == key), None)


def _chunks(words: Sequence[str], budget: int) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    size = 0
    for word in words:
        cost = len(word.encode()) + 1
        if chunks[-1] and size + cost > budget:
            chunks.append([])
            size = 0
        chunks[-1].append(word)
        size += cost
    return chunks if chunks[0] else []
