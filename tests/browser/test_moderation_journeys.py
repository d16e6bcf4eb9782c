"""Moderation in a real browser: reports, the queue, locks, bans, edits and deletes, in place and without JavaScript."""
import re

import pytest
from playwright.sync_api import Page, expect

from board.extensions import db
from board.models import Post, PostRevision, Report, Role, Thread, User

from ..factories import DEFAULT_PASSWORD, fetch, make_reply, make_thread, make_user
from .conftest import htmx_settled, loads_a_new_page, log_in, stays_on_page

pytestmark = pytest.mark.browser

BAN_REASON = "Spoiling the ending on release night"


def file_report(app, post, reporter, reason: str = "spam", details: str | None = None) -> None:
    with app.app_context():
        Report.file(db.session.get(Post, post.id), db.session.get(User, reporter.id), reason, details)
        db.session.commit()


def open_reports(app, post_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count(Report.id)).where(Report.post_id == post_id, Report.resolved_at.is_(None)))


def ban_notice(app, member_id: int) -> str:
    """What the board tells a banned member, as the database has the ban now."""
    with app.app_context():
        return db.session.get(User, member_id).ban_notice()


def toast(page: Page):
    """The live region where app.js announces a refused htmx request."""
    return page.locator("#toast[role=alert]")


def badge_name(count: int):
    """The header badge's accessible name ("Reports, 2 open"; Chromium puts a space before the hidden comma)."""
    return re.compile(rf"^Reports\s*,\s*{count} open$") if count else "Reports"


def expect_logged_out(page: Page) -> None:
    nav = page.get_by_role("navigation", name="Account")
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_have_count(0)


def try_to_log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()


# 1. Reporting a post --------------------------------------------------------------------------------------------------

def test_a_member_reports_a_reply_in_place_choosing_the_reason_by_keyboard(live_server, open_page):
    app = live_server.app
    author, replier = make_user(app, "author"), make_user(app, "replier")
    make_user(app, "reporter")
    thread = make_thread(app, author, "Oppenheimer in 70mm")
    reply = make_reply(app, thread.opening_post, replier, "The ending is that ||he was right all along||.")
    page = open_page()
    log_in(page, "reporter")
    page.goto(f"/threads/{thread.id}")
    post, slot = page.locator(f"#post-{reply.id}"), page.locator(f"#reply-slot-{reply.id}")
    with stays_on_page(page):
        post.get_by_role("link", name="Report").click()
        form = slot.locator("form.report-form")
        expect(form.get_by_role("group", name="Why are you reporting this post by replier?")).to_be_visible()
        first_reason, off_topic = form.get_by_label("Untagged spoiler"), form.get_by_label("Off-topic")
        expect(first_reason).to_be_focused()
        htmx_settled(page)
        # Arrow keys move through the radio group and check what they land on; Tab leaves it for the details.
        page.keyboard.press("ArrowDown")
        expect(off_topic).to_be_focused()
        expect(off_topic).to_be_checked()
        page.keyboard.press("ArrowUp")
        expect(first_reason).to_be_checked()
        expect(off_topic).not_to_be_checked()
        page.keyboard.press("Tab")
        details = form.get_by_label("Details")
        expect(details).to_be_focused()
        page.keyboard.type("Spoils the ending with no warning.")
        page.keyboard.press("Tab")
        expect(form.get_by_role("button", name="Send report")).to_be_focused()
        page.keyboard.press("Enter")
        done = slot.get_by_role("status")
        expect(done).to_have_text("Thanks — moderators will review this post.")
        expect(done).to_be_focused()
        expect(slot.locator("form")).to_have_count(0)
        htmx_settled(page)

        # Reporting the same post again: told in place that the report is already in, and nothing is filed.
        post.get_by_role("link", name="Report").click()
        expect(done).to_have_text("You have already reported this post; moderators will look at it.")
        expect(slot.locator("form")).to_have_count(0)
    with app.app_context():
        filed = [(report.post_id, report.reason, report.details) for report in db.session.scalars(db.select(Report))]
    assert filed == [(reply.id, "spoiler", "Spoils the ending with no warning.")]
    expect(post).to_contain_text("he was right all along")  # a report hides nothing by itself


# 2. Resolving reports from the queue ----------------------------------------------------------------------------------

def test_a_moderator_resolves_reports_from_the_queue_in_place(live_server, open_page):
    app = live_server.app
    author, troll, chatty = make_user(app, "author"), make_user(app, "troll"), make_user(app, "chatty")
    reporters = [make_user(app, "reporter1"), make_user(app, "reporter2")]
    make_user(app, "moddy", role=Role.MODERATOR)
    make_user(app, "reader")
    thread = make_thread(app, author, "Perfect Days: what is in the last shot?")
    off_topic = make_reply(app, thread.opening_post, troll, "Buy cheap sunglasses at my shop!")
    fine = make_reply(app, thread.opening_post, chatty, "Hirayama's face says everything.")
    make_reply(app, off_topic, chatty, "Please don't.")
    for reporter in reporters:
        file_report(app, off_topic, reporter, "spam")
    file_report(app, fine, reporters[0], "other", "I disagree with it.")

    page = open_page()
    log_in(page, "moddy")
    badge = page.locator("#report-badge")
    expect(badge).to_have_accessible_name(badge_name(2))
    badge.click()
    expect(page).to_have_url(f"{live_server.url}/moderation/reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    spam_entry, other_entry = page.locator(f"#report-entry-{off_topic.id}"), page.locator(f"#report-entry-{fine.id}")
    expect(page.locator(".report-queue > li")).to_have_count(2)
    expect(spam_entry).to_contain_text("2 open reports")
    expect(spam_entry.locator(".report-entry__reports > li")).to_have_count(2)
    expect(other_entry).to_contain_text("I disagree with it.")

    with stays_on_page(page):
        spam_entry.get_by_label("Reason (optional, shown publicly)").fill("Advertising")
        spam_entry.get_by_role("button", name="Hide", exact=True).click()
        expect(spam_entry).to_have_class(re.compile(r"\breport-entry--resolved\b"))
        expect(spam_entry.get_by_role("status")).to_have_text("Resolved: hidden (2 reports closed).")
        expect(spam_entry).to_be_focused()
        expect(badge).to_have_accessible_name(badge_name(1))
        expect(badge.locator(".badge--count")).to_have_text("1 open")
        htmx_settled(page)

        other_entry.get_by_role("button", name="Dismiss").click()
        expect(other_entry.get_by_role("status")).to_have_text("Resolved: dismissed (1 report closed).")
        expect(badge).to_have_accessible_name(badge_name(0))
        expect(badge.locator(".badge--count")).to_have_count(0)
    assert open_reports(app, off_topic.id) == open_reports(app, fine.id) == 0
    assert fetch(app, Post, off_topic.id).hidden and not fetch(app, Post, fine.id).hidden

    # A member sees the placeholder with the public reason, the dismissed reply as it was, and the answer kept.
    reader = open_page()
    log_in(reader, "reader")
    reader.goto(f"/threads/{thread.id}")
    expect(reader.locator(f"#post-{off_topic.id}")).to_have_text("Hidden by moderators: Advertising.")
    expect(reader.get_by_text("Buy cheap sunglasses")).to_have_count(0)
    expect(reader.locator(f"#post-{fine.id}")).to_contain_text("Hirayama's face says everything.")
    expect(reader.locator(f"#replies-{off_topic.id}")).to_contain_text("Please don't.")
    # ...and the public log records both decisions.
    reader.goto("/moderation/log")
    rows = reader.locator("table.log tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("dismissed reports on a reply by chatty")
    expect(rows.nth(1)).to_contain_text("hid a reply by troll")
    expect(rows.nth(1)).to_contain_text("Advertising")


# 3. Locking a thread --------------------------------------------------------------------------------------------------

def test_locking_a_thread_closes_it_in_place_and_refuses_a_stale_vote(live_server, open_page):
    app = live_server.app
    author, replier = make_user(app, "author"), make_user(app, "replier")
    make_user(app, "moddy", role=Role.MODERATOR)
    make_user(app, "member")
    thread = make_thread(app, author, "Saltburn discourse")
    opening_id = thread.opening_post.id
    reply = make_reply(app, thread.opening_post, replier, "The bathtub scene was too much.")

    # The member's page is loaded while the thread is open: vote buttons, Reply links, a reply form.
    member = open_page()
    log_in(member, "member")
    member.goto(f"/threads/{thread.id}")
    expect(member.locator(f"#reply-form-{opening_id}")).to_be_visible()
    stale_upvote = member.locator(f"#vote-{reply.id}").get_by_role("button", name="Upvote")
    expect(stale_upvote).to_be_visible()

    moderator = open_page()
    log_in(moderator, "moddy")
    moderator.goto(f"/threads/{thread.id}")
    head, join = moderator.locator("#thread-head"), moderator.locator("#join")
    expect(head.locator(".badge--locked")).to_have_count(0)
    expect(join.locator(".locked-notice")).to_have_count(0)
    with stays_on_page(moderator):
        head.get_by_role("button", name="Lock thread").click()
        expect(head.locator(".badge--locked")).to_have_text("Locked")
        expect(head.get_by_role("button", name="Unlock thread")).to_be_visible()
        # The reply area, swapped out of band: the notice, and the form a moderator may still use.
        expect(join.locator(".locked-notice")).to_have_text(
            "Locked. No new replies or votes; as a moderator you can still reply.")
        expect(join.locator(f"#reply-form-{opening_id}")).to_be_visible()
    assert fetch(app, Thread, thread.id).locked

    # The member's stale page still shows an Upvote button: pressing it is refused and announced; nothing changes.
    with stays_on_page(member):
        stale_upvote.click()
        expect(toast(member)).to_be_visible()
        expect(toast(member)).to_contain_text("This thread is locked: no new votes.")
        expect(member.locator(f"#vote-{reply.id} .vote__score")).to_have_text("0 points")
    assert fetch(app, Post, reply.id).score == 0

    # Reloaded, the page has the notice and no way to reply or vote.
    member.reload()
    expect(member.locator("#thread-head .badge--locked")).to_have_text("Locked")
    expect(member.locator("#join .locked-notice")).to_have_text("Locked. This thread takes no new replies or votes.")
    expect(member.locator("form.reply-form")).to_have_count(0)
    expect(member.get_by_role("link", name="Reply")).to_have_count(0)
    expect(member.locator(".vote__button")).to_have_count(0)
    expect(member.locator(f"#post-{reply.id} .vote__score")).to_have_text("0 points")


# 4. Banning a member --------------------------------------------------------------------------------------------------

def test_a_banned_members_next_action_is_refused_with_the_reason(live_server, open_page):
    app = live_server.app
    author = make_user(app, "author")
    bob = make_user(app, "bob")
    make_user(app, "moddy", role=Role.MODERATOR)
    thread = make_thread(app, author, "Anatomy of a Fall: did she do it?")
    opening_id = thread.opening_post.id
    reply = make_reply(app, thread.opening_post, bob, "She did, and here is how it ends...")

    member = open_page()
    log_in(member, "bob")
    member.goto(f"/threads/{thread.id}")
    upvote = member.locator(f"#vote-{opening_id}").get_by_role("button", name="Upvote")
    expect(upvote).to_be_visible()

    moderator = open_page()
    log_in(moderator, "moddy")
    moderator.goto(f"/threads/{thread.id}")
    control = moderator.locator(f"#post-{reply.id} #ban-control-{bob.id}")
    with stays_on_page(moderator):
        control.locator("summary", has_text="Ban bob").click()
        form = control.locator("form.ban-form")
        expect(form).to_be_visible()
        form.get_by_label("Ban for").select_option(label="3 days")
        form.get_by_label("Reason", exact=True).fill(BAN_REASON)
        form.get_by_role("button", name="Ban bob").click()
        expect(control.get_by_role("button", name="Unban bob")).to_be_visible()
        banned_until = fetch(app, User, bob.id).banned_until  # read once the answer is in
        expect(control.locator(".badge--banned")).to_have_text(f"Banned until {banned_until:%-d %b %Y}")
        expect(control.locator("form.ban-form")).to_have_count(0)
    notice = ban_notice(app, bob.id)
    assert notice.startswith("Your account is banned until ") and notice.endswith(f"Reason: {BAN_REASON}")

    # The member's page is still open: their next action is refused, and the toast says why and until when.
    with stays_on_page(member):
        upvote.click()
        expect(toast(member)).to_have_text(notice)
        expect(member.locator(f"#vote-{opening_id} .vote__score")).to_have_text("0 points")
    assert fetch(app, Post, opening_id).score == 0

    # That request ended the session: reloaded, they are a visitor; logging in again is refused with the notice.
    member.reload()
    expect_logged_out(member)
    expect(member.locator(f"#reply-form-{opening_id}")).to_have_count(0)
    try_to_log_in(member, "bob")
    expect(member.locator(".form-error")).to_have_text(notice)
    expect(member.get_by_role("alert").filter(has_text="Your account is banned")).to_be_visible()
    expect_logged_out(member)


def test_a_banned_member_reading_a_page_is_logged_out_with_the_notice(live_server, open_page):
    app = live_server.app
    bob = make_user(app, "bob")
    make_user(app, "moddy", role=Role.MODERATOR)
    thread = make_thread(app, make_user(app, "author"), "Poor Things")
    reply = make_reply(app, thread.opening_post, bob, "Too long by half.")
    member = open_page()
    log_in(member, "bob")
    moderator = open_page()
    log_in(moderator, "moddy")
    moderator.goto(f"/threads/{thread.id}")
    control = moderator.locator(f"#post-{reply.id} #ban-control-{bob.id}")
    control.locator("summary", has_text="Ban bob").click()
    control.get_by_label("Ban for").select_option(label="Permanently")
    control.get_by_label("Reason", exact=True).fill(BAN_REASON)
    control.get_by_role("button", name="Ban bob").click()
    expect(control.locator(".badge--banned")).to_have_text("Banned permanently")

    member.goto(f"/threads/{thread.id}")  # a read, not an action: the page loads, as a visitor's, with the notice
    expect(member.get_by_role("status")).to_contain_text(f"Your account is banned permanently. Reason: {BAN_REASON}")
    expect_logged_out(member)
    expect(member.locator(f"#reply-form-{thread.opening_post.id}")).to_have_count(0)


# 5. Editing a post and reading its history ----------------------------------------------------------------------------

def test_the_author_edits_a_reply_in_place_and_reads_its_history(live_server, open_page):
    app = live_server.app
    thread = make_thread(app, make_user(app, "author"), "Past Lives, again")
    alice = make_user(app, "alice")
    original = "The taxi scene *says* it all."
    reply = make_reply(app, thread.opening_post, alice, original)
    page = open_page()
    log_in(page, "alice")
    page.goto(f"/threads/{thread.id}")
    post, slot = page.locator(f"#post-{reply.id}"), page.locator(f"#reply-slot-{reply.id}")
    expect(post.locator(".post__edited")).to_have_count(0)
    with stays_on_page(page):
        post.get_by_role("link", name="Edit").click()
        body = slot.get_by_label("Post", exact=True)
        expect(body).to_have_value(original)
        expect(body).to_be_focused()
        htmx_settled(page)
        body.fill("The taxi scene *whispers* it all.")
        slot.get_by_role("button", name="Save changes").click()
        expect(post.locator(".post__body")).to_have_text("The taxi scene whispers it all.")
        expect(post.locator(".post__body em")).to_have_text("whispers")
        edited = post.get_by_role("link", name="edited")
        expect(edited).to_be_visible()
        expect(post.locator("form.edit-form")).to_have_count(0)
    with app.app_context():
        kept = db.session.scalars(db.select(PostRevision).where(PostRevision.post_id == reply.id)).all()
        assert [revision.body_source for revision in kept] == [original]

    edited.click()
    expect(page).to_have_url(f"{live_server.url}/posts/{reply.id}/history")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit history")
    versions = page.locator("li.version")
    expect(versions).to_have_count(2)
    expect(versions.nth(0).get_by_role("heading", level=2)).to_have_text("Current version")
    expect(versions.nth(0).locator(".version__body")).to_have_text("The taxi scene whispers it all.")
    expect(versions.nth(1).get_by_role("heading", level=2)).to_have_text("Version 1 (the original)")
    expect(versions.nth(1).locator(".version__body")).to_have_text("The taxi scene says it all.")
    diff = versions.nth(1).locator(".diff")
    expect(diff.locator("del")).to_have_text("says")
    expect(diff.locator("ins")).to_have_text("whispers")
    expect(diff).to_contain_text("The taxi scene *")


# 6. An author deletes their own reply ---------------------------------------------------------------------------------

def test_the_author_deletes_a_reply_in_place_and_its_replies_stay(live_server, open_page):
    app = live_server.app
    thread = make_thread(app, make_user(app, "author"), "Killers of the Flower Moon")
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    doomed = make_reply(app, thread.opening_post, alice, "Three and a half hours is fine, actually.")
    answer = make_reply(app, doomed, bob, "Agreed: it earns every minute.")
    page = open_page()
    log_in(page, "alice")
    page.goto(f"/threads/{thread.id}")
    post = page.locator(f"#post-{doomed.id}")
    confirm = post.get_by_role("button", name="Delete post")
    with stays_on_page(page):
        expect(confirm).to_be_hidden()
        post.locator("summary", has_text="Delete").click()
        expect(confirm).to_be_visible()
        confirm.click()
        expect(post).to_have_text("[deleted]")
        expect(post).to_have_class(re.compile(r"\bis-deleted\b"))
        expect(page.get_by_text("Three and a half hours")).to_have_count(0)
        kept = page.locator(f"#replies-{doomed.id} #post-{answer.id}")
        expect(kept).to_contain_text("Agreed: it earns every minute.")
        expect(page.locator("#reply-count")).to_have_text("2 replies")
    assert fetch(app, Post, doomed.id).deleted
    page.reload()
    expect(post).to_have_text("[deleted]")
    expect(kept).to_contain_text("Agreed: it earns every minute.")


# 7. Lock and ban without JavaScript -----------------------------------------------------------------------------------

def test_lock_and_ban_work_as_plain_forms_without_javascript(live_server, open_page):
    app = live_server.app
    author, bob = make_user(app, "author"), make_user(app, "bob")
    make_user(app, "moddy", role=Role.MODERATOR)
    locked = make_thread(app, author, "Barbie vs Oppenheimer")
    other = make_thread(app, author, "Godzilla Minus One")
    reply = make_reply(app, other.opening_post, bob, "The best Godzilla since 1954.")

    member = open_page(java_script_enabled=False)
    log_in(member, "bob")
    member.goto(f"/threads/{locked.id}")
    assert member.evaluate("typeof window.htmx") == "undefined"  # really without JavaScript
    upvote = member.locator(f"#vote-{locked.opening_post.id}").get_by_role("button", name="Upvote")
    expect(upvote).to_be_visible()

    moderator = open_page(java_script_enabled=False)
    log_in(moderator, "moddy")
    moderator.goto(f"/threads/{locked.id}")
    with loads_a_new_page(moderator):
        moderator.get_by_role("button", name="Lock thread").click()
    expect(moderator).to_have_url(f"{live_server.url}/threads/{locked.id}")
    expect(moderator.get_by_role("status")).to_have_text("Thread locked: no new replies or votes.")
    expect(moderator.locator("#thread-head .badge--locked")).to_have_text("Locked")
    expect(moderator.get_by_role("button", name="Unlock thread")).to_be_visible()
    expect(moderator.locator("#join .locked-notice")).to_contain_text("as a moderator you can still reply")

    # The member's page from before the lock: the vote is a plain POST, refused with a page saying so.
    with loads_a_new_page(member):
        upvote.click()
    expect(member.locator(".error-message[data-status='403']")).to_contain_text("This thread is locked: no new votes.")
    assert fetch(app, Post, locked.opening_post.id).score == 0
    member.goto(f"/threads/{locked.id}")
    expect(member.locator("#join .locked-notice")).to_have_text("Locked. This thread takes no new replies or votes.")
    expect(member.locator("form.reply-form")).to_have_count(0)
    expect(member.get_by_role("link", name="Reply")).to_have_count(0)
    expect(member.locator(".vote__button")).to_have_count(0)

    # The ban: the native <details> opens without JavaScript; the form posts and redirects back to the thread.
    member.goto(f"/threads/{other.id}")
    expect(member.locator(f"#reply-form-{other.opening_post.id}")).to_be_visible()
    moderator.goto(f"/threads/{other.id}")
    control = moderator.locator(f"#post-{reply.id} #ban-control-{bob.id}")
    control.locator("summary", has_text="Ban bob").click()
    control.get_by_label("Ban for").select_option(label="30 days")
    control.get_by_label("Reason", exact=True).fill(BAN_REASON)
    with loads_a_new_page(moderator):
        control.get_by_role("button", name="Ban bob").click()
    expect(moderator).to_have_url(f"{live_server.url}/threads/{other.id}")
    expect(moderator.get_by_role("status")).to_have_text("bob is banned.")
    banned_until = fetch(app, User, bob.id).banned_until
    expect(control.locator(".badge--banned")).to_have_text(f"Banned until {banned_until:%-d %b %Y}")
    expect(control.get_by_role("button", name="Unban bob")).to_be_visible()
    notice = ban_notice(app, bob.id)

    # The member, page still open, replies: refused with a page giving the reason; nothing is posted.
    with loads_a_new_page(member):
        member.get_by_label("Add a reply").fill("One more thing...")
        member.get_by_role("button", name="Post reply").click()
    expect(member.locator(".error-message[data-status='403']")).to_have_text(notice)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id)).where(Post.author_id == bob.id)) == 1
    member.goto(f"/threads/{other.id}")
    expect_logged_out(member)
    try_to_log_in(member, "bob")
    expect(member.locator(".form-error")).to_have_text(notice)
    expect_logged_out(member)
