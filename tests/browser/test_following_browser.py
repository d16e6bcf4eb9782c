"""Mentions and their suggestion list, grouped notifications, follow, mute, block and save in a real Chromium — each
with JavaScript on (in place, no page load) and off (plain forms) — and axe at zero violations on the changed pages."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from board.extensions import db
from board.models import Post, User
from board.notifications import notify_for

from ..factories import make_reply, make_thread, make_user
from .conftest import htmx_settled, loads_a_new_page, log_in, stays_on_page
from .test_accessibility import AXE_OPTIONS

pytestmark = pytest.mark.browser
JS = [True, False]
JS_IDS = ["js", "no-js"]


def seed(app) -> dict:
    author, replier, reader = make_user(app, "author"), make_user(app, "replier"), make_user(app, "reader")
    make_user(app, "readerly")
    thread = make_thread(app, author, "Past Lives and In-yun", film=("Past Lives", 2023), body="The bar scene.")
    return {"author": author, "replier": replier, "reader": reader, "thread": thread}


def replies_through_the_board(app, parent_id: int, author, bodies) -> None:
    """Replies as the reply form writes them: each notifying whom it should."""
    with app.app_context():
        for body in bodies:
            parent = db.session.get(Post, parent_id)
            notify_for(parent.add_reply(db.session.get(User, author.id), body), replied_to=parent)
            db.session.commit()


def no_axe_violations(page: Page) -> None:
    htmx_settled(page)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def acts(page: Page, javascript: bool):
    return stays_on_page(page) if javascript else loads_a_new_page(page)


def test_a_mention_is_suggested_while_typing_and_posted_as_a_link(live_server, open_page):
    board = seed(live_server.app)
    page = open_page()
    log_in(page, "replier")
    page.goto(f"/threads/{board['thread'].id}")
    box = page.get_by_label("Add a reply")
    box.click()
    box.press_sequentially("Ask @rea", delay=30)
    listbox = page.get_by_role("listbox", name="Members to mention")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(2)
    expect(page.locator(f"#{box.get_attribute('id')}-mentions-status")).to_have_text("2 members found")
    no_axe_violations(page)
    box.press("ArrowDown")
    first = listbox.get_by_role("option").nth(0)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    box.press("Enter")  # picks the name: no new line, no submit
    expect(box).to_have_value("Ask @reader ")
    expect(listbox).to_be_hidden()
    box.press_sequentially("about it.")
    page.get_by_role("button", name="Post reply").click()
    link = page.locator(".post__body a.mention", has_text="@reader")
    expect(link).to_have_attribute("href", "/u/reader")
    no_axe_violations(page)


def test_a_mention_becomes_a_link_without_javascript(live_server, open_page):
    board = seed(live_server.app)
    page = open_page(java_script_enabled=False)
    log_in(page, "replier")
    page.goto(f"/threads/{board['thread'].id}")
    page.get_by_label("Add a reply").fill("Ask @Reader and @nobody_here.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".post__body a.mention")).to_have_count(1)
    expect(page.locator(".post__body a.mention")).to_have_attribute("href", "/u/reader")


@pytest.mark.parametrize("javascript", JS, ids=JS_IDS)
def test_replies_to_one_post_are_one_inbox_item(live_server, open_page, javascript):
    board = seed(live_server.app)
    replies_through_the_board(live_server.app, board["thread"].opening_post.id, board["replier"],
                              [f"Reply {number}" for number in range(5)])
    page = open_page(java_script_enabled=javascript)
    log_in(page, "author")
    page.goto("/inbox")
    items = page.locator(".notification")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("5 new replies to your post in “Past Lives and In-yun”")
    expect(page.locator("#inbox-link")).to_have_attribute("aria-label", "Inbox, 1 unread item")
    with live_server.app.app_context():
        first = db.session.scalar(db.select(db.func.min(Post.id)).where(Post.parent_id.is_not(None)))
    expect(page.get_by_role("link", name=re.compile("5 new replies"))).to_have_attribute("href", f"/posts/{first}")
    if javascript:
        no_axe_violations(page)
    with acts(page, javascript):
        page.get_by_role("button", name=re.compile("^Mark read")).click()
    expect(page.locator(".notification.is-unread")).to_have_count(0)
    expect(items.first).to_contain_text("5 replies to your post in")
    page.get_by_role("link", name=re.compile("5 replies to your post")).click()  # all read: to the latest
    expect(page).to_have_url(re.compile(rf"#post-{first + 4}$"))


@pytest.mark.parametrize("javascript", JS, ids=JS_IDS)
def test_follow_then_mute_a_thread(live_server, open_page, javascript):
    board = seed(live_server.app)
    page = open_page(java_script_enabled=javascript)
    log_in(page, "reader")
    page.goto(f"/threads/{board['thread'].id}")
    with acts(page, javascript):
        page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.locator("#thread-follow")).to_contain_text("You follow this thread")
    if javascript:
        no_axe_violations(page)
    replies_through_the_board(live_server.app, board["thread"].opening_post.id, board["replier"], ["One", "Two"])
    page.goto("/inbox")
    expect(page.locator(".notification").first).to_contain_text("2 new replies in “Past Lives and In-yun”, a thread you follow")
    page.goto(f"/threads/{board['thread'].id}")
    with acts(page, javascript):
        page.get_by_role("button", name="Mute", exact=True).click()
    expect(page.locator("#thread-follow")).to_contain_text("You muted this thread")
    replies_through_the_board(live_server.app, board["thread"].opening_post.id, board["replier"], ["Three, @reader"])
    page.goto("/inbox")
    expect(page.locator(".notification").first).not_to_contain_text("3")


@pytest.mark.parametrize("javascript", JS, ids=JS_IDS)
def test_block_a_member_folds_their_posts_away(live_server, open_page, javascript):
    board = seed(live_server.app)
    make_reply(live_server.app, board["thread"].opening_post, board["replier"], "A reply you would rather not read")
    page = open_page(java_script_enabled=javascript)
    log_in(page, "reader")
    page.goto("/u/replier")
    with acts(page, javascript):
        page.get_by_role("button", name="Block replier").click()
    expect(page.get_by_role("button", name="Unblock replier")).to_be_visible()
    if javascript:
        no_axe_violations(page)
    page.goto(f"/threads/{board['thread'].id}")
    text = page.get_by_text("A reply you would rather not read")
    expect(text).to_be_hidden()
    page.get_by_text("Post by a member you blocked — show").click()  # a <details>: no JavaScript needed
    expect(text).to_be_visible()
    if javascript:
        no_axe_violations(page)


@pytest.mark.parametrize("javascript", JS, ids=JS_IDS)
def test_save_a_post_and_find_it_in_saved(live_server, open_page, javascript):
    board = seed(live_server.app)
    saved = make_reply(live_server.app, board["thread"].opening_post, board["replier"], "Worth keeping")
    page = open_page(java_script_enabled=javascript)
    log_in(page, "reader")
    page.goto(f"/threads/{board['thread'].id}")
    button = page.locator(f"#bookmark-{saved.id} button")
    with acts(page, javascript):
        button.click()
    expect(page.locator(f"#bookmark-{saved.id} button")).to_have_attribute("aria-pressed", "true")
    page.goto("/u/reader")
    page.get_by_role("link", name="Saved").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved")
    expect(page.get_by_text("Worth keeping")).to_be_visible()
    if javascript:
        no_axe_violations(page)
