"""Kept post HTML (board/post_html.py): the thread page reads exactly as if every post were rendered afresh."""
import re

import pytest

from board.models import Role, ViewerState
from board.post_html import PostHtmlCache
from board.ranking import read_page
from board.threads import get_thread_or_404, render_page

from .conftest import dispose, make_test_app
from .factories import make_reply, make_thread, make_user

TOKEN = re.compile(r'(name="csrf_token" value=|"X-CSRFToken": )"([^"]+)"')


@pytest.fixture
def fresh(app, database_url):
    """The same board with no kept post HTML: every post rendered afresh."""
    board = make_test_app(database_url, POST_HTML_CACHE_CHARS=0, PAGE_CACHE_SECONDS=0)
    yield board
    dispose(board)


@pytest.fixture
def board(app):
    """Members, a nested thread with a post in each state, and a locked thread."""
    app.config["PAGE_CACHE_SECONDS"] = 0
    people = {name: make_user(app, name) for name in ("author", "member", "banned")}
    people["moderator"] = make_user(app, "moderator", role=Role.MODERATOR)
    thread = make_thread(app, people["author"], "States")
    posts = [make_reply(app, thread.opening_post, people["author"], "Mine, edited soon.")]
    for number in range(6):
        posts.append(make_reply(app, posts[number // 2], people["member" if number % 2 else "banned"], f"Reply {number}"))
    locked = make_thread(app, people["member"], "Locked")
    make_reply(app, locked.opening_post, people["author"], "Said before the lock.")
    moderator = app.test_client()
    moderator.log_in(people["moderator"])
    author = app.test_client()
    author.log_in(people["author"])
    member = app.test_client()
    member.log_in(people["member"])
    assert author.submit(f"/posts/{posts[0].id}/edit", {"body": "Mine, *edited*."}).status_code == 303
    assert author.submit(f"/posts/{posts[1].id}/vote", {"direction": "up"}).status_code == 303
    assert member.submit(f"/posts/{posts[1].id}/vote", {"direction": "down"}).status_code == 303
    assert moderator.submit(f"/posts/{posts[2].id}/hide", {"reason": "Off <topic>"}).status_code == 303
    assert moderator.submit(f"/posts/{posts[4].id}/spoiler").status_code == 303
    assert moderator.submit(f"/posts/{posts[5].id}/edit", {"body": "Tidied by a moderator."}).status_code == 303
    member.submit(f"/posts/{posts[6].id}/delete")
    assert moderator.submit(f"/threads/{locked.id}/lock").status_code == 303
    assert moderator.submit(f"/members/{people['banned'].id}/ban", {"term": "7", "reason": "Rude"}).status_code == 303
    return {"people": people, "thread": thread, "posts": posts, "locked": locked, "moderator": moderator,
            "author": author, "member": member}


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    tokens = {token for _, token in TOKEN.findall(response.get_data(as_text=True))}
    assert len(tokens) <= 1, tokens  # every form carries the session's own CSRF token
    return TOKEN.sub(r'\1"TOKEN"', response.get_data(as_text=True))


def readers(app, board) -> dict:
    """A visitor, the author of some posts, another member and a moderator (a banned member wrote others)."""
    return {"visitor": app.test_client(), "author": board["author"], "member": board["member"],
            "moderator": board["moderator"]}


def assert_as_fresh(app, fresh, board, clients, url: str) -> str:
    """The page each reader gets, twice (the second from kept HTML), is the page rendered afresh for them."""
    for name, client in clients.items():
        client.get("/login")  # shows (and ends) any message left from the last action
        first, second = page(client, url), page(client, url)
        again = fresh.test_client()  # the same session, on the board that keeps nothing
        session = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        if session:
            again.set_cookie(session.key, session.value)
        expected = page(again, url)
        assert first == expected, name
        assert second == expected, name
    return page(clients["member"], url)


@pytest.mark.parametrize("url", ["/threads/{thread}", "/threads/{thread}?sort=new", "/threads/{locked}",
                                 "/threads/{thread}/posts/{branch}"])
def test_kept_post_html_is_what_each_reader_would_get_afresh(app, fresh, board, url):
    url = url.format(thread=board["thread"].id, locked=board["locked"].id, branch=board["posts"][1].id)
    assert_as_fresh(app, fresh, board, readers(app, board), url)


def test_a_change_to_a_post_or_its_thread_shows_at_once(app, fresh, board):
    clients = readers(app, board)
    url, posts, moderator = f"/threads/{board['thread'].id}", board["posts"], board["moderator"]
    opening = board["thread"].opening_post
    assert_as_fresh(app, fresh, board, clients, url)
    changes = [  # (who acts, how, the post whose HTML changes, who reads it, what they now read in it)
        (board["author"], f"/posts/{posts[4].id}/vote", {"direction": "up"}, posts[4], "member", '"vote__score">1 point<'),
        (board["member"], f"/posts/{posts[4].id}/edit", {"body": "Changed my mind."}, posts[4], "visitor",
         "Changed my mind."),
        (moderator, f"/posts/{posts[3].id}/hide", {"reason": "Spoils the end"}, posts[3], "member",
         "<bdi>Spoils the end</bdi>"),
        (moderator, f"/posts/{posts[2].id}/unhide", {}, posts[2], "visitor", "Reply 1"),
        (board["member"], f"/posts/{posts[4].id}/delete", {}, posts[4], "member", ">[deleted]</p>"),
        (moderator, f"/posts/{posts[0].id}/spoiler", {}, posts[0], "visitor", "marked this post as a spoiler"),
        # The opening post is kept too (board/post_html.py opening_post_html).
        (board["member"], f"/posts/{opening.id}/vote", {"direction": "up"}, opening, "visitor", '"vote__score">1 point<'),
        (board["author"], f"/posts/{opening.id}/edit", {"body": "An opening, *edited*.", "title": "States"}, opening, "member",
         "An opening, <em>edited</em>."),
        (moderator, f"/posts/{opening.id}/spoiler", {}, opening, "author", "marked this post as a spoiler"),
        (moderator, f"/threads/{board['thread'].id}/lock", {}, posts[0], "member", '<p class="vote"><span'),
    ]
    for client, action, data, post, reader, shown in changes:
        assert shown not in article(page(clients[reader], url), post.id), action
        assert client.submit(action, data).status_code == 303, action
        assert_as_fresh(app, fresh, board, clients, url)
        assert shown in article(page(clients[reader], url), post.id), action


def test_the_opening_post_and_the_reply_box_are_kept_and_each_member_gets_their_own_token(app, board):
    """A thread page's opening post and the reply box at its end are kept like its replies: a second read of the
    page renders nothing new, and the kept reply box carries each member's own CSRF token (page() checks a page
    has one token only)."""
    kept, url = app.extensions["post_html"], f"/threads/{board['thread'].id}"
    clients = readers(app, board)
    for client in clients.values():
        page(client, url)
    keys = set(kept._entries)
    assert any(key[0] == "opening" for key in keys)
    assert any(key[0] == "end reply form" for key in keys)
    tokens = set()
    for name, client in clients.items():
        html = page(client, url)
        assert set(kept._entries) == keys, name  # every part of the page came from what was kept
        if name != "visitor":
            form = client.get(url).get_data(as_text=True).split('<div class="join"', 1)[1]
            tokens.add(TOKEN.search(form).group(2))
    assert len(tokens) == 3  # the author's, the member's and the moderator's own


def article(html: str, post_id: int) -> str:
    return html.split(f'id="post-{post_id}"', 1)[1].split("</article>", 1)[0]


def test_kept_html_stays_within_its_character_budget():
    kept = PostHtmlCache(max_chars=10)
    kept.put("a", "<p>a</p>")
    kept.put("b", "<p>b</p>")  # 16 characters in all: the least recently read goes
    assert kept.get("a") is None and kept.get("b") == "<p>b</p>" and kept.chars == 8
    kept.put("b", "<p>bb</p>")  # a new rendering of the same key replaces the old one, counted once
    assert kept.chars == 9


def test_urls_remembered_for_a_page_are_url_fors_own_for_each_script_root_and_host(app):
    """The page's links around the posts are built once per process (board/templating.py remembered_url)."""
    from flask import url_for

    from board.templating import url_for_by_pattern

    cases = [("threads.index", {"sort": "new"}), ("auth.login", {"next": "/threads/3?page=2"}),
             ("auth.login", {"next": None}), ("threads.show", {"thread_id": 3, "sort": "old", "_anchor": "replies"}),
             ("threads.show", {"thread_id": 3, "_external": True}), ("members.profile", {"name": "zoë"}),
             ("reading.new_replies", {"thread_id": 1, "since": 5, "seen": 0}), ("static", {"filename": "app.css"}),
             ("static", {"filename": "no-such-file.css"})]
    for base_url in ("http://localhost/", "http://localhost/board/", "http://127.0.0.1:8000/board/"):
        with app.test_request_context("/", base_url=base_url):
            for endpoint, values in cases * 2:  # built, then remembered
                assert url_for_by_pattern(endpoint, **values) == url_for(endpoint, **values)


def test_a_thread_page_with_its_walk_apart_reads_as_the_page_rendered_whole(app, board):
    """The replies, kept and joined as UTF-8, go into the encoded page where the template wrote them
    (board/post_html.py put_walk_back): the page is the one Jinja renders with the walk in place."""
    for sort in ("best", "new"):
        url = f"/threads/{board['thread'].id}?sort={sort}"
        served = app.test_client().get(url)
        assert served.status_code == 200
        with app.test_request_context(url):
            thread = get_thread_or_404(board["thread"].id)
            reading = read_page(thread, sort)
            whole = render_page("threads/show.html", thread, reading, ViewerState(), {})
        assert 'id="post-' in whole
        assert served.get_data(as_text=True) == whole
