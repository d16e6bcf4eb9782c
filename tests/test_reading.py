"""Ranking and reading long threads: front-page orders, reply orders, folding, cut branches, pages, new replies."""
import random
import re
from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from board.extensions import db
from board.limits import DEFAULT_LIMITS
from board.models import Post, Thread, User, utcnow
from board.ranking import CONTINUE_DEPTH, SORT_KEYS, sort_siblings, wilson_lower_bound

from .conftest import statements_for
from .factories import make_reply, make_thread, make_user
from .test_query_budget import grow_thread


def age(app, thread, hours: float, score: int = 0, active_hours: float | None = None) -> None:
    with app.app_context():
        record = db.session.get(Thread, thread.id)
        record.created_at = utcnow() - timedelta(hours=hours)
        record.last_activity_at = utcnow() - timedelta(hours=hours if active_hours is None else active_hours)
        db.session.get(Post, thread.opening_post.id).score = score
        db.session.commit()


def in_order(page: str, titles) -> list[str]:
    return sorted((title for title in titles if title in page), key=page.index)


def set_votes(app, post, up: int, down: int) -> None:
    with app.app_context():
        record = db.session.get(Post, post.id)
        record.upvotes, record.downvotes, record.score = up, down, up - down
        db.session.commit()


def post_ids(page: str) -> list[int]:
    return [int(number) for number in re.findall(r'<article class="post[^"]*"\s+id="post-(\d+)"', page)]


# Front page -----------------------------------------------------------------------------------------------------------

@pytest.fixture
def aged_threads(app):
    author = make_user(app)
    threads = {}
    for title, hours, score, active in (("Fresh take", 2, 1, 30 * 24), ("Midweek", 72, 5, 1), ("Last month", 20 * 24, 10, 3),
                                        ("Long ago", 60 * 24, 50, 2)):
        threads[title] = make_thread(app, author, title)
        age(app, threads[title], hours, score, active)
    return threads


@pytest.mark.parametrize("period, expected", [
    ("day", ["Fresh take"]),
    ("week", ["Midweek", "Fresh take"]),
    ("month", ["Last month", "Midweek", "Fresh take"]),
    ("all", ["Long ago", "Last month", "Midweek", "Fresh take"]),
])
def test_top_counts_threads_started_within_the_period(client, aged_threads, period, expected):
    page = client.get(f"/?sort=top&t={period}").get_data(as_text=True)
    assert in_order(page, aged_threads) == expected
    assert re.search(rf'<a href="/\?sort=top&amp;t={period}" aria-current="page">', page)


def test_top_without_a_period_is_all_time_and_offers_the_periods(client, aged_threads):
    page = client.get("/?sort=top").get_data(as_text=True)
    assert in_order(page, aged_threads) == ["Long ago", "Last month", "Midweek", "Fresh take"]
    assert 'aria-label="Top threads of"' in page and "This month</a>" in page
    assert 'aria-label="Top threads of"' not in client.get("/?sort=new").get_data(as_text=True)


def test_active_puts_the_latest_reply_first(client, aged_threads):
    page = client.get("/?sort=active").get_data(as_text=True)
    assert in_order(page, aged_threads) == ["Midweek", "Long ago", "Last month", "Fresh take"]
    assert '<a href="/?sort=active" aria-current="page">Active</a>' in page


def test_hot_keeps_an_old_downvoted_thread_under_a_new_downvoted_one(app, client):
    author = make_user(app)
    old, new, fresh = (make_thread(app, author, title) for title in ("Old flop", "New flop", "Fresh"))
    age(app, old, hours=200, score=-5)
    age(app, new, hours=1, score=-5)
    age(app, fresh, hours=1, score=0)
    assert in_order(client.get("/").get_data(as_text=True), ["Old flop", "New flop", "Fresh"]) == ["Fresh", "New flop", "Old flop"]


@pytest.mark.parametrize("query", ["sort=best", "sort=top&t=year", "sort=top&t=", "sort="])
def test_unknown_front_page_orders_are_400(client, query):
    assert client.get(f"/?{query}").status_code == 400


# Wilson bound and sibling order ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("up, down, expected", [
    (0, 0, 0.0), (1, 0, 0.2065), (5, 0, 0.5655), (10, 0, 0.7225), (9, 1, 0.5958), (1, 1, 0.0945), (600, 400, 0.5693),
])
def test_wilson_lower_bound_at_95_percent(up, down, expected):
    assert wilson_lower_bound(up, down) == pytest.approx(expected, abs=5e-5)


def test_more_votes_mean_more_confidence():
    assert wilson_lower_bound(9, 1) > wilson_lower_bound(1, 0) > wilson_lower_bound(0, 0)
    assert abs(wilson_lower_bound(0, 1)) < 1e-12


def random_tree(size: int, seed: int = 3):
    """Fake posts with paths, in path order, up to depth 8."""
    rng = random.Random(seed)
    root = SimpleNamespace(id=1, parent_id=None, depth=0, path=Post.path_segment(1), upvotes=0, downvotes=0)
    posts = [root]
    for number in range(2, size + 2):
        parent = rng.choice([post for post in posts if post.depth < 8])
        posts.append(SimpleNamespace(id=number, parent_id=parent.id, depth=parent.depth + 1,
                                     path=parent.path + Post.path_segment(number),
                                     upvotes=rng.randint(0, 9), downvotes=rng.randint(0, 9)))
    return sorted(posts, key=lambda post: post.path)


@pytest.mark.parametrize("sort", ["best", "new", "old"])
def test_sorting_siblings_keeps_every_subtree_together(sort):
    posts = random_tree(600)
    ordered = sort_siblings(posts[1:], sort)
    assert sorted(post.id for post in ordered) == sorted(post.id for post in posts[1:])
    position = {post.id: index for index, post in enumerate(ordered)}
    for index, post in enumerate(ordered):
        subtree = [other for other in ordered if other.path.startswith(post.path)]
        assert sorted(position[other.id] for other in subtree) == list(range(index, index + len(subtree)))
    siblings = {}
    for post in ordered:
        siblings.setdefault(post.parent_id, []).append(post)
    for group in siblings.values():
        assert group == sorted(group, key=SORT_KEYS[sort])


def test_a_chain_as_deep_as_replies_go_needs_no_recursion():
    chain, path = [], ""
    for number in range(1, 10):
        path += Post.path_segment(number)
        chain.append(SimpleNamespace(id=number, parent_id=number - 1 or None, depth=number - 1, path=path, upvotes=0, downvotes=0))
    assert [post.id for post in sort_siblings(chain, "new")] == list(range(1, 10))


# Reply orders on the thread page --------------------------------------------------------------------------------------

@pytest.fixture
def voted(app):
    """Three top-level replies with votes, the first with two replies of its own."""
    author, replier = make_user(app, "author"), make_user(app, "replier")
    thread = make_thread(app, author, "Votes")
    lukewarm, loved, new = (make_reply(app, thread.opening_post, replier, f"Top {n}") for n in range(3))
    under = [make_reply(app, lukewarm, author, f"Under {n}") for n in range(2)]
    set_votes(app, lukewarm, 1, 0)
    set_votes(app, loved, 9, 1)
    set_votes(app, under[1], 3, 0)
    return SimpleNamespace(thread=thread, lukewarm=lukewarm, loved=loved, new=new, under=under, author=author,
                           replier=replier)


@pytest.mark.parametrize("query, order", [
    ("", ["opening", "loved", "lukewarm", "under1", "under0", "new"]),
    ("?sort=best", ["opening", "loved", "lukewarm", "under1", "under0", "new"]),
    ("?sort=new", ["opening", "new", "loved", "lukewarm", "under1", "under0"]),
    ("?sort=old", ["opening", "lukewarm", "under0", "under1", "loved", "new"]),
])
def test_replies_sort_by_best_new_old_with_subtrees_together(client, voted, query, order):
    names = {voted.thread.opening_post.id: "opening", voted.lukewarm.id: "lukewarm", voted.loved.id: "loved",
             voted.new.id: "new", voted.under[0].id: "under0", voted.under[1].id: "under1"}
    page = client.get(f"/threads/{voted.thread.id}{query}").get_data(as_text=True)
    assert [names[post_id] for post_id in post_ids(page)] == order
    current = (query.removeprefix("?sort=") or "best").capitalize()
    assert re.search(rf'aria-current="page">{current}</a>', page)


def test_an_unknown_reply_order_is_400(client, voted):
    assert client.get(f"/threads/{voted.thread.id}?sort=top").status_code == 400


# Folding subtrees -----------------------------------------------------------------------------------------------------

class Nesting(HTMLParser):
    """Checks that ol, li, details and summary open and close in order, and where a subtree's <details> sits."""

    TAGS = {"ol", "li", "details", "summary"}

    def __init__(self):
        super().__init__()
        self.stack, self.subtrees = [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.TAGS:
            attrs = dict(attrs)
            if tag == "details" and "subtree" in (attrs.get("class") or ""):
                self.subtrees.append(self.stack[-1][0])
                assert "open" in attrs
            if tag == "ol" and self.stack and self.stack[-1][1] == "subtree":
                assert attrs["id"].startswith("replies-")
            self.stack.append((tag, (attrs.get("class") or "").split(" ")[0]))

    def handle_endtag(self, tag):
        if tag in self.TAGS:
            assert self.stack and self.stack[-1][0] == tag, f"</{tag}> closes {self.stack[-1:]}"
            self.stack.pop()


def test_each_reply_with_replies_folds_them_in_details_and_the_markup_nests(app, client, voted):
    deeper = make_reply(app, voted.under[0], voted.replier, "Deeper")
    page = client.get(f"/threads/{voted.thread.id}").get_data(as_text=True)
    checker = Nesting()
    checker.feed(page)
    assert checker.stack == []
    assert checker.subtrees == ["li", "li"]  # the lukewarm reply and under0, each in its own <li>
    assert page.count('<details class="subtree" open>') == 2
    for tag in ("ol", "li", "details"):
        assert len(re.findall(rf"<{tag}[\s>]", page)) == page.count(f"</{tag}>")
    # the summary counts every reply shown under it; the reply itself stays outside its details
    fold = re.search(r'id="post-%d".*?<summary>(.*?)</summary>\s*<ol class="replies" id="replies-%d">'
                     % (voted.lukewarm.id, voted.lukewarm.id), page, re.S)
    assert re.sub(r"<[^>]+>", " ", fold.group(1)).split() == ["Hide", "Show", "3", "replies"]
    assert f'id="post-{deeper.id}"' in page


def test_a_new_reply_lands_in_its_parents_list_inside_the_fold(app, client, voted):
    client.log_in(voted.replier)
    response = client.submit(f"/posts/{voted.lukewarm.id}/reply", {"body": "In the fold"}, htmx=True)
    assert response.status_code == 200 and response.get_data(as_text=True).strip().startswith('<li class="reply"')
    page = client.get(f"/threads/{voted.thread.id}").get_data(as_text=True)
    assert re.search(r'<summary>.*?3 replies</summary>\s*<ol class="replies" id="replies-%d">' % voted.lukewarm.id, page, re.S)


# Continue this thread -------------------------------------------------------------------------------------------------

@pytest.fixture
def deep(app):
    """A chain of replies as deep as they go (8), plus a second top-level reply."""
    author, replier = make_user(app, "author"), make_user(app, "replier")
    thread = make_thread(app, author, "Deep")
    chain, parent = [], thread.opening_post
    for level in range(1, 9):
        parent = make_reply(app, parent, replier if level % 2 else author, f"Level {level}")
        chain.append(parent)
    other = make_reply(app, thread.opening_post, replier, "Another branch")
    return SimpleNamespace(thread=thread, chain=chain, other=other, author=author, replier=replier)


def test_a_branch_deeper_than_the_limit_continues_on_its_own_page(client, deep):
    page = client.get(f"/threads/{deep.thread.id}").get_data(as_text=True)
    cut = deep.chain[CONTINUE_DEPTH - 1]
    shown = post_ids(page)
    assert [post.id for post in deep.chain[:CONTINUE_DEPTH]] == shown[1:CONTINUE_DEPTH + 1]
    assert all(post.id not in shown for post in deep.chain[CONTINUE_DEPTH:])
    link = f'/threads/{deep.thread.id}/posts/{cut.id}'
    assert page.count('class="continue-thread"') == 1 and f'href="{link}">Continue this thread' in page
    checker = Nesting()
    checker.feed(page)
    assert checker.stack == []

    focused = client.get(link).get_data(as_text=True)
    assert post_ids(focused) == [post.id for post in deep.chain[CONTINUE_DEPTH - 1:]]
    assert deep.other.id not in post_ids(focused)
    assert f'id="replies-{cut.id}"' in focused and "The whole thread" in focused
    assert f'href="/posts/{deep.chain[CONTINUE_DEPTH - 2].id}"' in focused  # up to the reply it answers
    checker = Nesting()
    checker.feed(focused)
    assert checker.stack == []


def test_focused_view_edge_cases(app, client, deep):
    assert client.get(f"/threads/{deep.thread.id}/posts/{deep.thread.opening_post.id}").status_code == 302
    elsewhere = make_thread(app, deep.author, "Elsewhere")
    assert client.get(f"/threads/{elsewhere.id}/posts/{deep.chain[2].id}").status_code == 404
    assert client.get(f"/threads/{deep.thread.id}/posts/999999").status_code == 404
    assert client.get(f"/threads/{deep.thread.id}/posts/{deep.chain[0].id}?sort=worst").status_code == 400
    focused = client.get(f"/threads/{deep.thread.id}/posts/{deep.chain[0].id}").get_data(as_text=True)
    # focusing on a reply shows CONTINUE_DEPTH levels below it: the rest of this chain fits
    assert post_ids(focused) == [post.id for post in deep.chain[:CONTINUE_DEPTH + 1]]


def test_links_to_deep_replies_go_to_the_focused_view(client, deep):
    deepest = deep.chain[-1]
    response = client.get(f"/posts/{deepest.id}")
    cut = deep.chain[CONTINUE_DEPTH - 1]
    assert response.status_code == 302
    assert response.headers["Location"] == f"/threads/{deep.thread.id}/posts/{cut.id}#post-{deepest.id}"
    client.log_in(deep.replier)  # the deepest reply is the author's
    vote = client.submit(f"/posts/{deepest.id}/vote", {"direction": "up"})
    assert vote.headers["Location"] == f"/threads/{deep.thread.id}/posts/{cut.id}#post-{deepest.id}"


# Pages of top-level replies -------------------------------------------------------------------------------------------

@pytest.fixture
def long_thread(app):
    """Seven top-level replies, three a page; the fifth has a reply of its own."""
    app.config["TOP_REPLIES_PER_PAGE"] = 3
    author, replier = make_user(app, "author"), make_user(app, "replier")
    thread = make_thread(app, author, "Long")
    tops = [make_reply(app, thread.opening_post, replier, f"Top {n}") for n in range(7)]
    nested = make_reply(app, tops[4], author, "Nested on page two")
    return SimpleNamespace(thread=thread, tops=tops, nested=nested, author=author, replier=replier)


def test_long_threads_paginate_by_top_level_reply(client, long_thread):
    url = f"/threads/{long_thread.thread.id}"
    first, second, third = (client.get(f"{url}?page={n}").get_data(as_text=True) for n in (1, 2, 3))
    tops, opening = long_thread.tops, long_thread.thread.opening_post.id
    assert post_ids(first) == [opening] + [post.id for post in tops[:3]]
    assert post_ids(second) == [opening, tops[3].id, tops[4].id, long_thread.nested.id, tops[5].id]
    assert post_ids(third) == [opening, tops[6].id]
    assert "Page 2 of 3" in second and f'href="{url}?page=3&amp;sort=best"' in second
    assert post_ids(client.get(f"{url}?sort=new&page=1").get_data(as_text=True))[1] == tops[6].id
    assert client.get(f"{url}?page=4").status_code == 404
    assert post_ids(client.get(f"{url}?page=abc").get_data(as_text=True)) == post_ids(first)


def test_a_link_to_any_reply_lands_on_the_page_that_holds_it(client, long_thread):
    url = f"/threads/{long_thread.thread.id}"
    assert client.get(f"/posts/{long_thread.nested.id}").headers["Location"] == f"{url}?page=2#post-{long_thread.nested.id}"
    assert client.get(f"/posts/{long_thread.tops[0].id}").headers["Location"] == f"{url}#post-{long_thread.tops[0].id}"
    assert client.get(f"/posts/{long_thread.tops[6].id}").headers["Location"] == f"{url}?page=3#post-{long_thread.tops[6].id}"
    opening = long_thread.thread.opening_post.id
    assert client.get(f"/posts/{opening}").headers["Location"] == f"{url}#post-{opening}"
    assert client.get("/posts/999999").status_code == 404
    page = client.get(f"{url}?page=2").get_data(as_text=True)
    assert f'class="post__permalink" href="/posts/{long_thread.nested.id}"' in page


def test_after_a_reply_or_a_vote_the_redirect_finds_the_page(client, long_thread):
    url = f"/threads/{long_thread.thread.id}"
    client.log_in(long_thread.author)
    reply = client.submit(f"/posts/{long_thread.tops[5].id}/reply", {"body": "Onto page two"})
    assert reply.status_code == 303 and re.fullmatch(rf"{url}\?page=2#post-\d+", reply.headers["Location"])
    new_id = int(reply.headers["Location"].rsplit("-", 1)[1])
    assert new_id in post_ids(client.get(reply.headers["Location"]).get_data(as_text=True))
    # an upvote lifts the seventh reply to the top of the Best order: the redirect follows it to page one
    vote = client.submit(f"/posts/{long_thread.tops[6].id}/vote", {"direction": "up"})
    assert vote.status_code == 303 and vote.headers["Location"] == f"{url}#post-{long_thread.tops[6].id}"
    # a downvote ties its bound (0) with the unvoted replies; net votes break the tie: last place, page three
    nested_vote = client.submit(f"/posts/{long_thread.tops[4].id}/vote", {"direction": "down"})
    assert nested_vote.headers["Location"] == f"{url}?page=3#post-{long_thread.tops[4].id}"


def test_every_permalink_lands_on_the_page_that_shows_it_among_tied_votes(app, client):
    """reply_url counts the replies ranked before a reply in the database: the page it names is the page read_page
    shows the reply on, also where Wilson bounds tie (no votes, or the same votes) and net votes or age decide."""
    app.config["TOP_REPLIES_PER_PAGE"] = 4
    rng = random.Random(11)
    author, replier = make_user(app, "author"), make_user(app, "replier")
    thread = make_thread(app, author, "Ties")
    tops = [make_reply(app, thread.opening_post, replier, f"Top {n}") for n in range(18)]
    for post in tops:
        set_votes(app, post, *rng.choice([(0, 0), (0, 0), (0, 1), (0, 2), (1, 0), (2, 1), (1, 0), (4, 2), (2, 1)]))
    url = f"/threads/{thread.id}"
    pages = {number: post_ids(client.get(f"{url}?page={number}").get_data(as_text=True)) for number in range(1, 6)}
    for post in tops:
        location = client.get(f"/posts/{post.id}").headers["Location"]
        page = int(re.search(r"page=(\d+)", location).group(1)) if "page=" in location else 1
        assert post.id in pages[page], (post.id, location)


def test_a_new_top_level_reply_is_sent_to_the_page_that_shows_it_among_tied_votes(app_factory):
    """A reply's redirect counts its place before the write (board/ranking.py new_reply_url): a new top-level reply,
    unvoted and the newest, lands on the page read_page shows it on, among replies whose votes tie with none. A
    resubmission answered with its first copy, now older than replies written since, is sent to that copy's page."""
    app = app_factory(RATE_LIMITS={name: "1000 per minute" for name in DEFAULT_LIMITS}, TOP_REPLIES_PER_PAGE=3)
    client = app.test_client()
    rng = random.Random(5)
    author, replier = make_user(app, "author"), make_user(app, "replier")
    thread = make_thread(app, author, "Ties")
    for number in range(10):
        set_votes(app, make_reply(app, thread.opening_post, author, f"Top {number}"),
                  *rng.choice([(0, 0), (0, 0), (0, 1), (0, 2), (1, 0), (2, 1), (1, 1)]))
    url, reply_path = f"/threads/{thread.id}", f"/posts/{thread.opening_post.id}/reply"
    client.log_in(replier)

    def shown_on_its_page(response) -> int:
        location = response.headers["Location"]
        new_id = int(location.rsplit("-", 1)[1])
        page = int(re.search(r"page=(\d+)", location).group(1)) if "page=" in location else 1
        assert response.status_code == 303
        assert new_id in post_ids(client.get(f"{url}?page={page}").get_data(as_text=True))
        return page

    pages = [shown_on_its_page(client.submit(reply_path, {"body": f"New {number}"})) for number in range(4)]
    assert pages == sorted(pages) and pages[-1] > pages[0]  # each after the ones before it, onto later pages
    first = client.submit(reply_path, {"body": "Said twice."})
    for number in range(4):
        make_reply(app, thread.opening_post, author, f"Written since {number}")
    again = client.submit(reply_path, {"body": "Said twice."})
    assert again.headers["Location"] == first.headers["Location"]
    assert shown_on_its_page(again) < shown_on_its_page(client.submit(reply_path, {"body": "The newest."}))


# New replies since the page loaded ------------------------------------------------------------------------------------

def new_replies_url(thread, since: int, seen: int = 0) -> str:
    return f"/threads/{thread.id}/new-replies?since={since}&seen={seen}"


def test_the_thread_page_polls_for_new_replies_since_its_newest_post(app, client, voted):
    app.config["NEW_REPLIES_POLL_SECONDS"] = 7
    page = client.get(f"/threads/{voted.thread.id}").get_data(as_text=True)
    newest = max(post_ids(page))
    assert f'hx-get="{new_replies_url(voted.thread, newest).replace("&", "&amp;")}"' in page
    assert 'hx-trigger="every 7s"' in page
    assert re.search(r'<div class="new-replies-region" aria-live="polite">\s*<div class="new-replies" id="new-replies"', page)


def test_nothing_new_is_204_with_or_without_htmx(client, voted):
    url = new_replies_url(voted.thread, voted.under[1].id)
    for response in (client.get(url), client.htmx_get(url)):
        assert response.status_code == 204 and response.get_data() == b""


def test_new_replies_are_announced_with_a_link_to_the_first(app, client, voted):
    since = voted.under[1].id
    first = make_reply(app, voted.loved, voted.author, "One more")
    second = make_reply(app, voted.thread.opening_post, voted.author, "And another")
    response = client.htmx_get(new_replies_url(voted.thread, since))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'href="/posts/{first.id}">2 new replies since you loaded this page — show</a>' in body
    assert f'hx-get="{new_replies_url(voted.thread, since, 2).replace("&", "&amp;")}"' in body
    assert client.htmx_get(new_replies_url(voted.thread, since, 2)).status_code == 204  # unchanged: nothing to swap
    plain = client.get(new_replies_url(voted.thread, since))
    assert plain.status_code == 303 and plain.headers["Location"] == f"/posts/{first.id}"
    assert client.get(plain.headers["Location"]).headers["Location"].endswith(f"#post-{first.id}")
    assert second.id > first.id


def test_hidden_and_deleted_replies_are_not_new(app, client, voted):
    since = voted.under[1].id
    hidden = make_reply(app, voted.loved, voted.author, "Hidden soon")
    deleted = make_reply(app, voted.loved, voted.author, "Deleted soon")
    with app.app_context():
        db.session.get(Post, hidden.id).hide(db.session.get(User, voted.author.id), "test")
        db.session.get(Post, deleted.id).delete()
        db.session.commit()
    assert client.htmx_get(new_replies_url(voted.thread, since)).status_code == 204


def test_new_replies_bad_input(client, voted):
    assert client.get(f"/threads/{voted.thread.id}/new-replies").status_code == 400
    assert client.get(f"/threads/{voted.thread.id}/new-replies?since=abc").status_code == 400
    assert client.get(f"/threads/{voted.thread.id}/new-replies?since={10**20}").status_code == 400
    assert client.get(f"/threads/{voted.thread.id}/new-replies?since=1&seen=-1").status_code == 400
    assert client.get("/threads/999999/new-replies?since=1").status_code == 404


def test_the_new_replies_check_is_one_statement(client, count_queries, voted):
    with count_queries() as counter:
        client.htmx_get(new_replies_url(voted.thread, voted.under[1].id))
    assert counter.count == 1


# Query budgets --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_thread_pages_in_every_order_and_page_run_the_same_statements(app, client, count_queries, viewer):
    app.config["TOP_REPLIES_PER_PAGE"] = 3
    small, large = grow_thread(app, 12), grow_thread(app, 200, seed=11)
    if viewer == "member":
        client.log_in(make_user(app))
    baseline = statements_for(client, count_queries, f"/threads/{small}")
    for thread_id in (small, large):
        for query in ("?sort=best", "?sort=new", "?sort=old&page=2", "?page=2"):
            assert statements_for(client, count_queries, f"/threads/{thread_id}{query}") == baseline


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_the_focused_view_runs_as_many_statements_as_the_thread_page(app, client, count_queries, viewer):
    thread_id = grow_thread(app, 200, seed=5)
    if viewer == "member":
        client.log_in(make_user(app))
    with app.app_context():
        replies = db.session.scalars(db.select(Post).where(Post.thread_id == thread_id, Post.depth >= 1)).all()
        shallow = next(post.id for post in replies if post.depth == 1)
        deepest = max(replies, key=lambda post: post.depth).id
    baseline = statements_for(client, count_queries, f"/threads/{thread_id}")
    for post_id in (shallow, deepest):
        assert statements_for(client, count_queries, f"/threads/{thread_id}/posts/{post_id}") == baseline


@pytest.mark.parametrize("sort", ["active", "top&t=day", "top&t=week", "top&t=month"])
def test_front_page_orders_run_the_same_statements(app, client, count_queries, aged_threads, sort):
    assert statements_for(client, count_queries, f"/?sort={sort}") == statements_for(client, count_queries, "/")
