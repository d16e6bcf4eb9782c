"""Who answers whom on a thread page (issue #11): the thread author's and your own badges, "replying to" where a
reply's parent is not just above it, reply counts that include what lies behind "continue this thread", the thread
line's collapse button, and where a visitor logs in to reply."""
import re
from types import SimpleNamespace

import pytest

from board.ranking import CONTINUE_DEPTH

from .conftest import dispose, make_test_app, statements_for
from .factories import make_reply, make_thread, make_user


def article(html: str, post_id: int) -> str:
    return html.split(f'id="post-{post_id}"', 1)[1].split("</article>", 1)[0]


def meta(html: str, post_id: int) -> str:
    return article(html, post_id).split('<header class="post__meta">', 1)[1].split("</header>", 1)[0]


@pytest.fixture
def talk(app):
    """The essayist's thread: bobby's reply with two answers (the essayist's, with carol's under it, then carol's
    own), a second top-level reply by the essayist."""
    app.config["PAGE_CACHE_SECONDS"] = 0
    essayist, bobby, carol = make_user(app, "essayist"), make_user(app, "bobby"), make_user(app, "carol")
    thread = make_thread(app, essayist, "Past Lives: the last shot")
    top = make_reply(app, thread.opening_post, bobby, "The bar scene is the film.")
    first = make_reply(app, top, essayist, "It is, and the taxi too.")
    under_first = make_reply(app, first, carol, "The taxi most of all.")
    second = make_reply(app, top, carol, "The bar scene explains nothing.")
    own_top = make_reply(app, thread.opening_post, essayist, "Thanks for reading, all.")
    return SimpleNamespace(thread=thread, essayist=essayist, bobby=bobby, carol=carol, top=top, first=first,
                           under_first=under_first, second=second, own_top=own_top)


def test_the_thread_authors_replies_carry_an_author_badge_and_yours_a_you_badge(app, client, talk):
    url = f"/threads/{talk.thread.id}?sort=old"
    page = client.get(url).get_data(as_text=True)
    for post in (talk.first, talk.own_top):
        assert '<span class="badge badge--author"><span class="visually-hidden">thread </span>author</span>' in meta(page, post.id)
    for post in (talk.top, talk.under_first, talk.second):
        assert "badge--author" not in meta(page, post.id)
    assert "badge--you" not in page  # a visitor wrote nothing

    client.log_in(talk.carol)
    page = client.get(url).get_data(as_text=True)
    mine = {talk.under_first.id, talk.second.id}
    for post in (talk.top, talk.first, talk.under_first, talk.second, talk.own_top):
        assert ('<span class="badge badge--you">you</span>' in meta(page, post.id)) == (post.id in mine), post.id


def test_a_reply_says_whom_it_answers_where_its_parent_is_not_just_above_it(app, client, talk):
    page = client.get(f"/threads/{talk.thread.id}?sort=old").get_data(as_text=True)
    # carol's second answer comes after the essayist's answer and its reply: it says it answers bobby's reply
    assert (f'<span class="post__replying-to">replying to <a href="#post-{talk.top.id}">@bobby</a></span>'
            in meta(page, talk.second.id))
    for post in (talk.top, talk.first, talk.under_first, talk.own_top):  # top-level, or just under its parent
        assert "replying to" not in meta(page, post.id), post.id

    newest_first = client.get(f"/threads/{talk.thread.id}?sort=new").get_data(as_text=True)
    assert "replying to" not in meta(newest_first, talk.second.id)  # now first under bobby's reply
    assert f'replying to <a href="#post-{talk.top.id}">@bobby</a>' in meta(newest_first, talk.first.id)


def test_a_reply_to_a_removed_reply_does_not_name_its_author(app, client, talk):
    author = app.test_client()
    author.log_in(talk.bobby)
    assert author.submit(f"/posts/{talk.top.id}/delete").status_code == 303
    page = client.get(f"/threads/{talk.thread.id}?sort=old").get_data(as_text=True)
    assert f'replying to <a href="#post-{talk.top.id}">a removed reply</a>' in meta(page, talk.second.id)
    assert "bobby" not in page


@pytest.fixture
def deep(app):
    """A chain of replies deeper than a page shows, alternating between two members; a side reply under level 2."""
    app.config["PAGE_CACHE_SECONDS"] = 0
    author, replier = make_user(app, "author"), make_user(app, "replier")
    thread = make_thread(app, author, "Deep")
    chain, parent = [], thread.opening_post
    for level in range(1, CONTINUE_DEPTH + 4):
        parent = make_reply(app, parent, replier if level % 2 else author, f"Level {level}")
        chain.append(parent)
    return SimpleNamespace(thread=thread, chain=chain, author=author, replier=replier)


def test_the_root_of_a_focused_branch_says_whom_it_answers_in_the_same_statements(app, client, count_queries, deep):
    cut = deep.chain[CONTINUE_DEPTH - 1]
    parent = deep.chain[CONTINUE_DEPTH - 2]
    url = f"/threads/{deep.thread.id}/posts/{cut.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'replying to <a href="/posts/{parent.id}">@author</a>' in meta(page, cut.id)
    assert "replying to" not in page.split(f'id="post-{cut.id}"', 1)[1].split("</article>", 1)[1]  # the rest is nested
    assert statements_for(client, count_queries, url) == statements_for(client, count_queries, f"/threads/{deep.thread.id}")
    top = client.get(f"/threads/{deep.thread.id}/posts/{deep.chain[0].id}").get_data(as_text=True)
    assert "replying to" not in top  # a top-level reply answers the opening post, just above it


def test_reply_counts_include_the_replies_behind_continue_this_thread(app, client, deep):
    side = make_reply(app, deep.chain[1], deep.author, "A side remark")  # shown: under level 2
    page = client.get(f"/threads/{deep.thread.id}").get_data(as_text=True)
    total_under_top = len(deep.chain) - 1 + 1  # the rest of the chain and the side remark
    hidden = len(deep.chain) - CONTINUE_DEPTH
    assert hidden == 3 and f"Continue this thread<span class=\"visually-hidden\">: {hidden} more replies" in page
    top = page.split(f'id="reply-{deep.chain[0].id}"', 1)[1]
    assert re.search(r'<summary>.*</span> (\d+) replies</summary>', top).group(1) == str(total_under_top)
    assert f'data-post="{deep.chain[0].id}" data-replies="{total_under_top}"' in page
    assert f"replier’s reply and its {total_under_top} replies" in page
    cut = deep.chain[CONTINUE_DEPTH - 1]
    assert f'data-post="{cut.id}" data-replies="{hidden}"' in page
    assert f'data-post="{side.id}" data-replies="0"' in page


def test_each_reply_has_a_thread_line_button_hidden_until_javascript(client, talk):
    page = client.get(f"/threads/{talk.thread.id}?sort=old").get_data(as_text=True)
    for post in (talk.top, talk.first, talk.under_first, talk.second, talk.own_top):
        reply = page.split(f'<li class="reply" id="reply-{post.id}">', 1)[1].split("<article", 1)[0]
        assert re.search(rf'<button type="button" class="thread-line" hidden aria-expanded="true" '
                         rf'aria-controls="post-{post.id} replies-{post.id}"', reply), post.id
        assert f'id="replies-{post.id}"' in page  # what it controls is on the page


def test_a_visitor_sees_where_to_log_in_to_reply_at_each_reply_and_comes_back_to_it(app, client, talk):
    page = client.get(f"/threads/{talk.thread.id}").get_data(as_text=True)
    for post in (talk.thread.opening_post, talk.top, talk.first, talk.under_first, talk.second, talk.own_top):
        assert f'<a class="action" href="/login?next=/posts/{post.id}">Log in to reply</a>' in article(page, post.id)
    member = app.test_client()
    response = member.submit(f"/login?next=/posts/{talk.second.id}",
                             {"username": "bobby", "password": "correct horse battery"})
    assert response.status_code == 303 and response.headers["Location"] == f"/posts/{talk.second.id}"
    assert "Log in to reply" not in member.get(f"/threads/{talk.thread.id}").get_data(as_text=True)
    offsite = app.test_client().submit("/login?next=https://evil.example/posts/1",
                                       {"username": "carol", "password": "correct horse battery"})
    assert offsite.status_code == 303 and offsite.headers["Location"] == "/"


def test_no_log_in_to_reply_on_a_removed_reply_or_a_locked_thread(app, client, talk):
    author = app.test_client()
    author.log_in(talk.carol)
    assert author.submit(f"/posts/{talk.second.id}/delete").status_code == 303
    page = client.get(f"/threads/{talk.thread.id}").get_data(as_text=True)
    assert "Log in to reply" not in article(page, talk.second.id)
    assert "Log in to reply" in article(page, talk.first.id)
    from board.models import Role
    moderator = app.test_client()
    moderator.log_in(make_user(app, "moderator", role=Role.MODERATOR))
    assert moderator.submit(f"/threads/{talk.thread.id}/lock").status_code == 303
    assert "Log in to reply" not in client.get(f"/threads/{talk.thread.id}").get_data(as_text=True)


# Kept post HTML (board/post_html.py) ----------------------------------------------------------------------------------

@pytest.fixture
def fresh(app, database_url):
    """The same board keeping no post HTML."""
    board = make_test_app(database_url, POST_HTML_CACHE_CHARS=0, PAGE_CACHE_SECONDS=0)
    yield board
    dispose(board)


def test_kept_html_never_serves_a_stale_badge_or_replying_to(app, fresh, talk):
    """Each reader's badges, and "replying to" as the order or a new reply moves a parent away, are as rendered
    afresh: every value is in the post's key."""
    readers = {"visitor": app.test_client(), "carol": app.test_client(), "bobby": app.test_client(),
               "essayist": app.test_client()}
    for name in ("carol", "bobby", "essayist"):
        readers[name].log_in(getattr(talk, name))

    def as_fresh(url):
        pages = {}
        for name, client in readers.items():
            client.get("/login")
            kept = client.get(url).get_data(as_text=True)
            again = fresh.test_client()
            session = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
            if session:
                again.set_cookie(session.key, session.value)
            expected = again.get(url).get_data(as_text=True)
            strip = re.compile(r'(name="csrf_token" value=|"X-CSRFToken": )"[^"]+"')
            assert strip.sub("T", kept) == strip.sub("T", expected), (name, url)
            pages[name] = kept
        return pages

    url = f"/threads/{talk.thread.id}?sort=new"
    pages = as_fresh(url)
    assert "badge--you" in meta(pages["carol"], talk.second.id)  # carol's own, kept for her…
    assert "badge--you" not in meta(pages["bobby"], talk.second.id)  # …is not served to bobby
    assert "replying to" not in meta(pages["visitor"], talk.second.id)  # newest first: just under bobby's reply
    make_reply(app, talk.top, talk.bobby, "Answering my own reply, newest of all.")
    pages = as_fresh(url)
    assert f'replying to <a href="#post-{talk.top.id}">@bobby</a>' in meta(pages["visitor"], talk.second.id)
    pages = as_fresh(f"/threads/{talk.thread.id}?sort=old")
    assert "replying to" not in meta(pages["essayist"], talk.first.id)
