"""Who answers whom in a real browser (issue #11): badges and "replying to", the thread line that collapses a reply
with its subtree (keyboard, remembered for the tab's session, everything shown without JavaScript), the new-replies
notice fixed where the reader is, no sideways scroll on a phone with deep nesting, and axe in light and dark."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from board.extensions import db
from board.models import Role, Thread
from board.ranking import CONTINUE_DEPTH

from ..factories import make_reply, make_thread, make_user
from .conftest import htmx_settled, log_in
from .test_accessibility import AXE_OPTIONS, SCHEMES, as_moderator

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


def conversation(app):
    """The essayist's thread: bobby's reply with the essayist's answer (carol replies to it) and carol's own
    answer; a deep chain cut by "continue this thread" (three replies behind it)."""
    essayist, bobby, carol = make_user(app, "essayist"), make_user(app, "bobby"), make_user(app, "carol")
    thread = make_thread(app, essayist, "Past Lives: the last shot", film=("Past Lives", 2023))
    top = make_reply(app, thread.opening_post, bobby, "The bar scene is the film.")
    first = make_reply(app, top, essayist, "It is, and the taxi too.")
    make_reply(app, first, carol, "The taxi most of all.")
    second = make_reply(app, top, carol, "The bar scene explains nothing.")
    parent = chain_top = make_reply(app, thread.opening_post, essayist, "A long argument about the score.")
    for level in range(2, CONTINUE_DEPTH + 4):
        parent = make_reply(app, parent, bobby if level % 2 else carol,
                            f"Level {level}: a considerably long sentence about the score, wide enough to wrap.")
    return thread, top, first, second, chain_top


def test_the_author_badge_you_badge_and_replying_to(live_server, open_page):
    thread, top, first, second, _ = conversation(live_server.app)
    page = open_page()
    log_in(page, "carol")
    page.goto(f"/threads/{thread.id}?sort=old")
    expect(page.locator(f"#post-{first.id} .post__meta .badge--author")).to_have_text("thread author")
    expect(page.locator(f"#post-{second.id} .post__meta .badge--you")).to_have_text("you")
    expect(page.locator(f"#post-{top.id} .post__meta .badge")).to_have_count(0)
    replying = page.locator(f"#post-{second.id} .post__replying-to")
    expect(replying).to_have_text("replying to @bobby")
    expect(page.locator(f"#post-{first.id} .post__replying-to")).to_have_count(0)  # just under its parent
    replying.get_by_role("link", name="@bobby").click()
    expect(page).to_have_url(re.compile(rf"#post-{top.id}$"))
    expect(page.locator(f"#post-{top.id}")).to_be_in_viewport()


def test_a_focused_branch_says_whom_its_first_reply_answers(live_server, open_page):
    thread, *_ = conversation(live_server.app)
    page = open_page()
    page.goto(f"/threads/{thread.id}")
    page.locator(".continue-thread a").click()
    expect(page.get_by_role("heading", name="A branch of the conversation")).to_be_visible()
    root = page.locator(".conversation--focused > .post")
    expect(root.locator(".post__replying-to")).to_have_text(re.compile(r"^replying to @(bobby|carol)$"))
    root.locator(".post__replying-to a").click()
    expect(page).to_have_url(re.compile(rf"/threads/{thread.id}#post-\d+$"))


def test_collapsing_a_reply_with_its_subtree_by_keyboard_is_remembered_for_the_session(live_server, open_page):
    thread, top, first, second, _ = conversation(live_server.app)
    page = open_page()
    page.goto(f"/threads/{thread.id}?sort=old")
    line = page.locator(f"#reply-{top.id} > button.thread-line")
    page.get_by_role("navigation", name="Sort replies").get_by_role("link", name="Old").focus()
    page.keyboard.press("Tab")  # the first reply's thread line is the next stop
    expect(line).to_be_focused()
    expect(line).to_have_attribute("aria-expanded", "true")
    expect(line).to_have_accessible_name("bobby’s reply and its 3 replies")
    page.keyboard.press("Enter")
    expect(line).to_have_attribute("aria-expanded", "false")
    expect(page.locator(f"#post-{top.id} .post__author")).to_be_visible()  # its header stays
    for hidden in (f"#post-{top.id} .post__body", f"#post-{first.id}", f"#post-{second.id}"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator(f"#reply-{top.id}")).to_have_attribute("data-note", "3 replies folded")
    page.keyboard.press("Space")
    expect(line).to_have_attribute("aria-expanded", "true")
    expect(page.locator(f"#post-{second.id}")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator(f"#post-{first.id}")).to_be_hidden()

    page.reload()
    expect(line).to_have_attribute("aria-expanded", "false")  # remembered in this tab's session
    expect(page.locator(f"#post-{second.id}")).to_be_hidden()
    page.goto(f"/posts/{second.id}")  # a link into the folded reply opens the way to it
    expect(page.locator(f"#post-{second.id}")).to_be_visible()
    expect(line).to_have_attribute("aria-expanded", "true")

    line.click()
    other_tab = page.context.new_page()  # another tab is another session
    other_tab.goto(f"/threads/{thread.id}?sort=old")
    expect(other_tab.locator(f"#post-{first.id}")).to_be_visible()


def test_without_javascript_every_reply_shows_and_no_dead_button(live_server, open_page):
    thread, top, first, second, _ = conversation(live_server.app)
    page = open_page(java_script_enabled=False)
    page.goto(f"/threads/{thread.id}")
    expect(page.locator("button.thread-line:visible")).to_have_count(0)
    for post in (top, first, second):
        expect(page.locator(f"#post-{post.id} .post__body")).to_be_visible()
    expect(page.locator(f"#post-{top.id}").get_by_role("link", name="Log in to reply")).to_be_visible()


def test_the_new_replies_notice_is_fixed_where_the_reader_is(live_server, open_page):
    app = live_server.app
    app.config["NEW_REPLIES_POLL_SECONDS"] = 1
    thread, top, *_ = conversation(app)
    filler = make_user(app, "filler")
    for number in range(12):
        make_reply(app, thread.opening_post, filler, f"Filler reply {number}, so the page runs long.")
    make_user(app, "reader")
    reader = open_page(viewport=PHONE)
    log_in(reader, "reader")
    reader.goto(f"/threads/{thread.id}")
    reader.locator(".replies--top > li.reply").last.scroll_into_view_if_needed()
    region = reader.locator(".new-replies-region")
    expect(region).to_have_attribute("aria-live", "polite")
    expect(region.get_by_role("link")).to_have_count(0)

    make_reply(app, thread.opening_post, filler, "Late to this: the ending is the best scene.")  # another member

    show = region.get_by_role("link", name="1 new reply since you loaded this page — show")
    expect(show).to_be_visible(timeout=10_000)
    expect(show).to_be_in_viewport()  # down where the reader is, not up at the top of the replies
    assert reader.evaluate("window.scrollY") > 1000
    assert region.locator(".new-replies").evaluate("element => getComputedStyle(element).position") == "fixed"
    box = show.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert reader.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    show.click()
    expect(reader.get_by_text("Late to this: the ending is the best scene.")).to_be_in_viewport()


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_deep_nesting_fits_a_phone_without_sideways_scroll(live_server, open_page):
    thread, *_ = conversation(live_server.app)
    page = open_page(viewport=PHONE)
    page.goto(f"/threads/{thread.id}")
    deepest = page.locator(".continue-thread").locator("xpath=..").locator("> .post")
    expect(deepest).to_be_visible()
    no_sideways_scroll(page)
    box, body = deepest.bounding_box(), page.locator(".conversation").bounding_box()
    assert box["width"] > 0.7 * body["width"], (box, body)  # depth 5 keeps most of the width
    indent = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.reply')).paddingLeft)")
    assert indent >= 14  # each level clearly steps in (11 px before)
    page.locator(".continue-thread a").click()
    expect(page.get_by_role("heading", name="A branch of the conversation")).to_be_visible()
    no_sideways_scroll(page)


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_moderation_log_names_do_not_break_mid_word_and_link_to_profiles(live_server, open_page, viewport):
    app = live_server.app
    critic = make_user(app, "critic")
    moderator = make_user(app, "CinemathequeModerator", role=Role.MODERATOR)
    thread = make_thread(app, critic, "A thread to lock", film=("Playtime", 1967))
    as_moderator(app, moderator.id, lambda mod: db.session.get(Thread, thread.id).lock(mod))
    page = open_page(viewport=viewport)
    page.goto("/moderation/log")
    name = page.locator("table.log td.log__name a").first
    expect(name).to_have_text("CinemathequeModerator")
    assert name.evaluate("element => element.getClientRects().length") == 1  # one line: not broken
    no_sideways_scroll(page)
    name.click()
    expect(page).to_have_url(re.compile(r"/u/CinemathequeModerator$"))


def collapsed_thread_with_notice(page, thread, top):
    page.goto(f"/threads/{thread.id}?sort=old")
    page.locator(f"#reply-{top.id} > button.thread-line").click()
    expect(page.locator(f"#reply-{top.id}")).to_have_class(re.compile("is-collapsed"))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_pages_changed_have_no_wcag_violations(live_server, new_context, scheme):
    app = live_server.app
    app.config["NEW_REPLIES_POLL_SECONDS"] = 1
    thread, top, first, second, _ = conversation(app)

    def axe(page):
        htmx_settled(page)
        results = Axe().run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()

    visitor = new_context(base_url=live_server.url, color_scheme=scheme).new_page()
    visitor.goto(f"/threads/{thread.id}?sort=old")  # "Log in to reply", badges, "replying to"
    expect(visitor.locator(f"#post-{second.id} .post__replying-to")).to_be_visible()
    axe(visitor)
    visitor.locator(".continue-thread a").click()
    expect(visitor.locator(".conversation--focused > .post .post__replying-to")).to_be_visible()
    axe(visitor)
    for url in ("/moderation/log", "/films?q=nothing-like-this", "/u/carol?tab=threads"):  # empty states, names
        visitor.goto(url)
        axe(visitor)

    member = new_context(base_url=live_server.url, color_scheme=scheme).new_page()
    log_in(member, "carol")
    collapsed_thread_with_notice(member, thread, top)
    make_reply(app, first, make_user(app), "A new reply arrives.")
    expect(member.locator(".new-replies__show")).to_be_visible(timeout=10_000)
    expect(member.locator(f"#post-{second.id} .badge--you")).to_be_attached()
    axe(member)
