"""A synthetic board in a throwaway database: seeded, built with bulk inserts, checked after loading.

The schema comes from the real migrations. Rows are generated in Python and written with SQLAlchemy Core
`insert()` executemany in large batches, one transaction per table (COPY on PostgreSQL). Markdown goes through
the board's own Post.set_body once per distinct body of a pool, so 500,000 posts never each go through bleach.
Posts get ids in the order they were written, across threads, and paths exactly as Post.add_reply sets them
(parent.path + "%010d." % id); reply counts, last activity, scores and vote counts agree with the rows.
"""
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from board import create_app
from board.extensions import db
from board.models import MAX_DEPTH, Film, Post, Role, Thread, User, Vote, normalise_film_title, utcnow

from . import content

PASSWORD = "benchmark password"  # every synthetic member's; hashed once with the board's default (scrypt)
BATCH = 20_000
WRITERS = 16
SPECIAL_REPLIES = {"thread_200": 200, "thread_20": 20, "thread_1000": 1000}


@dataclass(frozen=True)
class Size:
    members: int
    threads: int
    posts: int

    @classmethod
    def from_env(cls, quick: bool) -> "Size":
        base = QUICK if quick else FULL
        return cls(
            members=int(os.environ.get("BENCH_MEMBERS", base.members)),
            threads=int(os.environ.get("BENCH_THREADS", base.threads)),
            posts=int(os.environ.get("BENCH_POSTS", base.posts)),
        )

    def check(self) -> None:
        if self.members < WRITERS + 10:
            raise SystemExit(f"the benchmark needs at least {WRITERS + 10} members")
        if self.threads < 100 or self.posts < self.threads + sum(SPECIAL_REPLIES.values()) + 100:
            raise SystemExit("the benchmark needs at least 100 threads and a few hundred replies beyond them")


QUICK = Size(members=200, threads=1_000, posts=20_000)
FULL = Size(members=2_000, threads=20_000, posts=500_000)


@dataclass
class Landmarks:
    """What the measurements need to find in the board."""

    password: str = PASSWORD
    reader: str = "reader"  # logged in for the thread page (has votes there), the vote and the reply POSTs
    writers: list[str] = field(default_factory=list)  # one member per concurrent writer
    thread_200: int = 0
    thread_20: int = 0
    thread_1000: int = 0  # a long thread: its first page should cost about what thread_200's does
    shared_thread: int = 0  # half the concurrent writers reply here
    own_threads: list[int] = field(default_factory=list)  # ... the other half each to their own thread
    reply_parents: list[int] = field(default_factory=list)  # opening posts the wrk reply POST rotates over
    vote_post: int = 0
    film_slug: str = "her-2013"
    search_term: str = content.SEARCH_TERM
    counts: dict = field(default_factory=dict)


class Progress:
    """One self-overwriting line on stderr: what, how far, how long."""

    def __init__(self, what: str, total: int):
        self.what, self.total, self.started, self.shown = what, total, time.perf_counter(), -1.0
        self.live = sys.stderr.isatty()  # redirected to a log: only the finished line
        self.update(0)

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if self.shown == float("inf") or (done < self.total and (now - self.shown < 0.2 or not self.live)):
            return
        self.shown = now
        share = done / self.total if self.total else 1
        bar = "#" * int(share * 30)
        sys.stderr.write(f"\r  {self.what:<16} [{bar:<30}] {done:>9,}/{self.total:,} {now - self.started:6.1f}s")
        if done >= self.total:
            sys.stderr.write("\n")
            self.shown = float("inf")  # finished: later updates print nothing
        sys.stderr.flush()


def bench_app(database_url: str):
    """The board bound to the throwaway database, configured explicitly (no instance/config.py, no BOARD_*)."""
    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": "benchmark", "DEMO": False})


def build(database_url: str, size: Size, seed: int = 5) -> tuple[Landmarks, dict]:
    """Create the schema (dropping whatever the database held) and load the board; return landmarks and timings."""
    size.check()
    timings = {}
    started = time.perf_counter()
    board = Generator(random.Random(seed), size)
    board.generate()  # before any database connection exists: Markdown renders in forked processes
    timings["generate"] = time.perf_counter() - started

    app = bench_app(database_url)
    with app.app_context():
        engine = db.engine
        step = time.perf_counter()
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        timings["schema"] = time.perf_counter() - step

        step = time.perf_counter()
        with search_index_set_aside(engine, timings):
            board.write(engine)
        timings["insert"] = time.perf_counter() - step - timings.get("search_index", 0)

        step = time.perf_counter()
        finish(engine)
        timings["analyze"] = time.perf_counter() - step

        step = time.perf_counter()
        board.landmarks.counts = verify(board)
        timings["verify"] = time.perf_counter() - step
        db.session.remove()
        engine.dispose()
    timings["total"] = time.perf_counter() - started
    return board.landmarks, timings


class Generator:
    """Every row of the board, generated in memory first (ids, paths and counters all known before writing)."""

    def __init__(self, rng: random.Random, size: Size):
        self.rng, self.size, self.now = rng, size, utcnow().replace(microsecond=0)
        self.landmarks = Landmarks()
        self.users, self.films, self.threads, self.posts, self.votes = [], [], [], [], []
        self.reply_html, self.opening_html = {}, {}

    def generate(self) -> None:
        self.make_bodies()
        self.make_members()
        self.make_films()
        self.make_threads_and_posts()
        self.make_votes()

    # -- bodies -----------------------------------------------------------------------------------------------------
    def make_bodies(self) -> None:
        """Distinct bodies, each stored by the board's own Post.set_body exactly once (two processes when many)."""
        rng, size = self.rng, self.size
        replies = list(dict.fromkeys(content.body(rng) for _ in range(min(3_000, max(300, size.posts // 40)))))
        openings = list(dict.fromkeys(content.body(rng, opening=True) for _ in range(min(800, max(60, size.threads // 10)))))
        progress = Progress("render markdown", len(replies) + len(openings))
        sources = replies + openings
        if len(sources) > 1_000:
            with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
                rendered = []
                for columns in pool.map(body_columns, sources, chunksize=100):
                    rendered.append(columns)
                    progress.update(len(rendered))
        else:
            rendered = [body_columns(source) for source in sources]
        progress.update(len(sources))
        self.reply_bodies = rendered[: len(replies)]
        self.opening_bodies = rendered[len(replies):]

    # -- members and films ------------------------------------------------------------------------------------------
    def make_members(self) -> None:
        rng, size, landmarks = self.rng, self.size, self.landmarks
        password_hash = generate_password_hash(PASSWORD)
        landmarks.writers = [f"writer{n:02d}" for n in range(1, WRITERS + 1)]
        names = ["admin", landmarks.reader, *landmarks.writers]
        names += [f"member{n:05d}" for n in range(1, size.members - len(names) + 1)]
        roles = {"admin": Role.ADMIN, "member00001": Role.MODERATOR, "member00002": Role.MODERATOR}
        for ident, name in enumerate(names, start=1):
            joined = self.now - timedelta(days=30 + rng.random() * 1_000)  # none is a "new account" (stricter limits)
            self.users.append({
                "id": ident, "username": name, "password_hash": password_hash, "role": str(roles.get(name, Role.MEMBER)),
                "session_token": f"{rng.getrandbits(192):048x}", "created_at": joined,
                "banned_at": None, "banned_until": None, "ban_reason": None,
            })
        self.reader_id = 2
        self.writer_ids = list(range(3, 3 + WRITERS))

    def make_films(self) -> None:
        rng = self.rng
        count = max(20, self.size.threads // 6)
        keys, slugs = set(), set()
        specs = [("Her", 2013)]
        while len(specs) < count:
            specs.append((content.film_title(rng), rng.choice([None, *range(1925, 2026)])))
        for title, year in specs:
            key = Film.key_for(title, year)
            if key in keys:
                continue
            base = "-".join(filter(None, [normalise_film_title(title).replace(" ", "-") or "film", str(year or "")]))
            slug, attempt = base, 1
            while slug in slugs:
                attempt += 1
                slug = f"{base}-{attempt}"
            keys.add(key)
            slugs.add(slug)
            self.films.append({"id": len(self.films) + 1, "title": title, "year": year, "key": key, "slug": slug,
                               "created_at": self.now - timedelta(days=400)})
        self.landmarks.film_slug = self.films[0]["slug"]

    # -- threads and posts ------------------------------------------------------------------------------------------
    def reply_counts(self) -> list[int]:
        """Replies per thread: a long tail (lognormal), exactly the requested total, two threads of known size."""
        rng, size = self.rng, self.size
        special = {size.threads - 3: SPECIAL_REPLIES["thread_200"], size.threads - 5: SPECIAL_REPLIES["thread_20"],
                   size.threads - 4: SPECIAL_REPLIES["thread_1000"]}
        remaining = size.posts - size.threads - sum(special.values())
        weights = [0.0 if index in special else rng.lognormvariate(0, 1.1) for index in range(size.threads)]
        scale = remaining / sum(weights)
        counts = [int(weight * scale) for weight in weights]
        for index in rng.choices(range(size.threads), weights=weights, k=remaining - sum(counts)):
            counts[index] += 1
        for index, replies in special.items():
            counts[index] = replies
        self.landmarks.thread_200, self.landmarks.thread_20 = size.threads - 3 + 1, size.threads - 5 + 1
        self.landmarks.thread_1000 = size.threads - 4 + 1
        return counts

    def make_threads_and_posts(self) -> None:
        rng, size, now = self.rng, self.size, self.now
        counts = self.reply_counts()
        film_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(self.films))]
        film_ids = rng.choices([film["id"] for film in self.films], weights=film_weights, k=size.threads)
        members = len(self.users)
        year = timedelta(days=365).total_seconds()
        starts = sorted(rng.random() * year for _ in range(size.threads))
        # One tuple per post: (written_at, thread index, position in thread, parent position, depth, author, body, flags)
        drafts = []
        progress = Progress("threads", size.threads)
        for index, replies in enumerate(counts):
            created = now - timedelta(seconds=year - starts[index])
            if index >= size.threads - 12:  # the measured and written-to threads are recent, as busy threads are
                created = now - timedelta(days=2, seconds=index)
            author = rng.randrange(1, members + 1)
            age = (now - created).total_seconds()
            window = min(age, rng.uniform(0.3, 5) * 86_400)
            moments = sorted(created + timedelta(seconds=1 + rng.random() * window) for _ in range(replies))
            depths, parents = [0], [None]
            drafts.append((created, index, 0, None, 0, author, rng.randrange(len(self.opening_bodies)), 0))
            for position, moment in enumerate(moments, start=1):
                parent = 0 if rng.random() < 0.35 else rng.randrange(position)
                if depths[parent] >= MAX_DEPTH:  # as Post.reply_parent: a reply to the deepest post goes beside it
                    parent = parents[parent]
                depths.append(depths[parent] + 1)
                parents.append(parent)
                roll = rng.random()
                flags = 1 if roll < 0.005 else 2 if roll < 0.008 else 0  # a few hidden (1) and deleted (2) replies
                drafts.append((moment, index, position, parent, depths[-1], rng.randrange(1, members + 1),
                               rng.randrange(len(self.reply_bodies)), flags))
            self.threads.append({
                "id": index + 1, "film_id": film_ids[index], "author_id": author,
                "title": f"{self.films[film_ids[index] - 1]['title']}: {content.thread_title(rng)}",
                "has_spoilers": rng.random() < 0.15, "pinned": False, "pinned_at": None, "pinned_until": None,
                "locked": False, "created_at": created, "last_activity_at": moments[-1] if moments else created,
                "reply_count": replies,
            })
            progress.update(index + 1)
        for pinned in (size.threads - 20, size.threads - 40):
            self.threads[pinned].update(pinned=True, pinned_at=now - timedelta(hours=5))

        drafts.sort(key=lambda draft: draft[:3])  # ids in the order posts were written, across threads
        paths = [dict() for _ in range(size.threads)]
        ids = [dict() for _ in range(size.threads)]
        progress = Progress("posts", len(drafts))
        for post_id, (moment, index, position, parent, depth, author, body, flags) in enumerate(drafts, start=1):
            if parent is None:
                author = self.threads[index]["author_id"]
                stored_body = self.opening_bodies[body]
                path = Post.path_segment(post_id)
                parent_id = None
            else:
                stored_body = self.reply_bodies[body]
                path = paths[index][parent] + Post.path_segment(post_id)
                parent_id = ids[index][parent]
            paths[index][position], ids[index][position] = path, post_id
            self.posts.append({
                "id": post_id, "thread_id": index + 1, "parent_id": parent_id, "author_id": author, "depth": depth,
                "path": path, **stored_body, "created_at": moment, "edited_at": None,
                "score": 0, "hidden": flags == 1, "hidden_reason": "Off-topic." if flags == 1 else None,
                "deleted": flags == 2, "deleted_at": moment if flags == 2 else None, "marked_spoiler": False,
                "edited_by_moderator": False, **self.vote_columns(0, 0),
            })
            if post_id % 10_000 == 0:
                progress.update(post_id)
        progress.update(len(drafts))
        self.opening_ids = [ids[index][0] for index in range(size.threads)]
        self.choose_landmarks()

    def choose_landmarks(self) -> None:
        rng, landmarks, threads = self.rng, self.landmarks, self.size.threads
        landmarks.shared_thread = threads - 7 + 1
        landmarks.own_threads = [threads - 8 - n + 1 for n in range(WRITERS // 2)]
        measured = {landmarks.thread_200, landmarks.thread_20, landmarks.thread_1000}
        candidates = [ident for ident in range(1, threads - 12) if ident not in measured]
        landmarks.reply_parents = [self.opening_ids[ident - 1] for ident in rng.sample(candidates, 50)]
        landmarks.vote_post = next(
            self.opening_ids[ident - 1] for ident in candidates[::-1]
            if self.posts[self.opening_ids[ident - 1] - 1]["author_id"] != self.reader_id
        )

    # -- votes ------------------------------------------------------------------------------------------------------
    def make_votes(self) -> None:
        """About two votes per reply and ten per opening post, mostly up; the reader votes on most of thread_200."""
        rng, members = self.rng, len(self.users)
        progress = Progress("votes", len(self.posts))
        reader_thread = self.landmarks.thread_200
        for post in self.posts:
            author = post["author_id"]
            voters = set()
            if post["thread_id"] == reader_thread and author != self.reader_id and rng.random() < 0.6:
                voters.add(self.reader_id)
            wanted = len(voters) + min(int(rng.expovariate(1 / (10 if post["parent_id"] is None else 1.6))), members - 2)
            while len(voters) < wanted:
                voter = rng.randrange(1, members + 1)
                if voter != author:
                    voters.add(voter)
            ups = downs = 0
            for voter in voters:
                value = 1 if rng.random() < 0.8 else -1
                ups, downs = ups + (value == 1), downs + (value == -1)
                self.votes.append({"user_id": voter, "post_id": post["id"], "value": value,
                                   "created_at": post["created_at"] + timedelta(minutes=5)})
            post.update(score=ups - downs, **self.vote_columns(ups, downs))
            if post["id"] % 10_000 == 0:
                progress.update(post["id"])
        progress.update(len(self.posts))

    @staticmethod
    def vote_columns(ups: int, downs: int) -> dict:
        """Up and down counts for a board whose posts keep them beside the score (issue #4's "Best" order)."""
        columns = Post.__table__.columns
        return {name: value for name, value in (("upvotes", ups), ("downvotes", downs)) if name in columns}

    # -- writing ----------------------------------------------------------------------------------------------------
    def write(self, engine) -> None:
        """One transaction per table: Core executemany in batches of BATCH rows (COPY on PostgreSQL)."""
        dialect = engine.dialect.name
        for table, rows in ((User.__table__, self.users), (Film.__table__, self.films),
                            (Thread.__table__, self.threads), (Post.__table__, self.posts), (Vote.__table__, self.votes)):
            progress = Progress(f"insert {table.name}", len(rows))
            with engine.connect() as connection:
                if dialect == "sqlite":  # a throwaway database: no fsync while loading (set outside a transaction)
                    connection.connection.driver_connection.execute("PRAGMA synchronous = OFF")
                    connection.connection.driver_connection.execute("PRAGMA cache_size = -262144")
                with connection.begin():
                    if dialect == "postgresql":
                        copy_rows(connection, table, rows, progress)
                        continue
                    statement = insert(table)
                    for start in range(0, len(rows), BATCH):
                        connection.execute(statement, rows[start:start + BATCH])
                        progress.update(min(start + BATCH, len(rows)))
        self.landmarks.counts = {"members": len(self.users), "films": len(self.films), "threads": len(self.threads),
                                 "posts": len(self.posts), "votes": len(self.votes)}


@contextmanager
def search_index_set_aside(engine, timings: dict):
    """Drop the full-text index (and its per-row triggers) while loading, then build it in one pass.

    The same statements the search migration runs on an existing board (board/search.py): the result is the
    index a migrated board has, in a fraction of the time triggers take over half a million inserts.
    """
    try:
        from board.search import BACKFILL_BY_DIALECT, DDL_BY_DIALECT, DROP_BY_DIALECT
    except ImportError:  # a board without full-text search
        yield
        return
    dialect = engine.dialect.name
    with engine.begin() as connection:
        for statement in DROP_BY_DIALECT[dialect]:
            connection.exec_driver_sql(statement)
    yield
    started = time.perf_counter()
    sys.stderr.write("  search index     built after loading…")
    with engine.begin() as connection:
        for statement in [*DDL_BY_DIALECT[dialect], BACKFILL_BY_DIALECT[dialect]]:
            connection.exec_driver_sql(statement)
    timings["search_index"] = time.perf_counter() - started
    sys.stderr.write(f" {timings['search_index']:.1f}s\n")


def body_columns(source: str) -> dict:
    """The columns Post.set_body fills for this Markdown (body_source, body_html, and whatever else it derives)."""
    post = Post()
    post.set_body(source)
    return {column.key: getattr(post, column.key) for column in Post.__table__.columns if column.key in post.__dict__}


def copy_rows(connection, table, rows: list[dict], progress: Progress) -> None:
    """PostgreSQL's COPY: about twice as fast as batched INSERTs for the half-million posts."""
    columns = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for done, row in enumerate(rows, start=1):
            copy.write_row([row[column] for column in columns])
            if done % BATCH == 0:
                progress.update(done)
    progress.update(len(rows))


def finish(engine) -> None:
    """PostgreSQL: sequences past the explicit ids, and statistics (as autovacuum would gather them soon)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for table in ("users", "films", "threads", "posts"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def verify(board: Generator) -> dict:
    """The loaded rows agree with each other: counts, reply counts, scores, paths, depths."""
    landmarks = board.landmarks
    session = db.session
    counts = {
        "members": session.scalar(select(func.count()).select_from(User)),
        "films": session.scalar(select(func.count()).select_from(Film)),
        "threads": session.scalar(select(func.count()).select_from(Thread)),
        "posts": session.scalar(select(func.count()).select_from(Post)),
        "votes": session.scalar(select(func.count()).select_from(Vote)),
    }
    expected = {key: len(rows) for key, rows in (("members", board.users), ("films", board.films), ("threads", board.threads),
                                                  ("posts", board.posts), ("votes", board.votes))}
    problems = [f"{key}: {counts[key]} rows, expected {expected[key]}" for key in counts if counts[key] != expected[key]]
    replies = session.scalar(select(func.sum(Thread.reply_count)))
    if replies != counts["posts"] - counts["threads"]:
        problems.append(f"reply counts add up to {replies}, expected {counts['posts'] - counts['threads']}")
    if session.scalar(select(func.count()).select_from(Post).where(Post.depth > MAX_DEPTH)):
        problems.append(f"posts deeper than {MAX_DEPTH}")
    if "upvotes" in Post.__table__.columns and session.scalar(
        select(func.count()).select_from(Post).where(Post.score != Post.upvotes - Post.downvotes)
    ):
        problems.append("scores differ from upvotes - downvotes")
    votes_total = session.scalar(select(func.coalesce(func.sum(Vote.value), 0)))
    if votes_total != session.scalar(select(func.sum(Post.score))):
        problems.append("scores do not add up to the votes")
    for thread_id, replies in ((landmarks.thread_200, 200), (landmarks.thread_20, 20), (landmarks.thread_1000, 1000)):
        posts = session.scalars(Post.tree(thread_id)).all()
        by_id = {post.id: post for post in posts}
        if len(posts) != replies + 1 or session.get(Thread, thread_id).reply_count != replies:
            problems.append(f"thread {thread_id} has {len(posts) - 1} replies, expected {replies}")
        for post in posts[1:]:
            parent = by_id[post.parent_id]
            if post.path != parent.path + Post.path_segment(post.id) or post.depth != parent.depth + 1:
                problems.append(f"post {post.id}: path or depth does not follow its parent's")
    reader_votes = session.scalar(
        select(func.count()).select_from(Vote).join(Post, Post.id == Vote.post_id)
        .where(Vote.user_id == board.reader_id, Post.thread_id == landmarks.thread_200)
    )
    if not reader_votes:
        problems.append("the reader has no votes in the 200-reply thread")
    if problems:
        raise SystemExit("The synthetic board is inconsistent:\n  " + "\n  ".join(problems))
    counts["reader_votes_in_thread_200"] = reader_votes
    session.execute(text("SELECT 1"))
    return counts
