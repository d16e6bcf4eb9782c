"""Reading long threads in a real browser: folding a subtree (mouse, keyboard, no JavaScript), the new-replies
notice after another member replies, and axe on a long thread with folded subtrees and a cut branch."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from board.ranking import CONTINUE_DEPTH

from ..factories import make_reply, make_thread, make_user
from .conftest import htmx_settled, log_in
from .test_accessibility import AXE_OPTIONS, SCHEMES

pytestmark = pytest.mark.browser


def conversation(app):
    """A reply with two replies under it (one with its own reply), a second top-level reply, and a deep chain."""
    author, replier = make_user(app, "author"), make_user(app, "replier")
    thread = make_thread(app, author, "Does Tár earn its ending?", film=("Tár", 2022))
    folded = make_reply(app, thread.opening_post, replier, "The ending is a joke on her, and a good one.")
    first = make_reply(app, folded, author, "A joke, but not only.")
    make_reply(app, first, replier, "Agreed: it is also a mercy.")
    make_reply(app, folded, author, "The monster-hunter cosplay says it all.")
    parent = make_reply(app, thread.opening_post, author, "A long back-and-forth on the score.")
    for level in range(2, CONTINUE_DEPTH + 3):
        parent = make_reply(app, parent, replier if level % 2 else author, f"Level {level} of the argument.")
    return thread, folded, first


def check_folding(page, folded, first):
    fold = page.locator(f"#reply-{folded.id} > details.subtree")
    summary = fold.locator("> summary")
    expect(summary).to_have_text("Hide 3 replies", use_inner_text=True)
    expect(page.locator(f"#post-{first.id}")).to_be_visible()
    summary.click()
    expect(summary).to_have_text("Show 3 replies", use_inner_text=True)
    expect(page.locator(f"#post-{first.id}")).to_be_hidden()
    expect(page.locator(f"#post-{folded.id}")).to_be_visible()  # the reply itself stays
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#post-{first.id}")).to_be_visible()
    expect(summary).to_have_text("Hide 3 replies", use_inner_text=True)
    page.keyboard.press("Space")
    expect(page.locator(f"#post-{first.id}")).to_be_hidden()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_folding_a_subtree_with_mouse_and_keyboard(live_server, open_page, javascript):
    thread, folded, first = conversation(live_server.app)
    page = open_page(java_script_enabled=javascript)
    page.goto(f"/threads/{thread.id}")
    check_folding(page, folded, first)


def test_the_new_replies_notice_appears_after_another_member_replies(live_server, open_page):
    app = live_server.app
    app.config["NEW_REPLIES_POLL_SECONDS"] = 1
    thread, folded, _ = conversation(app)
    make_user(app, "reader")
    reader = open_page()
    log_in(reader, "reader")
    reader.goto(f"/threads/{thread.id}")
    notice = reader.locator(".new-replies-region")
    expect(notice).to_have_attribute("aria-live", "polite")
    reader.wait_for_timeout(1500)  # a poll or two with nothing new: no notice
    expect(notice.get_by_role("link")).to_have_count(0)

    other = open_page()
    log_in(other, "replier")
    other.goto(f"/threads/{thread.id}")
    other.get_by_label("Add a reply").fill("Late to this, but the ending is the best scene.")
    other.get_by_role("button", name="Post reply").click()
    expect(other.locator(".replies--top > li.reply").last).to_contain_text("the best scene")

    show = notice.get_by_role("link", name="1 new reply since you loaded this page — show")
    expect(show).to_be_visible(timeout=10_000)
    show.click()
    expect(reader.get_by_text("Late to this, but the ending is the best scene.")).to_be_visible()
    expect(reader).to_have_url(re.compile(rf"/threads/{thread.id}#post-\d+$"))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_long_thread_with_folded_subtrees_and_a_cut_branch_has_no_wcag_violations(live_server, new_context, scheme):
    app = live_server.app
    thread, folded, _ = conversation(app)
    make_user(app, "member")
    context = new_context(base_url=live_server.url, color_scheme=scheme)
    page = context.new_page()
    log_in(page, "member")
    page.goto(f"/threads/{thread.id}")
    page.locator(f"#reply-{folded.id} > details.subtree > summary").click()
    expect(page.locator(".continue-thread a")).to_be_visible()
    htmx_settled(page)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
    page.locator(".continue-thread a").click()
    expect(page.get_by_role("heading", name="A branch of the conversation")).to_be_visible()
    htmx_settled(page)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
