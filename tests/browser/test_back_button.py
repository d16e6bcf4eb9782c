"""Back after changing a page shows the page as it is now: a member who replied sees their reply, not a stale copy."""

import pytest
from playwright.sync_api import expect

from ..factories import make_reply, make_thread, make_user
from .conftest import htmx_settled, loads_a_new_page, log_in, stays_on_page

pytestmark = pytest.mark.browser


def a_thread_with_replies(app, replies: int = 4):
    author = make_user(app, "essayist")
    thread = make_thread(app, author, "On the last shot of Past Lives", film=("Past Lives", 2023))
    for number in range(replies):
        make_reply(app, thread.opening_post, author, f"An earlier reply, number {number + 1}.")
    return thread


def leave_and_come_back(page) -> None:
    """Away to the front page by the site name, then the browser's Back button."""
    page.get_by_role("link", name="Reelboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("On the last shot of Past Lives")
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("On the last shot of Past Lives")


def test_back_after_an_in_place_reply_shows_the_reply(live_server, open_page):
    app = live_server.app
    thread = a_thread_with_replies(app)
    make_user(app, "bob")
    bob = open_page()
    log_in(bob, "bob")
    bob.goto(f"/threads/{thread.id}")
    expect(bob.locator("#reply-count")).to_have_text("4 replies")
    with stays_on_page(bob):
        bob.get_by_label("Add a reply").fill("It was earned, every second of it.")
        bob.get_by_role("button", name="Post reply").click()
        expect(bob.locator("#reply-count")).to_have_text("5 replies")
        htmx_settled(bob)

    leave_and_come_back(bob)
    expect(bob.get_by_text("It was earned, every second of it.")).to_be_visible()
    expect(bob.locator("#reply-count")).to_have_text("5 replies")


def test_back_after_an_in_place_vote_shows_the_vote(live_server, open_page):
    app = live_server.app
    thread = a_thread_with_replies(app, replies=1)
    opening_id = thread.opening_post.id
    make_user(app, "bob")
    bob = open_page()
    log_in(bob, "bob")
    bob.goto(f"/threads/{thread.id}")
    with stays_on_page(bob):
        bob.locator(f"#vote-up-{opening_id}").click()
        expect(bob.locator(f"#vote-up-{opening_id}")).to_have_attribute("aria-pressed", "true")
        htmx_settled(bob)

    leave_and_come_back(bob)
    expect(bob.locator(f"#vote-up-{opening_id}")).to_have_attribute("aria-pressed", "true")
    expect(bob.locator(f"#vote-{opening_id} .vote__score")).to_have_text("1 point")


def test_back_after_a_reply_without_javascript_shows_the_reply(live_server, open_page):
    app = live_server.app
    thread = a_thread_with_replies(app)
    make_user(app, "bob")
    bob = open_page(java_script_enabled=False)
    log_in(bob, "bob")
    bob.goto(f"/threads/{thread.id}")
    with loads_a_new_page(bob):
        bob.get_by_label("Add a reply").fill("It was earned, every second of it.")
        bob.get_by_role("button", name="Post reply").click()
    expect(bob.locator("#reply-count")).to_have_text("5 replies")

    leave_and_come_back(bob)
    expect(bob.get_by_text("It was earned, every second of it.")).to_be_visible()
    expect(bob.locator("#reply-count")).to_have_text("5 replies")
    # Back once more, to the thread page as it was first opened, before the reply: it is shown as it is now too.
    bob.go_back()
    expect(bob).to_have_url(f"{live_server.url}/threads/{thread.id}")
    expect(bob.locator("#reply-count")).to_have_text("5 replies")



def test_back_after_logging_out_does_not_show_the_members_pages(live_server, open_page):
    """On a shared computer the next person presses Back: nothing of the member's comes back from the browser's cache."""
    app = live_server.app
    thread = a_thread_with_replies(app, replies=1)
    make_user(app, "bob")
    bob = open_page()
    log_in(bob, "bob")
    bob.goto("/inbox")
    expect(bob.get_by_role("heading", level=1)).to_have_text("Inbox")
    bob.goto(f"/threads/{thread.id}")
    expect(bob.get_by_label("Add a reply")).to_be_visible()
    bob.get_by_role("button", name="Log out").click()
    expect(bob.get_by_text("You have logged out on every device.")).to_be_visible()

    bob.go_back()  # the thread page, as a visitor sees it now: no name, no reply box, no token
    expect(bob.get_by_role("heading", level=1)).to_have_text("On the last shot of Past Lives")
    expect(bob.get_by_role("button", name="Log out")).to_have_count(0)
    expect(bob.get_by_label("Add a reply")).to_have_count(0)
    bob.go_back()  # the inbox is asked for again, and the board asks for a login
    expect(bob.get_by_role("heading", level=1)).to_have_text("Log in")


STORED_COPY = """async (url) => {
  try {
    const response = await fetch(url, {cache: "only-if-cached", mode: "same-origin"});
    return response.ok;
  } catch (error) {
    return false;  // nothing stored: only-if-cached fails rather than asking the server
  }
}"""


def test_the_browser_stores_no_copy_of_a_members_pages(live_server, open_page):
    """What the browser's cache holds after a member's visit: none of their pages (ASVS 14.3.2); a visitor's page, yes."""
    app = live_server.app
    thread = a_thread_with_replies(app, replies=1)
    make_user(app, "bob")
    bob = open_page()
    log_in(bob, "bob")
    for url in ("/inbox", f"/threads/{thread.id}", "/account/password"):
        bob.goto(url)
        assert bob.evaluate(STORED_COPY, url) is False, url
    visitor = open_page()
    visitor.goto(f"/threads/{thread.id}")
    assert visitor.evaluate(STORED_COPY, f"/threads/{thread.id}") is True  # the check sees a stored copy when there is one
