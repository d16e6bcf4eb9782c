"""The forgot-password journey in Chromium, the link read from what a real SMTP server received; axe on each page."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from ..mailbox import deliver_all, point_at, start_mailbox
from .conftest import log_in, register
from .test_accessibility import AXE_OPTIONS

pytestmark = pytest.mark.browser
NEW_PASSWORD = "a brand new secret"


@pytest.fixture
def mailbox(live_server):
    mailbox, controller = start_mailbox()
    point_at(live_server.app, mailbox)
    yield mailbox
    controller.stop()


def no_violations(page: Page) -> None:
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def test_confirm_an_address_forget_the_password_and_choose_a_new_one(live_server, open_page, mailbox):
    page = open_page()
    register(page, "ada_l")
    # An address for the account, confirmed through the link it receives.
    page.goto("/account/email")
    no_violations(page)
    page.get_by_label("New email address").fill("ada@example.com")
    page.get_by_label("Current password").fill("correct horse battery")
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.get_by_text("We sent a link to ada@example.com.")).to_be_visible()
    deliver_all(live_server.app)
    page.goto(mailbox.link_in(mailbox.to("ada@example.com")[-1]))
    no_violations(page)
    page.get_by_role("button", name="Confirm this address").click()
    expect(page.get_by_text("Your email address is now ada@example.com.")).to_be_visible()

    elsewhere = open_page()  # another device, still logged in when the password is reset
    log_in(elsewhere, "ada_l")

    # Forgotten: from the login page, a link by mail, a new password.
    page.get_by_role("button", name="Log out").click()
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    no_violations(page)
    page.get_by_label("Your account's email address").fill("not an address")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("That is not an email address we can send to")).to_be_visible()
    expect(page.get_by_label("Your account's email address")).to_have_value("not an address")
    no_violations(page)  # the page with its error
    page.get_by_label("Your account's email address").fill("ada@example.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("a link to choose a new password is on its way")).to_be_visible()

    deliver_all(live_server.app)
    [message] = [m for m in mailbox.to("ada@example.com") if m["Subject"] == "Choose a new Reelboard password"]
    link = mailbox.link_in(message)
    page.goto(link)
    expect(page.get_by_text("For ada_l.")).to_be_visible()
    no_violations(page)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Password set. Every other session has been logged out.")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    elsewhere.reload()
    expect(elsewhere.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")).to_be_visible()  # that session ended

    page.goto(link)  # used once: dead
    expect(page.get_by_text(re.compile("already used"))).to_be_visible()
    no_violations(page)
    page.get_by_role("button", name="Log out").click()
    log_in(page, "ada_l", NEW_PASSWORD)


def test_the_same_journey_works_without_javascript(live_server, open_page, mailbox):
    from board.extensions import db
    from board.models import User

    from ..factories import make_user

    app = live_server.app
    with app.app_context():
        db.session.get(User, make_user(app, "grace").id).email = "grace@example.com"
        db.session.commit()
    page = open_page(java_script_enabled=False)
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Your account's email address").fill("grace@example.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("a link to choose a new password is on its way")).to_be_visible()
    deliver_all(app)
    page.goto(mailbox.link_in(mailbox.to("grace@example.com")[-1]))
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill("not the same at all")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("The passwords differ.")).to_be_visible()  # the form again, its error beside the field
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Password set. Every other session has been logged out.")).to_be_visible()
