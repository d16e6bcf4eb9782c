"""Joining a conversation in a real browser (issue #11): quote a selection, preview Markdown, reply from the bottom."""
import re

import pytest
from playwright.sync_api import expect

from board.extensions import db
from board.models import BODY_MAX, Post

from ..factories import make_reply, make_thread, make_user
from .conftest import htmx_settled, loads_a_new_page, log_in, stays_on_page

pytestmark = pytest.mark.browser

ESSAY_REPLY = ("The tide scene is the whole film in small.\n\n"
               "She walks into the sea and ||he never finds her||, which is the point.")

# Selects `text` inside the element matching `selector` (within one text node), as a reader dragging over it would.
SELECT = """([selector, text]) => {
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const start = node.data.indexOf(text);
    if (start < 0) continue;
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, start + text.length);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  }
  return false;
}"""

# Selects from the start of one text to the end of another (across elements), within `selector`.
SELECT_ACROSS = """([selector, first, last]) => {
  const root = document.querySelector(selector);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let start = null, end = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!start && node.data.includes(first)) start = [node, node.data.indexOf(first)];
    if (node.data.includes(last)) end = [node, node.data.indexOf(last) + last.length];
  }
  const range = document.createRange();
  range.setStart(...start);
  range.setEnd(...end);
  window.getSelection().removeAllRanges();
  window.getSelection().addRange(range);
  return true;
}"""


@pytest.fixture
def thread(live_server):
    app = live_server.app
    critic, replier = make_user(app, "critic"), make_user(app, "film_buff")
    make_user(app, "reader")
    thread = make_thread(app, critic, "Decision to Leave: the ending", film=("Decision to Leave", 2022),
                         body="Mountains and sea.\n\nThe *ending* is the best scene of the decade.")
    reply = make_reply(app, thread.opening_post, replier, ESSAY_REPLY)
    return {"thread": thread, "opening_id": thread.opening_post.id, "reply_id": reply.id}


def reader_on_thread(open_page, thread_id: int, **context_args):
    """The member "reader", logged in through the form, on the thread's page."""
    page = open_page(**context_args)
    log_in(page, "reader")
    page.goto(f"/threads/{thread_id}")
    return page


def newest_post(app) -> Post:
    with app.app_context():
        return db.session.scalar(db.select(Post).order_by(Post.id.desc()).limit(1))


def test_quoting_a_selection_into_a_reply_names_and_links_its_source(live_server, open_page, thread):
    page = reader_on_thread(open_page, thread["thread"].id)
    reply_id = thread["reply_id"]
    post = page.locator(f"#post-{reply_id}")
    source = f"{live_server.url}/posts/{reply_id}"
    with stays_on_page(page):
        # Words selected across a spoiler: the spoiler stays a spoiler, its hidden label is left out.
        assert page.evaluate(SELECT_ACROSS, [f"#post-{reply_id} .post__body", "She walks", "the point."])
        button = post.locator("button.quote-selection")
        expect(button).to_be_visible()
        expect(button).to_have_accessible_name("Quote the selected words in a reply to film_buff")
        button.click()
        box = page.locator(f"#reply-form-{reply_id} textarea")
        expect(box).to_be_focused()
        expect(box).to_have_value(f"> **@film\\_buff** [wrote]({source}):\n>\n"
                                  "> She walks into the sea and ||he never finds her||, which is the point.\n\n")
        expect(button).to_be_hidden()
        expect(page.locator(f"#reply-body-{reply_id}-count [data-count]")).to_have_text(
            str(len(box.input_value())))  # the live count saw it
        box.press("End")
        box.type("Exactly.")
        htmx_settled(page)
        page.locator(f"#reply-form-{reply_id}").get_by_role("button", name="Post reply").click()
        new_reply = page.locator(f"#replies-{reply_id} > li.reply")
        expect(new_reply).to_have_count(1)
    quote = new_reply.locator("blockquote")
    expect(quote.locator("strong")).to_have_text("@film_buff")
    expect(quote.get_by_role("link", name="wrote")).to_have_attribute("href", source)
    expect(quote.locator(".spoiler-text")).to_have_text("he never finds her")
    assert newest_post(live_server.app).body_source.endswith("which is the point.\n\nExactly.")


def test_quote_is_keyboard_reachable_and_quotes_the_whole_post_when_nothing_is_selected(live_server, open_page, thread):
    page = reader_on_thread(open_page, thread["thread"].id)
    opening_id = thread["opening_id"]
    bottom = page.locator(f"#reply-form-{opening_id} textarea")
    bottom.fill("My own opening words.")
    with stays_on_page(page):
        # A selection in the opening post, then its Quote link reached from the keyboard: into the bottom box.
        assert page.evaluate(SELECT, [f"#post-{opening_id} .post__body", "best scene of the decade"])
        quote_link = page.locator(f"#post-{opening_id} .post__actions").get_by_role("link", name="Quote")
        quote_link.focus()
        page.keyboard.press("Enter")
        expect(bottom).to_be_focused()
        expect(bottom).to_have_value(f"My own opening words.\n\n> **@critic** [wrote]({live_server.url}/posts/{opening_id}):\n"
                                     ">\n> best scene of the decade\n\n")
        # Nothing selected: Quote on a reply fills its reply form with the whole post's Markdown.
        page.evaluate("window.getSelection().removeAllRanges()")
        page.locator(f"#post-{thread['reply_id']} .post__actions").get_by_role("link", name="Quote").click()
        box = page.locator(f"#reply-form-{thread['reply_id']} textarea")
        expect(box).to_be_focused()
        expect(box).to_have_value(re.compile(r"^> \*\*@film\\_buff\*\* \[wrote\]\(.*\):\n>\n"
                                             r"> The tide scene is the whole film in small\.\n>\n> She walks"))


def test_words_selected_with_the_mouse_are_quoted_from_the_keyboard(live_server, open_page, thread):
    page = reader_on_thread(open_page, thread["thread"].id)
    reply_id = thread["reply_id"]
    paragraph = page.locator(f"#post-{reply_id} .post__body p").first
    box = paragraph.bounding_box()
    with stays_on_page(page):
        page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        button = page.locator(f"#post-{reply_id} button.quote-selection")
        expect(button).to_be_visible()
        # The click focused the post; Tab goes through its header links, then to the button after the selected
        # paragraph (before the spoiler in the next one), the selection kept all along.
        for _ in range(3):
            page.keyboard.press("Tab")
        expect(button).to_be_focused()
        page.keyboard.press("Enter")
        reply_box = page.locator(f"#reply-form-{reply_id} textarea")
        expect(reply_box).to_be_focused()
        expect(reply_box).to_have_value(re.compile(r"\):\n>\n> The tide scene is the whole film in small\.\n\n$"))


def test_quote_without_javascript_opens_the_reply_form_with_the_whole_post(live_server, open_page, thread):
    page = reader_on_thread(open_page, thread["thread"].id, java_script_enabled=False)
    reply_id = thread["reply_id"]
    with loads_a_new_page(page):
        page.locator(f"#post-{reply_id} .post__actions").get_by_role("link", name="Quote").click()
    box = page.get_by_label("Reply to film_buff")
    expect(box).to_have_value(re.compile(r"^> \*\*@film\\_buff\*\* \[wrote\]\(http://127\.0\.0\.1:\d+/posts/\d+\):\n>\n> The tide"))
    box.press("Control+End")
    box.type("Agreed.")
    with loads_a_new_page(page):
        page.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(rf"/threads/{thread['thread'].id}#post-\d+$"))
    new_id = newest_post(live_server.app).id
    expect(page.locator(f"#post-{new_id} blockquote").get_by_role("link", name="wrote")).to_have_attribute(
        "href", f"{live_server.url}/posts/{reply_id}")


def test_preview_with_htmx_shows_the_stored_html_in_place_and_write_brings_the_text_back(live_server, open_page, thread):
    page = reader_on_thread(open_page, thread["thread"].id)
    opening_id = thread["opening_id"]
    form = page.locator(f"#reply-form-{opening_id}")
    box = form.get_by_label("Add a reply")
    write, preview = form.get_by_role("button", name="Write"), form.get_by_role("button", name="Preview")
    panel = page.locator(f"#reply-body-{opening_id}-preview")
    expect(panel).to_be_hidden()
    expect(write).to_have_attribute("aria-pressed", "true")
    box.fill("A *bold* claim: ||the ending|| <script>window.__pwned = 1</script>")
    with stays_on_page(page):
        preview.click()
        expect(panel).to_be_visible()
        expect(box).to_be_hidden()
        expect(panel.locator("em")).to_have_text("bold")
        expect(panel.locator(".spoiler-text")).to_have_text("the ending")
        expect(panel).to_contain_text("<script>window.__pwned = 1</script>")  # shown as text, as posting stores it
        expect(preview).to_have_attribute("aria-pressed", "true")
        expect(write).to_have_attribute("aria-pressed", "false")
        expect(form.locator(".character-count")).to_be_visible()  # the count stays
        write.click()
        expect(box).to_be_visible()
        expect(box).to_be_focused()
        expect(box).to_have_value("A *bold* claim: ||the ending|| <script>window.__pwned = 1</script>")
        expect(panel).to_be_hidden()
        # Too long a text: the message posting gives, in the panel.
        box.fill("x" * (BODY_MAX + 3))
        preview.click()
        expect(panel.locator(".field-error")).to_have_text(
            f"At most {BODY_MAX:,} characters; this has {BODY_MAX + 3:,}. Shorten it by 3.")
        write.click()
        box.fill("Short and *sweet*.")
        form.get_by_role("button", name="Post reply").click()
        expect(page.locator(f"#replies-{opening_id} > li.reply")).to_have_count(2)
        expect(box).to_have_value("")
        expect(box).to_be_visible()
    assert page.evaluate("window.__pwned") is None
    with live_server.app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 3  # previews stored nothing


def test_preview_without_javascript_keeps_the_text_and_shows_the_preview(live_server, open_page, thread):
    page = open_page(java_script_enabled=False)
    log_in(page, "reader")
    page.goto("/threads/new")
    expect(page.get_by_role("button", name="Write")).to_be_hidden()  # Write needs JavaScript
    body = page.get_by_label("Post", exact=True)
    body.fill("Opening with **strong** words.")
    with loads_a_new_page(page):
        page.get_by_role("button", name="Preview").click()
    expect(page.get_by_label("Post", exact=True)).to_have_value("Opening with **strong** words.")
    expect(page.locator("#body-preview strong")).to_have_text("strong")
    expect(page.locator(".field-error")).to_have_count(0)  # a preview asks for no title yet
    page.get_by_label("Title").fill("Strong words")
    page.get_by_label("Film", exact=True).fill("Decision to Leave")
    with loads_a_new_page(page):
        page.get_by_role("button", name="Post thread").click()
    expect(page).to_have_url(re.compile(r"/threads/\d+$"))
    expect(page.locator("article.post--opening strong")).to_have_text("strong")


def test_pressing_enter_in_the_title_posts_the_thread_not_a_preview(live_server, open_page, thread):
    page = open_page(java_script_enabled=False)
    log_in(page, "reader")
    page.goto("/threads/new")
    page.get_by_label("Post", exact=True).fill("Body.")
    page.get_by_label("Film", exact=True).fill("Her")
    page.get_by_label("Title").fill("Entered")
    with loads_a_new_page(page):
        page.get_by_label("Title").press("Enter")
    expect(page).to_have_url(re.compile(r"/threads/\d+$"))


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_replying_from_the_bottom_of_a_long_thread(live_server, open_page, javascript):
    app = live_server.app
    critic, reader = make_user(app, "critic"), make_user(app, "reader")
    thread = make_thread(app, critic, "A long conversation", body="An essay.\n\n" + "A long paragraph. " * 400)
    for number in range(30):
        make_reply(app, thread.opening_post, critic if number % 2 else make_user(app), f"Point {number}. " * 40)
    page = reader_on_thread(open_page, thread.id, java_script_enabled=javascript)
    head = page.locator("#thread-head")
    expect(head.locator("#head-reply-count")).to_have_text("30 replies")
    # Read to the end: the reply box is right after the last reply, then a way back up.
    page.keyboard.press("End")
    form = page.locator(f"#reply-form-{thread.opening_post.id}")
    expect(form).to_be_in_viewport()
    follows = "([a, b]) => Boolean(document.querySelector(a).compareDocumentPosition(document.querySelector(b)) & 4)"
    assert page.evaluate(follows, [f"#replies-{thread.opening_post.id} > li.reply:last-child", f"#{form.get_attribute('id')}"])
    form.get_by_label("Add a reply").fill("Read it all; here is my answer.")
    if javascript:
        with stays_on_page(page):
            form.get_by_role("button", name="Post reply").click()
            expect(page.locator(f"#replies-{thread.opening_post.id} > li.reply")).to_have_count(31)
            new = page.locator(f"#replies-{thread.opening_post.id} > li.reply").last
            expect(new).to_contain_text("Read it all; here is my answer.")
            expect(new.locator("article.post")).to_be_focused()
            expect(page.locator("#head-reply-count")).to_have_text("31 replies")
    else:
        with loads_a_new_page(page):
            form.get_by_role("button", name="Post reply").click()
        new_id = newest_post(app).id
        expect(page).to_have_url(re.compile(rf"#post-{new_id}$"))
        expect(page.locator(f"#post-{new_id}")).to_be_in_viewport()
    page.get_by_role("link", name="Back to top").click()
    expect(page.locator("#thread-title")).to_be_in_viewport()
    page.locator("#thread-head").get_by_role("link", name="Jump to replies").click()
    expect(page.locator("#replies-heading")).to_be_in_viewport()
