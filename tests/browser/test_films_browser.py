"""The film field's suggestions with a keyboard, and axe-core on the film pages and the open suggestion list."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from board.models import Role

from ..factories import make_reply, make_thread, make_user
from .conftest import htmx_settled, loads_a_new_page, log_in
from .test_accessibility import AXE_OPTIONS, SCHEMES

pytestmark = pytest.mark.browser


def seed_films(app) -> None:
    author = make_user(app, "critic")
    make_user(app, "writer")
    make_user(app, "keeper", role=Role.MODERATOR)
    first = make_thread(app, author, "Samantha's voice", film=("Her", 2013), body="She ||leaves|| at the end.")
    make_reply(app, first.opening_post, author, "And the letters.")
    make_thread(app, author, "Faith and doors", film=("Heretic", 2024))
    make_thread(app, author, "Untitled year", film=("Her", None))
    make_thread(app, author, "Tati's city", film=("Playtime", 1967))


def open_suggestions(page: Page, typed: str, expected: int) -> None:
    field = page.get_by_role("combobox", name="Film")
    field.fill("")
    field.press_sequentially(typed, delay=30)
    expect(page.get_by_role("listbox")).to_be_visible()
    expect(page.get_by_role("option")).to_have_count(expected)
    htmx_settled(page)


def test_film_suggestions_with_the_keyboard(live_server, open_page):
    seed_films(live_server.app)
    page = open_page()
    log_in(page, "writer")
    page.goto("/threads/new")
    field = page.get_by_role("combobox", name="Film")
    year = page.get_by_label("Year (optional)")
    expect(field).to_have_attribute("aria-expanded", "false")

    open_suggestions(page, "her", 3)
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#film-suggestions-status")).to_have_text("3 films found")
    expect(field).to_be_focused()

    field.press("ArrowDown")
    first = page.get_by_role("option").nth(0)
    expect(field).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(first).to_have_attribute("aria-selected", "true")
    field.press("ArrowDown")
    second = page.get_by_role("option").nth(1)
    expect(field).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    field.press("ArrowUp")
    expect(field).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    chosen_title, chosen_year = first.get_attribute("data-title"), first.get_attribute("data-year")

    field.press("Enter")  # picks the film: the form is not submitted
    expect(field).to_have_value(chosen_title)
    expect(year).to_have_value(chosen_year)
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(page).to_have_url(f"{live_server.url}/threads/new")

    open_suggestions(page, "heret", 1)
    expect(page.locator("#film-suggestions-status")).to_have_text("1 film found")
    field.press("ArrowDown")
    field.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(field).not_to_have_attribute("aria-activedescendant", "film-option-2")
    expect(field).to_have_value("heret")

    # The picked film is the one the thread is filed under.
    open_suggestions(page, "playt", 1)
    field.press("ArrowDown")
    field.press("Enter")
    expect(year).to_have_value("1967")
    page.get_by_label("Title").fill("Playtime on a big screen")
    page.get_by_label("Post", exact=True).fill("Seventy millimetres.")
    page.get_by_role("button", name="Post thread").click()
    page.get_by_role("link", name="Playtime (1967)").click()
    expect(page).to_have_url(f"{live_server.url}/films/playtime-1967")
    expect(page.locator(".thread-row")).to_have_count(2)


def test_a_click_picks_a_suggestion(live_server, open_page):
    seed_films(live_server.app)
    page = open_page()
    log_in(page, "writer")
    page.goto("/threads/new")
    open_suggestions(page, "heretic", 1)
    page.get_by_role("option", name="Heretic (2024)").click()
    expect(page.get_by_role("combobox", name="Film")).to_have_value("Heretic")
    expect(page.get_by_label("Year (optional)")).to_have_value("2024")


def film_page(page: Page) -> None:
    page.goto("/films/her-2013")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Her")


def film_page_as_moderator(page: Page) -> None:
    page.goto("/films/her")
    page.get_by_text("Rename or merge this film").click()
    page.get_by_role("button", name="Merge").click()  # no target: the form comes back with its error, in place
    expect(page.locator(".film-form .form-error")).to_be_visible()


def film_index(page: Page) -> None:
    page.goto("/films")
    expect(page.locator(".film-item")).to_have_count(4)


def film_index_discussed(page: Page) -> None:
    page.goto("/films?order=discussed")
    expect(page.locator(".film-item")).to_have_count(4)


def new_thread_with_suggestions(page: Page) -> None:
    page.goto("/threads/new")
    open_suggestions(page, "her", 3)
    page.get_by_role("combobox", name="Film").press("ArrowDown")


VIEWS = {
    "film page": (None, film_page),
    "film page as moderator": ("keeper", film_page_as_moderator),
    "film index": (None, film_index),
    "film index, most discussed": (None, film_index_discussed),
    "new thread with suggestions open": ("writer", new_thread_with_suggestions),
}


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("view", VIEWS)
def test_no_wcag_violations_on_film_pages(live_server, new_context, view, scheme):
    seed_films(live_server.app)
    member, show = VIEWS[view]
    page = new_context(base_url=live_server.url, color_scheme=scheme).new_page()
    if member:
        log_in(page, member)
    show(page)
    htmx_settled(page)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def test_a_moderator_edits_a_films_details_without_javascript(live_server, open_page):
    seed_films(live_server.app)
    page = open_page(java_script_enabled=False)
    log_in(page, "keeper")
    page.goto("/films/her-2013")
    page.locator("summary", has_text="Edit details and poster").click()
    page.get_by_label("Original title (optional)").fill("Her")
    page.get_by_label("Directors (optional)").fill("Spike Jonze")
    page.get_by_label("Runtime in minutes (optional)").fill("100000")
    with loads_a_new_page(page):
        page.get_by_role("button", name="Save details").click()
    expect(page.locator("#details-runtime-error")).to_have_text("A runtime is 1 to 1,000 minutes.")
    expect(page.get_by_label("Directors (optional)")).to_have_value("Spike Jonze")  # kept as typed
    page.get_by_label("Runtime in minutes (optional)").fill("126")
    with loads_a_new_page(page):
        page.get_by_role("button", name="Save details").click()
    expect(page).to_have_url(f"{live_server.url}/films/her-2013")
    expect(page.get_by_text("Details saved.")).to_be_visible()
    expect(page.locator(".film-facts")).to_contain_text("126 minutes")
    page.get_by_role("link", name="Spike Jonze").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Films by Spike Jonze")
    page.goto("/moderation/log")
    expect(page.locator("main")).to_contain_text("directors: none → “Spike Jonze”")
