"""Film logs (issue #13): members rate, log and review films; the film page's ratings; the diary; "I've seen it"."""
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from board.extensions import db
from board.models import HIGHEST_RATED_MIN_RATINGS, REVIEW_MAX, FilmLog, ModAction, Role, User, utcnow

from .conftest import statements_for
from .factories import fetch, make_reply, make_thread, make_user

FILM = "/films/her-2013"
INLINE_SECRET, BLOCK_SECRET = "SAMANTHA-LEAVES", "THEY-SIT-ON-THE-ROOF"
SPOILER_BODY = f"Before the ending. ||{INLINE_SECRET}||\n\n```spoiler\n{BLOCK_SECRET}\n```\n"
OPEN_INLINE = '<span class="spoiler spoiler--open" tabindex="0">'
CLOSED_INLINE = '<span class="spoiler" tabindex="0">'
OPEN_BLOCK = '<details class="spoiler-block" open>'
CLOSED_BLOCK = '<details class="spoiler-block">'


def today():
    return utcnow().date()


def log_form(rating="7", watched_on=None, review="", spoilers=False) -> dict:
    data = {"rating": rating, "watched_on": (watched_on or today()).isoformat(), "review": review}
    return data | ({"review_spoilers": "y"} if spoilers else {})


def logs(app, **where):
    with app.app_context():
        return list(db.session.scalars(db.select(FilmLog).filter_by(**where).order_by(FilmLog.id)))


def add_log(app, member, film_id, rating, watched_on=None, review="", spoilers=False, created_at=None) -> int:
    with app.app_context():
        log = FilmLog(member_id=member.id, film_id=film_id, rating=rating, watched_on=watched_on or today())
        log.set_review(review, spoilers)
        if created_at:
            log.created_at = created_at
        db.session.add(log)
        db.session.commit()
        return log.id


@pytest.fixture
def her(app):
    """Her (2013), with a thread whose opening post hides its ending inline and in a block."""
    thread = make_thread(app, make_user(app, "theodore"), "The ending of Her", body=SPOILER_BODY)
    return thread


@pytest.fixture
def member(app):
    return make_user(app, "amy")


# Logging, editing, deleting: plain forms and htmx -------------------------------------------------------------------------

def test_logging_without_js_redirects_to_the_members_logs_and_shows_the_rating(app, client, her, member):
    client.log_in(member)
    response = client.submit(f"{FILM}/log", log_form("7", review="Tender and *strange*."))
    assert response.status_code == 303 and response.headers["Location"] == f"{FILM}#your-logs"
    [log] = logs(app)
    assert (log.member_id, log.rating, log.watched_on, log.review_html) == (member.id, 7, today(), "<p>Tender and <em>strange</em>.</p>\n")
    page = client.get(FILM).get_data(as_text=True)
    assert "Logged." in page and "Tender and <em>strange</em>." in page and "3.5 stars" in page
    assert "Average <strong>3.5</strong> out of 5 stars" in page and "from 1 member" in page


def test_logging_with_htmx_answers_the_panel_and_the_ratings_out_of_band(app, client, her, member):
    client.log_in(member)
    response = client.submit(f"{FILM}/log", log_form("10"), htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section class="your-logs" id="your-logs"')
    assert 'id="film-ratings" aria-labelledby="film-ratings-heading" hx-swap-oob="true"' in body
    assert "5 stars" in body and "Log it again" in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_a_rating_is_optional_and_a_rewatch_is_another_log(app, client, her, member):
    client.log_in(member)
    assert client.submit(f"{FILM}/log", log_form("")).status_code == 303
    assert client.submit(f"{FILM}/log", log_form("4", watched_on=today() - timedelta(days=1))).status_code == 303
    assert [(log.rating, log.watched_on) for log in logs(app)] == [(None, today()), (4, today() - timedelta(days=1))]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("rating", ["0", "5.5", "11", "abc", "-1", "10.0"])
def test_a_rating_outside_half_stars_is_refused_with_the_review_kept(app, client, her, member, rating, htmx):
    client.log_in(member)
    response = client.submit(f"{FILM}/log", log_form(rating, review="Kept words"), htmx=htmx)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose from half a star to five stars, or no rating." in page and "Kept words</textarea>" in page
    assert logs(app) == []


@pytest.mark.parametrize("watched_on, message", [
    ("future", "That day has not come yet"),
    ("1869-12-31", "Films were first shown in 1870"),
    ("", "Say when you watched it."),
    ("31/02/2020", "Not a valid date value."),
])
def test_a_watched_date_in_the_future_before_films_or_malformed_is_refused(app, client, her, member, watched_on, message):
    client.log_in(member)
    data = log_form("6", review="Still here") | {"watched_on": (today() + timedelta(days=1)).isoformat() if watched_on == "future" else watched_on}
    response = client.submit(f"{FILM}/log", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and "Still here</textarea>" in page
    assert logs(app) == []


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_review_over_the_limit_comes_back_whole_with_the_limit_named(app, client, her, member, htmx):
    client.log_in(member)
    review = "é" * (REVIEW_MAX + 5)
    page = client.get(FILM).get_data(as_text=True)
    assert f'data-limit="{REVIEW_MAX}"' in page and f"of {REVIEW_MAX:,} characters" in page  # shown before submitting
    response = client.submit(f"{FILM}/log", log_form("8", review=review), htmx=htmx)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and review in body
    assert f"At most {REVIEW_MAX:,} characters; this has {REVIEW_MAX + 5:,}." in body
    assert logs(app) == []
    assert client.submit(f"{FILM}/log", log_form("8", review="é" * REVIEW_MAX)).status_code == 303


def test_hostile_html_in_a_review_is_neutralised_when_saved(app, client, her, member):
    client.log_in(member)
    hostile = ('<script>alert(1)</script> <img src=x onerror=alert(2)> [link](javascript:alert(3)) '
               '<a hx-get="/logout" hx-trigger="load">x</a> <details open class="spoiler-block">y</details>')
    assert client.submit(f"{FILM}/log", log_form("5", review=hostile)).status_code == 303
    [log] = logs(app)
    assert log.review_source == hostile.strip()  # kept as typed, for editing
    tags = TagsAndAttributes(log.review_html)
    assert tags.names <= {"p", "a"} and not any(name.startswith(("on", "hx-")) for name in tags.attributes)
    assert not any(value and "javascript" in value for value in tags.attributes.values())
    page = client.get(FILM).get_data(as_text=True)
    assert "<script>alert(1)" not in page and 'hx-get="/logout"' not in page


class TagsAndAttributes(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.names, self.attributes = set(), {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.names.add(tag)
        self.attributes.update(attrs)


def test_editing_a_log_without_js_and_with_htmx(app, client, her, member):
    client.log_in(member)
    log_id = add_log(app, member, her.film_id, 4, review="First thoughts")
    form_page = client.get(f"/logs/{log_id}/edit").get_data(as_text=True)
    assert "Edit your log of" in form_page and "First thoughts</textarea>" in form_page and 'value="4" checked' in form_page
    fragment = client.htmx_get(f"/logs/{log_id}/edit").get_data(as_text=True)
    assert fragment.lstrip().startswith("<form") and f'id="log-form-{log_id}"' in fragment
    response = client.submit(f"/logs/{log_id}/edit", log_form("9", review="Second thoughts"))
    assert response.status_code == 303 and response.headers["Location"] == f"{FILM}#your-logs"
    response = client.submit(f"/logs/{log_id}/edit", log_form("3", review="Third thoughts"), htmx=True)
    assert response.status_code == 200 and 'id="your-logs"' in response.get_data(as_text=True)
    log = fetch(app, FilmLog, log_id)
    assert (log.rating, log.review_source, log.edited_at is not None) == (3, "Third thoughts", True)
    bad = client.submit(f"/logs/{log_id}/edit", log_form("12", review="Fourth"))
    assert bad.status_code == 422 and "Fourth</textarea>" in bad.get_data(as_text=True)
    assert fetch(app, FilmLog, log_id).rating == 3


def test_deleting_a_log_without_js_and_with_htmx(app, client, her, member):
    client.log_in(member)
    first, second = add_log(app, member, her.film_id, 4), add_log(app, member, her.film_id, 6)
    response = client.submit(f"/logs/{first}/delete")
    assert response.status_code == 303 and response.headers["Location"] == f"{FILM}#your-logs"
    response = client.submit(f"/logs/{second}/delete", htmx=True)
    assert response.status_code == 200 and "Log this film" in response.get_data(as_text=True)
    assert logs(app) == []
    assert client.submit(f"/logs/{second}/delete").status_code == 404


def test_another_members_log_cannot_be_edited_or_deleted(app, client, her, member):
    log_id = add_log(app, member, her.film_id, 4, review="Mine")
    client.log_in(make_user(app, "intruder"))
    assert client.submit(f"/logs/{log_id}/edit", log_form("1", review="Yours")).status_code == 403
    assert client.get(f"/logs/{log_id}/edit").status_code == 403
    assert client.submit(f"/logs/{log_id}/delete").status_code == 403
    assert fetch(app, FilmLog, log_id).review_source == "Mine"


def test_logging_is_rate_limited_like_replies(app_factory):
    app = app_factory(RATE_LIMITS={"film_logs": "2 per minute", "film_logs_new_account": "2 per minute"})
    make_thread(app, make_user(app, "theodore"), "Her")
    client = app.test_client()
    client.log_in(make_user(app, "quick"))
    statuses = [client.submit(f"{FILM}/log", log_form("6")).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]
    assert len(logs(app)) == 2


# The film page: ratings, recent logs, reviews ------------------------------------------------------------------------------

def test_the_average_counts_each_members_latest_rating_once(app, client, her, member):
    """Letterboxd's rule: a rewatch replaces the member's rating (latest by watched date), it is not a second vote."""
    other = make_user(app, "bea")
    add_log(app, member, her.film_id, 4, watched_on=today() - timedelta(days=30))
    add_log(app, member, her.film_id, 8, watched_on=today() - timedelta(days=2))
    add_log(app, member, her.film_id, 2, watched_on=today() - timedelta(days=60))  # logged last, watched first
    add_log(app, member, her.film_id, None)  # a rewatch without a rating leaves the rating as it was
    add_log(app, other, her.film_id, 5)
    with app.app_context():
        stats = FilmLog.histogram(her.film_id)
    assert {rating: n for rating, n in stats.items() if n} == {8: 1, 5: 1}
    assert (stats.count, stats.average) == (2, 3.25)
    page = client.get(FILM).get_data(as_text=True)
    assert "Average <strong>3.2</strong> out of 5 stars" in page or "Average <strong>3.3</strong> out of 5 stars" in page
    assert "from 2 members" in page
    rows = re.findall(r'<span class="visually-hidden">([\d.]+ stars?)</span></th>\s*<td>.*?<span class="rating-histogram__count">(\d+)</span>',
                      page, re.S)
    assert len(rows) == 10 and dict(rows)["4 stars"] == "1" and dict(rows)["2.5 stars"] == "1" and dict(rows)["5 stars"] == "0"
    assert "<table class=\"rating-histogram\">" in page and '<th scope="col">Members</th>' in page  # numbers, not colour only


def test_a_film_with_no_logs_says_so(client, her):
    page = client.get(FILM).get_data(as_text=True)
    assert "No ratings yet." in page and "Nobody has logged this film yet." in page and "to rate and log this film" in page


def test_recent_logs_show_reviews_and_a_spoiler_review_closed_for_those_who_have_not_logged(app, client, other_client, her, member):
    add_log(app, member, her.film_id, 9, review=f"The twist: {BLOCK_SECRET}", spoilers=True)
    add_log(app, member, her.film_id, 9, review="Plain words")
    page = client.get(FILM).get_data(as_text=True)
    assert "Plain words" in page
    assert f'{CLOSED_BLOCK}\n          <summary>This review contains spoilers. Show it</summary>' in page
    assert OPEN_BLOCK not in page
    other_client.log_in(make_user(app, "notyet"))
    assert OPEN_BLOCK not in other_client.get(FILM).get_data(as_text=True)
    client.log_in(member)
    page = client.get(FILM).get_data(as_text=True)
    assert f"{OPEN_BLOCK}\n          <summary>This review contains spoilers. Show it</summary>" in page


def test_a_moderator_hides_a_review_logged_in_the_modlog(app, client, other_client, her, member):
    log_id = add_log(app, member, her.film_id, 2, review="RUDE-WORDS")
    client.log_in(make_user(app, "mod", role=Role.MODERATOR))
    long_reason = client.submit(f"/logs/{log_id}/hide", {"reason": "x" * 301})
    assert long_reason.status_code == 422 and "x" * 301 in long_reason.get_data(as_text=True)
    response = client.submit(f"/logs/{log_id}/hide", {"reason": "Insults"}, htmx=True)
    assert response.status_code == 200 and "Hidden by moderators" in response.get_data(as_text=True)
    with app.app_context():
        assert [(entry.action, entry.target_type, entry.target_id, entry.reason)
                for entry in db.session.scalars(db.select(ModAction))] == [("hide_review", "film_log", log_id, "Insults")]
    assert "RUDE-WORDS" not in other_client.get(FILM).get_data(as_text=True)
    modlog = other_client.get("/moderation/log").get_data(as_text=True)
    assert "amy’s review of “Her (2013)”" in modlog and f'href="/films/her-2013#log-{log_id}"' in modlog
    assert "RUDE-WORDS" not in modlog
    other_client.log_in(member)
    assert "RUDE-WORDS" in other_client.get(FILM).get_data(as_text=True)  # its author still reads it
    assert fetch(app, FilmLog, log_id).rating == 2  # the log and its rating stay
    assert client.submit(f"/logs/{log_id}/unhide").status_code == 303
    assert "RUDE-WORDS" in app.test_client().get(FILM).get_data(as_text=True)


def test_merging_a_film_keeps_its_logs(app, client, her, member):
    duplicate = make_thread(app, member, "Her again", film=("Her!", 2013 + 1))
    log_id = add_log(app, member, duplicate.film_id, 6)
    client.log_in(make_user(app, "mod", role=Role.MODERATOR))
    assert client.submit("/films/her-2014/merge", {"into": "her-2013"}).status_code == 303
    assert fetch(app, FilmLog, log_id).film_id == her.film_id


# The diary tab and the film index ------------------------------------------------------------------------------------------

def test_the_diary_tab_lists_logs_by_watched_date(app, client, her, member):
    kane = make_thread(app, member, "Kane", film=("Citizen Kane", 1941))
    add_log(app, member, kane.film_id, 10, watched_on=today() - timedelta(days=10), review="Rosebud thoughts")
    add_log(app, member, her.film_id, 6, watched_on=today() - timedelta(days=1))
    add_log(app, member, her.film_id, 7, watched_on=today() - timedelta(days=100))
    page = client.get("/u/amy?tab=diary").get_data(as_text=True)
    films = re.findall(r'<h3 class="film-log__title"[^>]*>\s*<a href="/films/([\w-]+)">', page)
    assert films == ["her-2013", "citizen-kane-1941", "her-2013"]
    assert "Rosebud thoughts" in page and 'aria-current="page">Diary</a>' in page
    assert "Nothing in the diary yet." in client.get("/u/theodore?tab=diary").get_data(as_text=True)


def test_highest_rated_this_week_needs_enough_recent_ratings(app, client, her):
    raters = [make_user(app) for _ in range(HIGHEST_RATED_MIN_RATINGS)]
    kane = make_thread(app, raters[0], "Kane", film=("Citizen Kane", 1941))
    old = make_thread(app, raters[0], "Old", film=("Metropolis", 1927))
    for rater in raters:
        add_log(app, rater, her.film_id, 6)
        add_log(app, rater, kane.film_id, 10)
        add_log(app, rater, old.film_id, 10, created_at=utcnow() - timedelta(days=8))  # rated, but not this week
    few = make_thread(app, raters[0], "Few", film=("Playtime", 1967))
    add_log(app, raters[0], few.film_id, 10)
    page = client.get("/films").get_data(as_text=True)
    section = page.split('id="highest-rated-heading"')[1].split("</section>")[0]
    assert re.findall(r'href="/films/([\w-]+)"', section) == ["citizen-kane-1941", "her-2013"]
    assert f"5.0 out of 5 stars from {HIGHEST_RATED_MIN_RATINGS} ratings" in section
    assert 'id="highest-rated-heading"' not in client.get("/films?q=her").get_data(as_text=True)


# "I've seen it": spoilers open for a member who logged the film ----------------------------------------------------------

def test_a_member_who_logged_the_film_reads_its_thread_with_the_spoilers_open(app, client, her, member):
    client.log_in(member)
    add_log(app, member, her.film_id, 8)
    page = client.get(f"/threads/{her.id}").get_data(as_text=True)
    assert OPEN_INLINE in page and OPEN_BLOCK in page and CLOSED_INLINE not in page
    assert "Spoilers are open: you logged" in page
    head = page.split("</head>")[0]
    assert INLINE_SECRET not in head and BLOCK_SECRET not in head  # the description and link-preview tags never do


@pytest.mark.parametrize("reader", ["visitor", "member who did not log it", "member who logged another film",
                                    "member who turned it off"])
def test_everyone_else_reads_the_spoilers_closed(app, client, her, member, reader):
    if reader != "visitor":
        client.log_in(member)
    if reader == "member who logged another film":
        add_log(app, member, make_thread(app, member, "K", film=("Citizen Kane", 1941)).film_id, 8)
    if reader == "member who turned it off":
        add_log(app, member, her.film_id, 8)
        assert client.submit("/u/amy/spoilers", {}).status_code == 303
        with app.app_context():
            assert db.session.scalar(db.select(User.reveal_seen_spoilers).where(User.id == member.id)) is False
    page = client.get(f"/threads/{her.id}").get_data(as_text=True)
    assert CLOSED_INLINE in page and CLOSED_BLOCK in page and OPEN_INLINE not in page and OPEN_BLOCK not in page


def test_a_post_moderators_marked_a_spoiler_opens_too(app, client, her, member):
    reply = make_reply(app, her.opening_post, make_user(app, "bea"), "MARKED-REPLY-WORDS")
    with app.app_context():
        db.session.get(type(reply), reply.id).marked_spoiler = True
        db.session.commit()
    client.log_in(member)
    add_log(app, member, her.film_id, None)
    page = client.get(f"/threads/{her.id}").get_data(as_text=True)
    assert f"{OPEN_BLOCK}\n        <summary>Moderators marked this post as a spoiler. Show it</summary>" in page


def test_logging_flips_the_gating_and_the_film_page_at_once_through_the_page_cache(app, client, other_client, her, member):
    client.log_in(member)
    thread_url = f"/threads/{her.id}"
    assert OPEN_INLINE not in client.get(thread_url).get_data(as_text=True)  # kept for this member
    assert "No ratings yet." in client.get(FILM).get_data(as_text=True)
    assert "No ratings yet." in other_client.get(FILM).get_data(as_text=True)  # the visitors' shared copy
    assert 'id="highest-rated-heading"' not in other_client.get("/films").get_data(as_text=True)
    assert client.submit(f"{FILM}/log", log_form("9"), htmx=True).status_code == 200
    assert OPEN_INLINE in client.get(thread_url).get_data(as_text=True)
    assert "from 1 member" in client.get(FILM).get_data(as_text=True)
    assert "from 1 member" in other_client.get(FILM).get_data(as_text=True)
    visitor_thread = other_client.get(thread_url).get_data(as_text=True)
    assert OPEN_INLINE not in visitor_thread and CLOSED_INLINE in visitor_thread
    assert "4.5 stars" in other_client.get("/u/amy?tab=diary").get_data(as_text=True)
    assert client.submit("/u/amy/spoilers", {}).status_code == 303  # turned off: closed at once
    assert OPEN_INLINE not in client.get(thread_url).get_data(as_text=True)
    assert client.submit("/u/amy/spoilers", {"reveal": "y"}, htmx=True).status_code == 200
    assert OPEN_INLINE in client.get(thread_url).get_data(as_text=True)


def test_the_spoiler_setting_is_on_the_bio_page_and_only_the_members_own(app, client, member):
    client.log_in(member)
    page = client.get("/u/amy/bio").get_data(as_text=True)
    assert 'id="spoiler-setting"' in page and re.search(r'<input aria-describedby="spoiler-setting-hint" checked id="spoiler-setting-reveal" name="reveal"', page)
    make_user(app, "bea")
    assert client.submit("/u/bea/spoilers", {}).status_code == 403
    assert client.submit("/u/nobody/spoilers", {}).status_code == 404


# Statement budgets ---------------------------------------------------------------------------------------------------------

FILM_PAGE_WITH_LOGS_BUDGET = {"anonymous": 6, "member": 7}  # as tests/test_films.py's film page budget (+ directors)


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_the_film_page_runs_the_same_statements_for_3_and_40_logs(app, client, count_queries, her, member, viewer):
    if viewer == "member":
        client.log_in(member)
    members = [make_user(app) for _ in range(4)]
    counts = []
    for total in (3, 40):
        with app.app_context():
            for number in range(total - len(logs(app))):
                log = FilmLog(member_id=members[number % 4].id, film_id=her.film_id, rating=number % 10 + 1,
                              watched_on=today() - timedelta(days=number))
                log.set_review(f"Review {number} ||hidden||", number % 2 == 0)
                db.session.add(log)
            db.session.add(FilmLog(member_id=member.id, film_id=her.film_id, rating=5, watched_on=today()))
            db.session.commit()
        counts.append(statements_for(client, count_queries, FILM))
    assert counts == [FILM_PAGE_WITH_LOGS_BUDGET[viewer]] * 2


def test_the_thread_page_decides_the_gating_without_another_statement(app, client, count_queries, her, member):
    client.log_in(member)
    before = statements_for(client, count_queries, f"/threads/{her.id}")
    add_log(app, member, her.film_id, 8)
    for number in range(5):
        make_reply(app, her.opening_post, member, f"||spoiler {number}||")
    assert statements_for(client, count_queries, f"/threads/{her.id}") == before == 4
