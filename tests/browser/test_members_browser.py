"""Profiles and the inbox in a real browser: marking read updates the header badge in place; axe finds nothing."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from board.extensions import db
from board.models import Notification, Post, User

from ..factories import make_reply, make_thread, make_user
from .conftest import htmx_settled, log_in, stays_on_page
from .test_accessibility import AXE_OPTIONS, SCHEMES

pytestmark = pytest.mark.browser


def notify(app, recipient, actor, thread, count: int) -> None:
    with app.app_context():
        opening = db.session.get(Post, thread.opening_post.id)
        for number in range(count):
            reply = opening.add_reply(db.session.get(User, actor.id), f"Reply {number} with ||a secret||, @{recipient.username}.")
            db.session.add(Notification(recipient_id=recipient.id, actor_id=actor.id, post_id=reply.id, kind="reply",
                                        topic=f"post:{reply.id}"))  # each its own inbox item
        db.session.commit()


def populate(app):
    """A critic with a bio, threads (one with spoilers) and replies, and three unread notifications."""
    critic, fan = make_user(app, "critic"), make_user(app, "fan")
    thread = make_thread(app, critic, "Past Lives: the bar scene", body="In-yun, and ||the goodbye||.",
                         film=("Past Lives", 2023))
    make_thread(app, critic, "Aftersun's last dance", body="Under Pressure.", film=("Aftersun", 2022), has_spoilers=True)
    make_reply(app, make_thread(app, fan, "Playtime", film=("Playtime", 1967)).opening_post, critic, "Tati, *always*.")
    with app.app_context():
        db.session.get(User, critic.id).set_bio("Writes about **long takes**. Favourite: https://example.com/playtime")
        db.session.commit()
    notify(app, critic, fan, thread, 3)
    return critic


def test_marking_read_updates_the_badge_in_place(live_server, open_page):
    populate(live_server.app)
    page = open_page()
    log_in(page, "critic")
    inbox_link = page.get_by_role("link", name="Inbox, 3 unread")
    expect(inbox_link).to_be_visible()
    inbox_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    expect(page.locator(".notification.is-unread")).to_have_count(3)
    htmx_settled(page)
    with stays_on_page(page):
        page.locator(".notification").first.get_by_role("button", name="Mark read").click()
        expect(page.get_by_role("link", name="Inbox, 2 unread")).to_be_visible()
        expect(page.locator(".notification.is-unread")).to_have_count(2)
        expect(page.locator(".notification").first).to_be_focused()
        htmx_settled(page)
        page.get_by_role("button", name="Mark all read").click()
        expect(page.get_by_role("link", name="Inbox", exact=True)).to_be_visible()
        expect(page.locator(".notification.is-unread")).to_have_count(0)
        expect(page.get_by_role("status")).to_contain_text("All notifications marked read.")
    expect(page.locator("main")).not_to_contain_text("a secret")


def test_bio_edits_in_place(live_server, open_page):
    populate(live_server.app)
    page = open_page()
    log_in(page, "critic")
    page.goto("/u/critic")
    htmx_settled(page)
    with stays_on_page(page):
        page.get_by_role("link", name="Edit bio").click()
        bio = page.get_by_label("Bio")
        expect(bio).to_be_focused()
        bio.fill("Now about *silence*.")
        page.get_by_role("button", name="Save bio").click()
        expect(page.locator("#bio em")).to_have_text("silence")
        htmx_settled(page)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", ["/u/critic", "/u/critic?tab=replies", "/inbox", "/u/critic/bio"])
def test_no_wcag_violations_on_member_pages(live_server, new_context, path, scheme):
    populate(live_server.app)
    context = new_context(base_url=live_server.url, color_scheme=scheme)
    page = context.new_page()
    log_in(page, "critic")
    page.goto(path)
    htmx_settled(page)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def tab_to(page, name: str, presses: int = 30) -> None:
    """Press Tab until the link or button called `name` has the focus, as a keyboard user would."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


@pytest.mark.parametrize("javascript", [True, False])
def test_the_headers_name_leads_by_keyboard_to_your_account_your_profile_and_its_account_settings(live_server, open_page,
                                                                                                 javascript):
    populate(live_server.app)
    page = open_page(java_script_enabled=javascript)
    log_in(page, "critic")
    tab_to(page, "critic")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page).to_have_url(f"{live_server.url}/account")
    tab_to(page, "Your public profile")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("critic")
    expect(page).to_have_url(f"{live_server.url}/u/critic")
    tab_to(page, "Change password")
    expect(page.get_by_role("navigation", name="Account settings").get_by_role("link", name="Change password")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change password")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_member_who_only_replies_opens_on_replies_without_wcag_violations(live_server, new_context, scheme):
    critic = populate(live_server.app)
    listener = make_user(live_server.app, "listener")
    with live_server.app.app_context():
        thread = db.session.scalar(db.select(Post).where(Post.author_id == critic.id, Post.parent_id.is_(None)))
        thread.add_reply(db.session.get(User, listener.id), "Only ever a reply, with ||a twist||.")
        db.session.commit()
    page = new_context(base_url=live_server.url, color_scheme=scheme).new_page()
    log_in(page, "listener")
    page.goto("/u/listener")  # the header's name leads to the account page, which links here
    expect(page.get_by_role("link", name="Replies", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator(".profile-item__excerpt")).to_have_text("Only ever a reply, with [spoiler].")
    expect(page.get_by_role("link", name="Change password")).to_be_visible()
    htmx_settled(page)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
