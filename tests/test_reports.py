"""Reports: members report posts once, moderators resolve them from a queue grouped by post, the header badge."""
import itertools
import re
import threading
from datetime import timedelta

import pytest

from board import reports as reports_module
from board.extensions import db
from board.models import REASON_MAX, REPORT_DETAILS_MAX, ModAction, Post, Report, Role, User, utcnow

from .factories import fetch, make_reply, make_thread, make_user

QUEUE_BUDGET = 4  # session user, count of reported posts (also the badge's number), the page of posts, their reports
_numbers = itertools.count(1)
THANKS = "Thanks — moderators will review this post."
ALREADY = "You have already reported this post; moderators will look at it."


@pytest.fixture
def board(app):
    author = make_user(app, "author")
    member = make_user(app, "member")
    moderator = make_user(app, "moddy", role=Role.MODERATOR)
    thread = make_thread(app, author, "Dune part two", body="The opening essay.")
    reply = make_reply(app, thread.opening_post, author, "Paul dies at the end (he doesn't).")
    return {"author": author, "member": member, "moderator": moderator, "thread": thread, "reply": reply}


def file_report(app, post, reporter, reason="spam", details=None, created_at=None) -> Report:
    with app.app_context():
        report = Report.file(db.session.get(Post, post.id), db.session.get(User, reporter.id), reason, details)
        if created_at is not None:
            report.created_at = created_at
        db.session.commit()
        return report


def reports_on(app, post_id):
    with app.app_context():
        query = db.select(Report).where(Report.post_id == post_id).order_by(Report.id)
        return [(r.reporter_id, r.reason, r.details, r.resolver_id, r.resolution, r.resolved_at is not None)
                for r in db.session.scalars(query)]


def records(app):
    with app.app_context():
        return [(entry.moderator_id, entry.action, entry.target_type, entry.target_id, entry.reason)
                for entry in db.session.scalars(db.select(ModAction).order_by(ModAction.id))]


def report_url(board) -> str:
    return f"/posts/{board['reply'].id}/report"


def resolve_url(post) -> str:
    return f"/moderation/reports/{post.id}/resolve"


def post_anchor(board) -> str:
    return f"/threads/{board['thread'].id}#post-{board['reply'].id}"


# Reporting a post --------------------------------------------------------------------------------------------------------

def test_report_form_with_htmx_is_a_fragment_for_the_post_slot(client, board):
    client.log_in(board["member"])
    response = client.htmx_get(report_url(board))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith(f'<form class="report-form stack" id="report-{board["reply"].id}"')
    assert f'hx-post="{report_url(board)}"' in fragment
    assert "<legend>Why are you reporting this post by author?</legend>" in fragment
    for value, label in Report.REASONS.items():
        radio_id = f"report-{board['reply'].id}-reason-{value}"
        assert f'id="{radio_id}" name="reason" value="{value}"' in fragment
        assert f'<label for="{radio_id}">{label}</label>' in fragment
    assert "data-cancel-reply" in fragment and 'name="csrf_token"' in fragment


def test_report_form_without_js_is_a_page(client, board):
    client.log_in(board["member"])
    response = client.get(report_url(board))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in page
    assert "<h1>Report a post by author</h1>" in page and "Paul dies at the end" in page
    assert "hx-post" not in page.split('class="report-form', 1)[1].split(">", 1)[0]


def test_report_without_js_redirects_to_the_post_with_a_flash(app, client, board):
    client.log_in(board["member"])
    response = client.submit(report_url(board), {"reason": "spoiler", "details": "  Ending spoiled.  "})
    assert response.status_code == 303 and response.headers["Location"] == post_anchor(board)
    assert THANKS in client.get(response.headers["Location"]).get_data(as_text=True)
    assert reports_on(app, board["reply"].id) == [(board["member"].id, "spoiler", "Ending spoiled.", None, None, False)]


def test_report_with_htmx_replaces_the_form_with_a_confirmation(app, client, board):
    client.log_in(board["member"])
    response = client.submit(report_url(board), {"reason": "off_topic"}, htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert f'role="status" tabindex="-1" autofocus>{THANKS}</p>' in fragment
    assert reports_on(app, board["reply"].id) == [(board["member"].id, "off_topic", None, None, None, False)]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_second_report_by_the_same_member_gets_a_message_not_a_new_row(app, client, board, htmx):
    client.log_in(board["member"])
    client.submit(report_url(board), {"reason": "spam"})
    response = client.submit(report_url(board), {"reason": "abuse"}, htmx=htmx)
    if htmx:
        assert response.status_code == 200 and ALREADY in response.get_data(as_text=True)
    else:
        assert response.status_code == 303 and response.headers["Location"] == post_anchor(board)
        assert ALREADY in client.get(response.headers["Location"]).get_data(as_text=True)
    assert [row[1] for row in reports_on(app, board["reply"].id)] == ["spam"]


def test_opening_the_form_again_after_reporting_says_so(app, client, board):
    client.log_in(board["member"])
    client.submit(report_url(board), {"reason": "spam"})
    htmx = client.htmx_get(report_url(board))
    assert htmx.status_code == 200 and ALREADY in htmx.get_data(as_text=True) and "<form" not in htmx.get_data(as_text=True)
    plain = client.get(report_url(board))
    assert plain.status_code == 303 and plain.headers["Location"] == post_anchor(board)


def test_other_members_reports_on_the_same_post_are_separate(app, client, other_client, board):
    client.log_in(board["member"])
    other_client.log_in(make_user(app, "second"))
    client.submit(report_url(board), {"reason": "spam"})
    assert other_client.submit(report_url(board), {"reason": "abuse"}, htmx=True).status_code == 200
    assert [row[1] for row in reports_on(app, board["reply"].id)] == ["spam", "abuse"]


def test_concurrent_double_report_is_stored_once(app, board):
    """Two requests racing (a double click on a slow connection) still make one open report."""
    clients = [app.test_client() for _ in range(4)]
    for each in clients:
        each.log_in(board["member"])
    tokens = [each.csrf_token() for each in clients]
    barrier = threading.Barrier(len(clients))
    statuses = []

    def report(each, token):
        barrier.wait()
        response = each.post(report_url(board), data={"reason": "spam", "csrf_token": token})
        statuses.append(response.status_code)

    workers = [threading.Thread(target=report, args=pair) for pair in zip(clients, tokens)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses == [303] * len(clients)
    assert len(reports_on(app, board["reply"].id)) == 1


def test_after_resolution_the_same_member_may_report_again(app, client, other_client, board):
    client.log_in(board["member"])
    client.submit(report_url(board), {"reason": "spam"})
    other_client.log_in(board["moderator"])
    other_client.submit(resolve_url(board["reply"]), {"resolution": "dismiss"})
    response = client.submit(report_url(board), {"reason": "abuse"}, htmx=True)
    assert response.status_code == 200 and THANKS in response.get_data(as_text=True)
    assert [(row[1], row[5]) for row in reports_on(app, board["reply"].id)] == [("spam", True), ("abuse", False)]


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"reason": "other", "details": "   "}, "details", "Tell the moderators what is wrong when you choose “Other”."),
        ({"reason": "spam", "details": "x" * (REPORT_DETAILS_MAX + 1)}, "details",
         f"At most {REPORT_DETAILS_MAX} characters; this has {REPORT_DETAILS_MAX + 1}. Shorten it by 1."),
        ({}, "reason", "Choose a reason."),
        ({"reason": "boring"}, "reason", "Not a valid choice."),
    ],
    ids=["other-without-text", "over-long-text", "no-reason", "unknown-reason"],
)
def test_invalid_report_is_the_form_again_with_the_error_in_place(app, client, board, form, field, message):
    client.log_in(board["member"])
    htmx = client.submit(report_url(board), form, htmx=True)
    fragment = htmx.get_data(as_text=True)
    assert htmx.status_code == 422 and "<html" not in fragment
    assert htmx.headers["HX-Retarget"] == "this" and htmx.headers["HX-Reswap"] == "outerHTML"
    error_id = f"report-{board['reply'].id}-{field}-error"
    assert f'<p class="field-error" id="{error_id}">{message}</p>' in fragment
    assert re.search(rf'aria-describedby="[^"]*\b{error_id}\b', fragment)  # the error is tied to its control
    plain = client.submit(report_url(board), form)
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True) and message in plain.get_data(as_text=True)
    assert reports_on(app, board["reply"].id) == []


def test_other_with_text_is_accepted(app, client, board):
    client.log_in(board["member"])
    response = client.submit(report_url(board), {"reason": "other", "details": "Line one\r\nline two"}, htmx=True)
    assert response.status_code == 200
    assert reports_on(app, board["reply"].id)[0][1:3] == ("other", "Line one\nline two")


def test_own_post_cannot_be_reported(app, client, board):
    client.log_in(board["author"])
    assert client.get(report_url(board)).status_code == 403
    htmx = client.submit(report_url(board), {"reason": "spam"}, htmx=True)
    assert htmx.status_code == 403 and "<html" not in htmx.get_data(as_text=True)
    assert reports_on(app, board["reply"].id) == []
    page = client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert report_url(board) not in page


def test_hidden_post_cannot_be_reported_and_unknown_post_is_404(app, client, board):
    with app.app_context():
        db.session.get(Post, board["reply"].id).hidden = True
        db.session.commit()
    client.log_in(board["member"])
    assert client.get(report_url(board)).status_code == 403
    assert client.submit(report_url(board), {"reason": "spam"}).status_code == 403
    assert client.get("/posts/9999/report").status_code == 404
    assert client.submit("/posts/9999/report", {"reason": "spam"}).status_code == 404


def test_members_see_a_report_link_on_others_posts(client, board):
    client.log_in(board["member"])
    page = client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert f'hx-get="{report_url(board)}" hx-target="#reply-slot-{board["reply"].id}"' in page


def test_anonymous_report_goes_to_login(app, client, board):
    plain = client.submit(report_url(board), {"reason": "spam"}, headers={"Referer": f"http://localhost/threads/{board['thread'].id}"})
    assert plain.status_code == 303 and plain.headers["Location"] == f"/login?next=/threads/{board['thread'].id}"
    assert client.get(report_url(board)).headers["Location"] == f"/login?next={report_url(board)}"
    htmx = client.submit(report_url(board), {"reason": "spam"}, htmx=True)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login?next=")
    assert client.htmx_get(report_url(board)).status_code == 401
    assert reports_on(app, board["reply"].id) == []


# The queue -----------------------------------------------------------------------------------------------------------------

def queue_entries(page: str) -> list[str]:
    return re.findall(r'<li class="report-entry" id="report-entry-(\d+)">', page)


def test_queue_groups_reports_by_post_oldest_first(app, client, board):
    reporters = [make_user(app, name) for name in ("ann", "bob", "cy")]
    now = utcnow()
    opening = board["thread"].opening_post
    file_report(app, board["reply"], reporters[0], "spoiler", "Spoils the <b>ending</b>.", created_at=now - timedelta(hours=1))
    file_report(app, opening, reporters[0], "off_topic", created_at=now - timedelta(hours=3))
    file_report(app, board["reply"], reporters[1], "abuse", created_at=now - timedelta(minutes=30))
    file_report(app, board["reply"], reporters[2], "other", "Just rude.", created_at=now - timedelta(minutes=5))
    client.log_in(board["moderator"])
    response = client.get("/moderation/reports")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert queue_entries(page) == [str(opening.id), str(board["reply"].id)]  # the longest-waiting post first
    entry = page.split(f'id="report-entry-{board["reply"].id}"', 1)[1].split("</li>\n", 4)
    entry = "".join(entry)
    assert "3 open reports" in entry and "1 open report<" in page
    assert "Reply by <strong>author</strong>" in entry and "first <time" in entry and "1 hour ago" in entry
    assert f'href="/posts/{board["reply"].id}"><bdi>Dune part two</bdi></a>' in entry
    assert '<div class="report-entry__excerpt prose" hx-disable><p>Paul dies at the end' in entry
    for label, reporter in [("Untagged spoiler", "ann"), ("Abuse", "bob"), ("Other", "cy")]:
        assert f'<span class="report-entry__reason">{label}</span>' in entry and f"by {reporter}," in entry
    assert "Spoils the &lt;b&gt;ending&lt;/b&gt;." in entry and "Just rude." in entry  # member text is escaped
    assert entry.index("ann") < entry.index("bob") < entry.index("cy")
    for resolution, label in [("hide", "Hide"), ("spoiler", "Mark as spoiler"), ("dismiss", "Dismiss")]:
        assert f'name="resolution" value="{resolution}"' in entry and f">{label}</button>" in entry
    assert f'hx-post="{resolve_url(board["reply"])}" hx-target="#report-entry-{board["reply"].id}" hx-swap="outerHTML"' in entry


def test_queue_leaves_out_resolved_reports_and_says_when_it_is_empty(app, client, board):
    file_report(app, board["reply"], board["member"])
    client.log_in(board["moderator"])
    client.submit(resolve_url(board["reply"]), {"resolution": "dismiss"})
    page = client.get("/moderation/reports").get_data(as_text=True)
    assert queue_entries(page) == [] and "No open reports." in page


def test_queue_is_paginated(app, client, board, monkeypatch):
    monkeypatch.setattr(reports_module, "QUEUE_PER_PAGE", 2)
    posts = [make_reply(app, board["thread"].opening_post, board["author"]) for _ in range(3)]
    for number, post in enumerate(posts):
        file_report(app, post, board["member"], created_at=utcnow() - timedelta(minutes=10 - number))
    client.log_in(board["moderator"])
    first = client.get("/moderation/reports").get_data(as_text=True)
    second = client.get("/moderation/reports?page=2").get_data(as_text=True)
    assert queue_entries(first) == [str(posts[0].id), str(posts[1].id)] and "Page 1 of 2" in first
    assert queue_entries(second) == [str(posts[2].id)]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_queue_is_for_moderators_only(app, client, board, htmx):
    get = client.htmx_get if htmx else client.get
    anonymous = get("/moderation/reports")
    if htmx:
        assert anonymous.status_code == 401 and anonymous.headers["HX-Redirect"] == "/login?next=/moderation/reports"
    else:
        assert anonymous.status_code == 303 and anonymous.headers["Location"] == "/login?next=/moderation/reports"
    client.log_in(board["member"])
    assert get("/moderation/reports").status_code == 403


def grow_reported_posts(app, board, count: int) -> None:
    """`count` more replies, each reported by two members."""
    reporter_ids = [make_user(app).id for _ in range(2)]
    with app.app_context():
        author = db.session.get(User, board["author"].id)
        opening = db.session.get(Post, board["thread"].opening_post.id)
        reporters = [db.session.get(User, reporter_id) for reporter_id in reporter_ids]
        for number in range(count):
            post = opening.add_reply(author, f"Reported reply {next(_numbers)}")
            for reporter in reporters:
                Report.file(post, reporter, "spam", f"Report {number}")
        db.session.commit()


def test_queue_runs_the_same_few_statements_for_2_and_30_reported_posts(app, client, count_queries, board, monkeypatch):
    monkeypatch.setattr(reports_module, "QUEUE_PER_PAGE", 50)
    client.log_in(board["moderator"])
    counts = []
    for total, more in ((2, 2), (30, 28)):
        grow_reported_posts(app, board, more)
        with count_queries() as counter:
            response = client.get("/moderation/reports")
        assert response.status_code == 200 and len(queue_entries(response.get_data(as_text=True))) == total
        counts.append(counter.count)
    assert counts == [QUEUE_BUDGET] * 2


# Resolving -----------------------------------------------------------------------------------------------------------------

RESOLUTIONS = {
    # resolution: (post attribute that changes, ModAction action, words in the resolved line)
    "hide": ("hidden", ModAction.HIDE, "hidden"),
    "spoiler": ("marked_spoiler", ModAction.MARK_SPOILER, "marked as spoiler"),
    "dismiss": (None, ModAction.DISMISS_REPORTS, "dismissed"),
}


@pytest.fixture
def reported(app, board):
    """The reply reported by two members, and another post reported by one (which stays open)."""
    second = make_user(app, "second")
    file_report(app, board["reply"], board["member"], "spoiler")
    file_report(app, board["reply"], second, "abuse")
    file_report(app, board["thread"].opening_post, second, "spam")
    return board


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("resolution", list(RESOLUTIONS))
def test_resolve(app, client, reported, resolution, htmx):
    attribute, action, words = RESOLUTIONS[resolution]
    moderator, reply = reported["moderator"], reported["reply"]
    client.log_in(moderator)
    response = client.submit(resolve_url(reply), {"resolution": resolution, "reason": "  untagged   ending "}, htmx=htmx)
    message = f"Resolved: {words} (2 reports closed)."
    if htmx:
        fragment = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in fragment
        assert fragment.lstrip().startswith(f'<li class="report-entry report-entry--resolved" id="report-entry-{reply.id}"')
        assert f'<p role="status">{message}</p>' in fragment
        # the header badge follows out of band: one reported post left
        assert re.search(r'<a id="report-badge"[^>]* hx-swap-oob="true">Reports<span class="visually-hidden">,</span> '
                         r'<span class="badge badge--count">1<span class="visually-hidden"> open</span></span>', fragment)
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/moderation/reports"
        page = client.get("/moderation/reports").get_data(as_text=True)
        assert message in page and queue_entries(page) == [str(reported["thread"].opening_post.id)]
    post = fetch(app, Post, reply.id)
    for name in ("hidden", "marked_spoiler"):
        assert getattr(post, name) is (name == attribute)
    if resolution == "hide":
        assert post.hidden_reason == "untagged ending"  # shown publicly on the placeholder
    assert [row[3:] for row in reports_on(app, reply.id)] == [(moderator.id, resolution, True)] * 2
    assert [row[3:] for row in reports_on(app, reported["thread"].opening_post.id)] == [(None, None, False)]
    assert records(app) == [(moderator.id, action, "post", reply.id, "untagged ending")]


@pytest.mark.parametrize("form", [{"resolution": "delete"}, {}], ids=["unknown", "missing"])
def test_bad_resolution_is_400(app, client, reported, form):
    client.log_in(reported["moderator"])
    assert client.submit(resolve_url(reported["reply"]), form).status_code == 400
    htmx = client.submit(resolve_url(reported["reply"]), form, htmx=True)
    assert htmx.status_code == 400 and "<html" not in htmx.get_data(as_text=True)
    assert all(not row[5] for row in reports_on(app, reported["reply"].id)) and records(app) == []


def test_over_long_resolution_reason_is_the_form_again(app, client, reported):
    client.log_in(reported["moderator"])
    form = {"resolution": "hide", "reason": "x" * (REASON_MAX + 1)}
    htmx = client.submit(resolve_url(reported["reply"]), form, htmx=True)
    fragment = htmx.get_data(as_text=True)
    assert htmx.status_code == 422 and htmx.headers["HX-Retarget"] == "this"
    assert fragment.lstrip().startswith('<form class="resolve-form"')
    error_id = f"resolve-reason-{reported['reply'].id}-error"
    assert f'aria-describedby="{error_id}"' in fragment and f"At most {REASON_MAX} characters; this has {REASON_MAX + 1}. Shorten it by 1." in fragment
    plain = client.submit(resolve_url(reported["reply"]), form)
    assert plain.status_code == 422 and "<h1>Resolve reports</h1>" in plain.get_data(as_text=True)
    assert fetch(app, Post, reported["reply"].id).hidden is False and records(app) == []


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_resolving_a_post_without_open_reports_does_nothing_and_says_so(app, client, reported, htmx):
    """Two moderators on the same entry: the second click changes nothing and logs nothing."""
    client.log_in(reported["moderator"])
    client.submit(resolve_url(reported["reply"]), {"resolution": "dismiss"})
    response = client.submit(resolve_url(reported["reply"]), {"resolution": "hide"}, htmx=htmx)
    if htmx:
        assert response.status_code == 200 and reports_module.ALREADY_RESOLVED in response.get_data(as_text=True)
    else:
        assert response.status_code == 303
        assert reports_module.ALREADY_RESOLVED in client.get(response.headers["Location"]).get_data(as_text=True)
    assert fetch(app, Post, reported["reply"].id).hidden is False
    assert [row[1] for row in records(app)] == [ModAction.DISMISS_REPORTS]
    assert client.submit("/moderation/reports/9999/resolve", {"resolution": "hide"}).status_code == 404


def test_resolving_an_already_hidden_post_closes_its_reports_without_a_second_hide(app, client, reported):
    client.log_in(reported["moderator"])
    client.submit(f"/posts/{reported['reply'].id}/hide", {"reason": "first"})
    client.submit(resolve_url(reported["reply"]), {"resolution": "hide"})
    assert [row[1] for row in records(app)] == [ModAction.HIDE, ModAction.DISMISS_REPORTS]  # the closing is logged
    assert all(row[5] for row in reports_on(app, reported["reply"].id))


# The header badge ------------------------------------------------------------------------------------------------------------

def test_badge_counts_reported_posts_for_moderators(app, client, reported):
    client.log_in(reported["moderator"])
    page = client.get("/").get_data(as_text=True)
    assert ('<a id="report-badge" class="report-badge" href="/moderation/reports">Reports<span class="visually-hidden">,</span> '
            '<span class="badge badge--count">2<span class="visually-hidden"> open</span></span>') in page
    queue = client.get("/moderation/reports").get_data(as_text=True)
    assert 'href="/moderation/reports" aria-current="page">' in queue


def test_badge_has_no_number_when_nothing_is_open(app, client, board):
    client.log_in(board["moderator"])
    page = client.get("/").get_data(as_text=True)
    assert '<a id="report-badge" class="report-badge" href="/moderation/reports">Reports</a>' in page


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_no_badge_for_members_and_visitors(app, client, reported, viewer):
    if viewer == "member":
        client.log_in(reported["member"])
    page = client.get("/").get_data(as_text=True)
    assert 'id="report-badge"' not in page and "/moderation/reports" not in page


# The authorization matrix: each reports route × who asks → status and effect -------------------------------------------------

ROLES = ["anonymous", "member", "author", "banned", "moderator", "admin"]


def act_as(app, client, board, role) -> str:
    """Log in as `role`; returns a CSRF token fetched first (a banned member's next request ends their session)."""
    users = {
        "member": board["member"],
        "author": board["author"],
        "banned": make_user(app, "banned"),
        "moderator": board["moderator"],
        "admin": make_user(app, "boss", role=Role.ADMIN),
    }
    if role != "anonymous":
        client.log_in(users[role])
    token = client.csrf_token()
    if role == "banned":  # banned after logging in: their next request ends the session
        with app.app_context():
            db.session.get(User, users[role].id).banned_at = utcnow()
            db.session.commit()
    return token


def open_report_count(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Report.id)).where(Report.resolved_at.is_(None)))


def report_first(app, board):
    file_report(app, board["reply"], make_user(app, "reporter"))


# method, route, form, setup, {role: (plain status, open reports after)}
MATRIX = {
    "report": ("POST", "/posts/{reply}/report", {"reason": "spam"}, None,
               {"anonymous": (303, 0), "member": (303, 1), "author": (403, 0), "banned": (403, 0),
                "moderator": (303, 1), "admin": (303, 1)}),
    "report form": ("GET", "/posts/{reply}/report", None, None,
                    {"anonymous": (303, 0), "member": (200, 0), "author": (403, 0), "banned": (303, 0),
                     "moderator": (200, 0), "admin": (200, 0)}),
    "queue": ("GET", "/moderation/reports", None, report_first,
              {"anonymous": (303, 1), "member": (403, 1), "author": (403, 1), "banned": (303, 1),
               "moderator": (200, 1), "admin": (200, 1)}),
    "resolve": ("POST", "/moderation/reports/{reply}/resolve", {"resolution": "dismiss"}, report_first,
                {"anonymous": (303, 1), "member": (403, 1), "author": (403, 1), "banned": (403, 1),
                 "moderator": (303, 0), "admin": (303, 0)}),
}
CASES = [(action, role) for action in MATRIX for role in ROLES]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action, role", CASES, ids=[f"{a}-{r}" for a, r in CASES])
def test_authorization_matrix(app, client, board, action, role, htmx):
    method, url, form, setup, expected = MATRIX[action]
    if setup:
        setup(app, board)
    token = act_as(app, client, board, role)
    url = url.format(reply=board["reply"].id)
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/"} if htmx else {}
    if method == "POST":
        response = client.post(url, data={**form, "csrf_token": token}, headers=headers)
    else:
        response = client.get(url, headers=headers)
    status, effect = expected[role]
    # A banned member's GET goes on as a visitor (to the login page); a visitor on htmx gets 401 + HX-Redirect.
    goes_to_login = role == "anonymous" or (role == "banned" and method == "GET")
    if htmx:
        status = 401 if goes_to_login else {303: 200}.get(status, status)
    assert response.status_code == status
    if goes_to_login:
        assert (response.headers.get("HX-Redirect") if htmx else response.headers["Location"]).startswith("/login?next=")
    assert response.headers.get("Cache-Control") == (None if role == "anonymous" else "no-store")  # ASVS 14.3.2
    assert open_report_count(app, board) == effect
