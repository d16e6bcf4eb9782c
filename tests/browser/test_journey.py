"""The core journey with JavaScript on: replies, votes and moderation change the page in place."""
import re

import pytest
from playwright.sync_api import expect

from board.extensions import db
from board.models import Post, Role

from ..factories import fetch, make_reply, make_thread, make_user
from .conftest import fill_login_form, htmx_settled, log_in, register, reply_id_of, start_thread, stays_on_page

pytestmark = pytest.mark.browser


def count_posts(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Post.id)))


def test_register_post_reply_vote_pin_and_hide_in_place(live_server, open_page):
    app = live_server.app
    older = make_thread(app, make_user(app, "oldtimer"), "An older thread about Alien", film=("Alien", 1979))
    with app.app_context():  # liked: it stays above alice's thread, which gets replies (Hot counts them) and -1
        db.session.get(Post, older.opening_post.id).score = 5
        db.session.commit()

    # A visitor registers and starts a thread.
    alice = open_page()
    register(alice, "alice")
    thread_id = start_thread(alice, "Was the ending earned?", "Past Lives", "2023",
                             "The last shot: ||they part at the corner|| and *nothing* is said.", spoilers=True)
    expect(alice.locator("#thread-head")).to_contain_text("Contains spoilers")
    expect(alice.locator(".thread-head__film")).to_have_text("Past Lives (2023)")
    opening = alice.locator("article.post--opening")
    opening_id = int(opening.get_attribute("id").removeprefix("post-"))
    expect(opening.locator(".spoiler-text")).to_have_text("they part at the corner")

    # A second member replies with the form at the top of the conversation: in place, focused, form cleared.
    make_user(app, "bob")
    bob = open_page()
    log_in(bob, "bob")
    bob.goto(f"/threads/{thread_id}")
    top_form = bob.locator(f"#reply-form-{opening_id}")
    with stays_on_page(bob):
        top_form.get_by_label("Add a reply").fill("It was earned, every second of it.")
        top_form.get_by_role("button", name="Post reply").click()
        top_replies = bob.locator(f"#replies-{opening_id} > li.reply")
        expect(top_replies).to_have_count(1)
        expect(top_replies.first).to_contain_text("It was earned, every second of it.")
        bob_reply_id = reply_id_of(top_replies.first)
        expect(bob.locator(f"#post-{bob_reply_id}")).to_be_focused()
        expect(top_form.get_by_label("Add a reply")).to_have_value("")
        expect(bob.locator("#reply-count")).to_have_text("1 reply")

    # The first member answers that reply with its inline form: nested one level deeper, focused.
    alice.reload()
    with stays_on_page(alice):
        alice.locator(f"#post-{bob_reply_id}").get_by_role("link", name="Reply").click()
        slot = alice.locator(f"#reply-slot-{bob_reply_id}")
        inline_body = slot.get_by_label("Reply to bob")
        expect(inline_body).to_be_focused()
        htmx_settled(alice)
        inline_body.fill("Agreed, but the *bar* scene did the work.")
        slot.get_by_role("button", name="Post reply").click()
        nested = alice.locator(f"#reply-{bob_reply_id} > ol#replies-{bob_reply_id} > li.reply")
        expect(nested).to_have_count(1)
        expect(nested.first).to_contain_text("Agreed, but the bar scene did the work.")
        alice_reply_id = reply_id_of(nested.first)
        expect(alice.locator(f"#post-{alice_reply_id}")).to_be_focused()
        expect(slot).to_be_empty()
        expect(alice.locator("#reply-count")).to_have_text("2 replies")
    assert alice.locator(f"#replies-{opening_id} > li.reply").count() == 1  # not added at the top level too
    assert fetch(app, Post, alice_reply_id).parent_id == bob_reply_id

    # The second member votes on the opening post: the score and pressed state change in place, focus stays.
    # ("-1 point": the board's wording, like "1 point"; see test_posts.py.)
    votes = bob.locator(f"#vote-{opening_id}")
    up, down = bob.locator(f"#vote-up-{opening_id}"), bob.locator(f"#vote-down-{opening_id}")
    score = votes.locator(".vote__score")
    expect(up).to_have_accessible_name("Upvote")
    with stays_on_page(bob):
        for button, points, up_pressed, down_pressed in [(up, "1 point", "true", "false"),
                                                         (up, "0 points", "false", "false"),
                                                         (down, "-1 point", "false", "true")]:
            button.click()
            expect(score).to_have_text(points)
            expect(up).to_have_attribute("aria-pressed", up_pressed)
            expect(down).to_have_attribute("aria-pressed", down_pressed)
            expect(button).to_be_focused()
            htmx_settled(bob)  # the new buttons are live only once settled
        # ...and by keyboard: Shift+Tab from Downvote reaches Upvote and Enter presses it; Tab back, Space presses Downvote.
        bob.keyboard.press("Shift+Tab")
        expect(up).to_be_focused()
        bob.keyboard.press("Enter")
        expect(score).to_have_text("1 point")
        expect(up).to_have_attribute("aria-pressed", "true")
        expect(up).to_be_focused()
        htmx_settled(bob)
        bob.keyboard.press("Tab")
        expect(down).to_be_focused()
        bob.keyboard.press("Space")
        expect(score).to_have_text("-1 point")
        expect(down).to_have_attribute("aria-pressed", "true")
        expect(up).to_have_attribute("aria-pressed", "false")
        expect(down).to_be_focused()
    assert fetch(app, Post, opening_id).score == -1

    # An admin pins the thread that was not first on the front page.
    make_user(app, "admin1", role=Role.ADMIN)
    admin = open_page()
    log_in(admin, "admin1")
    rows = admin.locator(".thread-row__title a")
    expect(rows.first).to_have_text(older.title)  # alice's is newer and discussed, but has -1 points to 5
    expect(rows.nth(1)).to_have_text("Was the ending earned?")
    admin.goto(f"/threads/{thread_id}")
    head = admin.locator("#thread-head")
    with stays_on_page(admin):
        head.locator("summary", has_text="Pin thread").click()  # the disclosure with the optional expiry date
        head.get_by_role("button", name="Pin", exact=True).click()
        expect(head.locator(".badge--pinned")).to_have_text("Pinned")
        expect(head.get_by_role("button", name="Unpin thread")).to_be_visible()
    admin.goto("/")
    first_row = admin.locator(".thread-row").first
    expect(first_row.locator(".thread-row__title a")).to_have_text("Was the ending earned?")
    expect(first_row.locator(".badge--pinned")).to_have_text("Pinned")

    # The admin hides the second member's reply with a reason: the post changes in place.
    admin.goto(f"/threads/{thread_id}")
    hidden_post = admin.locator(f"#post-{bob_reply_id}")
    with stays_on_page(admin):
        hidden_post.locator("summary", has_text="Hide").click()
        hidden_post.get_by_label("Reason (optional)").fill("Off-topic heckling")
        hidden_post.get_by_role("button", name="Hide post").click()
        expect(hidden_post).to_have_class(re.compile(r"\bis-hidden\b"))
        expect(hidden_post.locator(".post__moderation-note")).to_contain_text("Hidden by moderators: Off-topic heckling")
        expect(hidden_post.get_by_role("button", name="Unhide")).to_be_visible()
        expect(hidden_post.get_by_role("button", name="Hide post")).to_have_count(0)

    # The first member sees a placeholder where the reply was, and the replies under it.
    alice.reload()
    bob_post = alice.locator(f"#post-{bob_reply_id}")
    expect(bob_post).to_have_text("Hidden by moderators: Off-topic heckling.")  # the reason is public
    expect(bob_post).not_to_contain_text("It was earned")
    expect(alice.get_by_text("It was earned, every second of it.")).to_have_count(0)
    expect(alice.locator(f"#replies-{bob_reply_id} #post-{alice_reply_id}")).to_contain_text(
        "Agreed, but the bar scene did the work.")


def test_a_visitor_voting_is_sent_to_log_in_and_back(live_server, open_page):
    app = live_server.app
    author = make_user(app, "author")
    make_user(app, "visitor")
    thread = make_thread(app, author, "Vote on me")
    opening_id = thread.opening_post.id
    page = open_page()
    page.goto(f"/threads/{thread.id}")
    page.get_by_role("button", name="Log in to upvote").first.click()  # a visitor's arrows are a link to log in
    expect(page).to_have_url(f"{live_server.url}/login?next=%2Fposts%2F{opening_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert fetch(app, Post, opening_id).score == 0
    fill_login_form(page, "visitor")
    expect(page).to_have_url(f"{live_server.url}/threads/{thread.id}#post-{opening_id}")
    expect(page.locator(f"#vote-{opening_id} .vote__score")).to_have_text("0 points")
    page.locator(f"#vote-{opening_id}").get_by_role("button", name="Upvote").click()  # now a member's vote
    expect(page.locator(f"#vote-{opening_id} .vote__score")).to_have_text("1 point")


def test_an_empty_inline_reply_shows_the_error_in_place(live_server, open_page):
    app = live_server.app
    author, replier = make_user(app, "author"), make_user(app, "replier")
    make_user(app, "reader")
    thread = make_thread(app, author, "Talk")
    reply = make_reply(app, thread.opening_post, replier, "A first reply")
    page = open_page()
    log_in(page, "reader")
    page.goto(f"/threads/{thread.id}")
    before = count_posts(app)
    slot = page.locator(f"#reply-slot-{reply.id}")
    children = page.locator(f"#replies-{reply.id} > li")
    with stays_on_page(page):
        page.locator(f"#post-{reply.id}").get_by_role("link", name="Reply").click()
        body = slot.get_by_label("Reply to replier")
        expect(body).to_be_focused()
        htmx_settled(page)
        body.fill("")  # the field has no `required`: nothing in the browser stops an empty reply
        slot.get_by_role("button", name="Post reply").click()
        error = slot.locator(f"#reply-body-{reply.id}-error")
        expect(error).to_have_text("This can't be empty.")
        expect(body).to_have_attribute("aria-invalid", "true")
        expect(body).to_have_attribute("aria-describedby", re.compile(rf"\breply-body-{reply.id}-error\b"))
        expect(children).to_have_count(0)
        assert count_posts(app) == before
        htmx_settled(page)
        # The form it was swapped for still works in place.
        body.fill("Now with words.")
        slot.get_by_role("button", name="Post reply").click()
        expect(children).to_have_count(1)
        expect(children.first).to_contain_text("Now with words.")
        expect(slot).to_be_empty()
    assert count_posts(app) == before + 1
