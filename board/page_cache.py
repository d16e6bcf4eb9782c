"""Rendered pages kept for their next reader: shared by every worker, dropped by the writes that change them.

A film opens and thousands of readers ask for the same few pages. What visitors (not logged in) see does
not depend on who they are, so each page is rendered once for all of them. A member's page shows their
votes, their own posts' tools and their session's CSRF token: a thread page (@shared_page(members=True)) is kept
once for every member with markers where those go, filled in for each (board/member_pages.py); other pages are
kept for that member (and that session) only, answering their reloads, back-and-forth navigation and
revalidations until the next write. Pages live in Flask-Caching — a directory under instance/ shared by the worker processes of
one machine, kept within PAGE_CACHE_MAX_BYTES (board/file_cache.py), or Redis when REDIS_URL is set (several app
servers), where every entry expires: pages after PAGE_CACHE_SECONDS, tag versions after a day, locks after 10 s.

Invalidation is by dependency tag. Each kept page depends on a few tags, named from its URL before it is rendered
(`page_tags`: "thread:17" for a thread's pages, its focused branches and its feed; "film:<slug>" for a film's page
and feed (renewed by its threads and its members' logs, board/film_logs.py); "listing" for the front page, the film
index, search, a member's profile and the front feed; "modlog" and "listing" for the public moderation log), plus "all"
for every page and "members" for a member's own copy. Each tag has a version (a random token): in Redis, a key beside
the pages; on one machine, a slot of a small table shared in memory by the workers (board/file_cache.py). An entry
records the versions it was rendered under and is valid while they are all unchanged: the entry and the versions
come back in one round trip (get_many), or one file read and a look at the table. A committed write renews the versions of the tags of what it changed, learnt
at the ORM level (`write_tags`: the session's new, changed and deleted objects after each flush, and UPDATE/DELETE
statements by their table and, where the WHERE clause names one row, that row) right after COMMIT. What cannot be
mapped precisely renews "all": a stale page is worse than a slow one. Pages also expire after PAGE_CACHE_SECONDS so
relative times ("5 minutes ago") and hot ranking move on.

One render per miss: the first reader of a missing or stale page takes a lock on it (Redis SET NX PX, or a file
created with O_EXCL under the cache directory) and renders it; the others meanwhile get the previous copy if there is
one (stale-while-revalidate), or wait up to LOCK_WAIT_SECONDS for the new one and render it themselves after that.

Pages belong to the database they were rendered from. The database carries an identity (BoardIdentity: a random
token, new with every new database, migration and restore), and the cache records the identity its pages were
rendered under. A migration or a restore renews both and the "all" tag at once; each process, as it starts,
compares the two and renews "all" if they differ — so a database file deleted and created again, or
replaced by hand, never meets pages of the old one. That check costs two statements as a process starts, none per
request. `flask setup` (run by `make run`) renews "all" too, for a database restored with the same identity
(pg_restore of a recent dump).

A cached page carries an ETag; a browser that sends it back gets a 304 without a body.
"""
import gzip
import hashlib
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

from flask import current_app, g, has_app_context, request, session
from flask_caching import Cache
from flask_login import COOKIE_NAME, current_user
from redis.exceptions import RedisError
from cachelib import RedisCache
from sqlalchemy import BindParameter, BinaryExpression, BooleanClauseList, Column, Table, event, inspect, select
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import operators
from sqlalchemy.exc import SQLAlchemyError
from flask_wtf.csrf import generate_csrf

from . import member_pages
from .database import READS_ONLY
from .extensions import db
from .files import private_directory
from .htmx import is_htmx
from .mail import OutgoingMail
from .models import (
    Block, BoardIdentity, Bookmark, EmailNotices, Film, FilmDirector, FilmLog, FilmPoster, MemberAvatar, ModAction,
    Notification, Post, PostRevision, RateLimitHit, Report, Thread, ThreadSubscription, User, ViewerState, Vote,
)
from .post_html import PostHtmlCache
from .spoilers import open_spoilers

cache = Cache()
DATABASE_KEY = "database"  # the identity (BoardIdentity.token) of the database the kept pages were rendered from
GENERATION_SECONDS = 86_400  # a tag version's life; if it lapses, the next reader starts a new one (its pages are stale)
EVERY_PAGE = "all"  # a tag every page depends on: `invalidate` renews it
LISTING = "listing"  # the pages that list threads and posts across the board: front page, film index, search, profiles
MODERATION_LOG = "modlog"  # the public moderation log: renewed by every ModAction
MEMBERS = "members"  # every member's own copy: their votes, inbox and queue badges change with any write
LOCK_SECONDS = 10  # a render that takes longer lets the next reader render too
LOCK_WAIT_SECONDS = 2.0  # how long a reader with no previous copy waits for another's render before rendering itself
LOCK_POLL_SECONDS = 0.02
GZIP_LEVEL = 6
MEMBER_GZIP_LEVEL = 1  # a member's page is compressed for each request (~2 ms for a 200-reply thread's 465 KB)
CACHE_ERRORS = (RedisError, OSError)
# The characters of member copies (kept_entry) a worker holds in memory, ~16 MB: some twenty 200-reply thread pages.
MEMBER_COPIES_CHARS = 16_000_000
SHARED = "shared_page"  # attribute set on a view function by @shared_page
MEMBERS_SHARE = "shared_with_members"  # … and by @shared_page(members=True): one copy for every member too
EVERY_MEMBER = "members-shared"  # the reader of that copy (board/member_pages.py)


def shared_page(view=None, *, tags=None, members=False):
    """Mark a GET view whose page depends only on its URL and on who is asking (visitor, or which member).

    `tags(view_args)` names what the page shows (see `write_tags` for what renews each); "listing" by default.
    `members`: the view renders, when asked (g.member_page), one copy for every member with markers where each
    member's own parts go (board/member_pages.py); members who moderate still get a copy of their own.
    """
    def mark(view):
        setattr(view, SHARED, tags or (lambda _args: [LISTING]))
        setattr(view, MEMBERS_SHARE, members)
        return view
    return mark if view is None else mark(view)


def thread_tags(args: dict) -> list[str]:
    """A thread's page, a branch of it, its feed: renewed by a write to the thread or its posts (and votes)."""
    return [f"thread:{args['thread_id']}"]


def film_tags(args: dict) -> list[str]:
    """A film's page and feed (kept under its own slug only: an alias redirects): renewed by a write to its threads."""
    return [f"film:{args['slug']}"]


def moderation_log_tags(_args: dict) -> list[str]:
    """The public log: renewed by a new record, and by what renames its targets (a thread's title renews "listing")."""
    return [MODERATION_LOG, LISTING]


def init_app(app) -> None:
    redis_url = app.config["REDIS_URL"]
    database_id = hashlib.sha256(app.config["SQLALCHEMY_DATABASE_URI"].encode()).hexdigest()[:12]
    app.config.setdefault("CACHE_KEY_PREFIX", f"reelboard:{database_id}:")  # one namespace per database
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", app.config["PAGE_CACHE_SECONDS"])
    if redis_url:
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config.setdefault("CACHE_REDIS_URL", redis_url)
        app.config.setdefault("CACHE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    else:
        app.config.setdefault("CACHE_TYPE", "board.file_cache.BoundedFileCache")  # within PAGE_CACHE_MAX_BYTES
        app.config.setdefault("CACHE_DIR", str(app.config["PAGE_CACHE_DIR"] or f"{app.instance_path}/cache"))
        private_directory(app.config["CACHE_DIR"])  # members' pages are in it; cachelib writes each file 0600
    cache.init_app(app)
    if app.config.get("MEMBER_COPIES_CHARS", MEMBER_COPIES_CHARS):
        app.extensions["member_copies"] = PostHtmlCache(app.config.get("MEMBER_COPIES_CHARS", MEMBER_COPIES_CHARS))
    with app.app_context():
        identity = database_identity()
        if identity is not None:
            follow_database(identity)
    app.before_request(serve_shared_page)
    app.after_request(keep_shared_page)
    app.teardown_request(release_after_error)


def serve_shared_page():
    """A GET for a kept page: the cached copy (or 304), else note the key to fill after rendering."""
    if not current_app.config["PAGE_CACHE_SECONDS"] or not is_shareable_request():
        return None
    reader = reader_key()
    if reader is None:
        return None
    key, tags = page_key(reader), page_tags(reader)
    try:
        entry, versions = kept_entry(key, tags)
        if entry is not None and entry.get("refused"):  # members' pages of a hidden thread: each rendered in full
            if entry["versions"] == versions:
                return None  # and not kept
            entry = None
        if entry is not None and entry["versions"] == versions and not request.cache_control.no_cache:
            return cached_response(entry)
        versions = fill_versions(tags, versions)
        if request.cache_control.no_cache:  # a hard reload: rendered afresh, then kept
            return miss(key, versions)
        lock = page_lock(key)
        if lock.acquire():
            return miss(key, versions, lock)
        if entry is not None:  # another reader is rendering it: the previous copy meanwhile
            return cached_response(entry)
        entry = await_render(key, versions, lock)
    except CACHE_ERRORS as error:  # Redis down or the disk full: the page is rendered, as if there were no cache
        return unavailable(error)
    return miss(key, versions) if entry is None else cached_response(entry)


def kept_entry(key: str, tags: list[str]) -> tuple[dict | None, dict]:
    """The kept entry and the current versions of the page's tags. A kept page is large (a 200-reply thread's copy
    ~400 KB, a visitor's with its gzip ~440 KB) and read on every request: this worker holds the last ones it read
    or kept, and reads the copy only when its versions changed or it is older than PAGE_CACHE_SECONDS; so between
    writes a request asks the cache for the versions alone (one small round trip on Redis). Without that hold: the
    entry and the versions in one round trip (Redis), or one file read."""
    held = current_app.extensions.get("member_copies")
    if held is None:
        if tag_table() is not None:
            return cache.get(key), current_versions(tags)
        entry, *versions = cache.get_many(key, *(tag_key(tag) for tag in tags))
        return entry, dict(zip(tags, versions))
    versions = current_versions(tags)
    entry = held.get(key)
    if entry is None or entry["versions"] != versions or time.time() - entry["kept_at"] >= cache_seconds():
        entry = cache.get(key)
        if entry is not None and "kept_at" in entry:  # not a refusal, nor an entry of a release that kept no date
            held.put(key, entry, entry["size"])
    return entry, versions


def current_versions(tags: list[str]) -> dict:
    table = tag_table()
    if table is not None:
        return dict(zip(tags, table.versions(tags)))
    return dict(zip(tags, cache.get_many(*(tag_key(tag) for tag in tags))))


def cache_seconds() -> int:
    return current_app.config["PAGE_CACHE_SECONDS"]


def tag_table():
    """The file cache's table of tag versions (board/file_cache.py); None where the versions are cache entries."""
    return getattr(cache.cache, "tags", None)


def fill_versions(tags: list[str], versions: dict) -> dict:
    """Versions for tags that have none yet (a new board, or lapsed): started by the first reader that needs them."""
    missing = [tag for tag in tags if versions[tag] is None]  # never in the file cache's table: every slot has one
    for tag in missing:
        cache.add(tag_key(tag), secrets.token_hex(8), timeout=GENERATION_SECONDS)
    if missing:
        versions = versions | dict(zip(missing, cache.get_many(*(tag_key(tag) for tag in missing))))
    return versions


def miss(key: str, versions: dict, lock=None) -> None:
    """Render the page, then keep it under the versions read before rendering (a write meanwhile makes it stale)."""
    g.page_cache_key, g.page_cache_versions, g.page_cache_lock = key, versions, lock
    if key.startswith(f"page:{EVERY_MEMBER}:"):
        g.member_page = {}  # render_reading fills it in if it renders the copy every member shares
    return None


def await_render(key: str, versions: dict, lock) -> dict | None:
    """Another reader is rendering a page that has no previous copy: wait (bounded) for it, rather than render it too."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(LOCK_POLL_SECONDS)
        entry = cache.get(key)
        if entry is not None and entry["versions"] == versions:
            return entry
        if not lock.held():  # that render failed or kept nothing: this reader renders
            return None
    return None


def is_shareable_request() -> bool:
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, SHARED, False) and "_flashes" not in session  # a message to show: render the page


def reader_key() -> str | None:
    """Whose copy: every visitor's, one member's (in one session), or None to render without keeping."""
    if current_user.is_authenticated:  # loaded already: the ban check before every request asked
        view = current_app.view_functions[request.endpoint]
        if getattr(view, MEMBERS_SHARE, False) and not current_user.can_moderate() and not current_user.is_banned():
            return EVERY_MEMBER  # one copy for every member, their own parts filled in for each (member_pages.fill)
        token = session.get("csrf_token")  # the page's forms carry this session's token
        if token is None:
            return None
        return "member-" + hashlib.blake2b(f"{current_user.get_id()}:{token}".encode(), digest_size=12).hexdigest()
    if "_user_id" in session or current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
        return None  # a session that is being ended or is about to be restored from the remember-me cookie
    return "visitor"


def page_key(reader: str) -> str:
    """Everything a kept page's copy depends on, in one place (each part has its test in test_page_cache):

    - whose copy: every visitor's, or one member's in one session (`reader_key`);
    - the host it was asked for: feeds and link previews hold absolute URLs (one host when BASE_URL is set);
    - a whole page or an htmx fragment, as the view decides (`is_htmx`: a boosted navigation wants a whole page);
    - the path and query string.
    Not the encoding: each entry holds the page plain and gzipped, and each response takes the one it accepts.
    Not the board's content: that is the versions of its tags (`page_tags`), recorded in the entry.
    """
    kind = "fragment" if is_htmx() else "page"
    return f"page:{reader}:{kind}:{request.host}:{request.full_path}"


def page_tags(reader: str) -> list[str]:
    """What the page shows, as its view names it from the URL; every page depends on "all", a member's copy on more."""
    named = getattr(current_app.view_functions[request.endpoint], SHARED)(request.view_args or {})
    return [EVERY_PAGE, *named, *([MEMBERS] if reader.startswith("member-") else [])]


def tag_key(tag: str) -> str:
    return f"tag:{tag}"


def renew(tags) -> None:
    """The pages depending on any of `tags` are stale: the next reader of each renders it again."""
    if not tags:
        return
    try:
        table = tag_table()
        if table is not None:
            table.renew(tags)
            return
        cache.set_many({tag_key(tag): secrets.token_hex(8) for tag in tags}, timeout=GENERATION_SECONDS)
    except CACHE_ERRORS as error:  # the write is committed; kept pages lapse within PAGE_CACHE_SECONDS
        unavailable(error)


def invalidate() -> None:
    """Every shared page is stale: the next reader of each renders it again."""
    renew([EVERY_PAGE])


def follow_database(identity: str, renew: bool = False) -> None:
    """Kept pages belong to the database `identity`: all stale if they were rendered from another (or if `renew`)."""
    try:
        if renew or cache.get(DATABASE_KEY) != identity:
            cache.set(DATABASE_KEY, identity, timeout=GENERATION_SECONDS)
            invalidate()
    except CACHE_ERRORS as error:
        unavailable(error)


def database_identity() -> str | None:
    """The identity of the board's database; None before it is created or migrated, or when it cannot be reached."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") and not Path(url.database).exists():
        return None  # not created yet (`flask setup` is about to): connecting would create an empty file
    try:
        with db.engine.connect().execution_options(**{READS_ONLY: True}) as connection:  # no write lock to read it
            if not inspect(connection).has_table(BoardIdentity.__tablename__):
                return None
            return BoardIdentity.of(connection)
    except SQLAlchemyError as error:
        current_app.logger.warning("could not read the database's identity (%s): kept pages were not checked", error)
        return None


def unavailable(error: Exception) -> None:
    current_app.logger.warning("page cache unavailable (%s: %s): rendering without it", type(error).__name__, error)


def cached_response(entry: dict):
    if "parts" in entry:
        return member_response(entry)
    if entry.get("refused"):
        return None  # a hidden thread's page, rendered for this member
    gzipped = accepts_gzip()
    response = current_app.response_class(entry["gzip"] if gzipped else entry["body"], mimetype=entry["mimetype"])
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    finish(response, entry["etag"], gzipped)
    g.page_cache_hit = True
    return response.make_conditional(request)


def keep_shared_page(response):
    """After rendering a kept page: keep it (once, compressed too) and send it revalidatable."""
    key, versions = g.pop("page_cache_key", None), g.pop("page_cache_versions", None)
    lock = g.pop("page_cache_lock", None)
    member_page = g.pop("member_page", None)
    if key is None or g.get("page_cache_hit") or response.status_code != 200 or response.direct_passthrough:
        release(lock)
        return response
    if member_page is not None or key.startswith(f"page:{EVERY_MEMBER}:"):
        return keep_member_page(response, key, versions, lock, member_page)
    body = response.get_data()
    entry = {
        "body": body,
        "gzip": gzip.compress(body, GZIP_LEVEL, mtime=0),
        "etag": hashlib.blake2b(body, digest_size=12).hexdigest(),
        "mimetype": response.mimetype,
        "versions": versions,
        "kept_at": time.time(),
    }
    entry["size"] = len(entry["body"]) + len(entry["gzip"])
    try:
        cache.set(key, entry)
    except CACHE_ERRORS as error:
        unavailable(error)
    else:
        hold(key, entry)
    release(lock)
    if accepts_gzip():
        response.set_data(entry["gzip"])
        response.headers["Content-Encoding"] = "gzip"
    finish(response, entry["etag"], "Content-Encoding" in response.headers)
    return response.make_conditional(request)


def keep_member_page(response, key: str, versions: dict, lock, member_page: dict | None):
    """After rendering the copy every member shares: keep it as parts, and answer with this member's page. A render
    that could not be shared (a hidden thread: rendered for this member) keeps only that, so members are not kept
    waiting for a copy that never comes."""
    if member_page:
        html = response.get_data(as_text=True)
        entry = {"parts": member_pages.parse(html, generate_csrf()), "mimetype": response.mimetype, "size": len(html),
                 "etag": hashlib.blake2b(html.encode(), digest_size=8).hexdigest(), "versions": versions,
                 "kept_at": time.time(), **member_page}
    else:
        entry = {"refused": True, "versions": versions}
    try:
        cache.set(key, entry)
    except CACHE_ERRORS as error:
        unavailable(error)
    release(lock)
    if not member_page:
        return response
    hold(key, entry)
    return member_response(entry)


def hold(key: str, entry: dict) -> None:
    """Keep a copy just kept in this worker's memory too (kept_entry), where MEMBER_COPIES_CHARS allows."""
    if "member_copies" in current_app.extensions:
        current_app.extensions["member_copies"].put(key, entry, entry["size"])


def member_response(entry: dict):
    """A member's page from the copy every member shares: their choices on it (one SELECT) filled in."""
    choices = ViewerState.of_posts_between(current_user, entry["thread_id"], min(entry["shown"]), max(entry["shown"]),
                                           entry.get("film_id"))
    g.spoilers_film = entry.get("film") if choices.spoilers_open else None  # the note in the "spoilers_note" slot
    body, mine = member_pages.fill(entry["parts"], current_user, choices)
    if choices.spoilers_open:  # "I've seen it": this member's spoilers of the film open (board/spoilers.py)
        body, mine = open_spoilers(body.decode()).encode(), f"{mine}-seen"
    gzipped = accepts_gzip()
    if gzipped:  # compressed here, quickly: Flask-Compress would take level 6, 2.5× the CPU for 20 % less
        body = gzip.compress(body, MEMBER_GZIP_LEVEL, mtime=0)
    response = current_app.response_class(body, mimetype=entry["mimetype"])
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    finish(response, f"{entry['etag']}-{mine}", gzipped)
    g.page_cache_hit = True
    return response.make_conditional(request)


def release_after_error(_error) -> None:
    release(g.pop("page_cache_lock", None))  # a render that raised: the next reader renders


def release(lock) -> None:
    if lock is None:
        return
    try:
        lock.release()
    except CACHE_ERRORS as error:  # it lapses after LOCK_SECONDS
        unavailable(error)


def accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0  # "gzip;q=0" is a no


def finish(response, etag: str, gzipped: bool) -> None:
    response.set_etag(f"{etag}-gzip" if gzipped else etag)  # two representations, two tags
    response.cache_control.no_cache = True  # the browser keeps it but asks each time: a 304 when unchanged
    # (A member's page is sent no-store instead, by security.keep_private_pages_out_of_caches.)
    response.vary.add("Accept-Encoding")
    response.vary.add("Cookie")


# One render per miss: a lock per page key, shared by every worker (and, with Redis, every server).


def page_lock(key: str):
    name = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return RedisLock(name) if isinstance(cache.cache, RedisCache) else FileLock(name)


class RedisLock:
    """SET NX PX: taken by one reader across servers; it lapses after LOCK_SECONDS if its holder dies."""

    def __init__(self, name: str):
        self.client, self.name = cache.cache._write_client, f"{cache.cache.key_prefix}lock:{name}"
        self.token = secrets.token_hex(8)

    def acquire(self) -> bool:
        return bool(self.client.set(self.name, self.token, nx=True, px=LOCK_SECONDS * 1000))

    def held(self) -> bool:
        return bool(self.client.exists(self.name))

    def release(self) -> None:
        if self.client.get(self.name) == self.token.encode():  # not another reader's, taken after ours lapsed
            self.client.delete(self.name)


class FileLock:
    """A file created with O_EXCL in the cache directory: taken by one worker of the machine.

    (Among the kept pages: if the size budget drops it, a second reader renders too, nothing worse.)
    """

    def __init__(self, name: str):
        self.path = Path(current_app.config["CACHE_DIR"]) / f"{name}.lock"

    def acquire(self) -> bool:
        for _attempt in range(2):
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                return True
            except FileExistsError:
                if not self.lapsed():
                    return False
                self.path.unlink(missing_ok=True)  # its holder died while rendering
        return False

    def held(self) -> bool:
        return self.path.exists() and not self.lapsed()

    def lapsed(self) -> bool:
        try:
            return time.time() - self.path.stat().st_mtime > LOCK_SECONDS
        except FileNotFoundError:
            return False

    def release(self) -> None:
        self.path.unlink(missing_ok=True)


# Writes: each committed write renews the tags of what it changed (an ORM flush, or a statement through the session).
# A flush or a statement notes references (posts, threads, films by id) and tags; they are turned into tags before
# COMMIT, while the session may still read (a post's thread, a thread's film), and renewed right after it.

# Shown only in members' own copies (renewed by "members"): their inbox, reports, their own follows, mutes, blocks
# and saved posts, and their choice of email notices — never on a page kept for every visitor.
OWN_CHOICES = (Notification, Report, ThreadSubscription, Block, Bookmark, EmailNotices)
# On no page at all: the limiter's bookkeeping, and the outbox (a reply's notice, the mail worker's deliveries).
NO_PAGE = (RateLimitHit, OutgoingMail)
NO_PAGE_TABLES = {model.__tablename__ for model in NO_PAGE}
UNSEEN_TABLES = {model.__tablename__ for model in OWN_CHOICES}
TABLE_TAGS = {ModAction.__tablename__: [MODERATION_LOG]}
SESSION_ONLY = {"session_token", "password_hash"}  # a member's columns no page shows
BIO = {"bio_source", "bio_html"}  # shown on their profile only
FILM_NAMING = {"title", "year", "key", "slug"}  # shown wherever the film's threads are: a rename renews every page
OWN_SETTINGS = {"reveal_seen_spoilers"}  # changes only the member's own copies ("members")
# Shown beside their name wherever it shows: bylines in the threads they posted in, the listings (their threads' rows,
# their profile, search), members' inboxes. Those pages, not every page: see `resolve`.
IDENTITY = {"display_name", "avatar_digest"}
AUTHOR_THREADS_MAX = 500  # a member who posted in more threads than this renews every page instead


def noted(session) -> dict:
    return session.info.setdefault("page_writes", {"tags": set(), "posts": set(), "threads": set(), "films": set(),
                                                   "authors": set(), "resolved": set()})


def _note_flush(session, _context) -> None:
    changed = [*session.new, *session.dirty, *session.deleted]
    for record in changed:
        note_record(session, record, record in session.new)
    resolve(session)


def note_record(session, record, new: bool) -> None:
    """The tags of one new, changed or deleted row (conservative: what cannot be mapped renews every page)."""
    if isinstance(record, NO_PAGE):
        return
    writes = noted(session)
    writes["tags"].add(MEMBERS)
    if isinstance(record, Post):
        writes["threads"].add(column(record, "thread_id"))
    elif isinstance(record, (Vote, PostRevision)):
        writes["posts"].add(column(record, "post_id"))
    elif isinstance(record, Thread):
        writes["threads"].add(column(record, "id"))
        writes["films"].update([column(record, "film_id"), *inspect(record).attrs.film_id.history.deleted])
    elif isinstance(record, Film) and (new or record not in session.deleted and not changed_columns(record) & FILM_NAMING):
        writes["films"].add(column(record, "id"))  # new, or its details: its page and the listings
    elif isinstance(record, (FilmDirector, FilmPoster, FilmLog)):  # a log: its film's page, the index, the diary
        writes["films"].add(column(record, "film_id"))
    elif isinstance(record, User) and record not in session.deleted:
        changed = changed_columns(record)
        if new or changed <= SESSION_ONLY | BIO | OWN_SETTINGS:
            writes["tags"].update([LISTING] if new or changed & BIO else [])
        elif changed <= SESSION_ONLY | BIO | IDENTITY:  # a display name or avatar: the pages that show the member
            writes["tags"].add(LISTING)
            writes["authors"].add(column(record, "id"))
        else:  # a name, role or ban: shown beside their posts on any page
            writes["tags"].add(EVERY_PAGE)
    elif isinstance(record, ModAction):
        writes["tags"].update(TABLE_TAGS[ModAction.__tablename__])
    elif isinstance(record, MemberAvatar):
        pass  # the picture is only served under its digest's URL; users.avatar_digest, changed with it, renews the pages
    elif not isinstance(record, OWN_CHOICES):  # a film renamed or merged, an alias, the identity…
        writes["tags"].add(EVERY_PAGE)


def changed_columns(record) -> set[str]:
    return {attribute.key for attribute in inspect(record).attrs if attribute.history.has_changes()}


def column(record, name: str):
    """A column's value as the flush left it, read without a load (a deleted row cannot be loaded); None if unknown."""
    state = inspect(record)
    if name == "id" and state.identity is not None:
        return state.identity[0]
    if name not in state.dict and record not in state.session.deleted:
        return getattr(record, name)  # expired since the last commit: loaded again
    return state.dict.get(name)


def _note_statement(state) -> None:
    """An UPDATE/DELETE/INSERT through the session: its table's tags, or the tags of the one row it names."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = state.statement.table
    if table.name in NO_PAGE_TABLES:
        return
    writes = noted(state.session)
    writes["tags"].add(MEMBERS)
    row = None if state.is_insert else only_row(state.statement, state.parameters)
    if table.name in UNSEEN_TABLES:
        return
    if table.name in TABLE_TAGS:
        writes["tags"].update(TABLE_TAGS[table.name])
    elif table.name == Post.__tablename__ and row is not None:
        writes["posts"].add(row)
    elif table.name == Thread.__tablename__ and row is not None:
        writes["threads"].add(row)
    else:
        writes["tags"].add(EVERY_PAGE)


def only_row(statement, parameters=None):
    """The id of the one row a WHERE clause names (`id = :value`, alone or ANDed with more), else None. The value is
    the bound one, or the execution's parameter of that name (a statement built once, its values given as it runs)."""
    where = statement.whereclause
    if where is None:
        return None
    clauses = where.clauses if isinstance(where, BooleanClauseList) and where.operator is operators.and_ else [where]
    for clause in clauses:
        if (isinstance(clause, BinaryExpression) and clause.operator is operators.eq
                and isinstance(clause.left, Column) and clause.left.key == "id"
                and isinstance(clause.left.table, Table) and clause.left.table.name == statement.table.name
                and isinstance(clause.right, BindParameter)):
            if clause.right.value is None and clause.right.callable is None and isinstance(parameters, Mapping):
                return parameters.get(clause.right.key)
            return clause.right.effective_value
    return None


def resolve(session) -> None:
    """Posts → their threads → their films: tags, read while the transaction is open (before COMMIT).

    What the session already holds (a post's thread_id, a thread's film_id, a film's slug) is taken from it, and a
    row resolved once in the transaction is not looked up again: a write that changes a post twice (its vote, then its
    counters) reads nothing more inside its transaction, where on SQLite every statement holds up the other writers.
    """
    writes = session.info.get("page_writes")
    if writes is None:
        return
    tags, posts, threads, films, resolved = (
        writes["tags"], writes["posts"], writes["threads"], writes["films"], writes["resolved"])
    authors = writes.get("authors")
    if authors:  # a member's display name or avatar: the threads they posted in (then their films, below)
        connection = session.connection()
        posted_in = connection.execute(select(Post.thread_id).where(Post.author_id.in_(authors)).distinct()
                                       .limit(AUTHOR_THREADS_MAX + 1)).scalars().all()
        if len(posted_in) > AUTHOR_THREADS_MAX:
            tags.add(EVERY_PAGE)
        else:
            threads.update(posted_in)
        authors.clear()
    for kind, references in (("post", posts), ("thread", threads), ("film", films)):
        if None in references:  # a row whose post, thread or film could not be read: unsure what it showed
            references.discard(None)
            tags.add(EVERY_PAGE)
        references.difference_update({row for done, row in resolved if done == kind})
    if not (posts or threads or films):
        return
    connection = session.connection()  # no autoflush: this may run inside a flush
    if posts:
        found = held(session, Post, posts, "thread_id")
        if set(posts) - set(found):
            found.update(connection.execute(select(Post.id, Post.thread_id).where(Post.id.in_(set(posts) - set(found)))).all())
        threads.update(found.values())
        resolved.update(("post", post) for post in found)
        tags.update([EVERY_PAGE] if set(posts) - set(found) else [])  # deleted by a statement: unsure what it showed
        posts.clear()
    if threads:
        found = held(session, Thread, threads, "film_id")
        if set(threads) - set(found):
            rows = connection.execute(select(Thread.id, Thread.film_id).where(Thread.id.in_(set(threads) - set(found))))
            found.update(rows.all())
        films.update(found.values())
        resolved.update(("thread", thread) for thread in found)
        tags.update([LISTING, *(f"thread:{thread}" for thread in threads)])
        tags.update([EVERY_PAGE] if set(threads) - set(found) else [])
        threads.clear()
    if films:
        slugs = held(session, Film, films, "slug")
        if set(films) - set(slugs):
            slugs.update(connection.execute(select(Film.id, Film.slug).where(Film.id.in_(set(films) - set(slugs)))).all())
        resolved.update(("film", film) for film in slugs)
        tags.update([LISTING, *(f"film:{slug}" for slug in slugs.values())])
        tags.update([EVERY_PAGE] if len(slugs) < len(films) else [])
        films.clear()


def held(session, model, ids, name: str) -> dict:
    """{id: value of column `name`} for the rows among `ids` that the session holds with that column loaded."""
    found = {}
    for row in ids:
        record = session.identity_map.get(identity_key(model, row))
        if record is not None and name in record.__dict__:
            found[row] = record.__dict__[name]
    return found


def _before_commit(session) -> None:
    resolve(session)  # statements since the last flush (the final flush, after this, resolves its own)


def _after_commit(session) -> None:
    writes = session.info.pop("page_writes", None)
    if writes is None or not (has_app_context() and "cache" in current_app.extensions):
        return
    unresolved = writes["posts"] or writes["threads"] or writes["films"] or writes["authors"]
    renew(writes["tags"] | ({EVERY_PAGE} if unresolved else set()))


def _after_soft_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction is gone: it wrote nothing
        session.info.pop("page_writes", None)


event.listen(db.session, "after_flush", _note_flush)
event.listen(db.session, "do_orm_execute", _note_statement)
event.listen(db.session, "before_commit", _before_commit)
event.listen(db.session, "after_commit", _after_commit)
event.listen(db.session, "after_soft_rollback", _after_soft_rollback)
