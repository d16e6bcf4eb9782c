"""The board's records and the rules on them: members, films, threads, posts, votes, moderation."""
import hashlib
import re
import secrets
import unicodedata
from collections import namedtuple
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache

from flask import current_app, has_request_context, url_for
from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    event,
    exists,
    or_,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    Mapped, aliased, column_property, contains_eager, joinedload, mapped_column, query_expression, relationship,
    make_transient_to_detached, undefer_group,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from werkzeug.security import check_password_hash, generate_password_hash

from .database import hours_since, one_at_a_time
from .email_addresses import EMAIL_MAX, folded
from .extensions import db
from .markup import RenderedPost, mention_candidates, render_markdown, render_post

SHOWN = "shown"  # the deferred group of a member's display name and avatar digest: undefer it where names show
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{3,30}\Z")  # \Z: `$` would let "name\n" through
# A member who deleted their account keeps their row (their posts keep their author) under a name no one can type:
# "[deleted 17]", outside USERNAME_PATTERN. Every page shows it as DELETED_MEMBER, never linked.
DELETED_NAME_PREFIX = "[deleted "
DELETED_MEMBER = "[deleted member]"
UNUSABLE_PASSWORD = "!"  # no hash: check_password_hash refuses every password against it
TITLE_MAX = 200
FILM_TITLE_MAX = 200
DIRECTOR_NAME_MAX = 100
DIRECTORS_MAX = 12  # a film's credited directors (anthologies have more: one of them stands for the rest)
RUNTIME_MAX = 1000  # minutes; the longest films released run a little over
DUPLICATE_YEARS_APART = 1  # a film dated by its festival premiere one year and its release the next
BODY_MAX = 100_000  # characters: a 10,000-word essay with its Markdown is ~65,000; critics write longer
REASON_MAX = 300
REPORT_DETAILS_MAX = 500
EXCERPT_LENGTH = 280
BIO_MAX = 2_000
DISPLAY_NAME_MAX = 50  # characters: "Agnès Varda (Cléo fan account)" fits; a paragraph does not
AVATAR_SIZE = 256  # pixels, square: the profile shows it at 96, a byline at 24 (2x and more for dense screens)
AVATAR_MAX_PIXELS = 40_000_000  # an upload larger than a 40-megapixel photo is refused before it is decoded
AVATAR_PALETTE = 8  # default avatars: initials on one of avatar--0 … avatar--7 (static/app.css), by member id
MAX_DEPTH = 8
DUPLICATE_WINDOW = timedelta(seconds=10)
NEW_ACCOUNT_PERIOD = timedelta(days=3)  # new accounts get stricter posting limits (board/limits.py)
HOT_GRAVITY = 1.8
HOT_POINTS_PER_REPLY = 0.5  # Lobsters adds half a point per comment to a story's score in its hotness
HOT_RECENT = timedelta(days=7)  # posters within this count for Hot, as Discourse's hot_topics_recent_days (7)
# Top threads of the last day, week, month or all time (None); "all" is the default, as /?sort=top always meant.
TOP_PERIODS = {"day": timedelta(days=1), "week": timedelta(weeks=1), "month": timedelta(days=30), "all": None}
# Hashing something on unknown usernames too keeps a failed login's timing the same either way.
_UNKNOWN_USER_HASH = generate_password_hash(secrets.token_hex(16))


def utcnow() -> datetime:
    """Naive UTC, the one kind of timestamp stored (portable across SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Role(StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"


class Visitor(AnonymousUserMixin):
    """Someone not logged in: asks the same questions as a member and always gets "no"."""

    id = None
    username = None
    role = None

    def can_moderate(self) -> bool:
        return False

    def can_administer(self) -> bool:
        return False

    def is_banned(self, now: datetime | None = None) -> bool:
        return False


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER)
    # Flask-Login's alternative id: replacing it ends every session and remember-me cookie.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A ban: banned_at set; banned_until None means permanent.
    banned_at: Mapped[datetime | None] = mapped_column(DateTime)
    banned_until: Mapped[datetime | None] = mapped_column(DateTime)
    ban_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    # A short Markdown bio, sanitized once when saved like posts.
    bio_source: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str] = mapped_column(Text, default="")
    # An address is used (password reset, notices) only once confirmed through a link sent to it
    # (board/account.py); until then it waits in unconfirmed_email. Stored as board/email_addresses.py normalizes.
    # Deferred (loaded where used, not with every page's member), with a server default (NULL): an INSERT that sets
    # neither leaves them out. So a member row is read and written the same way in a schema from before them, as the
    # tests that migrate a board one release behind and write to it do.
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX), server_default=null(), deferred=True,
                                              deferred_group="email")
    unconfirmed_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX), server_default=null(), deferred=True,
                                                          deferred_group="email")
    # "I've seen it": spoilers of a film this member logged open by default (board/film_logs.py). Deferred with a
    # server default, as `email`: thread pages read it inside ViewerState's one statement, not with the session user.
    reveal_seen_spoilers: Mapped[bool] = mapped_column(Boolean, server_default=true(), deferred=True)

    # How the member appears beside their username (board/identity.py): a display name, and the digest of their
    # uploaded avatar (MemberAvatar), which names its URL, so a page builds it from the row it already reads. NULL:
    # none. Like `email`: deferred, with a server default (NULL), so a board one release behind still logs members in
    # and takes their writes; the pages that show names load them with the member (`undefer_group(SHOWN)`).
    display_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME_MAX), server_default=null(), deferred=True,
                                                     deferred_group="shown")
    avatar_digest: Mapped[str | None] = mapped_column(String(16), server_default=null(), deferred=True,
                                                      deferred_group="shown")

    __table_args__ = (CheckConstraint(f"role IN {tuple(r.value for r in Role)}", name="role"),)
    # No RETURNING of the address columns' server default after an INSERT (see `email`).
    __mapper_args__ = {"eager_defaults": False}

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_deleted(self) -> bool:
        """This account was deleted: its row stays so its posts keep their place, with nothing personal in it."""
        return is_deleted_name(self.username)

    @property
    def shown_name(self) -> str:
        return shown_name(self.username)

    def set_password(self, password: str) -> None:
        """Hash with Werkzeug's default (scrypt) unless PASSWORD_HASH_METHOD says otherwise (the tests, for speed)."""
        method = current_app.config.get("PASSWORD_HASH_METHOD")
        self.password_hash = generate_password_hash(password, **({"method": method} if method else {}))
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        if self.password_hash == UNUSABLE_PASSWORD:
            return False
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Invalidate every logged-in session and remember-me cookie of this member."""
        self.session_token = secrets.token_urlsafe(32)

    def ask_to_confirm(self, address: str) -> None:
        """The address waits for its confirmation link; a newer request replaces an older one (its link dies)."""
        self.unconfirmed_email = address

    def confirm_email(self, address: str) -> bool:
        """Make the waiting `address` this member's; False when it is not the one waiting (an old or used link)."""
        if self.unconfirmed_email is None or folded(self.unconfirmed_email) != folded(address):
            return False
        self.email, self.unconfirmed_email = self.unconfirmed_email, None
        return True

    @classmethod
    def email_taken(cls, address: str, by_other_than: "User | None" = None) -> bool:
        """Whether another member has confirmed this address (confirmed addresses are unique, any case)."""
        query = select(cls.id).where(func.lower(cls.email) == folded(address))
        if by_other_than is not None:
            query = query.where(cls.id != by_other_than.id)
        return db.session.scalar(query.limit(1)) is not None

    @classmethod
    def by_email(cls, address: str) -> "User | None":
        """The member whose confirmed address this is."""
        return db.session.scalar(select(cls).where(func.lower(cls.email) == folded(address)))

    def set_bio(self, source: str) -> None:
        source = source.strip()
        self.bio_source, self.bio_html = source, self.bio_html_for(source)

    @staticmethod
    def bio_html_for(source: str) -> str:
        """A bio's HTML as set_bio stores it (and its preview shows it): mentions of members who exist linked."""
        source = source.strip()
        return render_markdown(source, mentions_in(source))

    def name_with_handle(self) -> str:
        """How plain text (feeds, mail) names the member: "Display (@user)", the username alone, or "[deleted member]"."""
        if self.is_deleted:
            return DELETED_MEMBER
        return f"{self.display_name} (@{self.username})" if self.display_name else self.username

    def impersonation_in(self, display_name: str) -> str | None:
        """Why `display_name` would pass for someone else, or None: it may not equal another member's username, nor a
        moderator's or admin's display name, in any case or width (compared after NFKC and case folding)."""
        key = name_key(display_name)
        taken = db.session.scalar(select(User.username).where(func.lower(User.username) == key, User.id != self.id))
        if taken:
            return f"That is the username of another member ({taken}); choose a name that can't pass for theirs."
        staff = db.session.execute(select(User.display_name).where(
            User.role.in_([Role.MODERATOR, Role.ADMIN]), User.display_name.is_not(None), User.id != self.id)).scalars()
        if any(name_key(name) == key for name in staff):
            return "A moderator or admin shows that name; choose one that can't pass for theirs."
        return None

    def set_display_name(self, display_name: str | None) -> None:
        self.display_name = display_name or None

    def set_avatar(self, picture) -> None:
        """Keep `picture` (a re-encoded board/images.py Picture) as the member's avatar, in place of any before it."""
        avatar = db.session.get(MemberAvatar, self.id) or MemberAvatar(member_id=self.id)
        avatar.digest, avatar.data, avatar.width, avatar.height = picture.digest, picture.data, picture.width, picture.height
        avatar.updated_at = utcnow()
        db.session.add(avatar)
        self.avatar_digest = picture.digest

    def remove_avatar(self) -> None:
        avatar = db.session.get(MemberAvatar, self.id)
        if avatar is not None:
            db.session.delete(avatar)
        self.avatar_digest = None

    def can_moderate(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN) and not self.is_banned()

    def can_administer(self) -> bool:
        """Admins also change roles and site settings."""
        return self.role == Role.ADMIN and not self.is_banned()

    def is_new(self, now: datetime | None = None) -> bool:
        return self.created_at > (now or utcnow()) - NEW_ACCOUNT_PERIOD

    def is_banned(self, now: datetime | None = None) -> bool:
        return self.banned_at is not None and (self.banned_until is None or self.banned_until > (now or utcnow()))

    def ban_notice(self) -> str:
        """What a banned member is told: why, and until when."""
        until = f"until {self.banned_until:%-d %B %Y, %H:%M} UTC" if self.banned_until else "permanently"
        reason = f" Reason: {self.ban_reason}" if self.ban_reason else ""
        return f"Your account is banned {until}.{reason}"

    def can_ban(self, member: "User") -> bool:
        """Moderators ban members; admins also ban moderators; nobody bans an admin, themselves or a deleted account."""
        if not self.can_moderate() or member.id == self.id or member.role == Role.ADMIN or member.is_deleted:
            return False
        return member.role == Role.MEMBER or self.can_administer()

    def ban(self, moderator: "User", days: int | None, reason: str | None) -> None:
        """Ban for `days` days, or permanently when None; the member's sessions end at their next request,
        which is refused with the reason (board/access.py), so they learn why and until when."""
        now = utcnow()
        self.banned_at, self.banned_until = now, (now + timedelta(days=days) if days else None)
        self.ban_reason = reason or None
        term = f"{days} day{'s' if days != 1 else ''}" if days else "permanent"
        ModAction.record(moderator, ModAction.BAN, self, " — ".join(filter(None, [term, reason])))

    def unban(self, moderator: "User") -> None:
        self.banned_at = self.banned_until = self.ban_reason = None
        ModAction.record(moderator, ModAction.UNBAN, self)

    def change_role(self, admin: "User", role: Role) -> None:
        previous, self.role = self.role, Role(role)
        ModAction.record(admin, ModAction.ROLE, self, f"{previous} → {self.role}")

    def delete_account(self, actor: "User", remove_posts: bool = False) -> None:
        """The member leaves: their name is retired (kept from new members, shown nowhere), everything personal goes
        (address, bio, password, sessions, votes as rows — the posts' counts stay —, follows, saves, blocks, inbox,
        unsent mail) and their posts stay as "[deleted member]"'s, or with their text removed (`remove_posts`). The
        moderation log records that a member deleted their account (or an admin did), and nothing about who.

        Safe against a second request for the same account: the row is locked and a deleted account is left alone.
        """
        from .mail import OutgoingMail  # mail.py imports this module

        db.session.flush()
        db.session.execute(select(User.id).where(User.id == self.id).with_for_update())
        db.session.refresh(self)
        if self.is_deleted:
            return
        addresses = [folded(address) for address in (self.email, self.unconfirmed_email) if address]
        mention_link = f'href="{profile_path(self.username)}" class="mention"'
        db.session.add(RetiredName(name=self.username.lower()))
        self.username = f"{DELETED_NAME_PREFIX}{self.id}]"
        self.email = self.unconfirmed_email = None
        self.display_name = self.avatar_digest = None
        self.bio_source = self.bio_html = ""
        self.password_hash = UNUSABLE_PASSWORD
        self.role = Role.MEMBER
        self.banned_at = self.banned_until = self.ban_reason = None
        self.end_sessions()
        for model, column in ((Vote, Vote.user_id), (Bookmark, Bookmark.member_id), (Notification, Notification.recipient_id),
                              (ThreadSubscription, ThreadSubscription.member_id), (Block, Block.blocker_id),
                              (Block, Block.blocked_id), (EmailNotices, EmailNotices.member_id),
                              (MemberAvatar, MemberAvatar.member_id)):
            db.session.execute(model.__table__.delete().where(column == self.id))
        if addresses:
            db.session.execute(OutgoingMail.__table__.delete().where(
                func.lower(OutgoingMail.recipient).in_(addresses), OutgoingMail.given_up_at.is_(None)))
        if remove_posts:
            Post.remove_text_of(self)
            FilmLog.remove_reviews_of(self)  # their ratings stay, as counts without words
        db.session.flush()  # the name is retired: mentions of it render as the text written
        for post in db.session.scalars(select(Post).where(Post.body_html.contains(mention_link, autoescape=True))):
            post.set_body(post.body_source)  # others' words as they wrote them, without the link to a gone profile
        action = ModAction.LEAVE if actor.id == self.id else ModAction.DELETE_ACCOUNT
        ModAction.record(actor, action, self, "posts removed" if remove_posts else "posts kept as [deleted member]")

    @classmethod
    def directory(cls, name_contains: str = "", role: str | None = None, banned: str | None = None):
        """Members for the admin list: by name, role and ban state, oldest first (deleted accounts are no one's)."""
        query = select(cls).where(cls.username.not_like(f"{DELETED_NAME_PREFIX}%")).order_by(cls.created_at, cls.id)
        if name_contains:
            pattern = "%" + name_contains.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(func.lower(cls.username).like(pattern, escape="\\"))
        if role:
            query = query.where(cls.role == role)
        if banned:
            now = utcnow()
            is_banned = and_(cls.banned_at.is_not(None), or_(cls.banned_until.is_(None), cls.banned_until > now))
            query = query.where(is_banned if banned == "yes" else ~is_banned)
        return query

    @staticmethod
    def post_stats(member_ids) -> dict[int, tuple[int, int]]:
        """(posts, karma) per member: karma is the net votes their posts received. One SELECT."""
        if not member_ids:
            return {}
        rows = db.session.execute(
            select(Post.author_id, func.count(Post.id), func.coalesce(func.sum(Post.score), 0))
            .where(Post.author_id.in_(member_ids))
            .group_by(Post.author_id)
        )
        return {author_id: (posts, karma) for author_id, posts, karma in rows}

    @classmethod
    def by_username(cls, username: str, shown: bool = False) -> "User | None":
        """The member with this name (any case), never a deleted account; `shown`: with their display name and avatar
        (a page shows them)."""
        if is_deleted_name(username):
            return None
        query = select(cls).where(func.lower(cls.username) == username.lower())
        return db.session.scalar(query.options(undefer_group(SHOWN)) if shown else query)

    @classmethod
    def authenticate(cls, username: str, password: str) -> "User | None":
        """The member with these credentials, or None; the same work is done when the name is unknown."""
        user = cls.by_username(username)
        if user is None:
            check_password_hash(_UNKNOWN_USER_HASH, password)
            return None
        return user if user.check_password(password) else None

    @classmethod
    def register(cls, username: str, password: str, role: Role = Role.MEMBER) -> "User | None":
        """A new member, or None when the name is taken (case-insensitively), even by a concurrent request."""
        if RetiredName.is_retired(username):
            return None
        user = cls(username=username, role=role)
        user.set_password(password)
        try:
            with db.session.begin_nested():
                db.session.add(user)
        except IntegrityError:
            return None
        return user


Index("uq_users_username_lower", func.lower(User.username), unique=True)


def is_deleted_name(username: str | None) -> bool:
    return bool(username) and username.startswith(DELETED_NAME_PREFIX)


def shown_name(username: str) -> str:
    """A member's name as pages show it: "[deleted member]" for a deleted account."""
    return DELETED_MEMBER if is_deleted_name(username) else username


class RetiredName(db.Model):
    """The name of a deleted account, lower-cased: no one may register it again, so no one can pose as the member who
    left among the replies still answering them. It is never shown; a profile address under it answers 410 Gone."""

    __tablename__ = "retired_usernames"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    retired_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @classmethod
    def is_retired(cls, username: str) -> bool:
        return db.session.get(cls, username.lower()) is not None
Index("uq_users_email_lower", func.lower(User.email), unique=True)  # confirmed addresses only: NULLs never clash


def profile_path(username: str) -> str:
    """A member's profile as a path (behind the request's script root when there is a request)."""
    if has_request_context():
        return url_for("members.profile", name=username)
    return current_app.url_map.bind("").build("members.profile", {"name": username})


def mentions_in(source: str) -> dict[str, tuple[str, str]]:
    """The members an @name in this Markdown names, who exist: one SELECT, none when no @name is written."""
    names = mention_candidates(source)
    if not names:
        return {}
    found = db.session.scalars(select(User.username).where(func.lower(User.username).in_(names)))  # never a deleted one
    return {name.lower(): (name, profile_path(name)) for name in found}


def render_body(source: str) -> RenderedPost:
    """A post's Markdown rendered with links to the members it mentions (board/markup.py does the rest)."""
    return render_post(source, mentions_in(source))


FIRST_FILM_YEAR = 1870
# "Her (2013)" and "Her, 2013": a film as the board shows it (suggestions, thread rows), typed back.
TRAILING_YEAR = re.compile(r"(.*?\S)\s*(?:\(\s*(\d{4})\s*\)|,\s*(\d{4}))\s*")


def is_film_year(year: int) -> bool:
    return FIRST_FILM_YEAR <= year <= utcnow().year + 10


def normalise_film_title(title: str) -> str:
    """Casefolded words without accents or punctuation: "Cléo from 5 to 7" and "cleo from 5 to 7!" match."""
    decomposed = unicodedata.normalize("NFKD", title)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"\w+", plain))


class Film(db.Model):
    __tablename__ = "films"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(FILM_TITLE_MAX))
    year: Mapped[int | None] = mapped_column(Integer)
    # normalised title + year: one film record however members spell it
    key: Mapped[str] = mapped_column(String(FILM_TITLE_MAX + 8), unique=True)
    slug: Mapped[str] = mapped_column(String(FILM_TITLE_MAX + 20), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The details moderators fill in (board/films.py). Deferred, with a server default (NULL), like User.email: loaded
    # where shown, and a film row is read and written the same way in a schema from before them.
    original_title: Mapped[str | None] = mapped_column(String(FILM_TITLE_MAX), server_default=null(), deferred=True,
                                                       deferred_group="details")
    runtime: Mapped[int | None] = mapped_column(Integer, server_default=null(), deferred=True, deferred_group="details")

    directors: Mapped[list["FilmDirector"]] = relationship(
        order_by="FilmDirector.position", lazy="raise", cascade="all, delete-orphan", passive_deletes=True)
    poster: Mapped["FilmPoster | None"] = relationship(lazy="raise", cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"eager_defaults": False}  # no RETURNING of the details' server default after an INSERT

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def may_be_duplicate_of(self, other: "Film") -> bool:
        """Same normalised title and years at most one apart (or one of them without a year): worth a moderator's look."""
        same_title = self.key.rsplit("|", 1)[0] == other.key.rsplit("|", 1)[0]
        return same_title and other.id != self.id and (
            self.year is None or other.year is None or abs(self.year - other.year) <= DUPLICATE_YEARS_APART)

    @staticmethod
    def key_for(title: str, year: int | None) -> str:
        return f"{normalise_film_title(title)}|{year or ''}"

    @staticmethod
    def slug_for(title: str, year: int | None) -> str:
        """'Cléo from 5 to 7', 1962 → 'cleo-from-5-to-7-1962' (before any -2, -3 that keeps it unique)."""
        return "-".join(filter(None, [normalise_film_title(title).replace(" ", "-") or "film", str(year or "")]))

    @staticmethod
    def split_year(typed: str) -> tuple[str, int | None]:
        """'Her (2013)' or 'Her, 2013' → ('Her', 2013); anything else (or a number no film year can be) → (typed, None)."""
        match = TRAILING_YEAR.fullmatch(typed)
        if match is None or not is_film_year(year := int(match[2] or match[3])):
            return typed, None
        return match[1], year

    @classmethod
    def title_and_year(cls, typed_title: str, typed_year: int | None) -> tuple[str, int | None]:
        """The film meant: a year ending the title is the film's year when the year box is empty or says the same."""
        title, year = cls.split_year(typed_title)
        return (title, year) if year is not None and typed_year in (None, year) else (typed_title, typed_year)

    @staticmethod
    def route_words() -> frozenset[str]:
        """The fixed words after /films/ in the board's routes ("suggest"): a film with such a slug could not be reached."""
        parts = (rule.rule.split("/") for rule in current_app.url_map.iter_rules())
        return frozenset(part[2] for part in parts if len(part) > 2 and part[1] == "films" and "<" not in part[2])

    @classmethod
    def slug_is_free(cls, slug: str, film_id: int | None = None) -> bool:
        """Not a route word, not another film's slug, not another film's old slug."""
        if slug in cls.route_words():
            return False
        taken = db.session.scalar(
            select(
                select(cls.id).where(cls.slug == slug, cls.id != film_id).exists()
                | select(FilmAlias.slug).where(FilmAlias.slug == slug, FilmAlias.film_id != film_id).exists()
            )
        )
        return not taken

    @classmethod
    def find_or_create(cls, title: str, year: int | None) -> "Film":
        """The film with this normalised title and year, created if new (safe against a concurrent create).

        "Her (2013)" with no year is Her, 2013 (see title_and_year)."""
        title, year = cls.title_and_year(" ".join(title.split()), year)
        key = cls.key_for(title, year)
        film = db.session.scalar(select(cls).where(cls.key == key))
        if film is not None:
            return film
        base_slug = cls.slug_for(title, year)
        # A film renamed or merged away keeps its slug as an alias: a new thread under its old name joins the film it became.
        renamed = db.session.scalar(select(cls).join(FilmAlias, FilmAlias.film_id == cls.id).where(FilmAlias.slug == base_slug))
        if renamed is not None:
            return renamed
        for attempt in range(1, 6):
            slug = base_slug if attempt == 1 else f"{base_slug}-{attempt}"
            if slug in cls.route_words():
                continue
            film = cls(title=title, year=year, key=key, slug=slug)
            try:
                with db.session.begin_nested():
                    db.session.add(film)
                return film
            except IntegrityError:
                existing = db.session.scalar(select(cls).where(cls.key == key))
                if existing is not None:
                    return existing
        raise RuntimeError(f"could not find a free slug for {key!r}")


class FilmDirector(db.Model):
    """One of a film's directors, in the order the credits give; `key` groups spellings ("Agnès Varda", "agnes varda")."""

    __tablename__ = "film_directors"

    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(DIRECTOR_NAME_MAX))
    key: Mapped[str] = mapped_column(String(DIRECTOR_NAME_MAX), index=True)

    @staticmethod
    def key_for(name: str) -> str:
        """The grouping key and address of a director: 'Agnès Varda' → 'agnes-varda' (as film slugs are made)."""
        return normalise_film_title(name).replace(" ", "-")


class FilmPoster(db.Model):
    """A film's poster, re-encoded (board/images.py) into a page-sized and an index-sized WebP; one per film."""

    __tablename__ = "film_posters"

    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    small_data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    small_width: Mapped[int] = mapped_column(Integer)
    small_height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FilmAlias(db.Model):
    """A slug a film used to have (before a rename or a merge): old links redirect to the film."""

    __tablename__ = "film_aliases"

    slug: Mapped[str] = mapped_column(String(FILM_TITLE_MAX + 20), primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id"), index=True)


class Thread(db.Model):
    __tablename__ = "threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    has_spoilers: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned_at: Mapped[datetime | None] = mapped_column(DateTime)
    pinned_until: Mapped[datetime | None] = mapped_column(DateTime)  # None: pinned until unpinned
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)

    film: Mapped[Film] = relationship(lazy="raise")
    author: Mapped[User] = relationship(lazy="raise")
    opening_post: Mapped["Post"] = relationship(
        primaryjoin=lambda: and_(Post.thread_id == Thread.id, Post.parent_id.is_(None)),
        viewonly=True,
        uselist=False,
        lazy="raise",
    )

    @property
    def score(self) -> int:
        """A thread's score is its opening post's score."""
        return self.opening_post.score

    def is_visible_to(self, viewer) -> bool:
        """A thread whose opening post moderators hid is gone for everyone but them and its author."""
        return self.opening_post.is_visible_to(viewer) or (self.opening_post.deleted and not self.opening_post.hidden)

    def permits_reply(self) -> bool:
        """Open for replies and votes; a locked thread takes replies from moderators only."""
        return not self.locked

    def is_pinned(self, now: datetime | None = None) -> bool:
        """Pinned, and the pin has not expired: an expired pin simply stops counting, no job needed."""
        return self.pinned and (self.pinned_until is None or self.pinned_until > (now or utcnow()))

    @classmethod
    def pinned_now(cls, now: datetime):
        """is_pinned() as a SQL expression, for ordering lists."""
        return and_(cls.pinned.is_(True), or_(cls.pinned_until.is_(None), cls.pinned_until > now))

    @classmethod
    def start(cls, author: User, film: Film, title: str, body: "str | RenderedPost", has_spoilers: bool,
              at: datetime | None = None) -> "Thread":
        """A new thread with its opening post, written now (or `at`: an imported blog post keeps its date)."""
        now = at or utcnow()
        thread = cls(
            film=film, author=author, title=title, has_spoilers=has_spoilers, created_at=now, last_activity_at=now
        )
        db.session.add(thread)
        opening = Post(thread=thread, author=author, depth=0, created_at=now)
        opening.set_body(body)
        db.session.add(opening)
        db.session.flush()
        opening.path = Post.path_segment(opening.id)
        set_committed_value(thread, "opening_post", opening)
        db.session.add(ThreadSubscription(member_id=author.id, thread_id=thread.id, level=ThreadSubscription.FOLLOW))
        return thread

    def pin(self, moderator: User, until: datetime | None = None) -> None:
        self.pinned, self.pinned_at, self.pinned_until = True, utcnow(), until
        ModAction.record(moderator, ModAction.PIN, self, f"until {until:%-d %B %Y} UTC" if until else None)

    def unpin(self, moderator: User) -> None:
        self.pinned, self.pinned_at, self.pinned_until = False, None, None
        ModAction.record(moderator, ModAction.UNPIN, self)

    def lock(self, moderator: User, reason: str | None = None) -> None:
        self.locked = True
        ModAction.record(moderator, ModAction.LOCK, self, reason)

    def unlock(self, moderator: User) -> None:
        self.locked = False
        ModAction.record(moderator, ModAction.UNLOCK, self)

    @staticmethod
    def hot_rank(now: datetime):
        """Hot, as a SQL expression: HN-style gravity over votes and discussion.

            hot = (score + 1 + 0.5 × replies + recent posters) / (age_in_hours + 2) ** 1.8
                  (score + 1) × (age_in_hours + 2) ** 1.8        when score < -1

        The opening post's score is the thread's score; "+ 1" keeps a new thread with no votes above zero, so
        that among equal points newer threads rank higher. Discussion counts as well as votes, as on Lobsters
        (each comment adds half a point to a story's score) and Discourse (each member who posted in the last
        days counts like a like): replies are the thread's reply count, recent posters the members other than
        its author with a visible reply in the last HOT_RECENT (7 days). Age is counted from the thread's
        creation, so a thread sinks as it ages unless votes and discussion keep it up. A score below -1 ranks
        by multiplying instead, under every other thread, discussion or not (Lobsters too stops comments from
        lifting a story voted down): dividing would let an old downvoted thread climb back towards zero above
        newer ones, multiplying keeps it sinking.

        Recent posters are counted by a correlated subquery, once per thread and only for threads active within
        HOT_RECENT (SQLite and PostgreSQL evaluate a CASE lazily): the listing stays one statement, and reads
        the posts of recently active threads only.
        """
        recent = now - HOT_RECENT
        discussion = HOT_POINTS_PER_REPLY * Thread.reply_count + Thread.recent_posters(recent)
        age_factor = func.power(hours_since(Thread.created_at, now) + 2, HOT_GRAVITY)
        return case((Post.score < -1, (Post.score + 1) * age_factor), else_=(Post.score + 1 + discussion) / age_factor)

    @staticmethod
    def recent_posters(since: datetime):
        """Members other than its author with a visible reply in the thread since `since`, as a SQL expression
        correlated to the listing's thread: 0 for a thread with no activity since then, without reading its posts."""
        reply = aliased(Post)
        posters = (
            select(func.count(reply.author_id.distinct()))
            .where(reply.thread_id == Thread.id, reply.parent_id.is_not(None), reply.created_at >= since,
                   reply.author_id != Thread.author_id, reply.hidden.is_(False), reply.deleted.is_(False))
            .correlate(Thread)
            .scalar_subquery()
        )
        return case((Thread.last_activity_at >= since, posters), else_=0)

    @classmethod
    def listing(cls, viewer, sort: str, now: datetime, film_id: int | None = None, period: str = "all"):
        """The front page (or one film's threads) as one SELECT: pinned first, then by the chosen order.

        Top counts only threads started within `period` (a key of TOP_PERIODS); Active puts the latest reply first.
        """
        orders = {
            "hot": [cls.hot_rank(now).desc(), cls.id.desc()],
            "new": [cls.created_at.desc(), cls.id.desc()],
            "top": [Post.score.desc(), cls.created_at.desc(), cls.id.desc()],
            "active": [cls.last_activity_at.desc(), cls.id.desc()],
        }
        query = (
            select(cls)
            .join(cls.opening_post)
            .join(cls.author)
            .join(cls.film)
            .options(contains_eager(cls.opening_post), contains_eager(cls.author).undefer_group(SHOWN),
                     contains_eager(cls.film))
            .order_by(case((cls.pinned_now(now), 0), else_=1), *orders[sort])
        )
        if not viewer.can_moderate():
            query = query.where(Post.hidden.is_(False))
        if film_id is not None:
            query = query.where(cls.film_id == film_id)
        if sort == "top" and TOP_PERIODS[period] is not None:
            query = query.where(cls.created_at >= now - TOP_PERIODS[period])
        return query


class Post(db.Model):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # indexed with created_at (ix_posts_author_created)
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    # Zero-padded ids from the opening post down: sorting by path gives the reply tree in reading order.
    path: Mapped[str] = mapped_column(String(11 * (MAX_DEPTH + 1)), default="")
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)
    score: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    # The author's own delete: a flag, so replies keep their place; the source stays for moderators.
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A moderator wrapped the whole post in a spoiler instead of hiding it.
    marked_spoiler: Mapped[bool] = mapped_column(Boolean, default=False)
    edited_by_moderator: Mapped[bool] = mapped_column(Boolean, default=False)
    # Up and down votes apart, for the Wilson-bound "Best" order; score = upvotes - downvotes.
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    downvotes: Mapped[int] = mapped_column(Integer, default=0)
    # Spoiler-safe plain text of the body (spoilers read "[spoiler]"): excerpts, search, feeds, notifications.
    plain_text: Mapped[str] = mapped_column(Text, default="")

    # Many-to-one by primary key: answered from the identity map when the thread is already loaded.
    thread: Mapped[Thread] = relationship()
    author: Mapped[User] = relationship(lazy="raise")
    parent: Mapped["Post | None"] = relationship(remote_side="Post.id", lazy="raise")

    __table_args__ = (
        Index("ix_posts_thread_path", "thread_id", "path"),
        # Covers the front page's join to each thread's opening post (found by profiling `make bench`).
        Index("ix_posts_listing", "parent_id", "thread_id", "hidden", "score"),
        Index("ix_posts_parent_id", "parent_id"),
        # A member's posts, and among them the last few seconds' (add_reply's double-submit check, inside the INSERT
        # under the write lock: by parent it read every reply to a busy post; by author alone, all of theirs).
        Index("ix_posts_author_created", "author_id", "created_at"),
        Index(
            "uq_posts_opening_post",
            "thread_id",
            unique=True,
            sqlite_where=parent_id.is_(None),
            postgresql_where=parent_id.is_(None),
        ),
    )

    @staticmethod
    def path_segment(post_id: int) -> str:
        return f"{post_id:010d}."

    @property
    def is_opening(self) -> bool:
        return self.parent_id is None

    def set_body(self, body: "str | RenderedPost") -> None:
        """Store the Markdown and its sanitized HTML together: rendered once, when saved (or just before), never on view."""
        rendered = body if isinstance(body, RenderedPost) else render_body(body)
        self.body_source, self.body_html, self.plain_text = rendered.source, rendered.html, rendered.plain_text

    def excerpt(self, length: int = EXCERPT_LENGTH) -> str:
        """The start of the spoiler-safe plain text, cut at a word."""
        if len(self.plain_text) <= length:
            return self.plain_text
        return self.plain_text[:length].rsplit(" ", 1)[0].rstrip(" ,;:.—–-") + "…"

    @property
    def is_removed(self) -> bool:
        """Hidden by moderators or deleted by its author: a placeholder for most readers."""
        return self.hidden or self.deleted

    def is_visible_to(self, viewer) -> bool:
        """Whether the viewer may read the body: moderators always, an author their own hidden post."""
        if viewer.can_moderate():
            return True
        if self.deleted:
            return False
        return not self.hidden or (viewer.is_authenticated and viewer.id == self.author_id)

    def accepts_reply_from(self, viewer) -> bool:
        if not viewer.is_authenticated or viewer.is_banned():
            return False
        if viewer.can_moderate():
            return True
        return self.open_to_replies()

    def open_to_replies(self) -> bool:
        """A member in good standing may answer it: its thread is not locked and it is not removed. A visitor is
        shown where to log in to reply on exactly these posts."""
        return self.thread.permits_reply() and not self.is_removed

    def can_quote(self, viewer) -> bool:
        """Quoting is replying with the post's words: never the words of a hidden or deleted post."""
        return self.accepts_reply_from(viewer) and not self.is_removed

    def can_vote(self, viewer) -> bool:
        return (
            viewer.is_authenticated
            and not viewer.is_banned()
            and viewer.id != self.author_id
            and not self.is_removed
            and self.thread.permits_reply()
        )

    def can_edit(self, viewer) -> bool:
        """Authors edit their own posts (not once hidden or deleted); moderators edit any post."""
        if not viewer.is_authenticated or viewer.is_banned():
            return False
        return viewer.can_moderate() or (viewer.id == self.author_id and not self.is_removed)

    def can_delete(self, viewer) -> bool:
        return viewer.is_authenticated and viewer.id == self.author_id and not self.deleted and not viewer.is_banned()

    def can_report(self, viewer) -> bool:
        return (
            viewer.is_authenticated
            and not viewer.is_banned()
            and viewer.id != self.author_id
            and not self.is_removed
        )

    def reply_parent(self) -> "Post":
        """Where a reply to this post attaches: here, or its parent once MAX_DEPTH is reached."""
        return self if self.depth < MAX_DEPTH else db.session.get(Post, self.parent_id)

    def add_reply(self, author: User, body: "str | RenderedPost",
                  notify: "Callable[[Post], object] | None" = None, at: datetime | None = None) -> "Post":
        """A new reply under this post (or at the deepest allowed level); a resubmission returns the first.

        `notify(reply)` runs once the reply is written, before the thread's counters are: they come last because on
        PostgreSQL the thread's row stays locked from that UPDATE to COMMIT, and every reply to the thread waits.
        `at` dates a reply written before now (an imported comment): the thread's last activity moves only forward.
        Prebuilt Core statements (reply_statements), the new Post built before the write lock and put in the session
        as written (no flush): on SQLite they run under the lock, where the ORM's unit of work and its extra work per
        statement would hold up every other writer.
        """
        body = body if isinstance(body, RenderedPost) else render_body(body)
        parent = self.reply_parent()
        values = dict(NEW_POST_DEFAULTS, thread_id=parent.thread_id, parent_id=parent.id, author_id=author.id,
                      depth=parent.depth + 1, body_source=body.source, body_html=body.html, plain_text=body.plain_text)
        reply = Post(**values, parent=parent, author=author)
        db.session.flush()  # a parent or author not yet stored (the demo's, an import's): the statements below need them
        connection = db.session.connection()
        one_at_a_time(connection, f"replies:{author.id}")  # a double submit is found by the second
        statements = reply_statements(connection.dialect.name)
        values["created_at"] = reply.created_at = now = at or utcnow()
        reply.id = connection.execute(statements.insert, {**values, "parent_path": parent.path,
                                                          "since": now - DUPLICATE_WINDOW}).scalar()
        if reply.id is None:  # not written: the member's same reply to the same post is there already
            duplicate = db.session.scalar(statements.duplicate, {**values, "since": now - DUPLICATE_WINDOW})
            # Answered as the first submission was: the caller renders the reply with its author and parent,
            # both lazy="raise", so give it the ones a new reply gets (the same rows: no query).
            set_committed_value(duplicate, "author", author)
            set_committed_value(duplicate, "parent", parent)
            return duplicate
        reply.path = parent.path + Post.path_segment(reply.id)  # what the INSERT wrote
        make_transient_to_detached(reply)  # as if loaded: every column is set, so nothing is read back
        db.session.add(reply)
        if notify is not None:
            notify(reply)
        # Through the session: the page cache learns from it which thread changed (the INSERT above went around it).
        counters = db.session.execute(statements.count if at is None else statements.count_imported,
                                      {"thread_id": parent.thread_id, "now": now}).one()
        thread = db.session.identity_map.get(identity_key(Thread, parent.thread_id))
        if thread is not None:
            for name, value in counters._mapping.items():  # as stored now, others' replies included
                set_committed_value(thread, name, value)
        return reply

    def vote(self, voter: User, value: int) -> int:
        """Cast, switch or (pressing the same arrow again) take back a vote; returns the voter's vote now.

        Only this voter's votes on this post wait for each other; the post's counters are updated last, so on
        PostgreSQL its row is locked from that UPDATE to COMMIT only. Three prebuilt Core statements (the vote read,
        the vote written, the counters with RETURNING): on SQLite they run under the write lock, where the ORM's unit
        of work and its extra work per statement would hold up every other writer.
        """
        if value not in (1, -1):
            raise ValueError("a vote is +1 or -1")
        statements = vote_statements()
        db.session.flush()  # a voter or post not yet stored (the demo's): the statements below run on the connection
        connection = db.session.connection()
        one_at_a_time(connection, f"vote:{voter.id}:{self.id}")
        keys = {"voter": voter.id, "post": self.id}
        before = connection.execute(statements.current, keys).scalar() or 0
        now_value = 0 if before == value else value
        # The vote row is on no kept page by itself: the counters' UPDATE below, through the session, tells the page
        # cache which post changed (board/page_cache.py).
        if before == 0:
            connection.execute(statements.cast, {"user_id": voter.id, "post_id": self.id, "value": value,
                                                 "created_at": utcnow()})
        elif now_value == 0:
            connection.execute(statements.take_back, keys)
        else:
            connection.execute(statements.switch, {**keys, "vote": value})
        ups = (now_value == 1) - (before == 1)
        downs = (now_value == -1) - (before == -1)
        stored = db.session.execute(statements.count, {"post_id": self.id, "ups": ups, "downs": downs}).one()
        for name, count in stored._mapping.items():  # the counts as stored now, others' votes included
            set_committed_value(self, name, count)
        return now_value

    def edit(self, editor: User, body: str, title: str | None = None) -> "PostRevision | None":
        """Keep the version being replaced as a revision, then store the new one; None if nothing changed."""
        # Lock the row (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises) so racing edits each keep
        # the version they really replaced.
        db.session.flush()
        db.session.execute(select(Post.id).where(Post.id == self.id).with_for_update())
        db.session.refresh(self)
        new_title = title if self.is_opening and title is not None else None
        if body == self.body_source and (new_title is None or new_title == self.thread.title):
            return None
        now = utcnow()
        by_moderator = editor.id != self.author_id
        revision = PostRevision(
            post_id=self.id,
            editor_id=editor.id,
            title=self.thread.title if self.is_opening else None,
            body_source=self.body_source,
            body_html=self.body_html,
            written_at=self.edited_at or self.created_at,
            replaced_at=now,
            replaced_by_moderator=by_moderator,
        )
        db.session.add(revision)
        self.set_body(body)
        if new_title is not None:
            self.thread.title = new_title
        self.edited_at, self.edited_by_moderator = now, by_moderator
        if by_moderator:
            ModAction.record(editor, ModAction.EDIT, self)
        return revision

    def delete(self) -> None:
        """The author's delete: a "[deleted]" placeholder keeps the replies in place."""
        self.deleted, self.deleted_at = True, utcnow()

    @classmethod
    def remove_text_of(cls, author: User) -> None:
        """A leaving member asked for their words to go: every post of theirs becomes a "[deleted]" placeholder with
        no text behind it (nor its earlier versions); replies keep their place under it. One UPDATE, one DELETE."""
        db.session.execute(
            update(cls).where(cls.author_id == author.id)
            .values(body_source="", body_html="", plain_text="", deleted=True,
                    deleted_at=func.coalesce(cls.deleted_at, utcnow()))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(PostRevision.__table__.delete().where(
            PostRevision.post_id.in_(select(cls.id).where(cls.author_id == author.id))))

    def mark_spoiler(self, moderator: User, reason: str | None = None) -> None:
        self.marked_spoiler = True
        ModAction.record(moderator, ModAction.MARK_SPOILER, self, reason)

    def unmark_spoiler(self, moderator: User) -> None:
        self.marked_spoiler = False
        ModAction.record(moderator, ModAction.UNMARK_SPOILER, self)

    def hide(self, moderator: User, reason: str | None) -> None:
        self.hidden, self.hidden_reason = True, reason or None
        ModAction.record(moderator, ModAction.HIDE, self, reason)

    def unhide(self, moderator: User) -> None:
        self.hidden, self.hidden_reason = False, None
        ModAction.record(moderator, ModAction.UNHIDE, self)

    @classmethod
    def page_columns(cls) -> list:
        """What a thread page shows of each reply, as plain columns (its own, then its author's as author_<name>):
        rows of these are what the page walks (board/post_html.py), far cheaper to fetch than Post objects.
        The Markdown source and plain text stay behind."""
        return [*(column for column in cls.__table__.c if column.key not in ROW_LEFT_OUT),
                *(getattr(User, name).label(f"author_{name}") for name in ROW_AUTHOR)]

    @classmethod
    def tree_rows(cls, thread_id: int):
        """Post.tree as page_columns rows: every post of a thread, opening post first, in reply-tree order."""
        return select(*cls.page_columns()).join(User, User.id == cls.author_id).where(cls.thread_id == thread_id).order_by(cls.path)

    @classmethod
    def from_row(cls, row, thread: Thread) -> "Post":
        """A page_columns row as a Post with its author and thread, for the templates' questions (is_visible_to,
        can_edit, …). Never in the session: nothing of it is written, and it costs no statement."""
        post = cls(**{column.key: getattr(row, column.key) for column in cls.__table__.c if column.key not in ROW_LEFT_OUT})
        author = User(id=post.author_id, **{name: getattr(row, f"author_{name}") for name in ROW_AUTHOR})
        set_committed_value(post, "author", author)
        set_committed_value(post, "thread", thread)
        return post

    @classmethod
    def tree(cls, thread_id: int):
        """Every post of a thread with its author, opening post first, in reply-tree order: one SELECT."""
        return (
            select(cls)
            .join(cls.author)
            .options(contains_eager(cls.author).undefer_group(SHOWN))
            .where(cls.thread_id == thread_id)
            .order_by(cls.path)
        )


def plain_rows(statement, values: dict | None = None) -> list:
    """The rows of a SELECT of columns as named tuples, run on the session's connection: a thread page reads each of
    its rows' fields a dozen times, and a named tuple's field costs a tenth of a SQLAlchemy Row's; and the ORM's
    handling of a result (set up per execution, then per row) cost a thread page as much as SQLite's own work, for
    rows that are plain columns anyway. Nothing is flushed first: pages read, they write nothing."""
    result = db.session.connection().execute(statement, values or {})
    make = row_type(tuple(result.keys()))._make
    return [make(row) for row in result.all()]  # all(): the driver's fetchall, not a fetchone per row


@cache
def row_type(fields: tuple[str, ...]) -> type:
    return namedtuple("Row", fields)


# What a page row (Post.page_columns) leaves out of a post, and takes of its author (all a post's HTML asks of them).
ROW_LEFT_OUT = frozenset({"body_source", "plain_text"})
ROW_AUTHOR = ("username", "role", "created_at", "banned_at", "banned_until", "ban_reason", "display_name", "avatar_digest")


class Vote(db.Model):
    __tablename__ = "votes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True, index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint("value IN (1, -1)", name="value"),)

    @classmethod
    def values_by_post(cls, voter, post_ids) -> dict[int, int]:
        """The viewer's votes on these posts: one SELECT, or none for a visitor."""
        if not voter.is_authenticated or not post_ids:
            return {}
        return dict(db.session.execute(votes_statement(), {"voter_id": voter.id, "post_ids": list(post_ids)}).all())


VoteStatements = namedtuple("VoteStatements", "current cast take_back switch count")


@cache
def vote_statements() -> VoteStatements:
    """Post.vote's statements, built once, their values bound when they run."""
    votes, posts = Vote.__table__, Post.__table__
    this_vote = (votes.c.user_id == bindparam("voter")) & (votes.c.post_id == bindparam("post"))
    ups, downs = bindparam("ups", type_=Integer), bindparam("downs", type_=Integer)
    return VoteStatements(
        current=select(votes.c.value).where(this_vote),
        cast=votes.insert(),
        take_back=votes.delete().where(this_vote),
        switch=votes.update().where(this_vote).values(value=bindparam("vote")),
        count=posts.update().where(posts.c.id == bindparam("post_id"))
        .values(score=posts.c.score + ups - downs, upvotes=posts.c.upvotes + ups, downvotes=posts.c.downvotes + downs)
        .returning(posts.c.score, posts.c.upvotes, posts.c.downvotes),
    )


@cache
def votes_statement():
    """Vote.values_by_post's SELECT, its values bound when it runs: built once (a thread page asks it every time)."""
    return select(Vote.post_id, Vote.value).where(
        Vote.user_id == bindparam("voter_id"), Vote.post_id.in_(bindparam("post_ids", expanding=True))
    )


class Notification(db.Model):
    """Someone replied to a member's post, mentioned them (@name) or replied in a thread they follow: in their inbox
    until read. Notifications about one conversation share a `topic` and show as one inbox item ("5 new replies…"):
    replies to one post ("post:<id>"), replies in one followed thread ("thread:<id>"); each mention is its own
    ("mention:<post id>")."""

    __tablename__ = "notifications"

    REPLY, MENTION = "reply", "mention"  # a reply in a followed thread is a reply too: its topic says "thread:"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id], lazy="raise")
    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="raise")
    post: Mapped["Post"] = relationship(lazy="raise")
    # Set by the grouped inbox query (board/notifications.py): the item's unread and total notifications, and the
    # first unread one's post (where its link leads).
    unread_in_topic = query_expression()
    total_in_topic = query_expression()
    first_unread_post_id = query_expression()

    __table_args__ = (
        CheckConstraint("kind IN ('reply', 'mention')", name="kind"),
        Index("ix_notifications_inbox", "recipient_id", "read_at", "id"),
        Index("ix_notifications_topic", "recipient_id", "topic", "id"),
        # One notification per member per post: a reply that also mentions you notifies once.
        Index("uq_notifications_recipient_post", "recipient_id", "post_id", unique=True),
    )

    @classmethod
    def shown(cls, query, opening):
        """Only notifications whose post is readable (not hidden or deleted) in a thread that is not hidden.

        `query` must select from notifications; `opening` is an alias of Post for the thread's opening post.
        """
        return (
            query.join(Post, Post.id == cls.post_id)
            .join(opening, and_(opening.thread_id == Post.thread_id, opening.parent_id.is_(None)))
            .where(Post.hidden.is_(False), Post.deleted.is_(False), opening.hidden.is_(False))
        )


# The header's unread count, in inbox items (topics with something unread, as the inbox groups them): deferred, and
# loaded with the session's member in the same SELECT (board/auth.py).
_unread_opening = aliased(Post)
User.unread_notifications = column_property(
    Notification.shown(select(func.count(func.distinct(Notification.topic))), _unread_opening)
    .where(Notification.recipient_id == User.id, Notification.read_at.is_(None))
    .correlate_except(Notification, Post, _unread_opening)
    .scalar_subquery(),
    deferred=True,
)


class ThreadSubscription(db.Model):
    """A member follows a thread (told of every reply, grouped) or mutes it (told of nothing from it, even replies to
    them). A thread's author follows it from the start; no row: the usual replies-to-you and mentions only."""

    __tablename__ = "thread_subscriptions"

    FOLLOW, MUTE = "follow", "mute"
    LEVELS = (FOLLOW, MUTE)

    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), primary_key=True, index=True)
    level: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint(f"level IN {LEVELS}", name="level"),)

    @classmethod
    def set(cls, member: User, thread: "Thread", level: str | None) -> None:
        """Follow, mute, or (None) neither: the member's one choice for this thread."""
        current = db.session.get(cls, (member.id, thread.id))
        if level is None:
            if current is not None:
                db.session.delete(current)
        elif current is None:
            db.session.add(cls(member_id=member.id, thread_id=thread.id, level=level))
        else:
            current.level = level

    @classmethod
    def level_of(cls, member, thread_id: int) -> str | None:
        if not member.is_authenticated:
            return None
        return db.session.scalar(select(cls.level).where(cls.member_id == member.id, cls.thread_id == thread_id))


class Block(db.Model):
    """A member blocked another: the blocked member's posts are folded away for them, and cannot notify them."""

    __tablename__ = "blocks"

    blocker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint("blocker_id <> blocked_id", name="not_self"),)

    @classmethod
    def set(cls, blocker: User, blocked: User, blocking: bool) -> None:
        current = db.session.get(cls, (blocker.id, blocked.id))
        if blocking and current is None:
            db.session.add(cls(blocker_id=blocker.id, blocked_id=blocked.id))
        elif not blocking and current is not None:
            db.session.delete(current)

    @classmethod
    def exists(cls, blocker, blocked_id: int) -> bool:
        if not blocker.is_authenticated:
            return False
        return db.session.get(cls, (blocker.id, blocked_id)) is not None


class EmailNotices(db.Model):
    """A member's choice of notices by email (board/notices.py): off (no row), each one at once, or a daily digest.

    `digest_since`: notifications newer than this go in the next digest; `last_digest_at`: when one was last queued
    (at most one per DIGEST_INTERVAL). Only a confirmed address ever receives them."""

    __tablename__ = "email_notices"

    OFF, IMMEDIATE, DIGEST = "off", "immediate", "digest"
    MODES = (OFF, IMMEDIATE, DIGEST)
    DIGEST_INTERVAL = timedelta(hours=24)

    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(10), default=OFF)
    chosen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    digest_since: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_digest_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint(f"mode IN {MODES}", name="mode"),
        Index("ix_email_notices_mode", "mode"),
    )

    @classmethod
    def mode_of(cls, member) -> str:
        choice = db.session.get(cls, member.id)
        return choice.mode if choice is not None else cls.OFF

    @classmethod
    def set(cls, member: User, mode: str) -> None:
        """The member's choice from now on; choosing the digest starts it with what comes in after this moment."""
        choice = db.session.get(cls, member.id)
        if choice is None:
            choice = cls(member_id=member.id, mode=cls.OFF)
            db.session.add(choice)
        if choice.mode != mode:
            now = utcnow()
            choice.mode, choice.chosen_at = mode, now
            if mode == cls.DIGEST:
                choice.digest_since = now


class Bookmark(db.Model):
    """A post a member saved (a thread is saved as its opening post): listed as "Saved" on their own profile."""

    __tablename__ = "bookmarks"

    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    post: Mapped["Post"] = relationship(lazy="raise")

    @classmethod
    def set(cls, member: User, post: "Post", saved: bool) -> None:
        current = db.session.get(cls, (member.id, post.id))
        if saved and current is None:
            db.session.add(cls(member_id=member.id, post_id=post.id))
        elif not saved and current is not None:
            db.session.delete(current)


class ViewerState(dict):
    """What one member chose about what a page shows: as a dict, their votes (post id -> +1/-1), as it always was for
    the post macros; and the posts they saved, the members they blocked and their follow or mute of the thread. Read
    in ONE statement (a UNION), so a thread page's statement count stays constant."""

    def __init__(self, votes=(), bookmarked=frozenset(), blocked=frozenset(), subscription: str | None = None,
                 spoilers_open: bool = False):
        super().__init__(votes)
        self.bookmarked, self.blocked, self.subscription = frozenset(bookmarked), frozenset(blocked), subscription
        # "I've seen it": the member logged the thread's film and keeps the setting on (FilmLog.opens_spoilers_for).
        self.spoilers_open = spoilers_open

    @classmethod
    def load(cls, viewer, post_ids, thread_id: int | None = None, film_id: int | None = None) -> "ViewerState":
        if not viewer.is_authenticated:
            return cls()
        post_ids = list(post_ids)
        # Constants written into the SQL, not parameters: PostgreSQL must know a UNION's column types.
        kind, zero = lambda name: literal_column(f"'{name}'", String).label("kind"), literal_column("0", Integer)  # noqa: E731
        parts = [select(kind("block"), Block.blocked_id, zero).where(Block.blocker_id == viewer.id)]
        if post_ids:
            parts += [
                select(kind("vote"), Vote.post_id, Vote.value).where(Vote.user_id == viewer.id, Vote.post_id.in_(post_ids)),
                select(kind("bookmark"), Bookmark.post_id, zero)
                .where(Bookmark.member_id == viewer.id, Bookmark.post_id.in_(post_ids)),
            ]
        if thread_id is not None:
            parts.append(
                select(ThreadSubscription.level, ThreadSubscription.thread_id, zero)
                .where(ThreadSubscription.member_id == viewer.id, ThreadSubscription.thread_id == thread_id)
            )
        if film_id is not None:
            parts.append(select(kind("seen"), zero, zero).where(FilmLog.opens_spoilers(viewer.id, film_id)))
        return cls.from_rows(db.session.execute(union_all(*parts)))

    @classmethod
    def of_posts_between(cls, viewer, thread_id: int, lowest: int, highest: int, film_id: int | None) -> "ViewerState":
        """The same for the thread's posts with ids from `lowest` to `highest` (a page's, and maybe a few more): a
        statement built once, with five values bound, where a list of ids is hundreds (board/member_pages.py asks it
        for every member's page)."""
        values = {"member": viewer.id, "thread": thread_id, "lowest": lowest, "highest": highest, "film": film_id}
        # On the session's connection, all rows at once: a Core statement needs none of the ORM's execution steps,
        # and a member's votes on a long thread are a hundred rows or more (a third less CPU than iterating them).
        return cls.from_rows(db.session.connection().execute(choices_statement(), values).all())

    @classmethod
    def from_rows(cls, rows) -> "ViewerState":
        """From rows of (kind, id, value): a vote, a saved post, a blocked member, the level of a follow, or "seen"
        (the member's spoilers of the thread's film open)."""
        votes, bookmarked, blocked, subscription, spoilers_open = {}, set(), set(), None, False
        for row_kind, ident, value in rows:
            if row_kind == "vote":
                votes[ident] = value
            elif row_kind == "bookmark":
                bookmarked.add(ident)
            elif row_kind == "block":
                blocked.add(ident)
            elif row_kind == "seen":
                spoilers_open = True
            else:
                subscription = row_kind
        return cls(votes, bookmarked, blocked, subscription, spoilers_open)


@cache
def choices_statement():
    """ViewerState.of_posts_between's SELECT, its values bound when it runs: the viewer's votes and saved posts among
    the thread's posts in an id range (read along the primary key's member-then-post order), their blocks, their
    follow of the thread, and whether their spoilers of its film open ("I've seen it")."""
    member, thread = bindparam("member", type_=Integer), bindparam("thread", type_=Integer)
    lowest, highest = bindparam("lowest", type_=Integer), bindparam("highest", type_=Integer)
    kind, zero = lambda name: literal_column(f"'{name}'", String).label("kind"), literal_column("0", Integer)  # noqa: E731
    return union_all(
        select(kind("block"), Block.blocked_id, zero).where(Block.blocker_id == member),
        select(kind("vote"), Vote.post_id, Vote.value).join(Post, Post.id == Vote.post_id)
        .where(Vote.user_id == member, Vote.post_id.between(lowest, highest), Post.thread_id == thread),
        select(kind("bookmark"), Bookmark.post_id, zero).join(Post, Post.id == Bookmark.post_id)
        .where(Bookmark.member_id == member, Bookmark.post_id.between(lowest, highest), Post.thread_id == thread),
        select(ThreadSubscription.level, ThreadSubscription.thread_id, zero)
        .where(ThreadSubscription.member_id == member, ThreadSubscription.thread_id == thread),
        select(kind("seen"), zero, zero).where(FilmLog.opens_spoilers(member, bindparam("film", type_=Integer))),
    )


class PostRevision(db.Model):
    """A version of a post as it was before an edit replaced it (and the thread title, for an opening post)."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # who replaced this version
    title: Mapped[str | None] = mapped_column(String(TITLE_MAX))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(DateTime)
    replaced_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    replaced_by_moderator: Mapped[bool] = mapped_column(Boolean, default=False)

    editor: Mapped[User] = relationship(lazy="raise")


class Report(db.Model):
    """A member's report of a post; open until a moderator resolves every open report on that post at once."""

    __tablename__ = "reports"

    REASONS = {
        "spoiler": "Untagged spoiler",
        "off_topic": "Off-topic",
        "abuse": "Abuse",
        "spam": "Spam",
        "other": "Other",
    }
    RESOLUTIONS = ("hide", "spoiler", "dismiss")

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    details: Mapped[str | None] = mapped_column(String(REPORT_DETAILS_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(16))

    post: Mapped[Post] = relationship(lazy="raise")
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id], lazy="raise")

    __table_args__ = (
        CheckConstraint(f"reason IN {tuple(REASONS)}", name="reason"),
        Index("ix_reports_post_open", "post_id", "resolved_at"),
        # One open report per member per post (a resolved one does not stop a new report).
        Index(
            "uq_reports_open_per_member",
            "post_id",
            "reporter_id",
            unique=True,
            sqlite_where=resolved_at.is_(None),
            postgresql_where=resolved_at.is_(None),
        ),
    )

    @property
    def reason_label(self) -> str:
        return self.REASONS[self.reason]

    @classmethod
    def file(cls, post: Post, reporter: User, reason: str, details: str | None) -> "Report | None":
        """A new open report, or None when this member already has one open on this post."""
        report = cls(post_id=post.id, reporter_id=reporter.id, reason=reason, details=details or None)
        try:
            with db.session.begin_nested():
                db.session.add(report)
        except IntegrityError:
            return None
        return report

    @classmethod
    def resolve(cls, post: Post, moderator: User, resolution: str, reason: str | None = None) -> int:
        """Act on a reported post (hide it, mark it a spoiler, or dismiss) and close its open reports."""
        if resolution == "hide" and not post.hidden:
            post.hide(moderator, reason)
        elif resolution == "spoiler" and not post.marked_spoiler:
            post.mark_spoiler(moderator, reason)
        else:  # dismissed, or already hidden/marked: closing the reports is still a logged decision
            ModAction.record(moderator, ModAction.DISMISS_REPORTS, post, reason)
        closed = db.session.execute(
            update(cls)
            .where(cls.post_id == post.id, cls.resolved_at.is_(None))
            .values(resolved_at=utcnow(), resolver_id=moderator.id, resolution=resolution)
        )
        return closed.rowcount

    @classmethod
    def open_count(cls) -> int:
        """Posts with open reports: the number on the moderators' queue badge."""
        return db.session.scalar(select(func.count(func.distinct(cls.post_id))).where(cls.resolved_at.is_(None)))


class ModAction(db.Model):
    """The append-only moderation record: who did what to which thread or post, why and when."""

    __tablename__ = "mod_actions"

    PIN, UNPIN, LOCK, UNLOCK = "pin", "unpin", "lock", "unlock"
    HIDE, UNHIDE, MARK_SPOILER, UNMARK_SPOILER = "hide", "unhide", "mark_spoiler", "unmark_spoiler"
    EDIT, DISMISS_REPORTS = "edit", "dismiss_reports"
    BAN, UNBAN, ROLE = "ban", "unban", "role"
    RENAME_FILM, MERGE_FILM = "rename_film", "merge_film"
    LEAVE, DELETE_ACCOUNT = "leave", "delete_account"
    EDIT_FILM, SET_POSTER, REMOVE_POSTER = "edit_film", "set_poster", "remove_poster"
    HIDE_REVIEW, UNHIDE_REVIEW = "hide_review", "unhide_review"
    LABELS = {
        PIN: "pinned", UNPIN: "unpinned", LOCK: "locked", UNLOCK: "unlocked",
        HIDE: "hid", UNHIDE: "unhid", MARK_SPOILER: "marked as spoiler", UNMARK_SPOILER: "unmarked spoiler",
        EDIT: "edited", DISMISS_REPORTS: "dismissed reports on",
        BAN: "banned", UNBAN: "unbanned", ROLE: "changed the role of",
        RENAME_FILM: "renamed", MERGE_FILM: "merged",
        LEAVE: "deleted their account", DELETE_ACCOUNT: "deleted the account of",
        EDIT_FILM: "edited the details of", SET_POSTER: "set the poster of", REMOVE_POSTER: "removed the poster of",
        HIDE_REVIEW: "hid", UNHIDE_REVIEW: "unhid",
    }
    # The log's filter names each action once: a post and a film review are both "hid" in a line of the log.
    FILTER_LABELS = LABELS | {HIDE: "hid a post", UNHIDE: "unhid a post",
                              HIDE_REVIEW: "hid a film review", UNHIDE_REVIEW: "unhid a film review"}

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    moderator: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (Index("ix_mod_actions_target", "target_type", "target_id"),)

    @classmethod
    def record(cls, moderator: User, action: str, target: "Thread | Post | User", reason: str | None = None) -> "ModAction":
        entry = cls(
            moderator_id=moderator.id,
            action=action,
            target_type=target.__tablename__.removesuffix("s"),
            target_id=target.id,
            reason=reason or None,
        )
        db.session.add(entry)
        return entry


    @classmethod
    def listing(cls, action: str | None = None, moderator_name: str | None = None):
        """The public log, newest first, optionally one action or one moderator: one SELECT with the moderators."""
        query = select(cls).join(cls.moderator).options(contains_eager(cls.moderator))
        if action:
            query = query.where(cls.action == action)
        if moderator_name:
            query = query.where(func.lower(User.username) == moderator_name.lower())
        return query.order_by(cls.created_at.desc(), cls.id.desc())

    @staticmethod
    def moderator_names() -> list[str]:
        """Everyone who has taken a moderation action, for the log's filter."""
        query = (select(User.username).where(User.id.in_(select(ModAction.moderator_id)),
                                             User.username.not_like(f"{DELETED_NAME_PREFIX}%"))
                 .order_by(User.username))
        return list(db.session.scalars(query))

    @staticmethod
    def describe_targets(entries, viewer) -> dict[int, tuple[str, str | None]]:
        """Each entry's target as (words, link), never quoting a post: five SELECTs at most for any page."""
        from flask import url_for

        from .spoilers import safe_title

        ids = {kind: {entry.target_id for entry in entries if entry.target_type == kind}
               for kind in ("thread", "post", "user", "film", "film_log")}
        threads = {
            thread.id: thread
            for thread in db.session.scalars(
                select(Thread).where(Thread.id.in_(ids["thread"])).options(joinedload(Thread.opening_post))
            )
        } if ids["thread"] else {}
        posts = {
            post.id: post
            for post in db.session.scalars(
                select(Post).where(Post.id.in_(ids["post"])).options(
                    joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.opening_post)
                )
            )
        } if ids["post"] else {}
        users = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids["user"]))).all()) if ids["user"] else {}
        films = {film.id: film for film in db.session.scalars(select(Film).where(Film.id.in_(ids["film"])))} if ids["film"] else {}
        logs = {
            log.id: log
            for log in db.session.scalars(
                select(FilmLog).where(FilmLog.id.in_(ids["film_log"])).options(joinedload(FilmLog.film), joinedload(FilmLog.member))
            )
        } if ids["film_log"] else {}

        def thread_words(thread: Thread) -> str:
            return f"“{safe_title(thread.title)}”" if thread.is_visible_to(viewer) else "a hidden thread"

        described = {}
        for entry in entries:
            if entry.target_type == "thread" and entry.target_id in threads:
                thread = threads[entry.target_id]
                described[entry.id] = (f"thread {thread_words(thread)}", url_for("threads.show", thread_id=thread.id))
            elif entry.target_type == "post" and entry.target_id in posts:
                post = posts[entry.target_id]
                kind = "opening post" if post.is_opening else "a reply"
                link = url_for("reading.permalink", post_id=post.id)
                described[entry.id] = (f"{kind} by {post.author.shown_name} in {thread_words(post.thread)}", link)
            elif entry.action == ModAction.LEAVE:  # "[deleted member] deleted their account": nothing more to say
                described[entry.id] = ("", None)
            elif entry.target_type == "user" and entry.target_id in users:
                name = users[entry.target_id]
                described[entry.id] = (("a member", None) if is_deleted_name(name)
                                       else (f"member {name}", url_for("members.profile", name=name)))
            elif entry.target_type == "film" and entry.target_id in films:
                film = films[entry.target_id]
                described[entry.id] = (f"film “{film}”", url_for("films.show", slug=film.slug))
            elif entry.target_type == "film_log" and entry.target_id in logs:
                log = logs[entry.target_id]
                link = url_for("films.show", slug=log.film.slug, _anchor=f"log-{log.id}")
                described[entry.id] = (f"{log.member.username}’s review of “{log.film}”", link)
            else:
                described[entry.id] = (f"{entry.target_type} #{entry.target_id}", None)
        return described


@event.listens_for(ModAction, "before_update")
@event.listens_for(ModAction, "before_delete")
def _refuse_rewriting_history(_mapper, _connection, target):
    raise PermissionError(f"moderation records are append-only (tried to change #{target.id})")


class ImportSource(db.Model):
    """Where an imported thread, post or member came from (a blog post, a comment, a commenter): `flask import` finds
    what it brought over before, so importing the same export again changes nothing (board/importers/)."""

    __tablename__ = "import_sources"

    KEY_MAX = 255

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # "wordpress:post", "disqus:post", "member:email", "link"…
    source_id: Mapped[str] = mapped_column(String(KEY_MAX))
    # Deleting what was imported deletes its record (remove-demo deletes threads with their posts by statement).
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str | None] = mapped_column(String(TITLE_MAX))  # as the source wrote it: a commenter's own name
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("uq_import_sources_kind_source", "kind", "source_id", unique=True),)

    @staticmethod
    def key(source_id: str) -> str:
        """The stored form of a source id: as given, or a digest of one too long for the column (a long link)."""
        if len(source_id) <= ImportSource.KEY_MAX:
            return source_id
        return "sha256:" + hashlib.sha256(source_id.encode()).hexdigest()

    @classmethod
    def find(cls, kind: str, source_id: str) -> "ImportSource | None":
        return db.session.scalar(select(cls).where(cls.kind == kind, cls.source_id == cls.key(source_id)))

    @classmethod
    def note(cls, kind: str, source_id: str, *, thread_id: int | None = None, post_id: int | None = None,
             member_id: int | None = None, label: str | None = None) -> "ImportSource":
        record = cls(kind=kind, source_id=cls.key(source_id), thread_id=thread_id, post_id=post_id,
                     member_id=member_id, label=label[:TITLE_MAX] if label else None)
        db.session.add(record)
        return record


class RateLimitHit(db.Model):
    """One counted attempt under a rate limit (board/limits.py), until it leaves the limit's moving window.

    Kept in the board's own database when there is no Redis, so that every worker process counts one count.
    """

    __tablename__ = "rate_limit_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[float] = mapped_column(Double)  # seconds since the epoch, as the limits library counts time

    __table_args__ = (
        Index("ix_rate_limit_hits_key", "key", "expires_at"),
        Index("ix_rate_limit_hits_expires_at", "expires_at"),
    )


def name_key(name: str) -> str:
    """A name as two names that read the same compare: NFKC (fullwidth and styled letters folded), case folded."""
    return unicodedata.normalize("NFKC", name).casefold()


def initials(name: str) -> str:
    """A default avatar's letters: the first letter of the first two words ("Agnès Varda" → "AV", "cleo_5" → "C")."""
    letters = [word[0] for word in name.replace("_", " ").replace("-", " ").split() if word[0].isalnum()]
    return "".join(letters[:2]).upper() or "?"


def avatar_colour(member_id: int) -> str:
    """A default avatar's colour class (static/app.css), fixed by the member id."""
    return f"avatar--{member_id % AVATAR_PALETTE}"


class MemberAvatar(db.Model):
    """A member's uploaded avatar, re-encoded (board/images.py) as a WebP square, in the database so every app server
    serves it without a file store. One per member; `users.avatar_digest` repeats its digest for the pages' URLs."""

    __tablename__ = "member_avatars"

    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class BoardIdentity(db.Model):
    """Which database this is: one random token, new with every new database, migration and restore.

    Kept pages belong to the database they were rendered from; the page cache compares this token with the one its
    pages were rendered under (board/page_cache.py), so pages never outlive the database under them.
    """

    __tablename__ = "board_identity"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)

    @classmethod
    def renew(cls, connection) -> str:
        """A new identity for the database behind `connection` (in its transaction): the old one is gone."""
        token = secrets.token_hex(16)
        connection.execute(cls.__table__.delete())
        connection.execute(cls.__table__.insert().values(token=token))
        return token

    @classmethod
    def of(cls, connection) -> str | None:
        return connection.scalar(select(cls.token).limit(1))


@event.listens_for(BoardIdentity.__table__, "after_create")
def _new_database(table, connection, **_kw) -> None:
    """A database built by `db.create_all()` gets its identity as a migrated one does."""
    BoardIdentity.renew(connection)


RATING_MIN, RATING_MAX = 1, 10  # half stars: 1 is ½ star, 10 is five stars
REVIEW_MAX = 1_000  # characters: a short review (a thread is the place for an essay)
HIGHEST_RATED_PERIOD = timedelta(days=7)
HIGHEST_RATED_MIN_RATINGS = 3  # a film needs this many ratings logged in the period to be listed as highest rated
HIGHEST_RATED_SHOWN = 10


class FilmLog(db.Model):
    """A member watched a film on a day (a rewatch is another log), maybe with a half-star rating and a short review.

    The review is Markdown rendered once, when saved, by board/markup.py; the member may mark it as containing
    spoilers, and moderators may hide it (the log and its rating stay). A film's average counts each member's latest
    rating once (as Letterboxd does): a rewatch changes what the member thinks, it is not a second vote.
    """

    __tablename__ = "film_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    film_id: Mapped[int] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    watched_on: Mapped[date] = mapped_column(Date)
    review_source: Mapped[str] = mapped_column(Text, default="")
    review_html: Mapped[str] = mapped_column(Text, default="")
    review_text: Mapped[str] = mapped_column(Text, default="")  # spoiler-safe plain text, as Post.plain_text
    review_spoilers: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)

    member: Mapped[User] = relationship(lazy="raise")
    film: Mapped[Film] = relationship(lazy="raise")

    __table_args__ = (
        CheckConstraint(f"rating IS NULL OR rating BETWEEN {RATING_MIN} AND {RATING_MAX}", name="rating_half_stars"),
        Index("ix_film_logs_film_created", "film_id", "created_at"),
        Index("ix_film_logs_member_watched", "member_id", "watched_on"),
        Index("ix_film_logs_created", "created_at"),
    )

    @classmethod
    def remove_reviews_of(cls, member: User) -> None:
        """A leaving member asked for their words to go: their reviews are emptied (the logs and ratings stay)."""
        db.session.execute(update(cls).where(cls.member_id == member.id).values(
            review_source="", review_html="", review_text="", review_spoilers=False))

    def set_review(self, source: str, spoilers: bool) -> None:
        """Store the Markdown with its sanitized HTML and spoiler-safe text: rendered once, here."""
        rendered = render_body(source.strip())
        self.review_source, self.review_html, self.review_text = rendered.source, rendered.html, rendered.plain_text
        self.review_spoilers = spoilers and bool(rendered.source)

    @staticmethod
    def stars(rating: int | None) -> str:
        """4 → '★★', 7 → '★★★½' (the words are `rating_words`)."""
        return "" if rating is None else "★" * (rating // 2) + ("½" if rating % 2 else "")

    @staticmethod
    def rating_words(rating: int | None) -> str:
        """7 → '3.5 stars', 2 → '1 star': what a screen reader says."""
        if rating is None:
            return "no rating"
        value = rating / 2
        number = f"{value:g}"
        return f"{number} star{'' if value == 1 else 's'}"

    def can_edit(self, viewer) -> bool:
        return viewer.is_authenticated and viewer.id == self.member_id and not viewer.is_banned()

    def review_visible_to(self, viewer) -> bool:
        """A hidden review: its author and moderators still read it."""
        return not self.hidden or viewer.can_moderate() or (viewer.is_authenticated and viewer.id == self.member_id)

    def hide(self, moderator: User, reason: str | None) -> None:
        self.hidden, self.hidden_reason = True, reason or None
        ModAction.record(moderator, ModAction.HIDE_REVIEW, self, reason)

    def unhide(self, moderator: User) -> None:
        self.hidden, self.hidden_reason = False, None
        ModAction.record(moderator, ModAction.UNHIDE_REVIEW, self)

    @classmethod
    def opens_spoilers(cls, member_id: int, film_id: int):
        """SQL: this member logged this film and keeps "I've seen it" on (their spoilers of it open by default)."""
        return select(cls.id).where(cls.member_id == member_id, cls.film_id == film_id).exists() & (
            select(User.id).where(User.id == member_id, User.reveal_seen_spoilers.is_(True)).exists()
        )

    @classmethod
    def latest_ratings(cls, film_id: int):
        """Each member's latest rating of the film (by watched date, then logging order), as a subquery (member, rating)."""
        ranked = (
            select(
                cls.member_id, cls.rating,
                func.row_number().over(partition_by=cls.member_id, order_by=(cls.watched_on.desc(), cls.id.desc())).label("n"),
            )
            .where(cls.film_id == film_id, cls.rating.is_not(None))
            .subquery()
        )
        return select(ranked.c.member_id, ranked.c.rating).where(ranked.c.n == 1).subquery()

    @classmethod
    def histogram(cls, film_id: int) -> "RatingStats":
        """How many members' latest rating is each half star, with the average and count: one SELECT."""
        latest = cls.latest_ratings(film_id)
        counts = dict(db.session.execute(select(latest.c.rating, func.count()).group_by(latest.c.rating)).all())
        return RatingStats({rating: counts.get(rating, 0) for rating in range(RATING_MIN, RATING_MAX + 1)})

    @classmethod
    def highest_rated(cls, now: datetime | None = None) -> list:
        """Films rated in the last HIGHEST_RATED_PERIOD by at least HIGHEST_RATED_MIN_RATINGS logs, best average first:
        rows of (film, average rating 1-10, ratings). One SELECT."""
        since = (now or utcnow()) - HIGHEST_RATED_PERIOD
        average, count = func.avg(cls.rating).label("average"), func.count(cls.rating).label("ratings")
        rated = (
            select(cls.film_id, average, count)
            .where(cls.created_at >= since, cls.rating.is_not(None))
            .group_by(cls.film_id)
            .having(func.count(cls.rating) >= HIGHEST_RATED_MIN_RATINGS)
            .subquery()
        )
        rows = db.session.execute(
            select(Film, rated.c.average, rated.c.ratings)
            .join(rated, rated.c.film_id == Film.id)
            .order_by(rated.c.average.desc(), rated.c.ratings.desc(), Film.id)
            .limit(HIGHEST_RATED_SHOWN)
        ).all()
        return [(film, float(average), ratings) for film, average, ratings in rows]


class RatingStats(dict):
    """{rating 1-10: members whose latest rating it is}, with their count and average (in stars)."""

    @property
    def count(self) -> int:
        return sum(self.values())

    @property
    def average(self) -> float | None:
        """In stars (0.5-5), or None with no ratings."""
        return sum(rating * n for rating, n in self.items()) / self.count / 2 if self.count else None

    @property
    def most(self) -> int:
        return max(self.values(), default=0)


ReplyStatements = namedtuple("ReplyStatements", "insert duplicate count count_imported")
NEW_POST_WRITTEN = [column.key for column in Post.__table__.columns if column.key not in ("id", "path")]
# The columns of a new reply that Post.add_reply gives no value of its own: the model's defaults, as the ORM would write
# them (each a constant, or NULL).
NEW_POST_DEFAULTS = {
    column.key: column.default.arg if column.default is not None else None
    for column in Post.__table__.columns
    if column.key in set(NEW_POST_WRITTEN) - {"thread_id", "parent_id", "author_id", "depth", "created_at",
                                               "body_source", "body_html", "plain_text"}
}
assert all(column.default is None or column.default.is_scalar for column in Post.__table__.columns
           if column.key in NEW_POST_DEFAULTS), "a reply's INSERT writes constants: give it a value in add_reply"


@cache
def reply_statements(dialect: str) -> ReplyStatements:
    """Post.add_reply's statements, built once per database kind, their values bound when they run.

    The INSERT takes the new post's id and writes its path with it (a path needs the id): on SQLite the largest id + 1,
    the rowid SQLite would pick itself (the table has no AUTOINCREMENT), read under the write lock; on PostgreSQL the
    next value of the table's sequence, as a plain INSERT would take it. Both read once, in the one statement.
    """
    posts, threads = Post.__table__, Thread.__table__
    if dialect == "postgresql":
        new_id = select(func.nextval(func.pg_get_serial_sequence(posts.name, "id")).label("id")).subquery("new_post")
        digits = cast(new_id.c.id, Text)
        segment = func.lpad(digits, func.greatest(10, func.length(digits)), "0") + "."  # Post.path_segment
    else:
        new_id = select((func.coalesce(func.max(posts.c.id), 0) + 1).label("id")).subquery("new_post")
        segment = func.printf("%010d.", new_id.c.id)  # Post.path_segment
    columns = [posts.c[name] for name in NEW_POST_WRITTEN]
    resubmitted = and_(posts.c.author_id == bindparam("author_id"), posts.c.parent_id == bindparam("parent_id"),
                       posts.c.body_source == bindparam("body_source"),
                       posts.c.created_at >= bindparam("since", type_=DateTime))  # within DUPLICATE_WINDOW
    row = (select(new_id.c.id, bindparam("parent_path", type_=String) + segment,
                  *(bindparam(column.key, type_=column.type) for column in columns))
           .where(~exists().where(resubmitted)))
    now = bindparam("now", type_=DateTime)
    counters = threads.update().where(threads.c.id == bindparam("thread_id"))
    return ReplyStatements(
        duplicate=select(Post).where(resubmitted),
        insert=posts.insert().from_select(["id", "path", *NEW_POST_WRITTEN], row).returning(posts.c.id),
        count=counters.values(reply_count=threads.c.reply_count + 1, last_activity_at=now)
        .returning(threads.c.reply_count, threads.c.last_activity_at),
        count_imported=counters.values(reply_count=threads.c.reply_count + 1,
                                       last_activity_at=case((threads.c.last_activity_at < now, now),
                                                             else_=threads.c.last_activity_at))
        .returning(threads.c.reply_count, threads.c.last_activity_at),
    )
