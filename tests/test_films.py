"""Films: the film page and index, title suggestions for the new-thread form, moderators' rename and merge."""
import re
from datetime import timedelta

import pytest

from board.extensions import db
from board.models import Film, FilmAlias, ModAction, Post, Role, Thread, User, utcnow

from .conftest import statements_for
from .factories import fetch, make_reply, make_thread, make_user


def film_id(app, title, year=None) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Film.id).where(Film.key == Film.key_for(title, year)))


def slug_of(app, ident) -> str:
    return fetch(app, Film, ident).slug


def titles_in_order(page: str, titles) -> list[str]:
    return sorted(titles, key=page.index)


def set_age(app, thread, hours: float, score: int = 0):
    with app.app_context():
        record = db.session.get(Thread, thread.id)
        record.created_at = record.last_activity_at = utcnow() - timedelta(hours=hours)
        db.session.get(Post, thread.opening_post.id).score = score
        db.session.commit()


# The film page ----------------------------------------------------------------------------------------------------------

def test_film_page_lists_only_its_threads_with_counts(app, client):
    author, replier = make_user(app), make_user(app)
    first = make_thread(app, author, "Samantha's voice", film=("Her", 2013))
    make_thread(app, author, "The letters", film=("Her", 2013))
    make_thread(app, author, "Other film talk", film=("Past Lives", 2023))
    make_reply(app, first.opening_post, replier)
    make_reply(app, first.opening_post, replier)
    response = client.get("/films/her-2013")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Her (2013) — Films — Reelboard</title>" in page
    assert "Samantha&#39;s voice" in page and "The letters" in page
    assert "Other film talk" not in page
    assert "2 threads" in page and "2 replies" in page
    assert page.count('<li class="thread-row') == 2


def test_film_page_counts_and_lists_no_hidden_thread_for_members(app, client):
    author, moderator = make_user(app), make_user(app, role=Role.MODERATOR)
    make_thread(app, author, "Visible", film=("Her", 2013))
    hidden = make_thread(app, author, "Removed", film=("Her", 2013))
    with app.app_context():
        db.session.get(Post, hidden.opening_post.id).hidden = True
        db.session.commit()
    page = client.get("/films/her-2013").get_data(as_text=True)
    assert "1 thread ·" in page and "Removed" not in page
    client.log_in(moderator)
    page = client.get("/films/her-2013").get_data(as_text=True)
    assert "2 threads" in page and "Removed" in page


def test_film_page_sorts_like_the_front_page(app, client):
    author = make_user(app)
    old_popular = make_thread(app, author, "Old and popular")
    new_quiet = make_thread(app, author, "New and quiet")
    ancient_hit = make_thread(app, author, "Ancient hit")
    set_age(app, old_popular, hours=10, score=40)
    set_age(app, new_quiet, hours=1, score=0)
    set_age(app, ancient_hit, hours=24 * 30, score=200)
    titles = ["New and quiet", "Ancient hit", "Old and popular"]
    hot = client.get("/films/her-2013").get_data(as_text=True)
    assert titles_in_order(hot, titles) == ["Old and popular", "New and quiet", "Ancient hit"]
    top = client.get("/films/her-2013?sort=top").get_data(as_text=True)
    assert titles_in_order(top, titles) == ["Ancient hit", "Old and popular", "New and quiet"]
    new = client.get("/films/her-2013?sort=new").get_data(as_text=True)
    assert titles_in_order(new, titles) == ["New and quiet", "Old and popular", "Ancient hit"]
    assert '<a href="/films/her-2013?sort=top" aria-current="page">Top</a>' in top
    week = client.get("/films/her-2013?sort=top&t=week").get_data(as_text=True)
    assert "Ancient hit" not in week and "Old and popular" in week
    assert client.get("/films/her-2013?sort=sideways").status_code == 400


def test_film_page_paginates_with_the_shared_pagination(app, client):
    app.config["THREADS_PER_PAGE"] = 2
    author = make_user(app)
    for number in range(5):
        make_thread(app, author, f"Paged thread {number}")
    first = client.get("/films/her-2013?sort=new").get_data(as_text=True)
    assert first.count('<li class="thread-row') == 2 and "Page 1 of 3" in first
    assert 'href="/films/her-2013?page=2&amp;sort=new"' in first
    last = client.get("/films/her-2013?sort=new&page=3").get_data(as_text=True)
    assert last.count('<li class="thread-row') == 1 and "Paged thread 0" in last


def test_an_old_slug_redirects_permanently_and_an_unknown_one_is_404(app, client):
    make_thread(app, make_user(app), film=("Her", 2013))
    with app.app_context():
        db.session.add(FilmAlias(slug="her", film_id=film_id(app, "Her", 2013)))
        db.session.commit()
    response = client.get("/films/her?sort=new")
    assert response.status_code == 301
    assert response.headers["Location"] == "/films/her-2013?sort=new"
    assert client.get("/films/her?slug=x").headers["Location"] == "/films/her-2013"
    missing = client.get("/films/no-such-film")
    assert missing.status_code == 404
    assert "There is no film at this address." in missing.get_data(as_text=True)


def test_the_film_is_linked_from_thread_rows_and_the_thread_page(app, client):
    thread = make_thread(app, make_user(app), "Linked", film=("Cléo from 5 to 7", 1962))
    link = '<a class="film" href="/films/cleo-from-5-to-7-1962"><bdi>Cléo from 5 to 7 (1962)</bdi></a>'
    assert link in client.get("/").get_data(as_text=True)
    assert '<a href="/films/cleo-from-5-to-7-1962"><bdi>Cléo from 5 to 7 (1962)</bdi></a>' in client.get(
        f"/threads/{thread.id}"
    ).get_data(as_text=True)


# The film index ---------------------------------------------------------------------------------------------------------

def test_index_groups_films_a_to_z_under_letters(app, client):
    author = make_user(app)
    for title, year in [("Playtime", 1967), ("Her", 2013), ("Éloge de l'amour", 2001), ("8½", 1963), ("Past Lives", 2023)]:
        make_thread(app, author, film=(title, year))
    page = client.get("/films").get_data(as_text=True)
    assert titles_in_order(page, ["Playtime", "Past Lives", "Her", "Éloge", "8½"]) == [
        "8½", "Éloge", "Her", "Past Lives", "Playtime"
    ]
    headings = re.findall(r'<h2 id="letter-\d+">(.+?)</h2>', page)
    assert headings == ["#", "E", "H", "P"]
    assert '<a href="/films?order=az" aria-current="page">A–Z</a>' in page


def test_index_most_discussed_orders_by_threads_and_replies(app, client):
    author = make_user(app)
    make_thread(app, author, film=("Quiet", 2001))
    make_thread(app, author, film=("Busy", 2002))
    make_thread(app, author, film=("Busy", 2002))
    chatty = make_thread(app, author, film=("Chatty", 2003))
    for _ in range(3):
        make_reply(app, chatty.opening_post, author)
    page = client.get("/films?order=discussed").get_data(as_text=True)
    assert titles_in_order(page, ["Quiet (2001)", "Busy (2002)", "Chatty (2003)"]) == [
        "Chatty (2003)", "Busy (2002)", "Quiet (2001)"
    ]
    assert "1 thread, 3 replies" in page and "2 threads, 0 replies" in page
    assert client.get("/films?order=random").status_code == 400


def test_index_finds_films_by_title_and_paginates(app, client, monkeypatch):
    monkeypatch.setattr("board.films.FILMS_PER_PAGE", 2)
    author = make_user(app)
    for year in (2001, 2002, 2003):
        make_thread(app, author, film=("Her", year))
    make_thread(app, author, film=("Playtime", 1967))
    found = client.get("/films?q=HER").get_data(as_text=True)
    assert "Her (2001)" in found and "Playtime" not in found and "Page 1 of 2" in found
    assert 'href="/films?page=2&amp;order=az&amp;q=HER"' in found
    assert "No film matches “nothing”." in client.get("/films?q=nothing").get_data(as_text=True)


# Suggestions for the new-thread form ------------------------------------------------------------------------------------

def test_suggestions_match_prefix_first_then_contains(app, client):
    author = make_user(app)
    for title in ("The Hero", "Her", "Heretic", "Playtime"):
        make_thread(app, author, film=(title, 2000))
    response = client.htmx_get("/films/suggest?q=her")
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment
    assert 'role="listbox"' in fragment and fragment.count('role="option"') == 3
    assert re.findall(r'data-title="([^"]+)"', fragment) == ["Her", "Heretic", "The Hero"]
    assert "Playtime" not in fragment
    assert "3 films found" in fragment and 'hx-swap-oob="innerHTML"' in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_suggestions_use_the_form_field_name_and_normalise(app, client):
    make_thread(app, make_user(app), film=("Cléo from 5 to 7", 1962))
    fragment = client.htmx_get("/films/suggest?film_title=CLEO%20from").get_data(as_text=True)
    assert 'data-title="Cléo from 5 to 7" data-year="1962"' in fragment
    assert "1 film found" in fragment


def test_suggestions_are_at_most_eight(app, client):
    author = make_user(app)
    for year in range(2001, 2011):
        make_thread(app, author, film=("Sequel", year))
    fragment = client.htmx_get("/films/suggest?q=seq").get_data(as_text=True)
    assert fragment.count('role="option"') == 8


@pytest.mark.parametrize("typed", ["", "h", " ! ", "%", "_"])
def test_short_or_empty_queries_suggest_nothing(app, client, typed):
    make_thread(app, make_user(app), film=("Her", 2013))
    fragment = client.htmx_get("/films/suggest", query_string={"q": typed}).get_data(as_text=True)
    assert 'role="option"' not in fragment and "hidden" in fragment


def test_like_wildcards_in_queries_are_taken_literally(app, client):
    author = make_user(app)
    make_thread(app, author, film=("a_b story", 2000))
    make_thread(app, author, film=("axb story", 2000))
    fragment = client.htmx_get("/films/suggest?q=a_b").get_data(as_text=True)
    assert "a_b story" in fragment and "axb story" not in fragment


def test_suggested_titles_are_escaped(app, client):
    make_thread(app, make_user(app), film=('<script>alert("x")</script> Cut', 1999))
    fragment = client.htmx_get("/films/suggest?q=script").get_data(as_text=True)
    assert "<script>" not in fragment
    assert "&lt;script&gt;" in fragment


def test_suggest_without_htmx_goes_to_the_index_search(client):
    response = client.get("/films/suggest?q=her")
    assert response.status_code == 303
    assert response.headers["Location"] == "/films?q=her"


def test_new_thread_form_has_the_combobox(app, client):
    client.log_in(make_user(app))
    page = client.get("/threads/new").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="film_title"[^>]*>', page).group(0)
    for attribute in ('role="combobox"', 'aria-autocomplete="list"', 'aria-controls="film-suggestions"',
                      'aria-expanded="false"', 'hx-get="/films/suggest"', 'hx-trigger="input changed delay:250ms"'):
        assert attribute in field
    assert '<ul class="suggestions" id="film-suggestions" role="listbox"' in page
    assert 'id="film-suggestions-status" role="status" aria-live="polite"' in page


# Moderators: rename and merge -------------------------------------------------------------------------------------------

@pytest.fixture
def moderator(app):
    return make_user(app, "modest", role=Role.MODERATOR)


def test_moderators_see_the_rename_and_merge_forms(app, client, moderator):
    make_thread(app, make_user(app), film=("Her", None))
    make_thread(app, make_user(app), film=("Her", 2013))
    assert "Rename or merge" not in client.get("/films/her").get_data(as_text=True)
    client.log_in(moderator)
    page = client.get("/films/her").get_data(as_text=True)
    assert "Rename or merge this film" in page
    assert '<option value="her-2013">Her (2013)</option>' in page  # the likely duplicate


@pytest.mark.parametrize("htmx", [False, True])
def test_rename_moves_the_slug_keeps_the_old_one_and_logs(app, client, moderator, htmx):
    thread = make_thread(app, make_user(app), film=("Hre", 2013))
    client.log_in(moderator)
    response = client.submit("/films/hre-2013/rename", {"title": "Her", "year": "2013"}, htmx=htmx)
    if htmx:
        assert response.status_code == 200 and response.headers["HX-Redirect"] == "/films/her-2013"
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/films/her-2013"
    assert fetch(app, Thread, thread.id).film_id == film_id(app, "Her", 2013)
    old = client.get("/films/hre-2013")
    assert old.status_code == 301 and old.headers["Location"] == "/films/her-2013"
    log = client.get("/moderation/log").get_data(as_text=True)
    assert 'renamed <a href="/films/her-2013">film “Her (2013)”</a>' in log
    assert "from “Hre (2013)”" in log


def test_renaming_back_reuses_the_first_slug(app, client, moderator):
    make_thread(app, make_user(app), film=("Her", 2013))
    client.log_in(moderator)
    client.submit("/films/her-2013/rename", {"title": "Her (film)", "year": "2013"})
    assert client.submit("/films/her-film-2013/rename", {"title": "Her", "year": "2013"}).headers["Location"] == "/films/her-2013"
    assert client.get("/films/her-film-2013").headers["Location"] == "/films/her-2013"


def test_renaming_only_the_capitalisation_keeps_the_slug(app, client, moderator):
    make_thread(app, make_user(app), film=("her", 2013))
    client.log_in(moderator)
    assert client.submit("/films/her-2013/rename", {"title": "Her", "year": "2013"}).headers["Location"] == "/films/her-2013"
    assert fetch(app, Film, film_id(app, "Her", 2013)).title == "Her"


@pytest.mark.parametrize("htmx", [False, True])
def test_renaming_to_another_films_title_and_year_says_merge_instead(app, client, moderator, htmx):
    make_thread(app, make_user(app), film=("Her", None))
    make_thread(app, make_user(app), film=("Her", 2013))
    client.log_in(moderator)
    response = client.submit("/films/her/rename", {"title": "HER", "year": "2013"}, htmx=htmx)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "“Her (2013)” already exists: merge this film into it instead." in page
    assert ("<html" in page) is not htmx
    assert slug_of(app, film_id(app, "Her")) == "her"


def test_rename_needs_a_title_and_a_real_year(app, client, moderator):
    make_thread(app, make_user(app), film=("Her", 2013))
    client.log_in(moderator)
    assert client.submit("/films/her-2013/rename", {"title": " ", "year": ""}).status_code == 422
    assert client.submit("/films/her-2013/rename", {"title": "Her", "year": "12"}, htmx=True).status_code == 422
    assert client.submit("/films/nope/rename", {"title": "Her", "year": ""}).status_code == 404


@pytest.mark.parametrize("htmx", [False, True])
def test_merge_moves_threads_redirects_old_slugs_and_logs(app, client, moderator, htmx):
    author = make_user(app)
    duplicate = make_thread(app, author, "On Her", film=("Her", None))
    make_thread(app, author, "On Her (2013)", film=("Her", 2013))
    dup_id, target_id = film_id(app, "Her"), film_id(app, "Her", 2013)
    with app.app_context():
        db.session.add(FilmAlias(slug="hre", film_id=dup_id))
        db.session.commit()
    client.log_in(moderator)
    response = client.submit("/films/her/merge", {"duplicate_of": "her-2013"}, htmx=htmx)
    if htmx:
        assert response.headers["HX-Redirect"] == "/films/her-2013"
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/films/her-2013"
    assert fetch(app, Film, dup_id) is None
    assert fetch(app, Thread, duplicate.id).film_id == target_id
    for old in ("her", "hre"):
        assert client.get(f"/films/{old}").headers["Location"] == "/films/her-2013"
    page = client.get("/films/her-2013").get_data(as_text=True)
    assert "On Her" in page and "2 threads" in page
    log = client.get("/moderation/log").get_data(as_text=True)
    assert 'merged <a href="/films/her-2013">film “Her (2013)”</a>' in log and "“Her” merged into it" in log


def test_merge_by_typed_address_or_link(app, client, moderator):
    make_thread(app, make_user(app), film=("Her", None))
    make_thread(app, make_user(app), film=("Her", 2013))
    client.log_in(moderator)
    response = client.submit("/films/her/merge", {"into": "http://localhost/films/her-2013/"})
    assert response.headers["Location"] == "/films/her-2013"


@pytest.mark.parametrize("data, message", [
    ({}, "Choose the film to keep, or type its address."),
    ({"into": "nowhere"}, "There is no film at “nowhere”."),
    ({"into": "her"}, "That is this film: choose the one to keep."),
])
def test_merge_without_a_valid_target_is_422(app, client, moderator, data, message):
    make_thread(app, make_user(app), film=("Her", None))
    client.log_in(moderator)
    for htmx in (False, True):
        response = client.submit("/films/her/merge", data, htmx=htmx)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert slug_of(app, film_id(app, "Her")) == "her"


@pytest.mark.parametrize("action, data", [("rename", {"title": "X", "year": ""}), ("merge", {"into": "her-2013"})])
@pytest.mark.parametrize("htmx", [False, True])
def test_only_moderators_rename_or_merge(app, client, action, data, htmx):
    make_thread(app, make_user(app), film=("Her", None))
    make_thread(app, make_user(app), film=("Her", 2013))
    anonymous = client.submit(f"/films/her/{action}", data, htmx=htmx)
    if htmx:
        assert anonymous.status_code == 401 and anonymous.headers["HX-Redirect"].startswith("/login")
    else:
        assert anonymous.status_code == 303 and anonymous.headers["Location"].startswith("/login")
    client.log_in(make_user(app))
    assert client.submit(f"/films/her/{action}", data, htmx=htmx).status_code == 403
    assert slug_of(app, film_id(app, "Her")) == "her"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ModAction.id))) == 0


# Query budgets ----------------------------------------------------------------------------------------------------------

# film with its counts and poster, its directors, thread count, page of threads, ratings histogram, logs (recent and
# the viewer's own, with the gating) (+ session user; + open-reports badge and likely duplicates)
FILM_PAGE_BUDGET = {"anonymous": 6, "member": 7, "moderator": 9}
# count, films with posters, their directors, their counts, the years to browse, most discussed and highest rated this
# week (+ user)
FILM_INDEX_BUDGET = {"anonymous": 7, "member": 8}


def add_film_threads(app, until: int) -> None:
    with app.app_context():
        author = db.session.scalar(db.select(User).limit(1))
        film, other = Film.find_or_create("Budget", 2020), Film.find_or_create("Other", 2020)
        number = db.session.scalar(db.select(db.func.count(Thread.id)).where(Thread.film_id == film.id))
        for number in range(number, until):
            thread = Thread.start(author, film, f"Budget thread {number}", "Body", number % 2 == 0)
            Thread.start(author, other, f"Other thread {number}", "Body", False)
            if number % 3 == 0:
                thread.opening_post.add_reply(author, f"Reply {number}")
        db.session.commit()


@pytest.mark.parametrize("viewer", ["anonymous", "member", "moderator"])
def test_film_page_runs_the_same_statements_for_3_and_60_threads(app, client, count_queries, viewer):
    app.config["THREADS_PER_PAGE"] = 100
    member = make_user(app, role=Role.MODERATOR if viewer == "moderator" else Role.MEMBER)
    if viewer != "anonymous":
        client.log_in(member)
    counts = []
    for total in (3, 60):
        add_film_threads(app, total)
        for sort in ("hot", "new", "top", "active"):
            page = client.get(f"/films/budget-2020?sort={sort}").get_data(as_text=True)
            assert page.count('<li class="thread-row') == total
            counts.append(statements_for(client, count_queries, f"/films/budget-2020?sort={sort}"))
    assert counts == [FILM_PAGE_BUDGET[viewer]] * 8


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_film_index_runs_the_same_statements_for_3_and_60_films(app, client, count_queries, viewer):
    author = make_user(app)
    if viewer == "member":
        client.log_in(author)
    counts = []
    for total in (3, 60):
        with app.app_context():
            member = db.session.get(User, author.id)
            for number in range(db.session.scalar(db.select(db.func.count(Film.id))), total):
                Thread.start(member, Film.find_or_create(f"Film {number:02d}", 1950 + number), "T", "Body", False)
            db.session.commit()
        for order in ("az", "discussed"):
            page = client.get(f"/films?order={order}").get_data(as_text=True)
            assert page.count('<li class="film-item">') == total
            counts.append(statements_for(client, count_queries, f"/films?order={order}"))
    assert counts == [FILM_INDEX_BUDGET[viewer]] * 4


def test_a_new_thread_under_a_merged_films_old_name_joins_the_film_it_became(app, client, moderator):
    author = make_user(app)
    make_thread(app, author, film=("Her", None))
    make_thread(app, author, film=("Her", 2013))
    client.log_in(moderator)
    client.submit("/films/her/merge", {"into": "her-2013"})
    later = make_thread(app, author, "Under the old name", film=("her", None))
    assert fetch(app, Thread, later.id).film_id == film_id(app, "Her", 2013)
    assert film_id(app, "Her") is None


def test_index_orders_by_title_then_year(app, client):
    author = make_user(app)
    for title, year in [("Heretic", 2024), ("Her", 2013), ("Her", None), ("Here", 2003), ("Her 2", 2001)]:
        make_thread(app, author, film=(title, year))
    page = client.get("/films").get_data(as_text=True)
    assert re.findall(r'<a href="/films/([^"]+)">', page) == ["her", "her-2013", "her-2-2001", "here-2003", "heretic-2024"]


# A year typed after the title, and slugs that are route words (issue item 3) -----------------------------------------------

def films_stored(app) -> list[tuple]:
    with app.app_context():
        return [(film.title, film.year, film.slug) for film in db.session.scalars(db.select(Film).order_by(Film.id))]


def start_thread(client, film_title: str, film_year: str = ""):
    return client.submit("/threads/new", {"title": "Talk", "film_title": film_title, "film_year": film_year, "body": "Yes."})


@pytest.mark.parametrize("typed", ["Her (2013)", "Her, 2013", "her ( 2013 )", "HER,2013"])
def test_a_year_after_the_title_finds_the_existing_film(app, client, typed):
    existing = make_thread(app, make_user(app), film=("Her", 2013)).film_id
    client.log_in(make_user(app))
    response = start_thread(client, typed)
    assert response.status_code == 303
    thread_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    assert fetch(app, Thread, thread_id).film_id == existing
    assert films_stored(app) == [("Her", 2013, "her-2013")]


TYPED_FILMS = [
    ("Her (2013)", ("Her", 2013, "her-2013")),
    ("Cléo from 5 to 7, 1962", ("Cléo from 5 to 7", 1962, "cleo-from-5-to-7-1962")),
    ("1917 (2019)", ("1917", 2019, "1917-2019")),
    # Not a year after the title: the title as typed.
    ("Blade Runner 2049", ("Blade Runner 2049", None, "blade-runner-2049")),
    ("1917", ("1917", None, "1917")),
    ("Columbus (1492)", ("Columbus (1492)", None, "columbus-1492")),  # no film year
    ("(2013)", ("(2013)", None, "2013")),
]


def test_a_year_after_the_title_is_the_new_films_year(app_factory):
    app = app_factory(RATE_LIMITS={"threads_new_account": "20 per hour"})
    client = app.test_client()
    client.log_in(make_user(app))
    for typed, _ in TYPED_FILMS:
        assert start_thread(client, typed).status_code == 303
    assert films_stored(app) == [stored for _, stored in TYPED_FILMS]
    for film_ident in (1, 2, 3):  # as a film row shows the film ("Her (2013)"), typed again: the same film
        assert start_thread(client, str(fetch(app, Film, film_ident))).status_code == 303
    assert films_stored(app) == [stored for _, stored in TYPED_FILMS]


def test_the_year_box_and_a_year_after_the_title_must_agree(app, client):
    client.log_in(make_user(app))
    response = start_thread(client, "Her (2013)", "2014")
    assert response.status_code == 422
    assert "The film&#39;s title ends with the year 2013: leave this empty or make them agree." in response.get_data(as_text=True)
    assert films_stored(app) == []
    assert start_thread(client, "Her (2013)", "2013").status_code == 303
    assert films_stored(app) == [("Her", 2013, "her-2013")]


def test_suggestions_find_a_film_typed_as_they_show_it(app, client):
    author = make_user(app)
    for year in (2013, 1953):
        make_thread(app, author, film=("Her", year))
    for typed in ("Her (2013)", "Her, 2013"):
        fragment = client.htmx_get("/films/suggest", query_string={"film_title": typed}).get_data(as_text=True)
        assert re.findall(r'data-title="([^"]+)" data-year="(\d*)"', fragment) == [("Her", "2013")]
        assert "1 film found" in fragment


def route_words(app) -> set[str]:
    """Every fixed word after /films/ in the board's routes, read from the routes themselves."""
    parts = (rule.rule.split("/") for rule in app.url_map.iter_rules())
    return {part[2] for part in parts if len(part) > 2 and part[1] == "films" and "<" not in part[2]}


@pytest.mark.parametrize("way", ["new thread", "rename"])
def test_no_film_slug_is_a_route_word(app, client, moderator, way):
    words = route_words(app)
    assert "suggest" in words
    client.log_in(moderator)
    for number, word in enumerate(sorted(words)):
        if way == "new thread":
            assert start_thread(client, word.title()).status_code == 303  # a film called "Suggest", no year
        else:
            make_thread(app, moderator, film=(f"Other {number}", None))
            assert client.submit(f"/films/other-{number}/rename", {"title": word.title(), "year": ""}).status_code == 303
        slug = fetch(app, Film, film_id(app, word)).slug
        assert slug != word and slug.startswith(word)
        page = client.get(f"/films/{slug}")
        assert page.status_code == 200 and f"<h1 dir=\"auto\"><bdi>{word.title()}</bdi>" in page.get_data(as_text=True)
    suggestions = client.htmx_get("/films/suggest?q=sugg")
    assert suggestions.status_code == 200 and 'data-title="Suggest"' in suggestions.get_data(as_text=True)
