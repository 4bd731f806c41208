"""Who is in the room, through which connection: joining, resuming, dropping and quitting."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from app.domain.commands import ResumeRequest
from app.domain.errors import AlreadyRegistered, NotRegistered
from app.domain.events import Entered, UserJoined, UserLeft, Welcome
from app.domain.nicknames import NicknameRegistry
from app.domain.room import Room
from app.domain.sessions import DEFAULT_RESUME_GRACE, Session
from app.services.feed import RoomFeed
from app.services.history import newest_page, replay
from app.services.ports import Clock, EventLog, Recipient, RoomLog, SessionStore
from app.services.session_book import DEFAULT_MAX_WAITING, SessionBook

DEFAULT_BACKLOG: Final = 50


@dataclass(frozen=True)
class RoomSettings:
    backlog: int = DEFAULT_BACKLOG  # public messages shown on joining; 0: none
    resume_grace: float = DEFAULT_RESUME_GRACE  # seconds a dropped session waits; 0: none
    max_waiting: int = DEFAULT_MAX_WAITING  # dropped sessions waiting at once, at most


@dataclass(frozen=True)
class Joined:
    nick: str
    renamed: bool  # the nick asked for was taken
    resumed: bool  # an earlier session continues


class Membership:
    """The room's sessions and the clients that hold them. A client's hello opens a session
    (or resumes one: its nick back, then what it missed); a quit ends it; a dropped
    connection leaves it waiting for the grace, its nick held.

    Not thread-safe: the chat service calls it under its lock, which also orders what this
    publishes to the feed among everything else.
    """

    def __init__(
        self,
        *,
        log: RoomLog,
        sessions: SessionStore,
        feed: RoomFeed,
        clock: Clock,
        suggest_name: Callable[[], str],
        make_secret: Callable[[], str],
        events: EventLog,
        nick_skeleton: Callable[[str], str] | None,
        settings: RoomSettings,
    ) -> None:
        self._log = log
        self._feed = feed
        self._clock = clock
        self._settings = settings
        self._make_secret = make_secret
        self.room: Room[str] = Room(NicknameRegistry(suggest_name, nick_skeleton))
        grace = timedelta(seconds=settings.resume_grace)
        self._book = SessionBook(sessions, grace, make_secret, events, settings.max_waiting)
        self._session_of: dict[Recipient, str] = {}  # connected clients -> their sessions
        self._client_of: dict[str, Recipient] = {}
        for session in self._book.restore(clock.now()):
            if not self.room.restore(session.id, session.nick):  # two held one nick: keep one
                self._book.close(session.id)

    def join(
        self,
        client: Recipient,
        wanted: str | None,
        resume: ResumeRequest | None,
        now: datetime,
        *,
        exact: bool = False,
        present: bool = True,
        resumable: bool = True,
    ) -> Joined:
        """A hello: the session `resume` names, if it is live; otherwise a new one (see
        commands.Join for `exact`, `present` and `resumable`)."""
        if client in self._session_of:
            raise AlreadyRegistered(self.nick(self.session_id(client)))
        self.close_expired(now)
        if resume is not None and (session := self._book.claim(resume.token, now)):
            return self._resume(client, session, wanted, resume, now)
        return self._open(client, wanted, now, exact=exact, present=present, resumable=resumable)

    def part(self, client: Recipient) -> str | None:
        """Out of the room, still registered; returns its nick, or None if it was not in.
        It still follows the feed: the caller announces the part, then unfollows it, so
        that it sees its own part where the others do."""
        session_id = self.session_id(client)
        if not self.room.step_out(session_id):
            return None
        return self.room.nick_of(session_id)

    def enter(self, client: Recipient, now: datetime, *, backlog: bool = True) -> bool:
        """Back into the room: announced, then its feed, who is there, and its backlog.
        False if it was in already."""
        session_id = self.session_id(client)
        if not self.room.step_in(session_id):
            return False
        nick = self.room.nick_of(session_id)
        self._feed.publish(UserJoined(nick=nick, at=now))
        client.follow()
        client.deliver(Entered(nick=nick, users=self.room.nicks(), at=now))
        if backlog and self._settings.backlog:
            self._send_backlog(client, now)
        return True

    def is_in(self, client: Recipient) -> bool:
        """Registered and in the room (not stepped out)."""
        session_id = self._session_of.get(client)
        return session_id is not None and self.room.is_in(session_id)

    def confirm(self, client: Recipient) -> None:
        """The client has sent something since its resume: its new token reached it."""
        session_id = self._session_of.get(client)
        if session_id is not None:
            self._book.confirm(session_id)

    def quit(self, client: Recipient) -> tuple[str, bool] | None:
        """The client leaves for good: its session ends. Returns its nick, if it had one, and
        whether it was in the room (one that stepped out is not seen leaving it again)."""
        session_id = self._detach(client)
        if session_id is None:
            return None
        nick, was_in = self.room.nick_of(session_id), self.room.is_in(session_id)
        self.room.remove(session_id)
        self._book.close(session_id)
        return nick, was_in

    def drop(self, client: Recipient, now: datetime) -> tuple[str, bool] | None:
        """The connection is gone but the client may be back: its session waits the grace.
        Returns its nick and whether it was in the room, as `quit` does."""
        session_id = self._detach(client)
        if session_id is None:
            return None
        was_in = self.room.is_in(session_id)
        self.room.step_away(session_id)
        self._book.drop(session_id, now)
        return self.room.nick_of(session_id), was_in

    def drop_all(self, now: datetime) -> None:
        """The server is stopping: every session held now waits the grace from now."""
        for session in self._book.held():
            self._book.drop(session.id, now)

    def rename(self, client: Recipient, wanted: str, now: datetime) -> tuple[str, str]:
        session_id = self.session_id(client)
        self.close_expired(now)
        old, new = self.room.rename(session_id, wanted)
        self._book.rename(session_id, new)
        return old, new

    def close_expired(self, now: datetime) -> None:
        for session in self._book.expired(now):
            self.room.remove(session.id)
            self._book.close(session.id)

    def session_id(self, client: Recipient) -> str:
        try:
            return self._session_of[client]
        except KeyError:
            raise NotRegistered() from None

    def nick(self, session_id: str) -> str:
        return self.room.nick_of(session_id)

    def client(self, session_id: str) -> Recipient:
        return self._client_of[session_id]

    def is_registered(self, client: Recipient) -> bool:
        return client in self._session_of

    def _open(
        self,
        client: Recipient,
        wanted: str | None,
        now: datetime,
        *,
        exact: bool,
        present: bool,
        resumable: bool,
    ) -> Joined:
        session_id = self._make_secret()
        claim = self.room.admit(session_id, wanted, exact=exact, present=present)
        session, token = self._book.open(
            session_id, claim.nick, first_id=self._log.last_id(), stored=resumable
        )
        self._welcome(
            client,
            session,
            token if resumable else None,
            wanted,
            now,
            renamed=claim.renamed,
            resumed=False,
            present=present,
        )
        if present and self._settings.backlog and session.first_id:
            self._send_backlog(client, now)
        return Joined(nick=claim.nick, renamed=claim.renamed, resumed=False)

    def _resume(
        self,
        client: Recipient,
        session: Session,
        wanted: str | None,
        resume: ResumeRequest,
        now: datetime,
    ) -> Joined:
        holder = self._client_of.get(session.id)
        if holder is not None:
            # Its old connection still looks alive to us (a half-open socket, say): the one
            # that holds the token wins, and the old one is closed as if it had dropped.
            self._detach(holder)
            holder.end("replaced")
            self._feed.publish(UserLeft(nick=session.nick, reason="disconnected", at=now))
        session, token = self._book.renew(session.id, used=resume.token)
        self.room.come_back(session.id)
        upto = self._welcome(client, session, token, wanted, now, renamed=False, resumed=True)
        # Before its first hello it saw nothing live: those messages are not "missed".
        after = min(max(resume.last_id, session.first_id), upto)  # within what the log has
        gap = after < upto and self._log.first_kept_id() > after + 1
        client.deliver_pages(
            replay(self._log, session.id, after, upto, gap=gap, now=self._clock.now)
        )
        return Joined(nick=session.nick, renamed=False, resumed=True)

    def _welcome(
        self,
        client: Recipient,
        session: Session,
        token: str | None,
        wanted: str | None,
        now: datetime,
        *,
        renamed: bool,
        resumed: bool,
        present: bool = True,
    ) -> int:
        """Announce the client, start its feed after that, welcome it; returns its last_id.
        One not `present` is only welcomed: nobody hears of it, and it gets no feed."""
        self._session_of[client] = session.id
        self._client_of[session.id] = client
        if present:
            self._feed.publish(UserJoined(nick=session.nick, at=now))
            client.follow()
        last_id = self._log.last_id()
        client.deliver(
            Welcome(
                nick=session.nick,
                requested=wanted,
                renamed=renamed,
                users=self.room.nicks(),
                at=now,
                # No grace, no resume: a client is not handed a token it could never use.
                resume_token=token if self._settings.resume_grace > 0 else None,
                resumed=resumed,
                last_id=last_id,
            )
        )
        return last_id

    def _send_backlog(self, client: Recipient, now: datetime) -> None:
        try:
            page = newest_page(self._log, "backlog", self._settings.backlog, None, now)
        except OSError:
            return  # a welcome without a backlog beats no welcome; appends will say more
        if page.messages:
            client.deliver(page)

    def _detach(self, client: Recipient) -> str | None:
        """Part `client` from its session; it hears no broadcast from now on."""
        session_id = self._session_of.pop(client, None)
        if session_id is not None:
            del self._client_of[session_id]
            client.unfollow()
        return session_id
