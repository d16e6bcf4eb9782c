"""axe-core finds no WCAG 2.1 A/AA violations, light or dark; the thread page runs clean under its CSP."""
import io
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect

from board.extensions import db
from board.images import reencode
from board.models import EmailNotices, Film, FilmDirector, FilmLog, FilmPoster, Post, Report, Role, Thread, User, utcnow
from board.tokens import unsubscribe_token

from ..conftest import dispose
from ..factories import make_reply, make_thread, make_user
from ..test_images import picture_bytes
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
    locked_thread_id: int  # locked; an edited opening post, a reply marked as a spoiler, a reported reply
    edited_post_id: int  # four versions: a title change, a spoiler in the diff, a moderator's edit
    spoiler_reply_id: int
    reportable_id: int  # a reply the member has not reported
    banned_member_id: int
    unsubscribe_path: str  # the unsubscribe link in the moderator's notices (they have an address and chose notices)


def as_moderator(app, moderator_id: int, act) -> None:
    with app.app_context():
        act(db.session.get(User, moderator_id))
        db.session.commit()


def file_report(app, post, reporter, reason: str, details: str | None = None) -> None:
    with app.app_context():
        Report.file(db.session.get(Post, post.id), db.session.get(User, reporter.id), reason, details)
        db.session.commit()


def moderated_thread(app, critic, replier, member, moderator, admin) -> dict:
    """A locked thread with an opening post edited three times, a reply marked as a spoiler, a reported reply;
    a banned member and a role change, so the log, queue, history and members pages all have entries."""
    troll, banned = make_user(app, "troll"), make_user(app, "banished")
    thread = make_thread(app, critic, "Decision to Leave: the ending", film=("Decision to Leave", 2022),
                         body="The tide comes in.")
    opening_id = thread.opening_post.id
    marked = make_reply(app, thread.opening_post, replier, "She ||walks into the sea||, and he never finds her.")
    reported = make_reply(app, thread.opening_post, troll, "Boring. Watch something with explosions instead.")
    file_report(app, reported, member, "off_topic")
    file_report(app, reported, critic, "abuse", "Second time this week.\nPlease look at their other posts.")
    file_report(app, marked, member, "spoiler")

    def edit(editor_id, body, title=None):
        with app.app_context():
            db.session.get(Post, opening_id).edit(db.session.get(User, editor_id), body, title)
            db.session.commit()

    edit(critic.id, "The tide comes in, and ||the grave fills with water||.", "Decision to Leave: that ending")
    edit(critic.id, "The tide comes in, and ||the grave fills with water||. Mountains and sea.")
    edit(moderator.id, "The tide comes in, and ||the grave fills with water||. Mountains and sea. (Link removed.)")
    as_moderator(app, moderator.id, lambda mod: db.session.get(Post, marked.id).mark_spoiler(mod, "Untagged ending"))
    as_moderator(app, moderator.id, lambda mod: db.session.get(Thread, thread.id).lock(mod))
    as_moderator(app, moderator.id, lambda mod: db.session.get(User, banned.id).ban(mod, 7, "Spam links"))
    as_moderator(app, admin.id, lambda boss: db.session.get(User, troll.id).change_role(boss, Role.MODERATOR))
    as_moderator(app, admin.id, lambda boss: db.session.get(User, troll.id).change_role(boss, Role.MEMBER))
    return {"locked_thread_id": thread.id, "edited_post_id": opening_id, "spoiler_reply_id": marked.id,
            "banned_member_id": banned.id}


def log_past_lives(app, film_id, critic, member, replier) -> None:
    """Three members log Past Lives (the member too: its spoilers open for them), one review marked as spoiling."""
    with app.app_context():
        for who, rating, review, spoilers in ((member, 9, "Quiet and *exact*. ||Nora stays.||", False),
                                              (critic, 7, "The taxi scene gives it away.", True),
                                              (replier, 8, "", False)):
            log = FilmLog(member_id=who.id, film_id=film_id, rating=rating, watched_on=utcnow().date())
            log.set_review(review, spoilers)
            db.session.add(log)
        db.session.commit()


@pytest.fixture(scope="module")
def board(tmp_path_factory, browser):
    """One board for the read-only page checks: a few threads (one pinned), a conversation, saved logins."""
    app = make_board(tmp_path_factory.mktemp("accessibility"))
    critic, member, replier = make_user(app, "critic"), make_user(app, "member"), make_user(app, "replier")
    moderator = make_user(app, "moddy", role=Role.MODERATOR)
    admin = make_user(app, "boss", role=Role.ADMIN)
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
    moderated = moderated_thread(app, critic, replier, member, moderator, admin)
    with app.app_context():
        moddy = db.session.get(User, moderator.id)
        moddy.email = "moddy@example.com"
        EmailNotices.set(moddy, EmailNotices.DIGEST)
        db.session.commit()
        moderated["unsubscribe_path"] = f"/notices/unsubscribe?token={unsubscribe_token(moddy)}"
    film_details(app, thread.film_id)
    make_thread(app, critic, "Past Lives, the undated one", film=("Past Lives", None))  # a likely duplicate
    log_past_lives(app, thread.film_id, critic, member, replier)
    with app.app_context():  # how members appear: an uploaded avatar, display names (one right to left), initials
        db.session.get(User, replier.id).set_avatar(
            reencode(picture_bytes(size=(300, 200)), box=(256, 256), max_pixels=40_000_000, crop=True))
        db.session.get(User, replier.id).set_display_name("Nora M.")
        db.session.get(User, member.id).set_display_name("هه‌یون")
        db.session.commit()
    try:
        with serve(app) as live:
            logins = {}
            for role, username in (("member", "member"), ("moderator", "moddy"), ("admin", "boss")):
                context = browser.new_context(base_url=live.url)
                log_in(context.new_page(), username)
                logins[role] = context.storage_state()
                context.close()
            yield Board(live.url, thread.id, hidden.id, logins, reportable_id=first.id, **moderated)
    finally:
        dispose(app)


def film_details(app, film_id: int) -> None:
    """Past Lives gets an original title, a director, a runtime and a poster, as a moderator would give them."""
    out = io.BytesIO()
    Image.new("RGB", (400, 600), (40, 60, 90)).save(out, format="PNG")
    with app.app_context():
        film = db.session.get(Film, film_id)
        film.original_title, film.runtime = "패스트 라이브즈", 106
        picture = reencode(out.getvalue(), box=(600, 900), max_pixels=40_000_000)
        small = reencode(picture.data, box=(120, 180), max_pixels=40_000_000)
        db.session.add_all([
            FilmDirector(film_id=film_id, position=0, name="Celine Song", key="celine-song"),
            FilmPoster(film_id=film_id, digest=picture.digest, data=picture.data, width=picture.width,
                       height=picture.height, small_data=small.data, small_width=small.width, small_height=small.height),
        ])
        db.session.commit()


def film_page_with_details(page, board):
    page.goto("/films/past-lives-2023")
    expect(page.get_by_role("img", name="Poster of Past Lives (2023)")).to_be_visible()
    expect(page.get_by_role("link", name="Celine Song")).to_be_visible()


def film_page_as_moderator(page, board):
    page.goto("/films/past-lives-2023")
    expect(page.get_by_text("Possibly the same film")).to_be_visible()
    page.locator("summary", has_text="Edit details and poster").click()
    page.get_by_label("Runtime in minutes (optional)").fill("abc")
    page.get_by_role("button", name="Save details").click()
    expect(page.locator("#details-runtime-error")).to_be_visible()


def film_index(page, board):
    page.goto("/films")
    expect(page.get_by_role("heading", name="Most discussed this week")).to_be_visible()
    expect(page.get_by_role("img", name="Past Lives (2023)")).to_be_visible()


def films_by_director(page, board):
    page.goto("/films/directors/celine-song")
    expect(page.get_by_role("heading", level=1)).to_have_text("Films by Celine Song")


def front_page(page, board):
    page.goto("/")
    expect(page.locator(".thread-row").first.locator(".badge--pinned")).to_have_text("Pinned")


def thread_as_member(page, board):
    page.goto(f"/threads/{board.thread_id}")
    expect(page.locator(f"#post-{board.hidden_reply_id}")).to_have_text("Hidden by moderators: Low effort.")
    expect(page.locator(".spoiler")).to_have_count(2)
    reply = page.locator(f"#reply-{board.reportable_id}")  # the first reply (by age; Best puts the hidden one first)
    reply.locator(".post").first.get_by_role("link", name="Reply").click()  # the inline form, opened by htmx
    expect(reply.locator(".reply-slot textarea")).to_be_focused()


def thread_as_moderator(page, board):
    page.goto(f"/threads/{board.thread_id}")
    expect(page.locator(f"#post-{board.hidden_reply_id} .post__moderation-note")).to_contain_text("Low effort")
    page.locator(".post details.mod-tools > summary", has_text="Hide").first.click()  # the hide form, open
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


def report_queue(page, board):
    page.goto("/moderation/reports")
    expect(page.locator(".report-queue > li.report-entry")).to_have_count(2)
    expect(page.locator("#report-badge .badge--count")).to_have_text("2 open")


def moderation_log(page, board):
    page.goto("/moderation/log")
    expect(page.locator("table.log tbody tr")).to_have_count(8)  # pin, hide, edit, spoiler, lock, ban, two role changes


def edit_history(page, board):
    page.goto(f"/posts/{board.edited_post_id}/history")
    expect(page.locator("li.version")).to_have_count(4)
    for summary in page.locator(".version__changes details.spoiler-block > summary").all():
        summary.click()  # the diffs hold a ||spoiler||: open them, so their colours are checked too
    expect(page.locator(".diff ins").first).to_be_visible()
    expect(page.locator(".diff del").first).to_be_visible()
    expect(page.locator(".badge--mod-edit").first).to_be_visible()


def admin_members(page, board):
    page.goto("/admin/members")
    expect(page.locator("table.members tbody tr")).to_have_count(7)
    expect(page.locator(f"#member-{board.banned_member_id} .badge--banned")).to_contain_text("Banned until")


def report_form_page(page, board):
    page.goto(f"/posts/{board.reportable_id}/report")  # the page a visitor without JavaScript gets
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a post by replier")
    page.get_by_label("Other").check()
    page.get_by_role("button", name="Send report").click()  # "Other" with no details: the errors, on the page
    expect(page.locator(".field-error")).to_have_text("Tell the moderators what is wrong when you choose “Other”.")


def locked_thread_as_moderator(page, board):
    page.goto(f"/threads/{board.locked_thread_id}")
    expect(page.locator("#thread-head .badge--locked")).to_have_text("Locked")
    expect(page.locator("#join .locked-notice")).to_be_visible()
    spoiler = page.locator(f"#post-{board.spoiler_reply_id} details.spoiler-block")
    spoiler.locator("summary").click()
    expect(spoiler.locator(".post__body")).to_be_visible()


def ban_form_open(page, board):
    page.goto(f"/threads/{board.locked_thread_id}")
    post = page.locator(f"#post-{board.spoiler_reply_id}")
    post.locator(".ban-control summary", has_text="Ban replier").click()
    expect(post.locator(".ban-form")).to_be_visible()
    expect(post.get_by_label("Ban for")).to_be_visible()


def thread_quoting_and_previewing(page, board):
    page.goto(f"/threads/{board.thread_id}")
    body = page.locator(f"#post-{board.reportable_id} .post__body")
    body.select_text()  # a selection in a reply: its Quote button appears by it
    expect(page.locator(f"#post-{board.reportable_id} button.quote-selection")).to_be_visible()
    form = page.locator("form.reply-form[data-reset-on-success]")  # the reply box after the last reply
    form.get_by_label("Add a reply").fill("A *preview* with a ||spoiler|| and a [link](https://example.com).")
    form.get_by_role("button", name="Preview").click()
    expect(form.locator(".preview em")).to_have_text("preview")
    expect(page.locator(".back-to-top")).to_be_visible()


def reply_page_quoting_and_previewing(page, board):
    page.goto(f"/posts/{board.reportable_id}/reply?quote=1")  # the page a member without JavaScript gets
    expect(page.get_by_label("Reply to replier")).to_have_value(re.compile(r"^> \*\*@replier\*\* \[wrote\]"))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview blockquote")).to_be_visible()


def new_thread_previewed(page, board):
    page.goto("/threads/new")
    page.get_by_label("Post", exact=True).fill("## A heading\n\nSome **bold** words.\n\n```spoiler\nThe twist.\n```")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#body-preview h3")).to_have_text("A heading")


def bio_previewed(page, board):
    page.goto("/u/member/bio")
    page.get_by_label("Bio").fill("Loves *long takes*.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#bio-source-preview em")).to_have_text("long takes")


def notices_refused_without_an_address(page, board):
    page.goto("/account/notices")
    page.get_by_label(re.compile("^Right away")).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#notices-error")).to_contain_text("Confirm an email address first")


def notices_with_an_address(page, board):
    page.goto("/account/notices")
    expect(page.get_by_label(re.compile("^Once a day"))).to_be_checked()


def unsubscribe_page(page, board):
    page.goto(board.unsubscribe_path)
    expect(page.get_by_role("button", name="Stop email notices")).to_be_visible()


def account_page(page, board):
    page.goto("/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")


def delete_account_with_an_error(page, board):
    page.goto("/account/delete")
    page.get_by_label("Your current password").fill("not the password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator(".field-error")).to_have_text("That is not your current password.")


def film_page_with_logs(page, board):
    page.goto("/films/past-lives-2023")
    expect(page.locator(".rating-histogram tbody tr")).to_have_count(10)
    expect(page.locator(".recent-logs .film-log")).to_have_count(3)
    expect(page.locator(".recent-logs details.spoiler-block[open]")).to_have_count(1)  # the member logged it
    panel = page.locator("#your-logs")
    panel.get_by_role("radio", name="4.5 stars", exact=True).focus()
    panel.get_by_label("Watched on").fill("2999-01-01")  # an error, in place
    panel.get_by_role("button", name="Log it").click()
    expect(panel.locator(".field-error")).to_be_visible()


def film_page_as_visitor(page, board):
    page.goto("/films/past-lives-2023")
    expect(page.locator(".recent-logs details.spoiler-block:not([open])")).to_have_count(1)


def diary_tab(page, board):
    page.goto("/u/member?tab=diary")
    expect(page.locator(".profile-list .film-log")).to_have_count(1)


def film_index_highest_rated(page, board):
    page.goto("/films")
    expect(page.locator("#highest-rated-heading")).to_be_visible()


def bio_with_spoiler_setting(page, board):
    page.goto("/u/member/bio")
    expect(page.get_by_label("Open the spoilers of films I have logged")).to_be_checked()


def thread_with_avatars(page, board):
    page.goto(f"/threads/{board.thread_id}")
    expect(page.locator("img.avatar").first).to_be_visible()  # the replier's picture
    expect(page.locator(".avatar--initials").first).to_be_visible()  # everyone else's initials


def account_profile(page, board):
    page.goto("/account/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Display name and avatar")
    page.get_by_role("textbox", name="Display name").fill("x" * 60)  # over the limit: the count says so, then the form's error
    page.get_by_role("button", name="Save display name").click()
    expect(page.locator(".field-error")).to_contain_text("At most 50 characters")


VIEWS = {
    "front page": (None, front_page),
    "thread as member": ("member", thread_as_member),
    "thread as moderator": ("moderator", thread_as_moderator),
    "new thread form": ("member", new_thread_form),
    "login page": (None, login_page),
    "register with errors": (None, register_with_errors),
    "report queue": ("moderator", report_queue),
    "moderation log": (None, moderation_log),
    "edit history": ("member", edit_history),
    "admin members": ("admin", admin_members),
    "report form page": ("member", report_form_page),
    "locked thread as moderator": ("moderator", locked_thread_as_moderator),
    "ban form open": ("moderator", ban_form_open),
    "thread quoting and previewing": ("member", thread_quoting_and_previewing),
    "reply page quoting and previewing": ("member", reply_page_quoting_and_previewing),
    "new thread previewed": ("member", new_thread_previewed),
    "bio previewed": ("member", bio_previewed),
    "email notices refused": ("member", notices_refused_without_an_address),
    "email notices chosen": ("moderator", notices_with_an_address),
    "unsubscribe page": (None, unsubscribe_page),
    "account page": ("member", account_page),
    "delete account with an error": ("member", delete_account_with_an_error),
    "film page with details and poster": (None, film_page_with_details),
    "film page as moderator": ("moderator", film_page_as_moderator),
    "film index": (None, film_index),
    "films by director": (None, films_by_director),
    "film page with logs": ("member", film_page_with_logs),
    "film page as visitor": (None, film_page_as_visitor),
    "diary tab": (None, diary_tab),
    "film index, highest rated": (None, film_index_highest_rated),
    "bio with the spoiler setting": ("member", bio_with_spoiler_setting),
    "thread with avatars": (None, thread_with_avatars),
    "account profile": ("member", account_profile),
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
