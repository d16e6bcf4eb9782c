"""Mentions as links, grouped notifications, follow and mute, block, bookmarks (issue #11): each path with and without
htmx, the rules on who may, the page cache and the thread page's statement count."""
import re

import pytest

from board.extensions import db
from board.models import Block, Bookmark, Notification, Post, ThreadSubscription, User

from .conftest import statements_for
from .factories import fetch, make_reply, make_thread, make_user
from .test_query_budget import THREAD_PAGE_BUDGET


@pytest.fixture
def board(app):
    author, replier, reader = make_user(app, "author"), make_user(app, "replier"), make_user(app, "reader")
    thread = make_thread(app, author, "Past Lives and In-yun", film=("Past Lives", 2023))
    return {"author": author, "replier": replier, "reader": reader, "thread": thread}


def newest_post(app) -> Post:
    with app.app_context():
        return db.session.scalar(db.select(Post).order_by(Post.id.desc()).limit(1))


def reply(client, post_id: int, body: str, htmx: bool = False):
    response = client.submit(f"/posts/{post_id}/reply", {"body": body}, htmx=htmx)
    assert response.status_code == (200 if htmx else 303), response.get_data(as_text=True)[:300]
    return response


def topics_of(app, member) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Notification.kind, Notification.topic).where(Notification.recipient_id == member.id)
            .order_by(Notification.id)
        )
        return [tuple(row) for row in rows]


# Mentions -------------------------------------------------------------------------------------------------------------

def test_a_mention_of_a_member_links_to_their_profile_when_written(app, client, board):
    client.log_in(board["replier"])
    reply(client, board["thread"].opening_post.id, "Ask @Reader, not @nobody_here, and `@reader` or [@reader](https://x.org).")
    html = newest_post(app).body_html
    assert '<a href="/u/reader" class="mention">@reader</a>' in html
    assert "@nobody_here" in html and 'href="/u/nobody_here"' not in html
    assert "<code>@reader</code>" in html and '<a href="https://x.org" rel="nofollow ugc noopener">@reader</a>' in html
    page = client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert '<a href="/u/reader" class="mention">@reader</a>' in page


def test_a_member_cannot_forge_a_mention_link(app, client, board):
    client.log_in(board["replier"])
    reply(client, board["thread"].opening_post.id, '[evil](/u/reader) <a class="mention" href="/u/reader">x</a>')
    html = newest_post(app).body_html
    assert 'class="mention"' not in html and 'href="/u/reader"' not in html


def test_a_bio_links_its_mentions_too(app, client, board):
    client.log_in(board["reader"])
    assert client.submit("/u/reader/bio", {"bio": "Friends with @author."}).status_code == 303
    assert '<a href="/u/author" class="mention">@author</a>' in fetch(app, User, board["reader"].id).bio_html


@pytest.mark.parametrize("htmx", [False, True])
def test_name_suggestions_list_members_by_prefix_and_nothing_private(app, client, board, htmx):
    make_user(app, "readerly")
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get("/members/suggest?q=@rea", headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert re.findall(r'data-title="([^"]+)"', body) == ["reader", "readerly"]
    assert 'role="listbox"' in body and "password" not in body
    assert response.headers["Cache-Control"] in ("public, max-age=60", "max-age=60, public")
    assert client.get("/members/suggest?q=%25").get_data(as_text=True).count('role="option"') == 0
    client.log_in(board["author"])
    assert client.get("/members/suggest?q=rea").headers["Cache-Control"] == "no-store"


def test_name_suggestions_are_rate_limited(app, client, board):
    app.config["RATE_LIMITS"] = {"name_suggestions": "3 per minute"}
    statuses = [client.get("/members/suggest?q=rea").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# Grouped notifications ------------------------------------------------------------------------------------------------

def test_replies_to_one_post_are_one_inbox_item_linking_to_the_first_unread(app, client, board):
    client.log_in(board["replier"])
    opening = board["thread"].opening_post.id
    for number in range(5):
        reply(client, opening, f"Reply number {number}")
    first = newest_post(app).id - 4
    other = app.test_client()
    other.log_in(board["author"])
    page = other.get("/inbox").get_data(as_text=True)
    assert page.count('<li class="notification') == 1
    assert "5 new replies to your post in “<bdi>Past Lives and In-yun</bdi>”" in page
    assert f'href="/posts/{first}"' in page
    assert re.search(r'aria-label="Inbox, 1 unread item"[^>]*>Inbox <span class="badge badge--count">1</span>', page)
    assert topics_of(app, board["author"]) == [("reply", f"post:{opening}")] * 5


def test_items_are_newest_first_and_marking_one_marks_its_whole_topic(app, client, board):
    client.log_in(board["replier"])
    opening = board["thread"].opening_post.id
    reply(client, opening, "One")
    reply(client, opening, "Two")
    other_thread = make_thread(app, board["author"], "Aftersun", film=("Aftersun", 2022))
    reply(client, other_thread.opening_post.id, "Elsewhere")
    other = app.test_client()
    other.log_in(board["author"])
    page = other.get("/inbox").get_data(as_text=True)
    assert page.index("Aftersun") < page.index("Past Lives")
    with app.app_context():
        item = db.session.scalar(db.select(Notification.id).where(Notification.topic == f"post:{opening}")
                                 .order_by(Notification.id.desc()).limit(1))
    response = other.submit(f"/inbox/{item}/read", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "2 replies to your post in" in body and "is-unread" not in body
    assert 'aria-label="Inbox, 1 unread item"' in body
    with app.app_context():
        unread = db.session.scalars(db.select(Notification.topic).where(Notification.read_at.is_(None))).all()
    assert unread == [f"post:{other_thread.opening_post.id}"]


# Follow and mute ------------------------------------------------------------------------------------------------------

def test_authors_follow_their_threads_and_followers_hear_of_every_reply_grouped(app, client, board):
    with app.app_context():
        assert db.session.get(ThreadSubscription, (board["author"].id, board["thread"].id)).level == "follow"
    first = make_reply(app, board["thread"].opening_post, board["reader"], "A top-level reply")
    client.log_in(board["replier"])
    reply(client, first.id, "Answering the reader")
    reply(client, first.id, "And again")
    assert topics_of(app, board["author"]) == [("reply", f"thread:{board['thread'].id}")] * 2
    other = app.test_client()
    other.log_in(board["author"])
    page = other.get("/inbox").get_data(as_text=True)
    assert "2 new replies in “<bdi>Past Lives and In-yun</bdi>”, a thread you follow" in page


@pytest.mark.parametrize("htmx", [False, True])
def test_follow_then_unfollow(app, client, board, htmx):
    client.log_in(board["reader"])
    response = client.submit(f"/threads/{board['thread'].id}/follow", {"level": "follow"}, htmx=htmx)
    if htmx:
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and body.lstrip().startswith('<form class="thread-follow"')
        assert "You follow this thread" in body and 'value="none">Unfollow' in body
    else:
        assert response.status_code == 303 and response.headers["Location"] == f"/threads/{board['thread'].id}#thread-follow"
        assert "You follow this thread" in client.get(response.headers["Location"]).get_data(as_text=True)
    make_reply_through(app, board)
    assert topics_of(app, board["reader"]) == [("reply", f"thread:{board['thread'].id}")]
    client.submit(f"/threads/{board['thread'].id}/follow", {"level": "none"}, htmx=htmx)
    with app.app_context():
        assert db.session.get(ThreadSubscription, (board["reader"].id, board["thread"].id)) is None


def make_reply_through(app, board, body="A reply by the replier"):
    """A reply by `replier` to the opening post through the form (the form notifies; factories don't)."""
    replier = app.test_client()
    replier.log_in(board["replier"])
    reply(replier, board["thread"].opening_post.id, body)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_muted_thread_notifies_nothing_not_even_replies_to_you(app, client, board, htmx):
    client.log_in(board["author"])
    response = client.submit(f"/threads/{board['thread'].id}/follow", {"level": "mute"}, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    make_reply_through(app, board, "Replying to you, @author")
    assert topics_of(app, board["author"]) == []
    assert "You muted this thread" in client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)


def test_a_bad_follow_level_is_a_400_and_visitors_go_to_log_in(app, client, board):
    assert client.submit(f"/threads/{board['thread'].id}/follow", {"level": "follow"}).status_code == 303
    client.log_in(board["reader"])
    assert client.submit(f"/threads/{board['thread'].id}/follow", {"level": "loud"}).status_code == 400
    assert client.submit("/threads/9999/follow", {"level": "follow"}).status_code == 404


# Block ----------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_a_blocked_members_posts_fold_away_and_cannot_notify(app, client, board, htmx):
    client.log_in(board["author"])
    response = client.submit("/members/replier/block", {"block": "1"}, htmx=htmx)
    if htmx:
        assert response.status_code == 200 and "Unblock replier" in response.get_data(as_text=True)
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/u/replier"
    make_reply_through(app, board, "Hello @author")
    assert topics_of(app, board["author"]) == []
    page = client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert re.search(r'<details class="blocked-post"><summary>Post by a member you blocked — show</summary>', page)
    assert "Hello" in page  # still there, behind the disclosure (works without JavaScript)
    reader = app.test_client()
    reader.log_in(board["reader"])
    assert "blocked-post" not in reader.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    client.submit("/members/replier/block", {"block": "0"}, htmx=htmx)
    assert "blocked-post" not in client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)


def test_a_block_silences_the_author_for_each_way_a_post_could_notify(app, board):
    """Blocking the replier stops a mention, a followed thread's reply and a reply to your post alike, for the
    blocker only: the members who did not block them are told of the same post."""
    mentioned, follower = make_user(app, "mentioned"), make_user(app, "follower")
    with app.app_context():
        for member in (mentioned, follower, board["reader"]):
            db.session.add(ThreadSubscription(member_id=member.id, thread_id=board["thread"].id, level="follow"))
        db.session.add_all(Block(blocker_id=member.id, blocked_id=board["replier"].id)
                           for member in (board["author"], mentioned, follower))
        db.session.commit()
    make_reply_through(app, board, "Hello @author, @mentioned and @reader")
    assert [topics_of(app, member) for member in (board["author"], mentioned, follower)] == [[], [], []]
    assert [kind for kind, _ in topics_of(app, board["reader"])] == ["mention"]

def test_blocking_yourself_is_a_400_and_an_unknown_member_a_404(app, client, board):
    client.log_in(board["author"])
    assert client.submit("/members/author/block", {"block": "1"}).status_code == 400
    assert client.submit("/members/nobody99/block", {"block": "1"}).status_code == 404


# Bookmarks ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_save_a_post_and_find_it_under_saved(app, client, board, htmx):
    saved = make_reply(app, board["thread"].opening_post, board["replier"], "Worth keeping")
    client.log_in(board["reader"])
    response = client.submit(f"/posts/{saved.id}/bookmark", {"saved": "1"}, htmx=htmx)
    if htmx:
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and body.lstrip().startswith(f'<form class="inline-form bookmark" id="bookmark-{saved.id}"')
        assert 'aria-pressed="true">Saved</button>' in body
    else:
        assert response.status_code == 303 and f"#post-{saved.id}" in response.headers["Location"]
    page = client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert re.search(rf'id="bookmark-{saved.id}".*?aria-pressed="true">Saved</button>', page, re.S)
    listing = client.get("/u/reader/saved").get_data(as_text=True)
    assert "Worth keeping" in listing and "Past Lives and In-yun" in listing
    client.submit(f"/posts/{saved.id}/bookmark", {"saved": "0"}, htmx=htmx)
    assert "Worth keeping" not in client.get("/u/reader/saved").get_data(as_text=True)


def test_saved_is_only_for_its_owner(app, client, board):
    assert client.get("/u/reader/saved").status_code == 303
    client.log_in(board["author"])
    assert client.get("/u/reader/saved").status_code == 403
    assert client.get("/u/author/saved").status_code == 200
    assert "Saved" in client.get("/u/author").get_data(as_text=True)
    assert 'href="/u/reader/saved"' not in client.get("/u/reader").get_data(as_text=True)


def test_a_hidden_post_cannot_be_saved(app, client, board):
    hidden = make_reply(app, board["thread"].opening_post, board["replier"], "Hidden later")
    with app.app_context():
        db.session.get(Post, hidden.id).hidden = True
        db.session.commit()
    client.log_in(board["reader"])
    assert client.submit(f"/posts/{hidden.id}/bookmark", {"saved": "1"}).status_code == 404


# The page cache and the statement count ------------------------------------------------------------------------------

def test_one_members_choices_never_reach_another_members_or_a_visitors_kept_page(app, client, board):
    saved = make_reply(app, board["thread"].opening_post, board["replier"], "Kept for later")
    url = f"/threads/{board['thread'].id}"
    visitor, other = app.test_client(), app.test_client()
    other.log_in(board["author"])
    for reader in (visitor, other, client):
        reader.get(url)  # every copy kept before the choices
    client.log_in(board["reader"])
    client.get(url)
    client.submit(f"/posts/{saved.id}/bookmark", {"saved": "1"})
    client.submit("/members/replier/block", {"block": "1"})
    mine = client.get(url).get_data(as_text=True)
    assert 'aria-pressed="true">Saved' in mine and "blocked-post" in mine
    for reader in (visitor, other):
        page = reader.get(url).get_data(as_text=True)
        assert 'aria-pressed="true">Saved' not in page and "blocked-post" not in page


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_a_members_blocks_bookmarks_and_follow_cost_no_statement_more(app, client, board, count_queries, viewer):
    small = board["thread"]
    for number in range(3):
        make_reply(app, small.opening_post, board["replier"], f"Small {number}")
    large = make_thread(app, board["author"], "Large", film=("Her", 2013))
    posts = []
    for number in range(40):
        posts.append(make_reply(app, large.opening_post, board["replier"], f"Large {number}"))
    if viewer == "member":
        client.log_in(board["reader"])
        with app.app_context():
            reader = db.session.get(User, board["reader"].id)
            Block.set(reader, db.session.get(User, board["replier"].id), True)
            for post in posts[::3]:
                db.session.add(Bookmark(member_id=reader.id, post_id=post.id))
            db.session.add(ThreadSubscription(member_id=reader.id, thread_id=large.id, level="mute"))
            db.session.commit()
    counts = [statements_for(client, count_queries, f"/threads/{thread.id}") for thread in (small, large)]
    assert counts == [THREAD_PAGE_BUDGET[viewer]] * 2
