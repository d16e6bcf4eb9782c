"""The number of SQL statements a page runs does not grow with the number of posts or threads on it."""
import random

import pytest

from board.extensions import db
from board.models import MAX_DEPTH, Film, Post, Thread, User

from .conftest import statements_for
from .factories import make_user

THREAD_PAGE_BUDGET = {"anonymous": 2, "member": 4}  # visitor: thread, tree. member: + session user, their votes
FRONT_PAGE_BUDGET = {"anonymous": 2, "member": 3}  # count + page of threads (+ session user)


def grow_thread(app, replies: int, seed: int = 7) -> int:
    """A thread with `replies` replies spread over a random tree, some voted on, one hidden."""
    rng = random.Random(seed)
    member_ids = [make_user(app).id for _ in range(5)]
    with app.app_context():
        members = [db.session.get(User, member_id) for member_id in member_ids]
        thread = Thread.start(members[0], Film.find_or_create("Playtime", 1967), "Budget", "Essay.", False)
        posts = [thread.opening_post]
        for number in range(replies):
            parent = rng.choice(posts)
            posts.append(parent.add_reply(rng.choice(members), f"Reply {number} to {parent.id}"))
        for post in posts[1::3]:
            post.vote(members[1], 1) if post.author_id != members[1].id else None
        posts[-1].hidden = True
        db.session.commit()
        assert max(post.depth for post in posts) <= MAX_DEPTH
        return thread.id


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_thread_page_runs_the_same_few_statements_for_5_and_200_replies(app, client, count_queries, viewer):
    small, large = grow_thread(app, 5), grow_thread(app, 200)
    if viewer == "member":
        client.log_in(make_user(app))
    counts = [statements_for(client, count_queries, f"/threads/{thread_id}") for thread_id in (small, large)]
    assert counts == [THREAD_PAGE_BUDGET[viewer]] * 2
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id)).where(Post.thread_id == large)) == 201


def add_threads(app, author_ids, until: int) -> None:
    with app.app_context():
        authors = [db.session.get(User, author_id) for author_id in author_ids]
        films = [Film.find_or_create(f"Film {n}", 2000 + n) for n in range(4)]
        number = db.session.scalar(db.select(db.func.count(Thread.id)))
        for number in range(number, until):
            Thread.start(authors[number % 3], films[number % 4], f"Thread {number}", "Body", number % 2 == 0)
        db.session.commit()


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_front_page_runs_the_same_few_statements_for_5_and_100_threads(app, client, count_queries, viewer):
    app.config["THREADS_PER_PAGE"] = 100
    if viewer == "member":
        client.log_in(make_user(app))
    author_ids = [make_user(app).id for _ in range(3)]
    counts = []
    for total in (5, 100):
        add_threads(app, author_ids, total)
        for sort in ("hot", "new", "top"):
            page = client.get(f"/?sort={sort}").get_data(as_text=True)
            assert page.count('<li class="thread-row') == total
            counts.append(statements_for(client, count_queries, f"/?sort={sort}"))
    assert counts == [FRONT_PAGE_BUDGET[viewer]] * 6
