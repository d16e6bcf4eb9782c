"""Spoilers revealed on demand in a real browser: inline by click or Tab, blocks by click, Enter or Space;
with JavaScript on and off; and axe finds nothing wrong with a page holding both kinds, light or dark."""
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from ..factories import make_thread, make_user
from .conftest import htmx_settled
from .test_accessibility import AXE_OPTIONS, SCHEMES
from .test_journey_without_js import SPOILER_STYLE, is_obscured

pytestmark = pytest.mark.browser

BODY = """Before the end, ||Kane dies alone|| in his palace.

```spoiler
The sled in the furnace reads **Rosebud**.

- the snow globe
- the last word
```

After the spoilers, a plain paragraph."""
JS = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


def open_thread(live_server, open_page, javascript: bool, **thread_args) -> tuple[Page, int]:
    app = live_server.app
    thread = make_thread(app, make_user(app, "orson"), title=thread_args.pop("title", "What Rosebud means"),
                         body=BODY, film=("Citizen Kane", 1941), **thread_args)
    page = open_page(java_script_enabled=javascript)
    page.goto(f"/threads/{thread.id}")
    return page, thread.opening_post.id


def legible(locator) -> bool:
    """Whether the text is readable now, allowing for a reveal transition."""
    deadline = time.monotonic() + 2
    while is_obscured(style := locator.evaluate(SPOILER_STYLE)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not is_obscured(style)


def tab_to(page: Page, locator, presses: int = 40) -> None:
    for _ in range(presses):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError("Tab never reached the element")


@JS
def test_an_inline_spoiler_is_revealed_by_a_click_and_stays_revealed(live_server, open_page, javascript):
    page, post_id = open_thread(live_server, open_page, javascript)
    spoiler = page.locator(f"#post-{post_id} .spoiler").first
    text = spoiler.locator(".spoiler-text")
    expect(text).to_have_text("Kane dies alone")  # in the page for screen readers, only obscured
    assert is_obscured(text.evaluate(SPOILER_STYLE))
    text.click()  # the visible bar (the .spoiler's own box starts at its visually hidden label)
    page.mouse.move(0, 0)  # the pointer leaves: the click's focus keeps it revealed
    expect(spoiler).to_be_focused()
    assert legible(text)
    page.locator("h1").click()  # clicking elsewhere hides it again
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    assert is_obscured(text.evaluate(SPOILER_STYLE))


@JS
def test_an_inline_spoiler_is_revealed_by_keyboard_focus(live_server, open_page, javascript):
    page, post_id = open_thread(live_server, open_page, javascript)
    spoiler = page.locator(f"#post-{post_id} .spoiler").first
    tab_to(page, spoiler)
    assert legible(spoiler.locator(".spoiler-text"))


@JS
def test_a_spoiler_in_a_title_is_hidden_in_the_heading_until_focused(live_server, open_page, javascript):
    page, _ = open_thread(live_server, open_page, javascript, title="Why ||the sled burns|| matters")
    expect(page).to_have_title("Why [spoiler] matters — Citizen Kane (1941) — Reelboard")
    spoiler = page.locator("#thread-title .spoiler")
    text = spoiler.locator(".spoiler-text")
    assert is_obscured(text.evaluate(SPOILER_STYLE))
    tab_to(page, spoiler)
    assert legible(text)


@JS
def test_a_block_spoiler_opens_and_closes_with_a_click(live_server, open_page, javascript):
    page, post_id = open_thread(live_server, open_page, javascript)
    block = page.locator(f"#post-{post_id} details.spoiler-block")
    summary = block.locator("summary")
    hidden = block.get_by_text("The sled in the furnace reads")
    expect(hidden).to_be_hidden()
    expect(page.get_by_text("After the spoilers, a plain paragraph.")).to_be_visible()
    summary.click()
    expect(hidden).to_be_visible()
    expect(block.get_by_role("listitem")).to_have_count(2)
    summary.click()
    expect(hidden).to_be_hidden()


@JS
def test_a_block_spoiler_opens_with_enter_and_closes_with_space(live_server, open_page, javascript):
    page, post_id = open_thread(live_server, open_page, javascript)
    block = page.locator(f"#post-{post_id} details.spoiler-block")
    summary = block.locator("summary")
    hidden = block.get_by_text("The sled in the furnace reads")
    tab_to(page, summary)
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(block).to_have_attribute("open", "")
    expect(hidden).to_be_visible()
    page.keyboard.press("Space")
    expect(block).not_to_have_attribute("open", "")
    expect(hidden).to_be_hidden()
    page.keyboard.press("Space")
    expect(hidden).to_be_visible()


def test_the_summary_is_announced_as_a_collapsed_control(live_server, open_page):
    page, post_id = open_thread(live_server, open_page, True)
    summary = page.locator(f"#post-{post_id} details.spoiler-block > summary")
    expect(summary).to_have_text("Spoiler")
    snapshot = page.locator(f"#post-{post_id}").aria_snapshot()
    assert "Spoiler" in snapshot and "The sled in the furnace" not in snapshot  # closed: not read out


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("state", ["closed", "open"])
def test_no_wcag_violations_on_a_thread_with_both_spoiler_kinds(live_server, new_context, scheme, state):
    app = live_server.app
    thread = make_thread(app, make_user(app, "orson"), title="Why ||the sled burns|| matters", body=BODY,
                         film=("Citizen Kane", 1941))
    page = new_context(base_url=live_server.url, color_scheme=scheme).new_page()
    page.goto(f"/threads/{thread.id}")
    if state == "open":
        page.locator("details.spoiler-block > summary").click()
        page.locator(".prose .spoiler").first.focus()
    htmx_settled(page)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_wcag_violations_on_a_front_page_with_shown_and_withheld_excerpts(live_server, new_context, scheme):
    app = live_server.app
    author = make_user(app, "orson")
    make_thread(app, author, title="What Rosebud means", body=BODY, film=("Citizen Kane", 1941))
    make_thread(app, author, title="The ending, discussed", body=BODY, film=("Citizen Kane", 1941), has_spoilers=True)
    page = new_context(base_url=live_server.url, color_scheme=scheme).new_page()
    page.goto("/")
    expect(page.get_by_text("Contains spoilers — excerpt hidden")).to_be_visible()
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
