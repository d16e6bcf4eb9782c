"""A long essay pasted into a text box: the count shows the limit as it is crossed, nothing is cut, over-long text is kept."""
import re

import pytest
from playwright.sync_api import expect

from board.extensions import db
from board.models import BODY_MAX, Post

from ..factories import long_essay, make_thread, make_user
from .conftest import htmx_settled, log_in

pytestmark = pytest.mark.browser


def test_an_essay_over_the_limit_is_counted_refused_with_its_text_and_posted_once_shortened(live_server, open_page):
    app = live_server.app
    make_user(app, "critic")
    page = open_page()
    log_in(page, "critic")
    page.get_by_role("link", name="New thread").click()
    count = page.locator("#body-count")
    expect(count).to_have_text(re.compile(r"^\s*0 of 100,000 characters\s*$"))

    essay = long_essay(BODY_MAX + 500)
    page.get_by_label("Title").fill("Persona, at length")
    page.get_by_label("Film", exact=True).fill("Persona")
    page.get_by_label("Post", exact=True).fill(essay)
    expect(page.get_by_label("Post", exact=True)).to_have_value(essay)  # nothing cut on the way in
    expect(count).to_have_text(re.compile(r"100,500 of 100,000 characters\s*, 500 over the limit"))
    expect(count).to_have_class(re.compile(r"character-count--over"))

    page.get_by_role("button", name="Post thread").click()
    expect(page.locator("#body-error")).to_have_text("At most 100,000 characters; this has 100,500. Shorten it by 500.")
    expect(page.get_by_label("Post", exact=True)).to_have_value(essay)  # every character kept
    expect(count).to_have_text(re.compile(r"100,500 of 100,000 characters\s*, 500 over the limit"))

    shortened = essay[:BODY_MAX]
    page.get_by_label("Post", exact=True).fill(shortened)
    expect(count).to_have_text(re.compile(r"^\s*100,000 of 100,000 characters\s*$"))
    expect(count).not_to_have_class(re.compile(r"character-count--over"))
    page.get_by_role("button", name="Post thread").click()
    expect(page).to_have_url(re.compile(r"/threads/\d+$"))
    with app.app_context():
        assert db.session.scalar(db.select(Post.body_source)) == shortened


def test_the_reply_box_counts_emoji_and_line_breaks_as_the_server_does(live_server, open_page):
    app = live_server.app
    thread = make_thread(app, make_user(app, "essayist"))
    make_user(app, "bob")
    page = open_page()
    log_in(page, "bob")
    page.goto(f"/threads/{thread.id}")
    box = page.get_by_label("Add a reply")
    box.fill("🎬 Persona\nBergman — 1966")
    htmx_settled(page)
    expect(page.locator(f"#reply-body-{thread.opening_post.id}-count")).to_have_text(
        re.compile(rf"^\s*{len('🎬 Persona' + chr(10) + 'Bergman — 1966')} of 100,000 characters\s*$"))
