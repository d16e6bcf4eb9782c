"""Writers under contention, without a server: N processes × M threads vote and reply through the real app.

    .venv/bin/python -m benchmarks.contention [--processes 2] [--threads 8] [--seconds 4] [--database URL]

Each client is a thread with Flask's test client and its own logged-in member, so the whole request runs
(session, CSRF, limits, views, SQLAlchemy, the page cache's invalidation), only HTTP is left out. Processes are
started fresh (spawn), as granian starts its workers, so writers compete across threads of one process and
across processes, as under `make run`. Every phase reports writes/s and p50/p99 latency; afterwards the
database must hold exactly the acknowledged replies, and each post's score must equal the sum of its votes.
By default the board is a throwaway SQLite file; --database postgresql://… uses that database (its tables are
DROPPED and created again).
"""
import argparse
import multiprocessing
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from board.serve import GIL_SWITCH_INTERVAL

PASSWORD = "contention password"
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
VOTED_POSTS = 4  # every client votes on the same few posts: their counters are the hottest rows on the board


def board(database_url: str, cache_dir: str):
    from board import create_app
    from board.limits import DEFAULT_LIMITS

    return create_app({
        "SECRET_KEY": "contention", "DATABASE_URL": database_url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "PAGE_CACHE_DIR": cache_dir, "RATE_LIMITS": {name: "1000000 per hour" for name in DEFAULT_LIMITS},
    })


def build(database_url: str, cache_dir: str, members: int) -> dict:
    """A board with a host's thread (its opening post and a few replies to vote on) and the members who write."""
    from board.extensions import db
    from board.models import Film, Thread, User

    app = board(database_url, cache_dir)
    with app.app_context():
        db.drop_all()
        db.create_all()
        host = User.register("host", PASSWORD)
        writers = [User.register(f"writer{number}", PASSWORD) for number in range(members)]
        thread = Thread.start(host, Film.find_or_create("Playtime", 1967), "Contention", "The opening post.", False)
        db.session.flush()
        voted = [thread.opening_post] + [thread.opening_post.add_reply(host, f"Host reply {n}") for n in range(VOTED_POSTS - 1)]
        db.session.commit()
        plan = {"thread": thread.id, "opening": thread.opening_post.id, "voted": [post.id for post in voted],
                "writers": [writer.username for writer in writers]}
        db.session.remove()
        db.engine.dispose()
    return plan


def log_in(client, username: str) -> str:
    token = CSRF_PATTERN.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.status_code
    return CSRF_PATTERN.search(client.get("/login").get_data(as_text=True)).group(1)


def worker(database_url, cache_dir, plan, usernames, phases, seconds, switch_interval, ready, go, results) -> None:
    """One process: a thread per member; each phase starts for every process at the same moment."""
    sys.setswitchinterval(switch_interval)
    app = board(database_url, cache_dir)
    clients = []
    for username in usernames:
        client = app.test_client()
        clients.append((client, log_in(client, username)))
    for phase in phases:
        ready.wait()
        go.wait()
        deadline = time.monotonic() + seconds
        samples = []

        def client_loop(index, client, token):
            sent = 0
            while time.monotonic() < deadline:
                sent += 1
                if phase == "vote" or (phase == "mixed" and sent % 2):
                    path, data = f"/posts/{plan['voted'][sent % VOTED_POSTS]}/vote", {"direction": "up"}
                else:
                    path = f"/posts/{plan['voted'][sent % VOTED_POSTS]}/reply"
                    data = {"body": f"{usernames[index]} reply {phase} {sent}: the long take still holds up."}
                started = time.perf_counter()
                try:
                    status = client.post(path, data={**data, "csrf_token": token}).status_code
                except Exception as error:  # reported, never raised: a failed request is a figure here
                    status = f"{type(error).__name__}: {error}"[:120]
                elapsed = time.perf_counter() - started
                kind = "vote" if path.endswith("/vote") else "reply"
                samples.append((kind, elapsed, status))

        threads = [threading.Thread(target=client_loop, args=(index, client, token))
                   for index, (client, token) in enumerate(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results.put((phase, samples))
    with app.app_context():
        from board.extensions import db
        db.engine.dispose()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def check(database_url: str, cache_dir: str, plan: dict) -> dict:
    """Replies stored per member and vote counters against the votes table."""
    from sqlalchemy import func, select

    from board.extensions import db
    from board.models import Post, Thread, Vote

    app = board(database_url, cache_dir)
    with app.app_context():
        replies = db.session.scalar(
            select(func.count()).select_from(Post).where(Post.thread_id == plan["thread"], Post.parent_id.is_not(None))
        ) - (VOTED_POSTS - 1)
        reply_count = db.session.get(Thread, plan["thread"]).reply_count - (VOTED_POSTS - 1)
        scores_match = all(
            db.session.get(Post, post_id).score
            == (db.session.scalar(select(func.coalesce(func.sum(Vote.value), 0)).where(Vote.post_id == post_id)))
            for post_id in plan["voted"]
        )
        db.session.remove()
        db.engine.dispose()
    return {"replies_stored": replies, "reply_count": reply_count, "scores_match_votes": scores_match}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--phases", default="vote,reply,mixed")
    parser.add_argument("--switch-interval", type=float, default=GIL_SWITCH_INTERVAL,
                        help="the GIL's switch interval in the workers (default: make run's)")
    parser.add_argument("--database", help="postgresql://… (its tables are dropped); default: a throwaway SQLite file")
    options = parser.parse_args()
    phases = options.phases.split(",")
    members = options.processes * options.threads
    with tempfile.TemporaryDirectory(prefix="reelboard-contention-") as folder:
        database_url = options.database or f"sqlite:///{Path(folder) / 'board.db'}"
        cache_dir = str(Path(folder) / "cache")
        plan = build(database_url, cache_dir, members)
        spawn = multiprocessing.get_context("spawn")
        ready, go, results = spawn.Barrier(options.processes + 1), spawn.Barrier(options.processes + 1), spawn.Queue()
        processes = [
            spawn.Process(target=worker, args=(database_url, cache_dir, plan,
                                               plan["writers"][index::options.processes], phases, options.seconds,
                                               options.switch_interval,
                                               ready, go, results))
            for index in range(options.processes)
        ]
        for process in processes:
            process.start()
        acknowledged_replies = 0
        print(f"{options.processes} processes × {options.threads} threads, {options.seconds:g} s per phase, "
              f"GIL switch interval {options.switch_interval * 1000:g} ms, "
              f"{'SQLite' if database_url.startswith('sqlite') else 'PostgreSQL'}")
        for phase in phases:
            ready.wait()
            go.wait()
            gathered = [results.get(timeout=options.seconds + 120) for _ in processes]
            samples = [sample for _, batch in gathered for sample in batch]
            for kind in ("vote", "reply"):
                chosen = [sample for sample in samples if sample[0] == kind]
                if not chosen:
                    continue
                good = [elapsed for _, elapsed, status in chosen if status in (200, 303)]
                bad = Counter(str(status) for _, _, status in chosen if status not in (200, 303))
                if kind == "reply":
                    acknowledged_replies += len(good)
                print(f"  {phase:6} {kind:5}: {len(good) / options.seconds:7.1f}/s  "
                      f"p50 {percentile(good, 0.5) * 1000:7.1f} ms  p99 {percentile(good, 0.99) * 1000:7.1f} ms  "
                      f"max {max(good, default=0) * 1000:7.1f} ms  errors {dict(bad) or 0}")
        for process in processes:
            process.join(60)
        outcome = check(database_url, cache_dir, plan)
        lost = acknowledged_replies - outcome["replies_stored"]
        print(f"  replies acknowledged {acknowledged_replies}, stored {outcome['replies_stored']} (lost {lost}), "
              f"thread reply_count {outcome['reply_count']}, scores match votes: {outcome['scores_match_votes']}")
        ok = lost == 0 and outcome["reply_count"] == outcome["replies_stored"] and outcome["scores_match_votes"]
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
