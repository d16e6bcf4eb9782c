"""The same journey with JavaScript off: every action is a plain form post and a full page load."""
import re
import time

import pytest
from playwright.sync_api import expect

from board.models import Post, Role

from ..factories import fetch, make_thread, make_user
from .conftest import loads_a_new_page, log_in, register, reply_id_of, start_thread

pytestmark = pytest.mark.browser


def test_register_post_reply_vote_pin_and_hide_without_javascript(live_server, open_page):
    app = live_server.app
    older = make_thread(app, make_user(app, "oldtimer"), "An older thread about Alien", film=("Alien", 1979))

    alice = open_page(java_script_enabled=False)
    register(alice, "alice")
    thread_id = start_thread(alice, "Was the ending earned?", "Past Lives", "2023",
                             "The last shot says *nothing*.", spoilers=True)
    assert alice.evaluate("typeof window.htmx") == "undefined"  # really without JavaScript
    opening_id = int(alice.locator("article.post--opening").get_attribute("id").removeprefix("post-"))

    # A second member replies with the form at the top: the browser navigates to the new reply's anchor.
    make_user(app, "bob")
    bob = open_page(java_script_enabled=False)
    log_in(bob, "bob")
    bob.goto(f"/threads/{thread_id}")
    with loads_a_new_page(bob):
        bob.get_by_label("Add a reply").fill("It was earned, every second of it.")
        bob.get_by_role("button", name="Post reply").click()
    expect(bob).to_have_url(re.compile(rf"/threads/{thread_id}#post-\d+$"))
    bob_reply_id = int(bob.url.rsplit("#post-", 1)[1])
    top_replies = bob.locator(f"#replies-{opening_id} > li.reply")
    expect(top_replies).to_have_count(1)
    assert reply_id_of(top_replies.first) == bob_reply_id
    expect(top_replies.first).to_contain_text("It was earned, every second of it.")
    expect(bob.locator("#reply-count")).to_have_text("1 reply")

    # The first member follows "Reply" on it to the reply page, and lands back at the nested reply.
    alice.goto(f"/threads/{thread_id}")
    alice.locator(f"#post-{bob_reply_id}").get_by_role("link", name="Reply").click()
    expect(alice).to_have_url(f"{live_server.url}/posts/{bob_reply_id}/reply")
    expect(alice.get_by_role("heading", level=1)).to_have_text("Reply to bob")
    with loads_a_new_page(alice):
        alice.get_by_label("Reply to bob").fill("Agreed, but the *bar* scene did the work.")
        alice.get_by_role("button", name="Post reply").click()
    expect(alice).to_have_url(re.compile(rf"/threads/{thread_id}#post-\d+$"))
    alice_reply_id = int(alice.url.rsplit("#post-", 1)[1])
    nested = alice.locator(f"#reply-{bob_reply_id} ol#replies-{bob_reply_id} > li.reply")  # (inside its fold)
    expect(nested).to_have_count(1)
    assert reply_id_of(nested.first) == alice_reply_id
    expect(nested.first).to_contain_text("Agreed, but the bar scene did the work.")
    expect(alice.locator("#reply-count")).to_have_text("2 replies")

    # The second member votes up, takes it back, votes down, takes that back: a page load each time.
    bob.goto(f"/threads/{thread_id}")
    for name, points, up_pressed, down_pressed in [("Upvote", "1 point", "true", "false"),
                                                   ("Upvote", "0 points", "false", "false"),
                                                   ("Downvote", "-1 point", "false", "true"),
                                                   ("Downvote", "0 points", "false", "false")]:
        with loads_a_new_page(bob):
            bob.locator(f"#vote-{opening_id}").get_by_role("button", name=name).click()
        expect(bob).to_have_url(f"{live_server.url}/threads/{thread_id}#post-{opening_id}")
        expect(bob.locator(f"#vote-{opening_id} .vote__score")).to_have_text(points)
        expect(bob.locator(f"#vote-up-{opening_id}")).to_have_attribute("aria-pressed", up_pressed)
        expect(bob.locator(f"#vote-down-{opening_id}")).to_have_attribute("aria-pressed", down_pressed)
    assert fetch(app, Post, opening_id).score == 0

    # An admin pins the older thread, which the newer one had pushed down the front page.
    make_user(app, "admin1", role=Role.ADMIN)
    admin = open_page(java_script_enabled=False)
    log_in(admin, "admin1")
    titles = admin.locator(".thread-row__title a")
    expect(titles).to_have_text(["Was the ending earned?", older.title])
    admin.goto(f"/threads/{older.id}")
    with loads_a_new_page(admin):
        admin.locator("summary", has_text="Pin thread").click()  # the native <details> with the optional expiry date
        admin.get_by_role("button", name="Pin", exact=True).click()
    expect(admin).to_have_url(f"{live_server.url}/threads/{older.id}")
    expect(admin.locator("#thread-head .badge--pinned")).to_have_text("Pinned")
    expect(admin.get_by_text("Thread pinned.")).to_be_visible()
    admin.goto("/")
    expect(titles).to_have_text([older.title, "Was the ending earned?"])
    expect(admin.locator(".thread-row").first.locator(".badge--pinned")).to_have_text("Pinned")

    # The admin hides the second member's reply with a reason, through the native <details>.
    admin.goto(f"/threads/{thread_id}")
    hidden_post = admin.locator(f"#post-{bob_reply_id}")
    reason = hidden_post.get_by_label("Reason (optional)")
    expect(reason).to_be_hidden()
    hidden_post.locator("summary", has_text="Hide").click()
    expect(reason).to_be_visible()
    reason.fill("Off-topic heckling")
    with loads_a_new_page(admin):
        hidden_post.get_by_role("button", name="Hide post").click()
    expect(admin).to_have_url(f"{live_server.url}/threads/{thread_id}#post-{bob_reply_id}")
    expect(hidden_post).to_have_class(re.compile(r"\bis-hidden\b"))
    expect(hidden_post.locator(".post__moderation-note")).to_contain_text("Hidden by moderators: Off-topic heckling")
    expect(hidden_post.get_by_role("button", name="Unhide")).to_be_visible()

    # The first member sees the placeholder, and the replies under it.
    alice.goto(f"/threads/{thread_id}")
    expect(alice.locator(f"#post-{bob_reply_id}")).to_have_text("Hidden by moderators: Off-topic heckling.")
    expect(alice.get_by_text("It was earned, every second of it.")).to_have_count(0)
    expect(alice.locator(f"#replies-{bob_reply_id} #post-{alice_reply_id}")).to_contain_text(
        "Agreed, but the bar scene did the work.")


# Computed style of a spoiler's text: obscured means no legible glyphs (transparent, same colour as
# its background, blurred, or invisible), whatever technique the stylesheet uses.
SPOILER_STYLE = """el => {
  const style = getComputedStyle(el);
  return {color: style.color, background: style.backgroundColor, filter: style.filter, opacity: style.opacity};
}"""


def is_obscured(style: dict) -> bool:
    alpha = re.fullmatch(r"rgba\(\s*[\d.]+,\s*[\d.]+,\s*[\d.]+,\s*([\d.]+)\s*\)", style["color"])
    return (
        style["color"] == "transparent"
        or (alpha is not None and float(alpha.group(1)) == 0)
        or style["color"] == style["background"]
        or "blur" in style["filter"]
        or float(style["opacity"]) == 0
    )


def test_a_spoiler_is_revealed_by_keyboard_focus_without_javascript(live_server, open_page):
    app = live_server.app
    thread = make_thread(app, make_user(app, "author"), "The twist", body="In the end ||like this|| happens.",
                         has_spoilers=True)
    page = open_page(java_script_enabled=False)
    page.goto(f"/threads/{thread.id}")
    spoiler = page.locator(f"#post-{thread.opening_post.id} .spoiler")
    text = spoiler.locator(".spoiler-text")
    expect(text).to_have_text("like this")  # in the page for screen readers, only obscured
    before = text.evaluate(SPOILER_STYLE)
    assert is_obscured(before), f"the spoiler is legible before it is focused: {before}"

    for _ in range(30):  # Tab through the page until the spoiler has focus
        page.keyboard.press("Tab")
        if spoiler.evaluate("el => el === document.activeElement"):
            break
    expect(spoiler).to_be_focused()

    deadline = time.monotonic() + 2  # allow for a reveal transition
    while is_obscured(after := text.evaluate(SPOILER_STYLE)) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert not is_obscured(after), f"the focused spoiler is still obscured: {after}"
