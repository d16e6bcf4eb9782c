"""Full-text search over thread titles and post bodies: SQLite FTS5 or PostgreSQL text search behind one interface.

What is indexed is each post's spoiler-safe plain text (spoilers read "[spoiler]") and, for an opening post, its
thread's title, weighted higher. The index is the table `post_search`, kept in step by triggers in the database
itself (posts inserted, edited or deleted; a thread retitled), so every write path — views, CLI, demo, migrations —
updates it. Its DDL is written once, here: `db.create_all()` runs it through the events below, and migration
0004_search runs the same statements.

Queries are reduced to words (letters and digits) before they reach the database, each quoted as a literal term,
the last one matching as a prefix (results as you type): no input can be FTS5 or tsquery syntax, so none can fail.

Search costs the same whatever posts contain. The databases' own snippet makers choose the best window by comparing
every match with every other (FTS5's snippet(), ts_headline's fragments): a post that is one word 6,000 times took
seconds each. Here the database only marks the matched words, in one pass over at most SNIPPET_SCAN characters of
each post on the page (highlight(), ts_headline with HighlightAll), and `excerpt` cuts SNIPPET_CHARS around the first
match in Python, in one pass too. Every search also runs under a time budget (SEARCH_BUDGET_MS): past it the
database stops the statement and the searcher is asked for fewer or other words.
"""
import re
import unicodedata
from dataclasses import dataclass
from math import ceil

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import DDL, and_, column, event, func, literal_column, or_, select, table
from sqlalchemy.orm import aliased, contains_eager

from .database import TooSlow, time_budget
from .extensions import db
from .htmx import add_vary_header, is_htmx
from .models import Film, FilmAlias, Post, Thread, User, normalise_film_title
from .page_cache import shared_page
from .pagination import PageNumbers
from .spoilers import safe_title, withholds_excerpt

MAX_QUERY_LENGTH = 200  # characters; a longer query is cut here (and the searcher told)
MAX_TERMS = 12
MAX_PAGE = 500
PER_PAGE = 20
FILTER_MAX = 220
SNIPPET_SCAN = 10_000  # characters of a post the database marks for its snippet: a later match shows its opening words
SNIPPET_CHARS = 200  # characters of a snippet shown (markers aside), cut at words where there is a space near
# Markers the database puts around matched words in snippets; turned into <mark> only after escaping.
START, STOP = "\x02", "\x03"
# ts_headline() drops anything that parses as an HTML tag, so "<" stands in as this marker on the way through.
TAG_OPEN_STAND_IN = "\x04"
TERM = re.compile(r"\w+")

# SQLite: an FTS5 table with its own copy of the text (snippet() needs it); rowid = posts.id.
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS post_search USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS post_search_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO post_search (rowid, title, body) VALUES (new.id, CASE WHEN new.parent_id IS NULL "
    "THEN (SELECT title FROM threads WHERE threads.id = new.thread_id) ELSE '' END, new.plain_text); END",
    "CREATE TRIGGER IF NOT EXISTS post_search_update AFTER UPDATE OF plain_text ON posts BEGIN "
    "UPDATE post_search SET body = new.plain_text WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS post_search_delete AFTER DELETE ON posts BEGIN "
    "DELETE FROM post_search WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS post_search_retitle AFTER UPDATE OF title ON threads BEGIN "
    "UPDATE post_search SET title = new.title "
    "WHERE rowid = (SELECT id FROM posts WHERE posts.thread_id = new.id AND posts.parent_id IS NULL); END",
)
SQLITE_BACKFILL = (
    "INSERT INTO post_search (rowid, title, body) "
    "SELECT posts.id, CASE WHEN posts.parent_id IS NULL THEN threads.title ELSE '' END, posts.plain_text "
    "FROM posts JOIN threads ON threads.id = posts.thread_id"
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS post_search_retitle",
    "DROP TRIGGER IF EXISTS post_search_delete",
    "DROP TRIGGER IF EXISTS post_search_update",
    "DROP TRIGGER IF EXISTS post_search_insert",
    "DROP TABLE IF EXISTS post_search",
)

# PostgreSQL: one weighted tsvector per post (title 'A', body 'B') in its own table with a GIN index.
POSTGRESQL_DDL = (
    "CREATE TABLE IF NOT EXISTS post_search ("
    "post_id integer PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE, document tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_post_search_document ON post_search USING gin (document)",
    "CREATE OR REPLACE FUNCTION post_search_document(title text, body text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE AS $$ SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A') "
    "|| setweight(to_tsvector('english', coalesce(body, '')), 'B') $$",
    "CREATE OR REPLACE FUNCTION post_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO post_search (post_id, document) VALUES (NEW.id, post_search_document(CASE WHEN NEW.parent_id IS NULL "
    "THEN (SELECT title FROM threads WHERE threads.id = NEW.thread_id) END, NEW.plain_text)) "
    "ON CONFLICT (post_id) DO UPDATE SET document = EXCLUDED.document; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION post_search_retitle() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE post_search SET document = post_search_document(NEW.title, posts.plain_text) FROM posts "
    "WHERE posts.thread_id = NEW.id AND posts.parent_id IS NULL AND post_search.post_id = posts.id; "
    "RETURN NULL; END $$",
    "CREATE OR REPLACE TRIGGER post_search_sync AFTER INSERT OR UPDATE OF plain_text ON posts "
    "FOR EACH ROW EXECUTE FUNCTION post_search_sync()",
    "CREATE OR REPLACE TRIGGER post_search_retitle AFTER UPDATE OF title ON threads "
    "FOR EACH ROW EXECUTE FUNCTION post_search_retitle()",
)
POSTGRESQL_BACKFILL = (
    "INSERT INTO post_search (post_id, document) "
    "SELECT posts.id, post_search_document(CASE WHEN posts.parent_id IS NULL THEN threads.title END, posts.plain_text) "
    "FROM posts JOIN threads ON threads.id = posts.thread_id ON CONFLICT (post_id) DO NOTHING"
)
POSTGRESQL_DROP = (
    "DROP TRIGGER IF EXISTS post_search_retitle ON threads",
    "DROP TRIGGER IF EXISTS post_search_sync ON posts",
    "DROP TABLE IF EXISTS post_search",
    "DROP FUNCTION IF EXISTS post_search_retitle()",
    "DROP FUNCTION IF EXISTS post_search_sync()",
    "DROP FUNCTION IF EXISTS post_search_document(text, text)",
)
DDL_BY_DIALECT = {"sqlite": SQLITE_DDL, "postgresql": POSTGRESQL_DDL}
DROP_BY_DIALECT = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}
BACKFILL_BY_DIALECT = {"sqlite": SQLITE_BACKFILL, "postgresql": POSTGRESQL_BACKFILL}


def is_search_object(name: str) -> bool:
    """The index's own tables (FTS5 adds post_search_data, _idx, … beside it): not described by the models."""
    return name == "post_search" or name.startswith("post_search_") or name == "ix_post_search_document"


def include_name(name, type_, _parent_names) -> bool:
    """For Alembic's comparisons (board/migrations/env.py): leave out the search index, raw DDL the models don't describe."""
    return not (type_ in ("table", "index") and is_search_object(name))


for _dialect, _statements in DDL_BY_DIALECT.items():
    for _statement in _statements:
        event.listen(Post.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
for _dialect, _statements in DROP_BY_DIALECT.items():
    for _statement in _statements:
        event.listen(Post.__table__, "before_drop", DDL(_statement).execute_if(dialect=_dialect))


# Reading queries ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """What a searcher asked for, cleaned: the text (cut to MAX_QUERY_LENGTH) and the words searched for."""

    text: str
    terms: tuple[str, ...]
    shortened: bool = False

    @classmethod
    def parse(cls, raw: str) -> "Query":
        raw = " ".join(raw.split())
        shortened = len(raw) > MAX_QUERY_LENGTH
        text = raw[:MAX_QUERY_LENGTH]
        return cls(text, tuple(TERM.findall(unicodedata.normalize("NFKC", text)))[:MAX_TERMS], shortened)


def fts5_query(terms) -> str:
    """Every word as a quoted FTS5 string (never an operator), all required, the last also as a prefix."""
    quoted = [f'"{term}"' for term in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def tsquery(terms) -> str:
    """The same for PostgreSQL's to_tsquery: words only (no operator characters can be in them), ANDed, last a prefix."""
    return " & ".join(terms) + ":*"


Segment = tuple[str, bool]  # (text, highlighted)


def segments(marked: str | None) -> list[Segment]:
    """Text with START/STOP markers as (text, highlighted) pieces, for a template to escape and wrap in <mark>."""
    pieces, highlighted = [], False
    for part in re.split(f"([{START}{STOP}])", marked or ""):
        if part in (START, STOP):
            highlighted = part == START
        elif part:
            pieces.append((part.replace(TAG_OPEN_STAND_IN, "<"), highlighted))
    return pieces


def excerpt(marked: str | None, width: int = SNIPPET_CHARS) -> list[Segment]:
    """About `width` characters of marked text from a little before its first match (or from the start), with "…"
    where text was left out: one pass over at most SNIPPET_SCAN characters, however many matches or long words."""
    marked = (marked or "")[:SNIPPET_SCAN]
    first = marked.find(START)
    start = 0 if first <= 0 else max(0, first - width // 4)
    if start:  # begin at a word if one starts before the match (no marker lies before the first START)
        space = marked.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    pieces, room = [("…", False)] if start else [], width
    for text, highlighted in segments(marked[start:start + 3 * width]):  # ≤ 2 markers per marked word of ≥ 1 character
        if len(text) >= room:
            cut = text[:room]
            space = cut.rfind(" ", max(0, width * 3 // 4 - (width - room)))  # end at a word if a space is near the end
            pieces.append((cut[:space] if space > 0 else cut, highlighted))
            return [*pieces, ("…", False)]
        pieces.append((text, highlighted))
        room -= len(text)
    return [*pieces, ("…", False)] if start + 3 * width < len(marked) else pieces


@dataclass
class Hit:
    post: Post  # with .author and .thread (with .film) loaded
    title: list[Segment]
    snippet: list[Segment]
    rank: float

    @property
    def thread(self) -> Thread:
        return self.post.thread

    @property
    def snippet_withheld(self) -> bool:
        """Spoilers could be anywhere in the post (marked a spoiler, or opening a thread marked so): no snippet."""
        return withholds_excerpt(self.thread, self.post)


@dataclass
class SearchPage(PageNumbers):
    items: list[Hit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def search_posts(query: Query | str, film: str | None = None, author: str | None = None,
                 page: int = 1, per_page: int = PER_PAGE) -> SearchPage:
    """Visible posts matching every word, best first: two SELECTs (the count, then the page with everything shown).

    `film` is a film's slug (current or former) or its title; `author` a member's name (any case). Hidden and
    deleted posts, and every post of a thread whose opening post is hidden, are returned to nobody.
    """
    if isinstance(query, str):
        query = Query.parse(query)
    if not query.terms:
        return SearchPage([], 0, page, per_page)
    backend = _BACKENDS[db.engine.dialect.name]
    opening = aliased(Post)

    def matching(statement):
        statement = (
            backend.joined(statement, query.terms)
            .join(Thread, Thread.id == Post.thread_id)
            .join(opening, and_(opening.thread_id == Thread.id, opening.parent_id.is_(None)))
            .where(Post.hidden.is_(False), Post.deleted.is_(False), opening.hidden.is_(False))
        )
        if film:
            statement = statement.where(Thread.film_id.in_(films_called(film)))
        if author:
            statement = statement.where(Post.author_id.in_(select(User.id).where(func.lower(User.username) == author.lower())))
        return statement

    with time_budget(current_app.config["SEARCH_BUDGET_MS"]):
        total = db.session.scalar(matching(select(func.count()).select_from(backend.table)))
        if total <= (page - 1) * per_page:
            return SearchPage([], total, page, per_page)
        # The page's posts are chosen first, so only they (not every match) have their words marked.
        rank = backend.rank(query.terms)
        ranked = (
            matching(select(Post.id.label("post_id"), rank.label("rank")).select_from(backend.table))
            .order_by(backend.best_first(rank), Post.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
            .subquery("ranked")
        )
        title, body = backend.marked(query.terms)
        rows = db.session.execute(
            backend.marking(select(Post, title, body, ranked.c.rank).select_from(ranked), ranked.c.post_id, query.terms)
            .join(Post, Post.id == ranked.c.post_id)
            .join(Thread, Thread.id == Post.thread_id)
            .join(User, User.id == Post.author_id)
            .join(Film, Film.id == Thread.film_id)
            .options(contains_eager(Post.author), contains_eager(Post.thread).contains_eager(Thread.film))
            .order_by(backend.best_first(ranked.c.rank), Post.id.desc())
        ).all()
    # A title's ||…|| becomes "[spoiler]" (markers only ever wrap single words, so none straddles one).
    hits = [
        Hit(post, segments(safe_title(title if post.is_opening and title else post.thread.title)), excerpt(body), rank)
        for post, title, body, rank in rows
    ]
    return SearchPage(hits, total, page, per_page)


def films_called(name: str):
    """Ids of the films with this slug (or former slug), or this title in any year."""
    slug, title = name.strip().lower(), normalise_film_title(name)
    choices = [Film.slug == slug, Film.id.in_(select(FilmAlias.film_id).where(FilmAlias.slug == slug))]
    if title:  # words and spaces only, so "_" is the one LIKE wildcard left to escape
        choices.append(Film.key.like(title.replace("_", "\\_") + "|%", escape="\\"))
    return select(Film.id).where(or_(*choices))


class SQLiteSearch:
    table = table("post_search", column("rowid"))
    TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0

    @classmethod
    def joined(cls, statement, terms):
        return statement.join(Post, Post.id == cls.table.c.rowid).where(cls.matches(terms))

    @staticmethod
    def matches(terms):
        return literal_column("post_search").op("MATCH")(fts5_query(terms))

    @classmethod
    def rank(cls, terms):
        return func.bm25(literal_column("post_search"), cls.TITLE_WEIGHT, cls.BODY_WEIGHT)

    @classmethod
    def marking(cls, statement, post_id, terms):
        """highlight() needs the index row of each post, found by the same MATCH (FTS5 seeks it by rowid)."""
        return statement.join(cls.table, cls.table.c.rowid == post_id).where(cls.matches(terms))

    @staticmethod
    def marked(terms):
        """(title, body) with matched words between START and STOP: highlight() is one pass over the text."""
        fts = literal_column("post_search")
        return func.highlight(fts, 0, START, STOP), func.substr(func.highlight(fts, 1, START, STOP), 1, SNIPPET_SCAN)

    @staticmethod
    def best_first(rank):
        return rank  # bm25(): lower is better


class PostgreSQLSearch:
    table = table("post_search", column("post_id"), column("document"))
    ENGLISH = literal_column("'english'::regconfig")
    # Weights for D, C, B (bodies) and A (titles).
    WEIGHTS = literal_column("'{0.1, 0.1, 0.2, 1.0}'::float4[]")
    # HighlightAll marks every match in one pass; ts_headline's fragment search is the part that grows with matches².
    MARK_ALL = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"

    @classmethod
    def query(cls, terms):
        return func.to_tsquery(cls.ENGLISH, tsquery(terms))

    @classmethod
    def joined(cls, statement, terms):
        return statement.join(Post, Post.id == cls.table.c.post_id).where(cls.table.c.document.op("@@")(cls.query(terms)))

    @classmethod
    def rank(cls, terms):
        return func.ts_rank_cd(cls.WEIGHTS, cls.table.c.document, cls.query(terms))

    @staticmethod
    def marking(statement, post_id, terms):
        return statement  # ts_headline needs only the text and the query

    @classmethod
    def marked(cls, terms):
        query = cls.query(terms)
        return (
            func.ts_headline(cls.ENGLISH, func.replace(Thread.title, "<", TAG_OPEN_STAND_IN), query, cls.MARK_ALL),
            func.ts_headline(
                cls.ENGLISH, func.replace(func.left(Post.plain_text, SNIPPET_SCAN), "<", TAG_OPEN_STAND_IN), query, cls.MARK_ALL
            ),
        )

    @staticmethod
    def best_first(rank):
        return rank.desc()


_BACKENDS = {"sqlite": SQLiteSearch, "postgresql": PostgreSQLSearch}


# The search page ------------------------------------------------------------------------------------------------------

bp = Blueprint("search", __name__)
bp.after_request(add_vary_header)


@bp.get("/search")
@shared_page
def index():
    query = Query.parse(request.args.get("q", ""))
    film = request.args.get("film", "").strip()[:FILTER_MAX]
    author = request.args.get("author", "").strip()[:FILTER_MAX]
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(400, f"Pages run from 1 to {MAX_PAGE}.")
    try:
        results, too_slow = search_posts(query, film or None, author or None, page) if query.text else None, False
    except TooSlow:  # 422, not 200: the searcher can change the words, and a page cache keeps 200s only
        results, too_slow = None, True
    fragment = is_htmx()
    context = dict(query=query, film=film, author=author, results=results, fragment=fragment, too_slow=too_slow)
    return render_template("search/_results.html" if fragment else "search/index.html", **context), 422 if too_slow else 200
