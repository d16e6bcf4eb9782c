"""axe-core finds no WCAG 2.1 A/AA violations, light or dark; the thread page runs clean under its CSP."""
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from board.extensions import db
from board.models import Post, Role, Thread, User

from ..conftest import dispose
from ..factories import make_reply, make_thread, make_user
from .conftest import htmx_settled, log_in, make_board, serve

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
SCHEMES = ["light", "dark"]
OPENING_BODY = """The last shot says *nothing*, and that is the point. Before it:

> You were a twelve-year-old girl.

## What the bar scene does

1. It sets up the **three-way** conversation.
2. It makes `In-yun` literal: ||Arthur asks about it||.

More at https://example.com/past-lives and in ~~my~~ our notes.
"""


@dataclass
class Board:
    url: str
    thread_id: int  # nested replies, a spoiler, a hidden reply, votes
    hidden_reply_id: int
    logins: dict  # role -> Playwright storage state of a member logged in through the UI


def as_moderator(app, moderator_id: int, act) -> None:
    with app.app_context():
        act(db.session.get(User, moderator_id))
        db.session.commit()


@pytest.fixture(scope="module")
def board(tmp_path_factory, browser):
    """One board for the read-only page checks: a few threads (one pinned), a conversation, saved logins."""
    app = make_board(tmp_path_factory.mktemp("accessibility"))
    critic, member, replier = make_user(app, "critic"), make_user(app, "member"), make_user(app, "replier")
    moderator = make_user(app, "moddy", role=Role.MODERATOR)
    rules = make_thread(app, moderator, "House rules: spoilers go behind bars", film=("Reelboard", None))
    make_thread(app, critic, "Alien at 45: still the best haunted house", film=("Alien", 1979))
    thread = make_thread(app, critic, "Does the ending of Past Lives work?", body=OPENING_BODY,
                         film=("Past Lives", 2023), has_spoilers=True)
    first = make_reply(app, thread.opening_post, replier, "It does: ||they both knew|| from the start.")
    second = make_reply(app, first, member, "Agreed. The *silence* in the taxi says it.")
    make_reply(app, second, critic, "And the cut to the street after.")
    hidden = make_reply(app, thread.opening_post, replier, "Skip it, overrated.")
    as_moderator(app, moderator.id, lambda mod: db.session.get(Thread, rules.id).pin(mod))
    as_moderator(app, moderator.id, lambda mod: db.session.get(Post, hidden.id).hide(mod, "Low effort"))
    with app.app_context():  # pressed vote buttons get their contrast checked too
        voter = db.session.get(User, member.id)
        db.session.get(Post, thread.opening_post.id).vote(voter, 1)
        db.session.get(Post, first.id).vote(voter, -1)
        db.session.commit()
    try:
        with serve(app) as live:
            logins = {}
            for role, username in (("member", "member"), ("moderator", "moddy")):
                context = browser.new_context(base_url=live.url)
                log_in(context.new_page(), username)
                logins[role] = context.storage_state()
                context.close()
            yield Board(live.url, thread.id, hidden.id, logins)
    finally:
        dispose(app)


def front_page(page, board):
    page.goto("/")
    expect(page.locator(".thread-row").first.locator(".badge--pinned")).to_have_text("Pinned")


def thread_as_member(page, board):
    page.goto(f"/threads/{board.thread_id}")
    expect(page.locator(f"#post-{board.hidden_reply_id}")).to_have_text("Hidden by moderators.")
    expect(page.locator(".spoiler")).to_have_count(2)
    reply = page.locator(".replies--top > li.reply").first
    reply.locator(".post").first.get_by_role("link", name="Reply").click()  # the inline form, opened by htmx
    expect(reply.locator(".reply-slot textarea")).to_be_focused()


def thread_as_moderator(page, board):
    page.goto(f"/threads/{board.thread_id}")
    expect(page.locator(f"#post-{board.hidden_reply_id} .post__moderation-note")).to_contain_text("Low effort")
    page.locator("details.mod-tools summary").first.click()  # the hide form, open
    expect(page.locator("details.mod-tools[open] .hide-form")).to_be_visible()


def new_thread_form(page, board):
    page.goto("/threads/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a film thread")


def login_page(page, board):
    page.goto("/login")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def register_with_errors(page, board):
    page.goto("/register")
    page.get_by_label("Username").fill("x")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Confirm password").fill("different")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".field-error")).to_have_count(3)


VIEWS = {
    "front page": (None, front_page),
    "thread as member": ("member", thread_as_member),
    "thread as moderator": ("moderator", thread_as_moderator),
    "new thread form": ("member", new_thread_form),
    "login page": (None, login_page),
    "register with errors": (None, register_with_errors),
}


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("view", VIEWS)
def test_no_wcag_violations(board, new_context, view, scheme):
    role, show = VIEWS[view]
    # axe is injected with page.evaluate, which the page's CSP does not govern: no bypass_csp needed.
    context = new_context(base_url=board.url, color_scheme=scheme, storage_state=board.logins.get(role))
    page = context.new_page()
    show(page, board)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    htmx_settled(page)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


# Sends violations (from the first script on) to window.__cspViolations.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} `
                              + `at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def test_the_thread_page_runs_clean_under_its_csp(live_server, open_page):
    app = live_server.app
    author, replier = make_user(app, "author"), make_user(app, "replier")
    make_user(app, "member")
    thread = make_thread(app, author, "Clean", body="A ||spoiler|| and https://example.com/a-link.")
    reply = make_reply(app, thread.opening_post, replier, "A reply to answer.")
    page = open_page()
    problems, foreign = [], []

    def on_console(message):
        if message.type == "error":
            problems.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("request", lambda request: urlsplit(request.url).hostname != "127.0.0.1" and foreign.append(request.url))
    page.add_init_script(RECORD_CSP_VIOLATIONS)

    log_in(page, "member")
    page.goto(f"/threads/{thread.id}")
    # Exercise htmx: a vote, the inline reply form, a reply; each swaps new markup in.
    page.locator(f"#vote-{thread.opening_post.id}").get_by_role("button", name="Upvote").click()
    expect(page.locator(f"#vote-up-{thread.opening_post.id}")).to_have_attribute("aria-pressed", "true")
    htmx_settled(page)
    page.locator(f"#post-{reply.id}").get_by_role("link", name="Reply").click()
    expect(page.locator(f"#reply-slot-{reply.id} form")).to_be_visible()
    htmx_settled(page)
    page.locator(f"#reply-slot-{reply.id}").get_by_label("Reply to replier").fill("In place.")
    page.locator(f"#reply-slot-{reply.id}").get_by_role("button", name="Post reply").click()
    expect(page.locator(f"#replies-{reply.id} > li.reply")).to_have_count(1)

    violations = page.evaluate("window.__cspViolations")
    assert violations is not None, "the CSP listener was not installed"
    assert problems == [], "errors in the browser console"
    assert violations == [], "Content-Security-Policy violations"
    assert foreign == [], "requests to hosts other than 127.0.0.1"


def test_the_browser_finds_a_favicon(live_server, open_page):
    page = open_page()
    page.goto("/")
    # What Chromium fetches: the declared icon, else /favicon.ico.
    icon = page.evaluate("document.querySelector('link[rel~=icon]')?.href ?? new URL('/favicon.ico', location).href")
    response = page.request.get(icon)
    assert response.ok, f"{icon} answered {response.status}"
