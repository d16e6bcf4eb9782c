"""Browser tests: a real board on a local port, Debian's Chromium driven by Playwright, and UI helpers."""
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from flask import Flask, got_request_exception
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from board.extensions import db

from ..conftest import dispose, make_test_app
from ..factories import DEFAULT_PASSWORD

# The binary first: /usr/bin/chromium is a wrapper script that may print a harmless shell warning.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_PATH = next((path for path in CHROMIUM_CANDIDATES if os.access(path, os.X_OK)), None)
CHROMIUM_MISSING = "Chromium not installed: run `make browser` (apt-get install chromium)"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session", autouse=True)
def chromium_path() -> str:
    """Debian's Chromium, or a skip (a failure in CI, where a skipped browser suite would pass silently)."""
    if CHROMIUM_PATH is None:
        if running_in_ci():
            pytest.fail(f"{CHROMIUM_MISSING}. CI must run the browser tests.", pytrace=False)
        pytest.skip(CHROMIUM_MISSING)
    return CHROMIUM_PATH


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    # Never `playwright install`: it downloads a browser from the internet.
    return {**browser_type_launch_args, "executable_path": chromium_path}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Every context gets the live server's URL as its base_url (see `open_page`), not --base-url's."""
    return {name: value for name, value in browser_context_args.items() if name != "base_url"}


# The live board -------------------------------------------------------------------------------------------------------

@dataclass
class LiveServer:
    url: str
    app: Flask
    errors: list = field(default_factory=list)


@contextmanager
def serve(app: Flask):
    """Serve the app on a free port of 127.0.0.1 from a daemon thread; record any unhandled exception."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)

    def record(_sender, exception, **_extra):
        live.errors.append(exception)

    got_request_exception.connect(record, app)
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    worker.start()
    try:
        yield live
    finally:
        server.shutdown()
        worker.join(timeout=5)
        server.server_close()
        got_request_exception.disconnect(record, app)
    assert not live.errors, f"the board raised while serving the browser: {live.errors!r}"


def make_board(tmp_path) -> Flask:
    """A fresh board on its own SQLite file (a file, so the server's threads share it). CSRF stays on."""
    app = make_test_app(f"sqlite:///{tmp_path / 'board.db'}")
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def live_server(tmp_path):
    """A fresh board per test, served for real: `.url` (http://127.0.0.1:PORT) and `.app` (for factories)."""
    app = make_board(tmp_path)
    try:
        with serve(app) as live:
            yield live
    finally:
        dispose(app)


@pytest.fixture
def open_page(new_context, live_server):
    """A page in a new browser context (its own cookies: one member each) whose relative URLs hit the board."""

    def open_new(**context_args) -> Page:
        return new_context(base_url=live_server.url, **context_args).new_page()

    return open_new


# Acting through the UI ------------------------------------------------------------------------------------------------

def register(page: Page, username: str, password: str = DEFAULT_PASSWORD) -> None:
    """Create an account through the register form, as a visitor would; ends on the front page."""
    page.goto("/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text(f"Welcome to Reelboard, {username}.")).to_be_visible()


def fill_login_form(page: Page, username: str, password: str = DEFAULT_PASSWORD) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"Welcome back, {username}.")).to_be_visible()


def log_in(page: Page, username: str, password: str = DEFAULT_PASSWORD) -> None:
    """Log in through the login form; ends on the front page."""
    page.goto("/login")
    fill_login_form(page, username, password)


def start_thread(page: Page, title: str, film: str, year: str, body: str, spoilers: bool = False) -> int:
    """Start a thread through the new-thread form; returns its id (from the page it lands on)."""
    page.get_by_role("link", name="New thread").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Film", exact=True).fill(film)
    page.get_by_label("Year (optional)").fill(year)
    page.get_by_label("Post", exact=True).fill(body)
    if spoilers:
        page.get_by_label("Contains spoilers").check()
    page.get_by_role("button", name="Post thread").click()
    expect(page).to_have_url(re.compile(r"/threads/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return int(page.url.rsplit("/", 1)[1])


def reply_id_of(item) -> int:
    """The post id of a reply's `<li id="reply-N">`."""
    return int(item.get_attribute("id").removeprefix("reply-"))


# Classes htmx puts on elements from a request until the swapped-in content has settled. New content only
# becomes live (hx-* attributes processed, autofocus applied) when it settles, 20 ms after the swap: acting
# on it before then would submit a plain form.
HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def htmx_settled(page: Page) -> None:
    """Waits until htmx has no request in flight and every swap has settled."""
    expect(page.locator(HTMX_BUSY)).to_have_count(0)


@contextmanager
def stays_on_page(page: Page):
    """Asserts the block ran without a page load: a sentinel on window survives and no `load` event fired.

    (History updates are reported as navigations too, so `framenavigated` would not tell.)
    """
    loads = []

    def count(_page):
        loads.append(1)

    page.evaluate("window.__sentinel = 1")
    page.on("load", count)
    try:
        yield
        assert page.evaluate("window.__sentinel") == 1, "the page was reloaded"
        assert not loads, f"{len(loads)} page load(s) happened"
    finally:
        page.remove_listener("load", count)


@contextmanager
def loads_a_new_page(page: Page):
    """Asserts the block caused a full page load (JavaScript off: every form post navigates)."""
    page.evaluate("window.__sentinel = 1")
    yield
    page.wait_for_load_state("load")
    assert page.evaluate("window.__sentinel") is None, "expected a full page load"
