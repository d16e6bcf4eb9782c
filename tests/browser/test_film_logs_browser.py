"""Film logs in a real browser: rating and logging in place (htmx) and without JavaScript, the half-star radio group by
keyboard, and "I've seen it": a member who logged the film reads its spoilers open, everyone else closed."""
import re

import pytest
from playwright.sync_api import Page, expect

from board.extensions import db
from board.models import FilmLog, User, utcnow

from ..factories import make_thread, make_user
from .conftest import htmx_settled, loads_a_new_page, log_in, stays_on_page
from .test_journey_without_js import SPOILER_STYLE, is_obscured

pytestmark = pytest.mark.browser

BODY = """Before the end, ||Kane dies alone|| in his palace.

```spoiler
The sled in the furnace reads **Rosebud**.
```
"""
FILM = "/films/citizen-kane-1941"


def kane(app):
    return make_thread(app, make_user(app, "orson"), "What Rosebud means", body=BODY, film=("Citizen Kane", 1941))


def member_page(live_server, open_page, name: str, javascript: bool = True) -> Page:
    make_user(live_server.app, name)
    page = open_page(java_script_enabled=javascript)
    log_in(page, name)
    return page


def logged(app, name: str, thread) -> None:
    with app.app_context():
        member = User.by_username(name)
        db.session.add(FilmLog(member_id=member.id, film_id=thread.film_id, rating=8, watched_on=utcnow().date()))
        db.session.commit()


def test_rating_and_logging_in_place_with_htmx(live_server, open_page):
    kane(live_server.app)
    page = member_page(live_server, open_page, "amy")
    page.goto(FILM)
    expect(page.locator("#film-ratings")).to_contain_text("No ratings yet.")
    panel = page.locator("#your-logs")
    with stays_on_page(page):
        panel.get_by_role("radio", name="4.5 stars", exact=True).check()
        panel.get_by_label("Review (optional)").fill("Deep focus, *deep* feeling.")
        panel.get_by_role("button", name="Log it").click()
        htmx_settled(page)
        expect(panel.locator(".film-log")).to_have_count(1)
        expect(panel.locator(".film-log em")).to_have_text("deep")
        expect(page.locator("#film-ratings")).to_contain_text("Average 4.5 out of 5 stars from 1 member")
        expect(panel.get_by_role("heading", name="Log it again")).to_be_visible()
        # A rewatch rated lower replaces the member's rating in the average (each member's latest rating counts once).
        panel.get_by_role("radio", name="2 stars", exact=True).check()
        panel.get_by_role("button", name="Log it").click()
        htmx_settled(page)
        expect(panel.locator(".film-log")).to_have_count(2)
        expect(page.locator("#film-ratings")).to_contain_text("Average 2.0 out of 5 stars from 1 member")


def test_a_bad_log_comes_back_in_place_with_the_review_kept(live_server, open_page):
    kane(live_server.app)
    page = member_page(live_server, open_page, "amy")
    page.goto(FILM)
    panel = page.locator("#your-logs")
    with stays_on_page(page):
        panel.get_by_label("Watched on").fill("2999-01-01")
        panel.get_by_label("Review (optional)").fill("Words I keep")
        panel.get_by_role("button", name="Log it").click()
        htmx_settled(page)
        expect(panel.locator(".field-error")).to_contain_text("That day has not come yet")
        expect(panel.get_by_label("Review (optional)")).to_have_value("Words I keep")


def test_logging_without_javascript(live_server, open_page):
    kane(live_server.app)
    page = member_page(live_server, open_page, "amy", javascript=False)
    page.goto(FILM)
    panel = page.locator("#your-logs")
    panel.get_by_role("radio", name="3 stars", exact=True).check()
    with loads_a_new_page(page):
        panel.get_by_role("button", name="Log it").click()
    expect(page).to_have_url(re.compile(r"/films/citizen-kane-1941#your-logs$"))
    expect(page.locator("#film-ratings")).to_contain_text("Average 3.0 out of 5 stars from 1 member")
    expect(page.locator("#your-logs .film-log")).to_have_count(1)
    page.locator("#your-logs").get_by_role("link", name=re.compile("^Edit")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit your log of")
    page.get_by_role("radio", name="5 stars", exact=True).check()
    with loads_a_new_page(page):
        page.get_by_role("button", name="Save").click()
    expect(page.locator("#film-ratings")).to_contain_text("Average 5.0 out of 5 stars from 1 member")


def test_the_half_star_radio_group_works_by_keyboard(live_server, open_page):
    kane(live_server.app)
    page = member_page(live_server, open_page, "amy")
    page.goto(FILM)
    panel = page.locator("#your-logs")
    panel.get_by_label("No rating").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(panel.get_by_role("radio", name="1 star", exact=True)).to_be_checked()
    expect(panel.get_by_role("radio", name="1 star", exact=True)).to_be_focused()
    expect(panel.get_by_role("group", name="Rating")).to_be_visible()  # a fieldset named by its legend
    outline = panel.get_by_role("radio", name="1 star", exact=True).evaluate(
        "el => getComputedStyle(el.nextElementSibling).outlineStyle")
    assert outline != "none"  # focus is visible on its label


def spoilers_as_seen(page: Page, thread_id: int) -> tuple[bool, bool]:
    """(inline spoiler legible without hover or focus, spoiler block open) on the thread page."""
    page.goto(f"/threads/{thread_id}")
    page.mouse.move(0, 0)
    inline = page.locator(".post .spoiler-text").first
    block = page.locator(".post details.spoiler-block").first
    expect(inline).to_have_text("Kane dies alone")
    return not is_obscured(inline.evaluate(SPOILER_STYLE)), block.evaluate("el => el.open")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_member_who_logged_the_film_sees_its_spoilers_open(live_server, open_page, javascript):
    thread = kane(live_server.app)
    page = member_page(live_server, open_page, "amy", javascript)
    assert spoilers_as_seen(page, thread.id) == (False, False)  # not logged yet
    logged(live_server.app, "amy", thread)
    assert spoilers_as_seen(page, thread.id) == (True, True)
    expect(page.locator(".post details.spoiler-block summary").first).to_be_visible()  # still closable
    expect(page.get_by_text("Spoilers are open: you logged")).to_be_visible()


def test_everyone_else_sees_them_closed_and_the_setting_closes_them(live_server, open_page):
    thread = kane(live_server.app)
    visitor = open_page()
    assert spoilers_as_seen(visitor, thread.id) == (False, False)
    other = member_page(live_server, open_page, "bea")
    assert spoilers_as_seen(other, thread.id) == (False, False)
    page = member_page(live_server, open_page, "amy")
    logged(live_server.app, "amy", thread)
    assert spoilers_as_seen(page, thread.id) == (True, True)
    page.get_by_role("link", name="Keep them closed").click()
    setting = page.get_by_label("Open the spoilers of films I have logged")
    expect(setting).to_be_checked()
    setting.uncheck()
    with stays_on_page(page):
        page.locator("#spoiler-setting").get_by_role("button", name="Save").click()
        htmx_settled(page)
        expect(page.locator("#spoiler-setting [role=status]")).to_have_text("Saved.")
    assert spoilers_as_seen(page, thread.id) == (False, False)
    assert spoilers_as_seen(visitor, thread.id) == (False, False)


def test_a_spoiler_review_opens_on_the_film_page_only_for_those_who_logged_it(live_server, open_page):
    thread = kane(live_server.app)
    with live_server.app.app_context():
        log = FilmLog(member_id=User.by_username("orson").id, film_id=thread.film_id, rating=10, watched_on=utcnow().date())
        log.set_review("The sled burns.", True)
        db.session.add(log)
        db.session.commit()
    visitor = open_page()
    visitor.goto(FILM)
    review = visitor.locator(".recent-logs details.spoiler-block")
    assert review.evaluate("el => el.open") is False
    expect(review.locator(".film-log__review")).to_be_hidden()
    review.locator("summary").click()
    expect(review.locator(".film-log__review")).to_have_text("The sled burns.")
    page = member_page(live_server, open_page, "amy")
    logged(live_server.app, "amy", thread)
    page.goto(FILM)
    expect(page.locator(".recent-logs details.spoiler-block .film-log__review").first).to_be_visible()
