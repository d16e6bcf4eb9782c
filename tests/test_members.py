"""Member profiles: joined, karma, threads and replies (paginated, spoiler-safe, hidden posts left out), the bio."""
import pytest

from board.extensions import db
from board.members import PROFILE_PER_PAGE
from board.models import BIO_MAX, Film, Post, Role, Thread, User
from board.spoilers import WITHHELD_NOTICE

from .factories import fetch, make_reply, make_thread, make_user

PROFILE_BUDGET = {"anonymous": 4, "member": 6}  # member, page count, page of items, karma (+ session user, whether they block this member)


@pytest.fixture
def critic(app):
    """A member with two threads and two replies, voted on; a second member who replied and voted."""
    critic, fan = make_user(app, "Critic"), make_user(app, "fan")
    essay = make_thread(app, critic, "Why Playtime still matters", body="Tati builds a city.", film=("Playtime", 1967))
    second = make_thread(app, critic, "Jeanne Dielman, hour by hour", body="The potatoes.",
                         film=("Jeanne Dielman, 23 quai du Commerce, 1080 Bruxelles", 1975))
    theirs = make_thread(app, fan, "A fan's thread", body="Hello.", film=("Aftersun", 2022))
    reply = make_reply(app, theirs.opening_post, critic, "A reply from the critic.")
    make_reply(app, make_reply(app, essay.opening_post, fan, "A fan answers."), critic, "The critic answers back.")
    with app.app_context():
        member = db.session.get(User, fan.id)
        db.session.get(Post, essay.opening_post.id).vote(member, 1)
        db.session.get(Post, second.opening_post.id).vote(member, 1)
        db.session.get(Post, reply.id).vote(member, -1)
        db.session.get(Post, theirs.opening_post.id).vote(db.session.get(User, critic.id), 1)
        db.session.commit()
    return {"critic": critic, "fan": fan, "essay": essay, "second": second, "theirs": theirs, "reply": reply}


def main_of(page: str) -> str:
    return page[page.index("<main"):page.index("</main>")]


def test_profile_shows_joined_karma_threads_and_links_replies_to_their_post(app, client, critic):
    response = client.get("/u/critic")  # any case finds the member
    assert response.status_code == 200
    page = main_of(response.get_data(as_text=True))
    assert "<h1>Critic</h1>" in page
    assert "<dt>Joined</dt>" in page and "<time datetime=" in page
    assert '<dd id="karma">1</dd>' in page  # +1 +1 -1 received; the vote they gave does not count
    assert "Why Playtime still matters" in page and "Jeanne Dielman, hour by hour" in page
    assert "Tati builds a city." in page and "A fan&#39;s thread" not in page
    assert "Playtime (1967)" in page
    replies = main_of(client.get("/u/Critic?tab=replies").get_data(as_text=True))
    assert f'<a href="/posts/{critic["reply"].id}"><bdi>A fan&#39;s thread</bdi></a>' in replies
    assert "A reply from the critic." in replies and "The critic answers back." in replies
    assert "Why Playtime still matters" in replies  # the thread of the second reply
    assert "Tati builds a city." not in replies


def test_unknown_member_is_a_404_and_a_bad_tab_a_400(client, critic):
    assert client.get("/u/nobody").status_code == 404
    assert client.get("/u/critic?tab=votes").status_code == 400


def tab_shown(page: str) -> str:
    return page.split('aria-current="page">', 1)[1].split("<", 1)[0]


def test_a_profile_opens_on_what_the_member_has(app, client, critic):
    listener = make_user(app, "listener")
    make_reply(app, critic["essay"].opening_post, listener, "I only ever reply.")
    make_user(app, "lurker")
    replies_only = main_of(client.get("/u/listener").get_data(as_text=True))
    assert tab_shown(replies_only) == "Replies" and "I only ever reply." in replies_only
    assert "No threads yet." not in replies_only and "listener’s replies" in replies_only
    assert tab_shown(main_of(client.get("/u/critic").get_data(as_text=True))) == "Threads"  # both: threads first
    assert tab_shown(main_of(client.get("/u/lurker").get_data(as_text=True))) == "Threads"  # neither
    chosen = main_of(client.get("/u/listener?tab=threads").get_data(as_text=True))  # a chosen tab is kept
    assert tab_shown(chosen) == "Threads" and "No threads yet." in chosen


def test_a_profile_opens_on_replies_when_the_viewer_may_see_none_of_the_threads(app, client, critic):
    listener = make_user(app, "listener")
    thread = make_thread(app, listener, "Removed soon")
    make_reply(app, critic["essay"].opening_post, listener, "A visible reply.")
    moderator = make_user(app, "moddy", role=Role.MODERATOR)
    with app.app_context():
        db.session.get(Post, thread.opening_post.id).hide(db.session.get(User, moderator.id), None)
        db.session.commit()
    assert tab_shown(main_of(client.get("/u/listener").get_data(as_text=True))) == "Replies"
    client.log_in(moderator)  # moderators see the hidden thread
    assert tab_shown(main_of(client.get("/u/listener").get_data(as_text=True))) == "Threads"


def test_the_headers_name_links_to_your_account_page_and_your_profile_links_back(app, client, critic):
    client.log_in(critic["critic"])
    front = client.get("/").get_data(as_text=True)
    header = front[front.index('<nav class="site-nav"'):front.index("</nav>")]
    assert '<a href="/account" title="Your account: email, password, sessions, your data">Critic</a>' in header
    assert "/account/password" not in header
    assert '<a href="/u/Critic">Your public profile</a>' in client.get("/account").get_data(as_text=True)
    own = main_of(client.get("/u/Critic").get_data(as_text=True))
    assert '<nav class="profile-account" aria-label="Account settings">' in own
    assert '<a class="action" href="/account">Your account</a>' in own
    assert '<a class="action" href="/account/password">Change password</a>' in own
    assert client.get("/account/password").status_code == 200
    assert "/account/password" not in main_of(client.get("/u/fan").get_data(as_text=True))  # not on someone else's
    assert "/account/password" not in main_of(app.test_client().get("/u/Critic").get_data(as_text=True))  # a visitor's


def test_author_names_link_to_profiles(app, client, critic):
    front = client.get("/").get_data(as_text=True)
    assert 'by <a href="/u/Critic">Critic</a>' in front
    thread = client.get(f"/threads/{critic['essay'].id}").get_data(as_text=True)
    assert '<a href="/u/Critic">Critic</a>' in thread  # after the author's avatar (tests/test_identity.py)
    assert '<a class="post__author" href="/u/fan">fan</a>' in thread


def test_profile_lists_paginate(app, client):
    member = make_user(app, "prolific")
    thread = make_thread(app, member, "Thread zero")
    for number in range(PROFILE_PER_PAGE + 3):
        make_reply(app, thread.opening_post, member, f"Numbered reply {number:02d}.")
    first = main_of(client.get("/u/prolific?tab=replies").get_data(as_text=True))
    second = main_of(client.get("/u/prolific?tab=replies&page=2").get_data(as_text=True))
    assert first.count('<li class="profile-item">') == PROFILE_PER_PAGE
    assert second.count('<li class="profile-item">') == 3
    assert f"Numbered reply {PROFILE_PER_PAGE + 2:02d}." in first and "Numbered reply 00." in second  # newest first
    assert "Page 1 of 2" in first and 'href="/u/prolific?page=2&amp;tab=replies"' in first


def test_hidden_and_deleted_posts_are_listed_to_moderators_only(app, client, critic):
    critic_threads = [critic["essay"], critic["second"]]
    with app.app_context():
        db.session.get(Post, critic_threads[0].opening_post.id).hidden = True
        db.session.get(Post, critic_threads[1].opening_post.id).deleted = True
        db.session.get(Post, critic["reply"].id).hidden = True
        db.session.commit()
    threads = main_of(client.get("/u/critic").get_data(as_text=True))
    replies = main_of(client.get("/u/critic?tab=replies").get_data(as_text=True))
    assert "Why Playtime still matters" not in threads and "Jeanne Dielman" not in threads and "No threads yet." in threads
    # the hidden reply is gone; the other reply sits in a thread whose opening post is hidden: gone too
    assert "A reply from the critic." not in replies and "The critic answers back." not in replies

    own = app.test_client()
    own.log_in(critic["critic"])  # not even to the member themself
    assert "Why Playtime still matters" not in main_of(own.get("/u/critic").get_data(as_text=True))

    moderator = make_user(app, "mod", role=Role.MODERATOR)
    client.log_in(moderator)
    threads = main_of(client.get("/u/critic").get_data(as_text=True))
    replies = main_of(client.get("/u/critic?tab=replies").get_data(as_text=True))
    assert "Why Playtime still matters" in threads and '<span class="badge badge--hidden">Hidden</span>' in threads
    assert "Jeanne Dielman" in threads and '<span class="badge badge--hidden">Deleted</span>' in threads
    assert "A reply from the critic." in replies and "The critic answers back." in replies


def test_profile_excerpts_never_show_spoilers(app, client):
    member = make_user(app, "spoiler_fan")
    open_thread = make_thread(app, member, "Open thread", body="The ending: ||she walks into the sea||.")
    spoiler_thread = make_thread(app, member, "Spoiler thread", body="Nothing hidden here", has_spoilers=True)
    make_reply(app, open_thread.opening_post, member, "Reply with ||the twist itself||.")
    make_reply(app, spoiler_thread.opening_post, member, "A plain sentence in a spoiler thread")
    marked = make_reply(app, open_thread.opening_post, member, "Marked as spoiler by moderators")
    with app.app_context():
        db.session.get(Post, marked.id).marked_spoiler = True
        db.session.commit()
    pages = client.get("/u/spoiler_fan").get_data(as_text=True) + client.get("/u/spoiler_fan?tab=replies").get_data(as_text=True)
    for secret in ("she walks into the sea", "the twist itself", "Nothing hidden here", "Marked as spoiler by moderators"):
        assert secret not in pages
    assert "The ending: [spoiler]." in pages and "Reply with [spoiler]." in pages
    # The spoiler thread's opening post is withheld; a reply in it shows its own spoiler-safe text.
    assert '<p class="profile-item__excerpt">A plain sentence in a spoiler thread</p>' in pages
    assert pages.count(f'<p class="profile-item__excerpt is-withheld">{WITHHELD_NOTICE}</p>') == 2


def test_profile_titles_never_show_spoilers(app, client):
    member = make_user(app, "titler")
    thread = make_thread(app, member, "Why ||Rosebud is the sled|| matters")
    make_reply(app, thread.opening_post, member, "A reply.")
    pages = client.get("/u/titler").get_data(as_text=True) + client.get("/u/titler?tab=replies").get_data(as_text=True)
    assert "Rosebud is the sled" not in pages and pages.count("Why [spoiler] matters") >= 2


def test_banned_shows_to_moderators_only(app, client, critic):
    moderator = make_user(app, "mod", role=Role.MODERATOR)
    with app.app_context():
        db.session.get(User, critic["fan"].id).ban(db.session.get(User, moderator.id), 7, "Spam")
        db.session.commit()
    assert "Banned" not in main_of(client.get("/u/fan").get_data(as_text=True))
    client.log_in(moderator)
    assert '<span class="badge badge--banned">Banned</span>' in main_of(client.get("/u/fan").get_data(as_text=True))


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_profile_runs_the_same_statements_for_3_and_40_items(app, client, count_queries, viewer, monkeypatch):
    monkeypatch.setattr("board.members.PROFILE_PER_PAGE", 50)  # all 40 on one page
    member = make_user(app, "counted")
    if viewer == "member":
        client.log_in(make_user(app))
    counts = []
    for total in (3, 40):
        with app.app_context():
            author = db.session.get(User, member.id)
            have = db.session.scalar(db.select(db.func.count(Thread.id)).where(Thread.author_id == member.id))
            for number in range(have, total):
                thread = Thread.start(author, Film.find_or_create(f"Film {number % 4}", None), f"T{number}", "Body", False)
                thread.opening_post.add_reply(author, f"Reply {number}")
            db.session.commit()
        for tab in ("threads", "replies"):
            with count_queries() as counter:
                response = client.get(f"/u/counted?tab={tab}")
            assert response.get_data(as_text=True).count('<li class="profile-item">') == total
            counts.append(counter.count)
    assert counts == [PROFILE_BUDGET[viewer]] * 4


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_a_profile_opened_on_replies_runs_the_same_statements_for_3_and_40(app, client, count_queries, viewer, monkeypatch):
    monkeypatch.setattr("board.members.PROFILE_PER_PAGE", 50)
    member, author = make_user(app, "replier"), make_user(app)
    if viewer == "member":
        client.log_in(make_user(app))
    counts = []
    for total in (3, 40):
        with app.app_context():
            thread = Thread.start(db.session.get(User, author.id), Film.find_or_create("Playtime", 1967), "T", "B", False)
            have = db.session.scalar(db.select(db.func.count(Post.id)).where(Post.author_id == member.id))
            for number in range(have, total):
                thread.opening_post.add_reply(db.session.get(User, member.id), f"Reply {number}")
            db.session.commit()
        with count_queries() as counter:
            response = client.get("/u/replier")
        assert response.get_data(as_text=True).count('<li class="profile-item">') == total
        counts.append(counter.count)
    assert counts == [PROFILE_BUDGET[viewer] + 2] * 2  # + the replies' page and count, after the empty threads'


# The bio ---------------------------------------------------------------------------------------------------------------

def test_bio_shows_sanitized_markdown_inside_hx_disable(app, client, critic):
    client.log_in(critic["critic"])
    response = client.submit("/u/Critic/bio", {"bio": "I like *long* films. <script>alert(1)</script> ||Spoiler||"})
    assert response.status_code == 303 and response.headers["Location"] == "/u/Critic"
    page = main_of(client.get("/u/critic").get_data(as_text=True))
    assert '<div class="prose bio__text" hx-disable><p>I like <em>long</em> films. &lt;script&gt;alert(1)&lt;/script&gt;' in page
    assert "<script>" not in page
    assert fetch(app, User, critic["critic"].id).bio_source.startswith("I like *long* films.")


def test_bio_edit_with_htmx_swaps_in_place(app, client, critic):
    client.log_in(critic["critic"])
    form = client.htmx_get("/u/Critic/bio")
    assert form.status_code == 200 and "<html" not in form.get_data(as_text=True)
    assert '<form class="bio stack" id="bio"' in form.get_data(as_text=True)
    response = client.submit("/u/Critic/bio", {"bio": "Cinephile."}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section class="bio" id="bio"') and "<p>Cinephile.</p>" in body
    assert "Bio saved." in body


def test_bio_edit_without_js_is_a_page(app, client, critic):
    client.log_in(critic["critic"])
    page = client.get("/u/Critic/bio").get_data(as_text=True)
    assert "<h1>Edit your bio</h1>" in page and "<html" in page


@pytest.mark.parametrize("htmx", [False, True])
def test_an_over_long_bio_is_a_422_with_the_form(app, client, critic, htmx):
    client.log_in(critic["critic"])
    response = client.submit("/u/Critic/bio", {"bio": "x" * (BIO_MAX + 1)}, htmx=htmx)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "At most 2,000 characters; this has 2,001. Shorten it by 1." in body
    assert ("<html" in body) != htmx
    assert fetch(app, User, critic["critic"].id).bio_source == ""


@pytest.mark.parametrize("htmx", [False, True])
def test_only_the_member_edits_their_bio(app, client, critic, htmx):
    client.log_in(critic["fan"])
    assert client.get("/u/Critic/bio").status_code == 403
    assert client.submit("/u/Critic/bio", {"bio": "Vandalised"}, htmx=htmx).status_code == 403
    assert fetch(app, User, critic["critic"].id).bio_source == ""
    assert client.submit("/u/nobody/bio", {"bio": "x"}, htmx=htmx).status_code == 404


def test_visitors_are_sent_to_log_in_to_edit_a_bio(app, client, critic):
    response = client.get("/u/Critic/bio")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert client.submit("/u/Critic/bio", {"bio": "x"}, htmx=True).status_code == 401


def test_the_edit_link_shows_to_the_member_only(app, client, critic):
    assert "Edit bio" not in client.get("/u/critic").get_data(as_text=True)
    client.log_in(critic["critic"])
    assert "Edit bio" in client.get("/u/critic").get_data(as_text=True)
