"""Search in a real browser: results appear as you type without a reload; the page passes axe, light and dark."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from board.extensions import db
from board.models import Post, Role, User

from ..factories import make_reply, make_thread, make_user
from .conftest import htmx_settled, stays_on_page
from .test_accessibility import AXE_OPTIONS, SCHEMES

pytestmark = pytest.mark.browser


def small_corpus(app) -> dict:
    critic, replier = make_user(app, "critic"), make_user(app, "replier")
    title_hit = make_thread(app, critic, "The projectionist of Cinema Paradiso", body="A love letter to cinemas.",
                            film=("Cinema Paradiso", 1988))
    body_hit = make_thread(app, replier, "Sound in Stalker", body="The projectionist hums along to the train.",
                           film=("Stalker", 1979), has_spoilers=True)
    reply = make_reply(app, title_hit.opening_post, replier, "The projectionist ||goes blind|| in the fire.")
    moderator = make_user(app, "moddy", role=Role.MODERATOR)
    with app.app_context():  # a whole post marked as a spoiler: no snippet
        db.session.get(Post, reply.id).mark_spoiler(db.session.get(User, moderator.id))
        db.session.commit()
    return {"title_hit": title_hit.id, "body_hit": body_hit.id, "reply": reply.id}


def test_live_search_shows_results_as_you_type_without_a_reload(live_server, open_page):
    corpus = small_corpus(live_server.app)
    page = open_page()
    page.goto("/search")
    box = page.get_by_label("Words to find")
    with stays_on_page(page):
        box.press_sequentially("projectionis", delay=30)
        expect(page.locator(".search-hit")).to_have_count(3)
        htmx_settled(page)
        expect(page.locator("#search-status")).to_have_text("3 results for “projectionis”.")
        expect(page.locator(".search-hit").first.get_by_role("link")).to_have_attribute(
            "href", f"/posts/{corpus['title_hit']}")  # the permalink: it lands on the page holding the post
        expect(page.locator(".search-hit mark").first).to_be_visible()
        expect(page).to_have_url(re.compile(r"/search\?.*q=projectionis"))
        box.fill("zzzyzx")
        expect(page.locator("#search-status")).to_have_text("No posts match “zzzyzx”.")
        expect(page.locator(".search-hit")).to_have_count(0)
    assert "goes blind" not in page.content()


def test_the_header_search_box_leads_to_the_results_page(live_server, open_page):
    small_corpus(live_server.app)
    page = open_page()
    page.goto("/")
    page.get_by_role("search", name="Site").get_by_label("Search posts").fill("cinemas")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=cinemas$"))
    expect(page.locator(".search-hit")).to_have_count(1)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_search_page_with_results_has_no_wcag_violations(live_server, new_context, scheme):
    small_corpus(live_server.app)
    page = new_context(base_url=live_server.url, color_scheme=scheme).new_page()
    page.goto("/search?q=projectionist")
    expect(page.locator(".search-hit")).to_have_count(3)
    expect(page.get_by_text("Contains spoilers — snippet hidden")).to_have_count(2)
    htmx_settled(page)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
