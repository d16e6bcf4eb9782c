"""Replying in place and voting, each with and without htmx."""
import re
import threading

import pytest

from board.extensions import db
from board.models import MAX_DEPTH, Post, Thread, Vote

from .factories import fetch, make_reply, make_thread, make_user


@pytest.fixture
def conversation(app):
    """An author's thread with one reply from a second member; a third member to act."""
    author, replier, reader = make_user(app, "author"), make_user(app, "replier"), make_user(app, "reader")
    thread = make_thread(app, author, "A thread")
    reply = make_reply(app, thread.opening_post, replier, "A first reply")
    return {"author": author, "replier": replier, "reader": reader, "thread": thread, "reply": reply}


def count_posts(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Post.id)))


def newest_post(app) -> Post:
    with app.app_context():
        return db.session.scalar(db.select(Post).order_by(Post.id.desc()).limit(1))


# Replying ------------------------------------------------------------------------------------------------------------

def test_reply_without_js_redirects_to_the_new_reply(app, client, conversation):
    client.log_in(conversation["reader"])
    response = client.submit(f"/posts/{conversation['reply'].id}/reply", {"body": "I *agree*."})
    new = newest_post(app)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/threads/{conversation['thread'].id}#post-{new.id}"
    assert (new.parent_id, new.depth, new.body_html) == (conversation["reply"].id, 2, "<p>I <em>agree</em>.</p>\n")
    assert fetch(app, Thread, conversation["thread"].id).reply_count == 2


def test_reply_with_htmx_returns_the_reply_fragment_focused_and_clears_the_form(app, client, conversation):
    client.log_in(conversation["reader"])
    parent = conversation["reply"]
    response = client.submit(f"/posts/{parent.id}/reply", {"body": "In place."}, htmx=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    new = newest_post(app)
    assert "<html" not in page and "<body" not in page
    assert page.lstrip().startswith(f'<li class="reply" id="reply-{new.id}">')
    assert f'id="post-{new.id}" tabindex="-1" autofocus' in page
    assert f'<ol class="replies" id="replies-{new.id}"></ol>' in page
    assert f'<div class="reply-slot" id="reply-slot-{parent.id}" hx-swap-oob="true"></div>' in page
    assert '<span id="reply-count" hx-swap-oob="true">2 replies</span>' in page
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]


def test_reply_form_opens_in_place_with_htmx_and_as_a_page_without(app, client, conversation):
    client.log_in(conversation["reader"])
    reply_id = conversation["reply"].id
    fragment = client.htmx_get(f"/posts/{reply_id}/reply").get_data(as_text=True)
    assert fragment.lstrip().startswith(f'<form class="reply-form stack" id="reply-form-{reply_id}"')
    assert f'hx-post="/posts/{reply_id}/reply"' in fragment and "<html" not in fragment
    assert 'for="reply-body-' in fragment and "autofocus" in fragment
    page = client.get(f"/posts/{reply_id}/reply").get_data(as_text=True)
    assert "<html" in page and "Reply to replier" in page and "A first reply" in page
    form_tag = page.split('<form class="reply-form', 1)[1].split(">", 1)[0]
    assert "hx-post" not in form_tag  # the page's form is a plain form (only its Preview button swaps in place)


def test_the_thread_page_offers_reply_controls_that_work_without_js(app, client, conversation):
    client.log_in(conversation["reader"])
    page = " ".join(client.get(f"/threads/{conversation['thread'].id}").get_data(as_text=True).split())
    reply_id = conversation["reply"].id
    assert (f'<a class="action" href="/posts/{reply_id}/reply" hx-get="/posts/{reply_id}/reply" '
            f'hx-target="#reply-slot-{reply_id}" hx-swap="innerHTML">Reply</a>') in page
    opening_id = conversation["thread"].opening_post.id
    assert f'<form class="reply-form stack" id="reply-form-{opening_id}" method="post" action="/posts/{opening_id}/reply"' in page


def test_replies_nest_up_to_max_depth_then_attach_at_the_deepest_level(app, client, conversation):
    client.log_in(conversation["reader"])
    parent = conversation["reply"]
    while parent.depth < MAX_DEPTH:
        parent = make_reply(app, parent, conversation["replier"])
    assert parent.depth == MAX_DEPTH
    response = client.submit(f"/posts/{parent.id}/reply", {"body": "Too deep to nest further."}, htmx=True)
    new = newest_post(app)
    assert new.depth == MAX_DEPTH and new.parent_id == parent.parent_id
    # the inline form for that post targets the list its reply really joins
    form = client.htmx_get(f"/posts/{parent.id}/reply").get_data(as_text=True)
    assert f'hx-target="#replies-{parent.parent_id}"' in form
    assert response.status_code == 200
    # (so deep a branch is read in its focused view, where the post's permalink leads: board/ranking.py)
    page = client.get(f"/posts/{new.id}", follow_redirects=True).get_data(as_text=True)
    assert page.index(f'id="post-{parent.id}"') < page.index(f'id="post-{new.id}"')


@pytest.mark.parametrize(
    "body, message",
    [("", "This can&#39;t be empty."), (" \n\t ", "This can&#39;t be empty."),
     ("é" * 100_001, "At most 100,000 characters; this has 100,001. Shorten it by 1.")],
)
def test_bad_reply_shows_the_error_in_place_and_stores_nothing(app, client, conversation, body, message):
    client.log_in(conversation["reader"])
    before = count_posts(app)
    parent_id = conversation["reply"].id
    htmx = client.submit(f"/posts/{parent_id}/reply", {"body": body}, htmx=True)
    assert htmx.status_code == 422
    assert htmx.headers["HX-Retarget"] == "this" and htmx.headers["HX-Reswap"] == "outerHTML"
    fragment = htmx.get_data(as_text=True)
    assert "<html" not in fragment and message in fragment and 'aria-invalid="true"' in fragment
    plain = client.submit(f"/posts/{parent_id}/reply", {"body": body})
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    assert message in plain.get_data(as_text=True)
    assert count_posts(app) == before


def test_an_over_long_reply_keeps_what_was_typed(app, client, conversation):
    client.log_in(conversation["reader"])
    body = "word " * 20_001
    response = client.submit(f"/posts/{conversation['reply'].id}/reply", {"body": body}, htmx=True)
    assert response.status_code == 422
    assert body.strip() in response.get_data(as_text=True)  # nothing the member typed is lost


def test_double_submitted_reply_is_stored_once(app, client, conversation):
    client.log_in(conversation["reader"])
    before = count_posts(app)
    url = f"/posts/{conversation['reply'].id}/reply"
    first = client.submit(url, {"body": "Same words."})
    second = client.submit(url, {"body": "Same words."})
    assert count_posts(app) == before + 1
    assert first.headers["Location"] == second.headers["Location"]
    client.submit(url, {"body": "Different words."})
    assert count_posts(app) == before + 2


CSRF_VALUE = re.compile(r'(name="csrf_token" value=")[^"]+"')


def without_tokens(page: str) -> str:
    """A fragment with its CSRF token values blanked: a token is signed with the time, so it may differ by a second."""
    return CSRF_VALUE.sub(r'\1"', page)


def test_double_submitted_reply_with_htmx_answers_with_the_stored_reply(app, client, conversation):
    """A double click with htmx: the second answer is the first one (the stored reply, its author shown), not a 500."""
    client.log_in(conversation["reader"])
    before = count_posts(app)
    url = f"/posts/{conversation['reply'].id}/reply"
    first = client.submit(url, {"body": "Same words, in place."}, htmx=True)
    second = client.submit(url, {"body": "Same words, in place."}, htmx=True)
    assert count_posts(app) == before + 1
    new = newest_post(app)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_data(as_text=True).lstrip().startswith(f'<li class="reply" id="reply-{new.id}">')
    assert 'aria-label="Reply by reader"' in second.get_data(as_text=True)
    assert without_tokens(second.get_data(as_text=True)) == without_tokens(first.get_data(as_text=True))
    # and a plain form sent after the htmx one is sent to that same reply
    plain = client.submit(url, {"body": "Same words, in place."})
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"#post-{new.id}")
    assert count_posts(app) == before + 1


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_concurrent_double_submit_is_stored_once(app, conversation, htmx):
    """Two requests racing (a double click on a slow connection) still make one reply, and each answers with it."""
    clients = [app.test_client() for _ in range(4)]
    for each in clients:
        each.log_in(conversation["reader"])
    tokens = [each.csrf_token() for each in clients]
    before = count_posts(app)
    barrier = threading.Barrier(len(clients))
    responses = []

    def post(each, token):
        headers = {"HX-Request": "true"} if htmx else {}
        barrier.wait()
        responses.append(each.post(f"/posts/{conversation['reply'].id}/reply",
                                   data={"body": "Racing!", "csrf_token": token}, headers=headers))

    workers = [threading.Thread(target=post, args=pair) for pair in zip(clients, tokens)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert count_posts(app) == before + 1
    new = newest_post(app)
    if htmx:
        assert [response.status_code for response in responses] == [200] * len(clients)
        assert all(response.get_data(as_text=True).lstrip().startswith(f'<li class="reply" id="reply-{new.id}">')
                   for response in responses)
    else:
        assert [response.status_code for response in responses] == [303] * len(clients)
        assert {response.headers["Location"] for response in responses} == {f"/threads/{conversation['thread'].id}#post-{new.id}"}


def test_anonymous_reply_goes_to_login(app, client, conversation):
    url = f"/posts/{conversation['reply'].id}/reply"
    plain = client.submit(url, {"body": "Hi"}, headers={"Referer": f"http://localhost/threads/{conversation['thread'].id}"})
    assert plain.status_code == 303
    assert plain.headers["Location"] == f"/login?next=/threads/{conversation['thread'].id}"
    htmx = client.htmx_get(url)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login?next=")
    assert htmx.get_data(as_text=True) == ""


def test_unknown_post_is_404_for_every_post_route(app, client, conversation):
    client.log_in(conversation["reader"])
    assert client.get("/posts/9999/reply").status_code == 404
    assert client.submit("/posts/9999/reply", {"body": "x"}).status_code == 404
    assert client.submit("/posts/9999/vote", {"direction": "up"}).status_code == 404
    htmx = client.submit("/posts/9999/vote", {"direction": "up"}, htmx=True)
    assert htmx.status_code == 404 and "<html" not in htmx.get_data(as_text=True)


# Voting --------------------------------------------------------------------------------------------------------------

def vote(client, post, direction, htmx=False):
    return client.submit(f"/posts/{post.id}/vote", {"direction": direction}, htmx=htmx)


def score_and_vote(app, post, voter):
    with app.app_context():
        vote_row = db.session.get(Vote, (voter.id, post.id))
        return db.session.get(Post, post.id).score, vote_row.value if vote_row else 0


def test_vote_without_js_redirects_to_the_post(app, client, conversation):
    client.log_in(conversation["reader"])
    response = vote(client, conversation["reply"], "up")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/threads/{conversation['thread'].id}#post-{conversation['reply'].id}"
    assert score_and_vote(app, conversation["reply"], conversation["reader"]) == (1, 1)


def test_vote_up_down_undo_with_htmx_updates_score_and_pressed_state(app, client, conversation):
    client.log_in(conversation["reader"])
    post = conversation["reply"]
    steps = [("up", 1, "true", "false"), ("up", 0, "false", "false"), ("down", -1, "false", "true"),
             ("up", 1, "true", "false"), ("down", -1, "false", "true"), ("down", 0, "false", "false")]
    for direction, score, up_pressed, down_pressed in steps:
        response = vote(client, post, direction, htmx=True)
        fragment = response.get_data(as_text=True)
        assert response.status_code == 200
        assert fragment.lstrip().startswith(f'<form class="vote" id="vote-{post.id}"')
        assert f'<span class="vote__score">{score} point{"" if abs(score) == 1 else "s"}</span>' in fragment
        assert f'id="vote-up-{post.id}" name="direction" value="up"\n            aria-pressed="{up_pressed}"' in fragment
        assert f'id="vote-down-{post.id}" name="direction" value="down"\n            aria-pressed="{down_pressed}"' in fragment
        assert score_and_vote(app, post, conversation["reader"]) == (score, score)


def test_votes_from_several_members_add_up_and_the_opening_post_scores_the_thread(app, client, other_client, conversation):
    opening = conversation["thread"].opening_post
    client.log_in(conversation["reader"])
    other_client.log_in(conversation["replier"])
    vote(client, opening, "up")
    vote(other_client, opening, "up")
    assert fetch(app, Post, opening.id).score == 2
    assert "2 points" in client.get("/").get_data(as_text=True)


def test_own_post_cannot_be_voted_on(app, client, conversation):
    client.log_in(conversation["replier"])
    assert vote(client, conversation["reply"], "up").status_code == 403
    assert vote(client, conversation["reply"], "up", htmx=True).status_code == 403
    assert score_and_vote(app, conversation["reply"], conversation["replier"]) == (0, 0)
    page = client.get(f"/threads/{conversation['thread'].id}").get_data(as_text=True)
    assert f'id="vote-up-{conversation["reply"].id}"' not in page


@pytest.mark.parametrize("direction", ["", "sideways", "UP", "1"])
def test_malformed_vote_is_400(app, client, conversation, direction):
    client.log_in(conversation["reader"])
    assert vote(client, conversation["reply"], direction).status_code == 400
    assert score_and_vote(app, conversation["reply"], conversation["reader"]) == (0, 0)


def test_anonymous_vote_is_sent_to_log_in(app, client, conversation):
    thread_url = f"/threads/{conversation['thread'].id}"
    plain = client.submit(f"/posts/{conversation['reply'].id}/vote", {"direction": "up"},
                          headers={"Referer": f"http://localhost{thread_url}"})
    assert plain.status_code == 303 and plain.headers["Location"] == f"/login?next={thread_url}"
    htmx = client.submit(f"/posts/{conversation['reply'].id}/vote", {"direction": "up"}, htmx=True,
                         headers={"HX-Current-URL": f"http://localhost{thread_url}"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"] == f"/login?next={thread_url}"
    assert htmx.get_data() == b""  # nothing to swap into the vote button
    assert fetch(app, Post, conversation["reply"].id).score == 0


def test_login_next_from_another_host_is_not_trusted(app, client, conversation):
    htmx = client.submit(f"/posts/{conversation['reply'].id}/vote", {"direction": "up"}, htmx=True,
                         headers={"HX-Current-URL": "https://evil.example/threads/1"})
    assert htmx.headers["HX-Redirect"] == "/login?next=/"


def test_concurrent_votes_by_many_members_are_all_counted(app, conversation):
    voters = [make_user(app) for _ in range(6)]
    clients = []
    for voter in voters:
        each = app.test_client()
        each.log_in(voter)
        clients.append((each, each.csrf_token()))
    barrier = threading.Barrier(len(clients))

    def cast(each, token):
        barrier.wait()
        each.post(f"/posts/{conversation['reply'].id}/vote", data={"direction": "up", "csrf_token": token})

    workers = [threading.Thread(target=cast, args=pair) for pair in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with app.app_context():
        assert db.session.get(Post, conversation["reply"].id).score == len(voters)
        assert db.session.scalar(db.select(db.func.count()).select_from(Vote)) == len(voters)
