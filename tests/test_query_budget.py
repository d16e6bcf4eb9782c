"""The number of SQL statements a page runs does not grow with the number of posts or threads on it."""
import random
import re

import pytest
from sqlalchemy import event

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


def test_a_members_thread_page_from_the_shared_copy_runs_two_statements_for_5_and_200_replies(
        app, client, other_client, count_queries):
    """Kept once for every member (board/member_pages.py): another member's visit renders it, this member's page is
    filled in from it — their own row (the ban check) and their choices on the page, whatever the thread's length."""
    small, large = grow_thread(app, 5), grow_thread(app, 200)
    client.log_in(make_user(app))
    other_client.log_in(make_user(app))
    counts = []
    for thread_id in (small, large):
        other_client.get(f"/threads/{thread_id}")
        other_client.get(f"/threads/{thread_id}")  # (the first after logging in shows a message: not kept)
        client.get(f"/threads/{thread_id}")
        with count_queries() as counter:
            assert client.get(f"/threads/{thread_id}").status_code == 200
        counts.append(counter.count)
    assert counts == [2, 2]


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



def bulk_thread(app, replies: int, seed: int) -> int:
    """A thread of `replies` replies in a random tree (each reply's row as Post.add_reply writes it), inserted in one
    batch: a thousand add_reply calls take half a minute. A third of the replies are top-level."""
    rng = random.Random(seed)
    author_id = make_user(app).id
    with app.app_context():
        thread = Thread.start(db.session.get(User, author_id), Film.find_or_create("Playtime", 1967), "Long", "Essay.", False)
        db.session.flush()
        opening = thread.opening_post
        first_id = db.session.scalar(db.select(db.func.max(Post.id))) + 1
        rows, paths, depths = [], {opening.id: opening.path}, {opening.id: 0}
        for post_id in range(first_id, first_id + replies):
            parent_id = opening.id if rng.random() < 0.33 else rng.choice(list(paths))
            if depths[parent_id] >= MAX_DEPTH:
                parent_id = opening.id
            paths[post_id], depths[post_id] = paths[parent_id] + Post.path_segment(post_id), depths[parent_id] + 1
            votes = rng.randint(0, 3), rng.randint(0, 2)
            rows.append({"id": post_id, "thread_id": thread.id, "parent_id": parent_id, "author_id": author_id,
                         "depth": depths[post_id], "path": paths[post_id], "body_source": f"Reply {post_id}",
                         "body_html": f"<p>Reply {post_id}</p>", "upvotes": votes[0], "downvotes": votes[1],
                         "score": votes[0] - votes[1]})
        db.session.execute(db.insert(Post), rows)
        thread.reply_count = replies
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # ids were given: the sequence moves past them
            db.session.execute(db.text("SELECT setval(pg_get_serial_sequence('posts', 'id'), (SELECT max(id) FROM posts))"))
            db.session.commit()
        return thread.id


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_a_thread_page_of_1000_replies_runs_the_statements_of_one_of_200(app, client, count_queries, viewer):
    app.config["TOP_REPLIES_PER_PAGE"] = 20
    short, long = bulk_thread(app, 200, seed=3), bulk_thread(app, 1000, seed=4)
    if viewer == "member":
        client.log_in(make_user(app))
    for query in ("", "?sort=new", "?sort=old&page=2"):
        counts = [statements_for(client, count_queries, f"/threads/{thread_id}{query}") for thread_id in (short, long)]
        assert counts == [THREAD_PAGE_BUDGET[viewer]] * 2


@pytest.mark.parametrize("sort", ["best", "new", "old"])
def test_a_thread_page_loads_only_the_posts_it_shows(app, client, sort):
    """The SELECT reads the page's posts (down to the cut), not the thread: counted as the post rows (with a path)
    every SELECT answered, through the ORM or on the connection (the opening post, with the thread, and the page's
    rows), each read again with the same values on the same connection, so the page's own read is left whole."""
    app.config["TOP_REPLIES_PER_PAGE"] = 10
    thread_id = bulk_thread(app, 1000, seed=9)
    loaded = []

    def read_rows(connection, statement, multiparams, params, _options, _result):
        if connection.info.get("reading again") or not getattr(statement, "is_select", False):
            return
        connection.info["reading again"] = True
        try:
            rows = connection.execute(statement, *(multiparams or [params])).mappings().all()
        finally:
            connection.info["reading again"] = False
        loaded.extend(row["id"] for row in rows if "path" in row)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_execute", read_rows)
    try:
        page = client.get(f"/threads/{thread_id}?sort={sort}&page=2").get_data(as_text=True)
    finally:
        event.remove(engine, "after_execute", read_rows)
    shown = set(map(int, re.findall(r'<article class="post[^"]*"\s+id="post-(\d+)"', page)))
    assert 10 < len(shown) < 300 and "Page 2 of" in page
    assert sorted(loaded) == sorted(shown)  # the opening post (with the thread) and the page's replies, each once


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_a_thread_page_builds_no_post_object_per_reply_once_its_replies_were_rendered(app, client, viewer):
    """The page's replies come as plain rows and their kept HTML: a Post object is made only for the opening post
    (with the thread) and for a reply in a state not rendered before — none on the second reading."""
    app.config["PAGE_CACHE_SECONDS"] = 0
    thread_id = grow_thread(app, 40)
    if viewer == "member":
        client.log_in(make_user(app))
    made = []

    def record(post, *_args):
        made.append(post)

    first = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    event.listen(Post, "load", record)
    event.listen(Post, "init", record)
    try:
        second = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    finally:
        event.remove(Post, "load", record)
        event.remove(Post, "init", record)
    assert second.count('<li class="reply"') == first.count('<li class="reply"') > 30
    assert len(made) == 1 and made[0].parent_id is None
