"""Members share one kept copy of a thread page, each member's own parts filled in (board/member_pages.py)."""
import gzip
import re

import pytest

from board import member_pages
from board.models import Role

from .conftest import dispose, make_test_app
from .factories import make_reply, make_thread, make_user
from .test_page_cache import SIGNED_TOKEN, page_of, renders_of, visit

SCORE = re.compile(r'<span class="vote__score">[^<]*</span>')
def full_render(app, client, url) -> str:
    """The page rendered for this member from scratch, the way every member's page was before it was shared."""
    app.config["PAGE_CACHE_SECONDS"] = 0
    try:
        return page_of(visit(client, url))
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 60


@pytest.fixture
def conversation(app, client, other_client):
    """A thread as a member ("mia") finds it: her own replies (one hidden by a moderator, one deleted), her votes up
    and down, a saved post, a blocked author, a marked spoiler, a follow, an unread reply in her inbox."""
    author, mia, blocked, others = (make_user(app, name) for name in ("ana", "mia", "troll", "otto"))
    moderator = make_user(app, "moddy", role=Role.MODERATOR)
    thread = make_thread(app, author, title="Stalker (1979): the Zone", body="What is **the Room**?")
    opening = thread.opening_post
    first = make_reply(app, opening, others, "The Room grants wishes. ||Porcupine||")
    mine = make_reply(app, first, mia, "Or only the innermost ones.")
    hidden_mine = make_reply(app, opening, mia, "Something a moderator hid.")
    deleted_mine = make_reply(app, opening, mia, "Something I took back.")
    by_troll = make_reply(app, first, blocked, "Boring film.")
    spoiler = make_reply(app, mine, author, "The ending: the glasses move.")
    make_reply(app, by_troll, others, "Answering the troll.")
    client.log_in(mia)
    for url, data in [
        (f"/posts/{first.id}/vote", {"direction": "up"}),
        (f"/posts/{spoiler.id}/vote", {"direction": "down"}),
        (f"/posts/{first.id}/bookmark", {"saved": "1"}),
        ("/members/troll/block", {"block": "1"}),
        (f"/threads/{thread.id}/follow", {"level": "follow"}),
        (f"/posts/{deleted_mine.id}/delete", {}),
    ]:
        assert client.submit(url, data).status_code == 303, url
    other_client.log_in(moderator)
    assert other_client.submit(f"/posts/{hidden_mine.id}/hide", {"reason": "Off topic"}).status_code == 303
    assert other_client.submit(f"/posts/{spoiler.id}/spoiler").status_code == 303
    other_client.submit("/logout")
    other_client.log_in(others)
    assert other_client.submit(f"/posts/{mine.id}/reply", {"body": "Mia, you are right."}).status_code == 303
    visit(other_client, f"/threads/{thread.id}")
    visit(client, f"/threads/{thread.id}")  # the messages of those actions shown (a page with one is not kept)
    return {"thread": thread, "url": f"/threads/{thread.id}", "mine": mine, "hidden_mine": hidden_mine,
            "first": first, "spoiler": spoiler, "users": (author, mia, blocked, others, moderator)}


def test_a_members_page_from_the_shared_copy_is_the_page_rendered_for_them(app, client, conversation):
    url = conversation["url"]
    expected = full_render(app, client, url)
    assert 'class="badge badge--you"' in expected and 'aria-pressed="true" aria-label="Upvote"' in expected
    assert "Post by a member you blocked" in expected and ">Saved</button>" in expected
    assert "Something a moderator hid." in expected and "You follow this thread" in expected
    assert 'class="badge badge--count">1</span>' in expected
    with renders_of("threads/show.html", app) as renders:
        kept = page_of(visit(client, url))
        again = page_of(visit(client, url))
    assert renders == []  # the copy otto's visit rendered (in `conversation`), filled in for her
    assert kept == expected and again == expected


def test_every_member_gets_their_own_page_from_one_render(app, client, other_client, conversation):
    url, (author, mia, *_rest) = conversation["url"], conversation["users"]
    other_client.submit("/logout")
    other_client.log_in(author)
    for browser in (client, other_client):
        visit(browser, url)  # says "logged in": rendered, not kept
    make_reply(app, conversation["first"], conversation["users"][3], "A new reply: the kept copy is stale.")
    with renders_of("threads/show.html", app) as renders:
        pages = {browser: page_of(visit(browser, url)) for browser in (client, other_client)}
    assert len(renders) == 1  # the first member's miss; the second member's page is filled from the same copy
    assert pages[client] == full_render(app, client, url)
    assert pages[other_client] == full_render(app, other_client, url)
    assert "Something a moderator hid." not in pages[other_client]  # mia's hidden reply, shown to her only
    assert "Post by a member you blocked" not in pages[other_client]
    assert ">mia</a>" in pages[client] and 'title="Your account: email, password, sessions, your data">ana</a>' in pages[other_client]


def test_a_vote_by_one_member_changes_only_the_score_on_other_pages(app, client, other_client, conversation):
    url, (author, *_rest) = conversation["url"], conversation["users"]
    other_client.submit("/logout")
    other_client.log_in(author)
    visitor = app.test_client()
    before = {browser: page_of(visit(browser, url)) for browser in (client, visitor)}
    first = conversation["first"]
    assert other_client.submit(f"/posts/{first.id}/vote", {"direction": "down"}).status_code == 303
    for browser, page in before.items():
        after = page_of(visit(browser, url))
        assert after != page  # the score moved at once…
        assert SCORE.sub("", after) == SCORE.sub("", page)  # …and nothing else did
    mine = page_of(visit(other_client, url))
    assert f'id="vote-down-{first.id}" name="direction" value="down"\n            aria-pressed="true"' in mine
    assert mine == full_render(app, other_client, url)


def test_the_shared_copy_follows_edits_and_moderation_at_once(app, client, other_client, conversation):
    url, mine, moderator = conversation["url"], conversation["mine"], conversation["users"][4]
    visit(client, url)
    assert client.submit(f"/posts/{mine.id}/edit", {"body": "Or only the innermost ones, said the Writer."}).status_code == 303
    visit(client, url)  # "Post updated.": rendered for her, not kept
    page = page_of(visit(client, url))
    assert "said the Writer" in page and page == full_render(app, client, url)
    other_client.submit("/logout")
    other_client.log_in(moderator)
    assert other_client.submit(f"/posts/{mine.id}/hide", {"reason": "Spoils the ending"}).status_code == 303
    page = page_of(visit(client, url))
    assert "Spoils the ending" in page and "Only you and the moderators can see this." in page
    assert page == full_render(app, client, url)


def test_moderators_still_get_a_page_of_their_own(app, client, other_client, conversation):
    url, moderator = conversation["url"], conversation["users"][4]
    visit(client, url)
    other_client.submit("/logout")
    other_client.log_in(moderator)
    visit(other_client, url)
    page = page_of(visit(other_client, url))
    assert "Something a moderator hid." in page and "Unhide" in page and "Lock thread" in page
    assert page == full_render(app, other_client, url)


def test_a_hidden_threads_page_is_rendered_for_each_member(app, client, other_client):
    author, moderator = make_user(app, "writer"), make_user(app, "moddy", role=Role.MODERATOR)
    thread = make_thread(app, author, title="A thread the moderators hid")
    other_client.log_in(moderator)
    assert other_client.submit(f"/posts/{thread.opening_post.id}/hide", {"reason": "Spam"}).status_code == 303
    reader = app.test_client()
    reader.log_in(make_user(app, "reader"))
    client.log_in(author)
    url = f"/threads/{thread.id}"
    for _ in range(2):
        assert "Thread hidden by moderators" in visit(reader, url).get_data(as_text=True)
        assert "A thread the moderators hid" in page_of(visit(client, url))  # its author still reads it


def test_no_marker_of_the_shared_copy_reaches_a_member(app, client, conversation):
    visit(client, conversation["url"])
    opening, _closing = app.extensions["member_marks"]
    for _ in range(2):
        page = visit(client, conversation["url"]).get_data(as_text=True)
        assert opening not in page and "\x02" not in page and "\x03" not in page


def test_the_markers_are_the_same_in_every_worker_of_one_board(app, database_url):
    other_worker = make_test_app(database_url)
    with app.app_context():
        ours = member_pages.marks()
    with other_worker.app_context():
        assert member_pages.marks() == ours
    other_worker.config["SECRET_KEY"] = "another board"
    other_worker.extensions.pop("member_marks")
    with other_worker.app_context():
        assert member_pages.marks() != ours
    dispose(other_worker)


def test_a_members_page_is_sent_gzipped_to_those_who_accept_it(app, client, conversation):
    url = conversation["url"]
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert page_of(plain) == SIGNED_TOKEN.sub(r'\1token"', gzip.decompress(packed.data).decode())
    assert packed.headers["ETag"] != plain.headers["ETag"] and "Accept-Encoding" in packed.headers["Vary"]
    assert client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]}).status_code == 304
