"""Concurrent writers: 16 members reply as fast as they can, half in one shared thread, half each in their own.

Each client is a thread with its own kept-alive connection, its own login and CSRF token, and posts plain
forms (a 303 acknowledges a reply). Afterwards the database must hold exactly the acknowledged replies.
"""
import http.client
import threading
import time
from collections import Counter

from sqlalchemy import create_engine, func, select

from board.models import Post, Thread, User
from board.settings import normalise_database_url

from .dataset import Landmarks
from .load import HOST, log_in


def writer_plan(landmarks: Landmarks) -> list[tuple[str, int]]:
    """(member, thread) per client: the first half share one thread, the others each have their own."""
    half = len(landmarks.writers) // 2
    threads = [landmarks.shared_thread] * half + landmarks.own_threads[: len(landmarks.writers) - half]
    return list(zip(landmarks.writers, threads))


def count_replies(engine, member_names: list[str], thread_ids: list[int]) -> tuple[int, dict]:
    """Replies written by these members, and each thread's stored reply_count beside its real number of replies."""
    with engine.connect() as connection:
        members = select(User.id).where(User.username.in_(member_names))
        written = connection.scalar(select(func.count()).select_from(Post).where(Post.author_id.in_(members)))
        counters = {}
        for thread_id in set(thread_ids):
            stored = connection.scalar(select(Thread.reply_count).where(Thread.id == thread_id))
            actual = connection.scalar(
                select(func.count()).select_from(Post).where(Post.thread_id == thread_id, Post.parent_id.is_not(None))
            )
            counters[thread_id] = (stored, actual)
    return written, counters


def parents_in(engine, thread_id: int) -> list[int]:
    """The thread's posts open to replies (hidden and deleted ones answer 403, rightly)."""
    with engine.connect() as connection:
        return list(connection.scalars(
            select(Post.id).where(Post.thread_id == thread_id, Post.hidden.is_(False), Post.deleted.is_(False))
            .order_by(Post.id)
        ))


def run(port: int, database_url: str, landmarks: Landmarks, seconds: float) -> dict:
    engine = create_engine(normalise_database_url(database_url))
    plan = writer_plan(landmarks)
    names = [name for name, _ in plan]
    thread_ids = [thread for _, thread in plan]
    parents = {thread: parents_in(engine, thread) for thread in set(thread_ids)}
    members = [log_in(port, name, landmarks.password) for name in names]
    before, _ = count_replies(engine, names, thread_ids)

    acknowledged, statuses, failures = Counter(), Counter(), []
    lock = threading.Lock()
    start = threading.Barrier(len(plan) + 1)
    deadline = [0.0]

    def client(index: int) -> None:
        member, thread_id = members[index], plan[index][1]
        targets = parents[thread_id]
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        sent = 0
        start.wait()
        while time.monotonic() < deadline[0]:
            sent += 1
            parent = targets[(index * 7 + sent) % len(targets)]
            body = f"Concurrent writer {index} reply {sent}: the score swells just as the train leaves the station."
            try:
                reply = member.post_form(port, f"/posts/{parent}/reply", {"body": body}, connection=connection)
                status = reply.status
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
            with lock:
                statuses[status] += 1
                if status == 303:
                    acknowledged[index] += 1
                elif len(failures) < 5:
                    failures.append(f"writer {index}: {status}")
        connection.close()

    workers = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(len(plan))]
    for worker in workers:
        worker.start()
    deadline[0] = time.monotonic() + seconds
    began = time.monotonic()
    start.wait()
    for worker in workers:
        worker.join(timeout=seconds + 60)
    elapsed = time.monotonic() - began

    after, counters = count_replies(engine, names, thread_ids)
    engine.dispose()
    total_acknowledged = sum(acknowledged.values())
    stored = after - before
    errors = sum(count for status, count in statuses.items() if status != 303)
    inconsistent = {thread: pair for thread, pair in counters.items() if pair[0] != pair[1]}
    return {
        "clients": len(plan),
        "seconds": round(elapsed, 1),
        "acknowledged": total_acknowledged,
        "stored": stored,
        "lost": total_acknowledged - stored,
        "errors": errors,
        "statuses": {str(status): count for status, count in statuses.items()},
        "failures": failures,
        "replies_per_second": round(total_acknowledged / elapsed, 1),
        "shared_thread_replies": sum(acknowledged[i] for i, (_, t) in enumerate(plan) if t == landmarks.shared_thread),
        "reply_counts_consistent": not inconsistent,
        "inconsistent_reply_counts": {str(thread): list(pair) for thread, pair in inconsistent.items()},
    }
