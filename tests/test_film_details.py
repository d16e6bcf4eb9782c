"""Films' details and posters (moderators edit them, logged), likely duplicates, and the film index's browsing."""
import io
from datetime import timedelta

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from board.extensions import db
from board.images import UPLOAD_MAX_BYTES
from board.models import Film, FilmDirector, FilmPoster, ModAction, Post, Role, Thread, User, utcnow

from .conftest import statements_for
from .factories import fetch, make_reply, make_thread, make_user
from .test_images import picture_bytes, png_claiming


@pytest.fixture
def moderator(app):
    return make_user(app, "moddy", role=Role.MODERATOR)


@pytest.fixture
def her(app):
    """Her (2013), with one thread."""
    return make_thread(app, make_user(app, "author"), "Samantha", film=("Her", 2013))


def film(app, slug="her-2013") -> Film:
    with app.app_context():
        record = db.session.scalar(db.select(Film).where(Film.slug == slug).options(db.undefer_group("details")))
        record.director_names = [name for name in db.session.scalars(
            db.select(FilmDirector.name).where(FilmDirector.film_id == record.id).order_by(FilmDirector.position))]
        return record


def log(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(entry.action, entry.reason) for entry in db.session.scalars(db.select(ModAction).order_by(ModAction.id))]


def posters(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(FilmPoster))


DETAILS = {"original_title": "Her", "directors": "Spike Jonze", "runtime": "126"}


# Details ----------------------------------------------------------------------------------------------------------------

def test_a_moderator_edits_the_details_without_js_and_the_log_says_before_and_after(app, client, moderator, her):
    client.log_in(moderator)
    response = client.submit("/films/her-2013/details", DETAILS)
    assert response.status_code == 303 and response.headers["Location"] == "/films/her-2013"
    saved = film(app)
    assert (saved.original_title, saved.director_names, saved.runtime) == ("Her", ["Spike Jonze"], 126)
    assert log(app) == [("edit_film", "original title: none → “Her”; directors: none → “Spike Jonze”; "
                                      "runtime: none → “126 min”")]
    page = client.get("/films/her-2013").get_data(as_text=True)
    assert "Details saved." in page and "126 minutes" in page
    assert '<a href="/films/directors/spike-jonze"><bdi>Spike Jonze</bdi></a>' in page

    client.submit("/films/her-2013/details", DETAILS | {"directors": "Spike Jonze\n\n  Agnès   Varda \n", "runtime": "120"})
    assert film(app).director_names == ["Spike Jonze", "Agnès Varda"]
    assert log(app)[-1] == ("edit_film", "directors: “Spike Jonze” → “Spike Jonze, Agnès Varda”; "
                                         "runtime: “126 min” → “120 min”")
    client.submit("/films/her-2013/details", DETAILS | {"directors": "Spike Jonze\nAgnès Varda", "runtime": "120"})
    assert len(log(app)) == 2  # nothing changed: nothing logged
    client.submit("/films/her-2013/details", {"original_title": "", "directors": "", "runtime": ""})
    cleared = film(app)
    assert (cleared.original_title, cleared.director_names, cleared.runtime) == (None, [], None)
    assert log(app)[-1][1].startswith("original title: “Her” → none; directors: “Spike Jonze, Agnès Varda” → none")
    public_log = app.test_client().get("/moderation/log").get_data(as_text=True)
    assert "edited the details of" in public_log and "runtime: “126 min” → “120 min”" in public_log


def test_the_details_form_with_htmx_sends_the_browser_to_the_page(app, client, moderator, her):
    client.log_in(moderator)
    response = client.submit("/films/her-2013/details", DETAILS, htmx=True)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/films/her-2013"
    refused = client.submit("/films/her-2013/details", DETAILS | {"runtime": "0"}, htmx=True)
    fragment = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "<html" not in fragment
    assert fragment.lstrip().startswith('<form class="mod-form film-form stack"') and "1 to 1,000 minutes" in fragment


@pytest.mark.parametrize("field, value, message", [
    ("runtime", "0", "A runtime is 1 to 1,000 minutes."),
    ("runtime", "abc", "Not a valid integer value."),
    ("runtime", "100000", "A runtime is 1 to 1,000 minutes."),
    ("original_title", "\u202eelif.exe", "contains an invisible right-to-left override (U+202E) at character 1"),
    ("original_title", "x" * 201, "At most 200 characters; this has 201."),
    ("directors", "\n".join(f"Director {n}" for n in range(13)), "At most 12 directors; this lists 13."),
    ("directors", "Spike Jonze\nspike  JONZE", "“spike JONZE” is listed twice."),
    ("directors", "A" * 101, "A director&#39;s name is at most 100 characters"),
    ("directors", "Agnès\u200bVarda", "contains an invisible zero-width space"),
    ("directors", "!!!", "has no letters or digits"),
])
def test_bad_details_come_back_with_the_text_kept_and_nothing_changes(app, client, moderator, her, field, value, message):
    client.log_in(moderator)
    response = client.submit("/films/her-2013/details", DETAILS | {field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert (value if field == "directors" else f'value="{value}"') in page
    assert '<details class="mod-tools film-tools" open>' in page
    saved = film(app)
    assert (saved.original_title, saved.director_names, saved.runtime) == (None, [], None) and log(app) == []


def test_the_over_long_director_list_is_kept_whole_on_422(app, client, moderator, her):
    client.log_in(moderator)
    names = "\n".join(f"Director Number {n}" for n in range(20))
    page = client.submit("/films/her-2013/details", DETAILS | {"directors": names}).get_data(as_text=True)
    assert names in page  # every line, in the textarea


def test_a_year_out_of_range_is_refused_with_the_title_kept(app, client, moderator, her):
    client.log_in(moderator)
    response = client.submit("/films/her-2013/rename", {"title": "Her again", "year": "1700"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "That is not a film year." in page and 'value="Her again"' in page
    assert fetch(app, Film, film(app).id).year == 2013


def test_a_nul_byte_is_refused_urlencoded_and_multipart(app, client, moderator, her):
    client.log_in(moderator)
    assert client.submit("/films/her-2013/details", DETAILS | {"original_title": "Her\x00"}).status_code == 400
    multipart = client.submit("/films/her-2013/details", DETAILS | {"original_title": "Her\x00"},
                              content_type="multipart/form-data")
    assert multipart.status_code == 400 and "NUL" in multipart.get_data(as_text=True)
    token = client.csrf_token()
    body = (b"--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + token.encode() +
            b"\r\n--B\r\nContent-Disposition: form-data; name=\"original_title\"\r\n\r\nH\xe9r\r\n--B--\r\n")
    bad_utf8 = client.post("/films/her-2013/details", data=body, content_type="multipart/form-data; boundary=B")
    assert bad_utf8.status_code == 400 and "not valid UTF-8" in bad_utf8.get_data(as_text=True)
    assert film(app).original_title is None and log(app) == []
    # A multipart form without such bytes still works (a file is not text: its bytes are not checked).
    fine = client.submit("/films/her-2013/details", DETAILS, content_type="multipart/form-data")
    assert fine.status_code == 303 and film(app).runtime == 126


@pytest.mark.parametrize("role", ["anonymous", "member"])
@pytest.mark.parametrize("route", ["details", "poster", "poster/remove"])
def test_members_and_visitors_cannot_edit_a_film(app, client, her, role, route):
    with app.app_context():
        record = db.session.scalar(db.select(Film))
        db.session.add(FilmPoster(film_id=record.id, digest="0" * 16, data=b"x", width=1, height=1, small_data=b"x", small_width=1,
                                  small_height=1))
        db.session.commit()
    if role == "member":
        client.log_in(make_user(app))
    data = DETAILS | {"poster": (io.BytesIO(picture_bytes()), "poster.png")}
    response = client.submit(f"/films/her-2013/{route}", data)
    assert response.status_code == (403 if role == "member" else 303)
    saved = film(app)
    assert (saved.runtime, posters(app), log(app)) == (None, 1, [])


# Posters ----------------------------------------------------------------------------------------------------------------

def squeezed(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def upload(client, data: bytes, filename="poster.png", htmx=False, slug="her-2013"):
    """POST a poster as a browser does (the body encoded in memory: the test client spools big ones to a file it never
    closes)."""
    token = client.csrf_token()
    fields = {"poster": FileStorage(io.BytesIO(data), filename)} | ({} if htmx else {"csrf_token": token})
    boundary, body = encode_multipart(fields)
    headers = {"HX-Request": "true", "X-CSRFToken": token, "HX-Current-URL": "http://localhost/"} if htmx else {}
    return client.post(f"/films/{slug}/poster", data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_a_poster_is_served_as_webp_for_a_year_and_shown_on_the_page_and_index(app, client, moderator, her):
    client.log_in(moderator)
    response = upload(client, picture_bytes(size=(1000, 1500), format="JPEG"))
    assert response.status_code == 303 and response.headers["Location"] == "/films/her-2013"
    with app.app_context():
        poster = db.session.scalar(db.select(FilmPoster))
        digest, size, small = poster.digest, (poster.width, poster.height), (poster.small_width, poster.small_height)
    assert size == (600, 900) and small == (120, 180)
    assert log(app) == [("set_poster", f"none → poster {digest} (600×900)")]
    visitor = app.test_client()
    page = squeezed(visitor.get("/films/her-2013"))
    assert (f'<img class="film-head__poster" src="/films/her-2013/poster/{digest}.webp" '
            f'width="600" height="900" alt="Poster of Her (2013)">') in page
    served = visitor.get(f"/films/her-2013/poster/{digest}.webp")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(served.data)).size == (600, 900)
    assert "Content-Security-Policy" in served.headers
    index = squeezed(visitor.get("/films"))
    assert (f'src="/films/her-2013/poster/{digest}/small.webp" '
            f'width="120" height="180" alt="Her (2013)" loading="lazy">') in index
    small_served = visitor.get(f"/films/her-2013/poster/{digest}/small.webp")
    assert small_served.status_code == 200 and Image.open(io.BytesIO(small_served.data)).size == (120, 180)
    assert visitor.get("/films/her-2013/poster/0123456789abcdef.webp").status_code == 404
    # A member's own requests are private, but a poster is the same for everyone: still cacheable for them.
    assert client.get(f"/films/her-2013/poster/{digest}.webp").headers["Cache-Control"].endswith("immutable")


def test_replacing_and_removing_a_poster_are_logged(app, client, moderator, her):
    client.log_in(moderator)
    upload(client, picture_bytes(color=(255, 0, 0)))
    upload(client, picture_bytes(color=(0, 0, 255)), htmx=True)
    with app.app_context():
        digest = db.session.scalar(db.select(FilmPoster.digest))
    assert posters(app) == 1 and log(app)[1][1].endswith(f"→ poster {digest} (600×450)")
    assert upload(client, picture_bytes(color=(0, 0, 255))).status_code == 303 and len(log(app)) == 2  # the same one
    response = client.submit("/films/her-2013/poster/remove")
    assert response.status_code == 303 and posters(app) == 0
    assert log(app)[-1] == ("remove_poster", f"poster {digest} (600×450) removed")
    assert client.get(f"/films/her-2013/poster/{digest}.webp").status_code == 404
    assert "film-head__poster" not in client.get("/films/her-2013").get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    (b"just some text, not a picture", "not a picture the board can read"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not a picture the board can read"),
    (picture_bytes(size=(400, 400), format="JPEG")[:2000], "damaged or cut short"),
    (png_claiming(30_000, 30_000), "at most 40,000,000 pixels in all"),
    (b"\x89PNG" + b"\0" * (UPLOAD_MAX_BYTES + 10), "pictures may be at most 3.0 MB"),
    (b"", "The file is empty."),
], ids=["text", "svg", "truncated", "bomb", "over 3 MB", "empty"])
def test_a_hostile_or_broken_file_is_refused_with_a_reason_and_nothing_is_stored(app, client, moderator, her, data, message):
    client.log_in(moderator)
    response = upload(client, data, filename="poster.svg" if b"svg" in data else "poster.png")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert '<p class="field-error" id="poster-file-error">' in page
    assert posters(app) == 0 and log(app) == []


def test_a_refused_poster_with_htmx_comes_back_as_the_form_alone(app, client, moderator, her):
    client.log_in(moderator)
    response = upload(client, b"not a picture", htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in fragment and "Remove poster" not in fragment
    assert fragment.lstrip().startswith('<form class="mod-form film-form stack" method="post" enctype="multipart/form-data"')
    assert "not a picture the board can read" in fragment and posters(app) == 0


def test_no_file_chosen_asks_for_one(app, client, moderator, her):
    client.log_in(moderator)
    response = client.submit("/films/her-2013/poster", content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a picture file." in response.get_data(as_text=True)
    assert posters(app) == 0


def test_a_50_mb_upload_is_refused_before_it_is_read(app, client, moderator, her):
    client.log_in(moderator)
    response = upload(client, b"\0" * (50 * 1024 * 1024))
    assert response.status_code == 413 and "pictures to 3 MB" in response.get_data(as_text=True)
    assert posters(app) == 0


# Likely duplicates --------------------------------------------------------------------------------------------------------

def test_films_a_year_apart_or_without_a_year_are_suggested_to_moderators_only(app, client, moderator):
    author = make_user(app)
    for year in (2013, 2014, 1990, None):
        make_thread(app, author, film=("Her", year))
    make_thread(app, author, film=("Her Story", 2014))
    page = client.get("/films/her-2013").get_data(as_text=True)
    assert "Possibly the same film" not in page
    client.log_in(moderator)
    page = client.get("/films/her-2013").get_data(as_text=True)
    notice = page[page.index("Possibly the same film"):page.index("</ul>", page.index("Possibly the same film"))]
    assert "Her (2014)" in notice and '<bdi>Her</bdi>' in notice
    assert "Her (1990)" not in notice and "Her Story" not in notice
    assert 'href="/films/her-2013?merge_into=her-2014#merge-heading"' in notice
    merge = client.get("/films/her-2013?merge_into=her-2014").get_data(as_text=True)
    assert '<option selected value="her-2014">Her (2014)</option>' in merge
    assert "Her (1990)" not in client.get("/films/her-2014").get_data(as_text=True).split("Possibly the same film")[1][:400]
    response = client.submit("/films/her-2014/merge", {"duplicate_of": "her-2013"})
    assert response.status_code == 303 and response.headers["Location"] == "/films/her-2013"


def test_a_merge_keeps_the_duplicates_poster_and_details_where_the_kept_film_has_none(app, client, moderator):
    author = make_user(app)
    make_thread(app, author, film=("Her", 2013))
    make_thread(app, author, film=("Her", 2014))
    client.log_in(moderator)
    client.submit("/films/her-2014/details", DETAILS)
    upload(client, picture_bytes(), slug="her-2014")
    assert client.submit("/films/her-2014/merge", {"duplicate_of": "her-2013"}).status_code == 303
    kept = film(app)
    assert (kept.original_title, kept.director_names, kept.runtime) == ("Her", ["Spike Jonze"], 126)
    with app.app_context():
        assert db.session.scalar(db.select(FilmPoster.film_id)) == kept.id
        assert db.session.scalar(db.select(db.func.count()).select_from(FilmDirector)) == 1


# The index: most discussed this week, by year, by director ------------------------------------------------------------

def age(app, post_id: int, days: float) -> None:
    with app.app_context():
        db.session.get(Post, post_id).created_at = utcnow() - timedelta(days=days)
        db.session.commit()


def section(page: str, heading: str) -> str:
    start = page.index(heading)
    return page[start:page.index("</section>", start)]


def test_most_discussed_this_week_counts_only_the_last_seven_days_replies(app, client, moderator):
    author, replier = make_user(app), make_user(app)
    busy_then = make_thread(app, author, film=("Playtime", 1967))
    busy_now = make_thread(app, author, film=("Her", 2013))
    hidden_thread = make_thread(app, author, film=("Secret", 2000))
    make_thread(app, author, film=("Quiet", 2001))
    for _ in range(5):
        age(app, make_reply(app, busy_then.opening_post, replier).id, days=8)
    make_reply(app, busy_then.opening_post, replier)
    for _ in range(2):
        make_reply(app, busy_now.opening_post, replier)
    for _ in range(3):
        make_reply(app, hidden_thread.opening_post, replier)
    with app.app_context():
        db.session.get(Post, hidden_thread.opening_post.id).hidden = True
        db.session.commit()
    shelf = section(client.get("/films").get_data(as_text=True), "Most discussed this week")
    assert shelf.index("Her (2013)") < shelf.index("Playtime (1967)")
    assert "2 replies this week" in shelf and "1 reply this week" in shelf
    assert "Secret" not in shelf and "Quiet" not in shelf
    client.log_in(moderator)
    shelf = section(client.get("/films").get_data(as_text=True), "Most discussed this week")
    assert shelf.index("Secret (2000)") < shelf.index("Her (2013)")
    assert "Most discussed this week" not in client.get("/films?page=2").get_data(as_text=True)


def test_films_are_browsed_by_decade_and_year(app, client):
    author = make_user(app)
    for title, year in (("Playtime", 1967), ("Mon Oncle", 1958), ("Trafic", 1971), ("Parade", 1974), ("Untitled", None)):
        make_thread(app, author, film=(title, year))
    index = client.get("/films").get_data(as_text=True)
    years = index[index.index('aria-label="Browse by year"'):]
    assert ['1950s', '1960s', '1970s'] == [d for d in ("1950s", "1960s", "1970s", "1980s") if f">{d}</a>" in years]
    seventies = client.get("/films?decade=1970").get_data(as_text=True)
    assert "Trafic (1971)" in seventies and "Parade (1974)" in seventies and "Playtime" not in seventies
    assert '<a href="/films?order=az&amp;year=1971">1971</a>' in seventies
    one_year = client.get("/films?year=1971").get_data(as_text=True)
    assert "<title>Films from 1971 — Reelboard</title>" in one_year
    assert "Trafic (1971)" in one_year and "Parade" not in one_year
    assert client.get("/films?year=abc").status_code == 400
    assert "No film matches from 1990" in client.get("/films?year=1990").get_data(as_text=True)


def test_films_are_browsed_by_director_whatever_the_spelling(app, client, moderator):
    author = make_user(app)
    for title, year in (("Cléo from 5 to 7", 1962), ("Le Bonheur", 1965), ("Playtime", 1967)):
        make_thread(app, author, film=(title, year))
    client.log_in(moderator)
    client.submit("/films/cleo-from-5-to-7-1962/details", {"directors": "Agnès Varda"})
    client.submit("/films/le-bonheur-1965/details", {"directors": "agnes  VARDA"})
    client.submit("/films/playtime-1967/details", {"directors": "Jacques Tati"})
    visitor = app.test_client()
    page = visitor.get("/films/directors/agnes-varda").get_data(as_text=True)
    assert "<h1>Films by <bdi>Agnès Varda</bdi></h1>" in page
    assert "Cléo from 5 to 7 (1962)" in page and "Le Bonheur (1965)" in page and "Playtime" not in page
    assert page.count('<li class="film-item">') == 2
    assert visitor.get("/films/directors/nobody").status_code == 404
    index = visitor.get("/films").get_data(as_text=True)
    assert '<a href="/films/directors/jacques-tati"><bdi>Jacques Tati</bdi></a>' in index


def test_the_kept_index_and_film_page_show_an_edit_at_once(app, client, moderator, her):
    visitor = app.test_client()
    assert "Spike Jonze" not in visitor.get("/films").get_data(as_text=True)
    assert "Spike Jonze" not in visitor.get("/films/her-2013").get_data(as_text=True)
    client.log_in(moderator)
    client.submit("/films/her-2013/details", DETAILS)
    assert "Spike Jonze" in visitor.get("/films").get_data(as_text=True)
    assert "Spike Jonze" in visitor.get("/films/her-2013").get_data(as_text=True)
    upload(client, picture_bytes())
    assert "small.webp" in visitor.get("/films").get_data(as_text=True)
    assert "film-head__poster" in visitor.get("/films/her-2013").get_data(as_text=True)
    client.submit("/films/her-2013/poster/remove")
    assert "small.webp" not in visitor.get("/films").get_data(as_text=True)
    make_reply(app, her.opening_post, make_user(app))
    assert "1 reply this week" in visitor.get("/films").get_data(as_text=True)


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_the_index_runs_the_same_statements_for_5_and_50_films_with_posters_and_directors(app, client, count_queries, viewer):
    author = make_user(app)
    if viewer == "member":
        client.log_in(author)
    poster = picture_bytes(size=(60, 90))
    counts = []
    for total in (5, 50):
        with app.app_context():
            member = db.session.get(User, author.id)
            for number in range(db.session.scalar(db.select(db.func.count(Film.id))), total):
                record = Film.find_or_create(f"Film {number:02d}", 1950 + number)
                thread = Thread.start(member, record, "T", "Body", False)
                thread.opening_post.add_reply(member, "A reply this week")
                db.session.add_all([
                    FilmDirector(film_id=record.id, position=0, name=f"Director {number % 7}", key=f"director-{number % 7}"),
                    FilmDirector(film_id=record.id, position=1, name="Shared", key="shared"),
                    FilmPoster(film_id=record.id, digest=f"{number:016d}", data=poster, width=60, height=90,
                               small_data=poster, small_width=60, small_height=90),
                ])
            db.session.commit()
        for url in ("/films", "/films?order=discussed", "/films?decade=1950", "/films/directors/shared"):
            page = client.get(url).get_data(as_text=True)
            assert page.count('<li class="film-item">') == (min(total, 10) if "decade" in url else total)
            counts.append(statements_for(client, count_queries, url))
    # count, films with posters, directors, their counts, + the years to browse (and most discussed and highest rated
    # when unfiltered) on /films or the director's name on theirs (+ the session's member)
    signed_in = viewer == "member"
    assert counts == [7 + signed_in, 7 + signed_in, 5 + signed_in, 5 + signed_in] * 2
