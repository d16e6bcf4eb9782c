"""The account page journey in Chromium with JavaScript off: from the header to /account, log out everywhere else,
download the data, delete the account (a wrong password first). axe checks /account and the deletion form with its
error in test_accessibility (axe needs JavaScript)."""
import json

import pytest
from playwright.sync_api import expect

from ..factories import make_reply, make_thread, make_user
from .conftest import log_in

pytestmark = pytest.mark.browser


def test_the_account_page_journey_without_javascript(live_server, open_page):
    app = live_server.app
    leaver, bob = make_user(app, "leaver"), make_user(app, "bob")
    thread = make_thread(app, bob, "Who watches Jeanne Dielman?", film=("Jeanne Dielman", 1975))
    reply = make_reply(app, thread.opening_post, leaver, "All 201 minutes of *it*.")
    make_reply(app, reply, bob, "And the potatoes!")

    page = open_page(java_script_enabled=False)
    log_in(page, "leaver")
    assert page.evaluate("typeof window.htmx") == "undefined"
    elsewhere = open_page(java_script_enabled=False)  # another device
    log_in(elsewhere, "leaver")

    page.get_by_role("navigation", name="Account").get_by_role("link", name="leaver").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    page.get_by_role("button", name="Log out everywhere else").click()
    expect(page.get_by_text("You are logged out everywhere else. This session goes on.")).to_be_visible()
    elsewhere.reload()
    expect(elsewhere.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data").click()
    assert download.value.suggested_filename.startswith("reelboard-leaver-")
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert [row["body_markdown"] for row in data["replies"]] == ["All 201 minutes of *it*."]

    page.get_by_role("link", name="Delete your account…").click()
    page.get_by_label("Remove the text of my posts").check()
    page.get_by_label("Your current password").fill("not the password at all")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That is not your current password.")).to_be_visible()
    expect(page.get_by_label("Remove the text of my posts")).to_be_checked()  # the choice is kept
    page.get_by_label("Your current password").fill("correct horse battery")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")).to_be_visible()

    page.goto(f"/threads/{thread.id}")
    expect(page.locator(f"#post-{reply.id} .post__placeholder")).to_have_text("[deleted]")
    expect(page.get_by_text("And the potatoes!")).to_be_visible()  # the reply under it keeps its place
    expect(page.get_by_text("All 201 minutes")).to_have_count(0)
    assert page.goto("/u/leaver").status == 410
