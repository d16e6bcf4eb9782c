"""Browsing and starting threads: the front page, its orders, the thread page, films shared between threads."""
import re
from datetime import timedelta

import pytest

from board.extensions import db
from board.models import Film, Post, Thread, utcnow

from .factories import fetch, make_reply, make_thread, make_user


def set_age(app, thread, hours: float, score: int = 0):
    with app.app_context():
        record = db.session.get(Thread, thread.id)
        record.created_at = record.last_activity_at = utcnow() - timedelta(hours=hours)
        db.session.get(Post, thread.opening_post.id).score = score
        db.session.commit()


def titles_in_order(page: str, titles) -> list[str]:
    return sorted(titles, key=page.index)


def test_front_page_lists_threads_with_film_author_score_replies_and_time(app, client):
    author = make_user(app, "marguerite")
    thread = make_thread(app, author, "Cléo’s hour — a rewatch", film=("Cléo from 5 to 7", 1962))
    make_reply(app, thread.opening_post, make_user(app))
    page = client.get("/").get_data(as_text=True)
    assert "Cléo’s hour — a rewatch" in page
    assert "Cléo from 5 to 7 (1962)" in page
    assert 'by <a href="/u/marguerite">marguerite</a>' in page  # the author links to their profile
    assert "0 points" in page
    assert "1 reply" in page
    assert '<time datetime="' in page and "just now" in page


def test_hot_ranking_weighs_score_against_age(app, client):
    author = make_user(app)
    old_popular = make_thread(app, author, "Old and popular")
    new_quiet = make_thread(app, author, "New and quiet")
    ancient_hit = make_thread(app, author, "Ancient hit")
    set_age(app, old_popular, hours=10, score=40)  # 41 / 12^1.8 ≈ 0.47
    set_age(app, new_quiet, hours=1, score=0)  # 1 / 3^1.8 ≈ 0.14
    set_age(app, ancient_hit, hours=24 * 30, score=200)  # 201 / 722^1.8 ≈ 0.0014
    page = client.get("/").get_data(as_text=True)
    assert titles_in_order(page, ["New and quiet", "Ancient hit", "Old and popular"]) == [
        "Old and popular",
        "New and quiet",
        "Ancient hit",
    ]
    top = client.get("/?sort=top").get_data(as_text=True)
    assert titles_in_order(top, ["New and quiet", "Old and popular", "Ancient hit"])[0] == "Ancient hit"
    new = client.get("/?sort=new").get_data(as_text=True)
    assert titles_in_order(new, ["Old and popular", "Ancient hit", "New and quiet"]) == [
        "New and quiet",
        "Old and popular",
        "Ancient hit",
    ]


def test_hot_ranks_a_discussed_thread_above_an_equal_vote_quiet_one_of_the_same_age(app, client):
    author = make_user(app)
    discussed = make_thread(app, author, "Talked about")
    quiet = make_thread(app, author, "Left alone")  # the newer id: it would win a tie
    for _ in range(3):
        make_reply(app, discussed.opening_post, make_user(app))
    with app.app_context():
        moment = utcnow() - timedelta(hours=5)
        for thread in (discussed, quiet):
            db.session.get(Thread, thread.id).created_at = moment
            db.session.get(Post, thread.opening_post.id).score = 2
        db.session.commit()
    for url in ("/", "/films/her-2013"):
        page = client.get(url).get_data(as_text=True)
        assert titles_in_order(page, ["Left alone", "Talked about"]) == ["Talked about", "Left alone"], url


def test_hot_points_are_score_half_the_replies_and_the_recent_posters(app):
    author, regular, passer_by, hidden_one, long_ago = (make_user(app) for _ in range(5))
    thread = make_thread(app, author, "Counted")
    replies = [make_reply(app, thread.opening_post, member) for member in (regular, regular, passer_by, author,
                                                                            hidden_one, long_ago)]
    now = utcnow()
    with app.app_context():
        db.session.get(Thread, thread.id).created_at = now - timedelta(days=9)
        db.session.get(Post, thread.opening_post.id).score = 2
        db.session.get(Post, replies[4].id).hidden = True
        db.session.get(Post, replies[5].id).created_at = now - timedelta(days=8)
        db.session.commit()
        hot = db.session.scalar(db.select(Thread.hot_rank(now)).join(Thread.opening_post).where(Thread.id == thread.id))
    # score 2 + 1, six replies × 0.5, two recent posters (the author, a hidden reply and an old one don't count)
    assert hot == pytest.approx((2 + 1 + 3 + 2) / (9 * 24 + 2) ** 1.8)


def test_pinned_threads_come_first_and_are_marked(app, client):
    author = make_user(app)
    pinned = make_thread(app, author, "House rules")
    make_thread(app, author, "Fresh talk")
    set_age(app, pinned, hours=500)
    with app.app_context():
        db.session.get(Thread, pinned.id).pinned = True
        db.session.commit()
    for sort in ("hot", "new", "top"):
        page = client.get(f"/?sort={sort}").get_data(as_text=True)
        assert page.index("House rules") < page.index("Fresh talk")
        assert '<span class="badge badge--pinned">Pinned</span>' in page


def test_the_current_order_is_marked_for_assistive_technology(client):
    page = client.get("/?sort=top").get_data(as_text=True)
    assert '<a href="/?sort=top" aria-current="page">Top</a>' in page


def test_unknown_sort_is_a_400(client):
    assert client.get("/?sort=sideways").status_code == 400


def test_front_page_paginates(app, client):
    app.config["THREADS_PER_PAGE"] = 3
    author = make_user(app)
    for number in range(7):
        make_thread(app, author, f"Numbered thread {number}")
    first = client.get("/?sort=new").get_data(as_text=True)
    third = client.get("/?sort=new&page=3").get_data(as_text=True)
    assert "Numbered thread 6" in first and "Numbered thread 0" not in first
    assert "Page 1 of 3" in first and 'rel="next" href="/?page=2&amp;sort=new"' in first
    assert "Numbered thread 0" in third and "Numbered thread 6" not in third
    assert "Page 3 of 3" in third
    assert client.get("/?page=99").status_code == 200
    assert client.get("/?page=abc").status_code == 200  # a bad page number reads as the first page


def test_thread_page_shows_the_essay_and_the_nested_tree(app, client):
    author, replier = make_user(app, "essayist"), make_user(app, "answerer")
    essay = "# Persona\n\nIngmar Bergman’s “Persona” — Liv Ullmann, Bibi Andersson.\n\n* Alma\n* Elisabet"
    thread = make_thread(app, author, "On Persona", body=essay, film=("Persona", 1966))
    first = make_reply(app, thread.opening_post, replier, "First answer")
    nested = make_reply(app, first, author, "Nested answer")
    second = make_reply(app, thread.opening_post, replier, "Second answer")
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "<h1 id=\"thread-title\" dir=\"auto\">On Persona</h1>" in page
    assert "<h3>Persona</h3>" in page  # a member's heading never outranks the page's own
    assert "Ingmar Bergman’s “Persona” — Liv Ullmann" in page
    assert "<title>On Persona — Persona (1966) — Reelboard</title>" in page
    # nesting: the nested answer sits inside the first answer's list of replies, before the second answer
    first_list = page.index(f'<ol class="replies" id="replies-{first.id}">')
    assert first_list < page.index(f'id="post-{nested.id}"') < page.index(f'id="post-{second.id}"')
    assert len(re.findall(r"<ol[\s>]", page)) == page.count("</ol>")
    assert len(re.findall(r"<li[\s>]", page)) == page.count("</li>")
    assert "3 replies" in page


def test_unknown_thread_is_404(client):
    assert client.get("/threads/999").status_code == 404


def test_new_thread_form_requires_login(client):
    response = client.get("/threads/new")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/threads/new"


def test_start_a_thread(app, client):
    client.log_in(make_user(app))
    response = client.submit(
        "/threads/new",
        {"title": "  Her,  ten years on ", "film_title": "Her", "film_year": "2013", "body": "Theodore’s letters.",
         "has_spoilers": "y"},
    )
    assert response.status_code == 303
    thread_id = int(response.headers["Location"].rsplit("/", 1)[1])
    thread = fetch(app, Thread, thread_id)
    assert thread.title == "Her, ten years on"
    assert thread.has_spoilers is True
    with app.app_context():
        opening = db.session.scalar(db.select(Post).where(Post.thread_id == thread_id))
        assert opening.body_source == "Theodore’s letters."
        assert opening.body_html == "<p>Theodore’s letters.</p>\n"
        assert opening.depth == 0 and opening.parent_id is None
    assert "Contains spoilers" in client.get(f"/threads/{thread_id}").get_data(as_text=True)


def test_threads_about_the_same_film_share_one_film_record(app, client):
    client.log_in(make_user(app))
    for title, year in [("Cléo from 5 to 7", "1962"), ("  cleo FROM 5 to 7! ", "1962"), ("Cléo from 5 to 7", "")]:
        response = client.submit("/threads/new", {"title": "Talk", "film_title": title, "film_year": year, "body": "Yes."})
        assert response.status_code == 303
    with app.app_context():
        films = db.session.scalars(db.select(Film).order_by(Film.id)).all()
        assert [(film.title, film.year, film.slug) for film in films] == [
            ("Cléo from 5 to 7", 1962, "cleo-from-5-to-7-1962"),
            ("Cléo from 5 to 7", None, "cleo-from-5-to-7"),
        ]
        assert db.session.scalar(db.select(db.func.count(Thread.id)).where(Thread.film_id == films[0].id)) == 2


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "", "Give the thread a title."),
        ("title", "x" * 201, "At most 200 characters; this has 201. Shorten it by 1."),
        ("film_title", "   ", "Which film is it about?"),
        ("film_year", "19xx", "Not a valid integer value."),
        ("film_year", "1492", "That is not a film year."),
        ("body", "  \n ", "This can&#39;t be empty."),
        ("body", "x" * 100_001, "At most 100,000 characters; this has 100,001. Shorten it by 1."),
    ],
)
def test_new_thread_bad_input_is_a_form_error_and_nothing_is_stored(app, client, field, value, message):
    client.log_in(make_user(app))
    data = {"title": "A title", "film_title": "Her", "film_year": "2013", "body": "A body."} | {field: value}
    response = client.submit("/threads/new", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}" ' in page or f'id="{field}"' in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Thread.id))) == 0


def test_a_body_of_exactly_the_limit_is_accepted_with_crlf_counted_once(app, client):
    client.log_in(make_user(app))
    body = ("line\r\n" * 20_000)[:-2]  # 119,998 characters as sent, 99,999 once newlines are one character
    response = client.submit("/threads/new", {"title": "Long", "film_title": "Shoah", "body": body})
    assert response.status_code == 303
    with app.app_context():
        stored = db.session.scalar(db.select(Post.body_source))
        assert len(stored) == 99_999 and "\r" not in stored


@pytest.mark.parametrize(("age", "wording"), [
    (timedelta(seconds=-5), "just now"), (timedelta(seconds=59, microseconds=999_999), "just now"),
    (timedelta(seconds=60), "1 minute ago"), (timedelta(minutes=2, microseconds=1), "2 minutes ago"),
    (timedelta(days=1, microseconds=-1), "23 hours ago"), (timedelta(days=1), "1 day ago"),
    (timedelta(days=13, hours=23), "1 week ago"), (timedelta(days=60), "2 months ago"),
    (timedelta(days=730, seconds=1), "2 years ago"),
])
def test_relative_times_count_whole_units_down(age, wording):
    from board.templating import time_ago

    now = utcnow()
    assert time_ago(now - age, now) == wording
