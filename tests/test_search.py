"""Search: ranking, highlighted spoiler-safe snippets, filters, visibility, the index kept in step, htmx and budgets."""
import html
import re
import threading

import pytest

from board.extensions import db
from board.models import Film, Post, Role, Thread, User
from board.search import MAX_QUERY_LENGTH, PER_PAGE, SNIPPET_CHARS, Query, search_posts

from .conftest import TEST_DATABASE_URL, statements_for
from .factories import make_reply, make_thread, make_user

SEARCH_BUDGET = {"anonymous": 2, "member": 3}  # count + page of hits (+ session user)
TIME_BUDGET_STATEMENTS = {"sqlite": 0, "postgresql": 1}  # SET LOCAL statement_timeout (SQLite's budget is a callback)


def search_budget(app, viewer: str) -> int:
    with app.app_context():
        return SEARCH_BUDGET[viewer] + TIME_BUDGET_STATEMENTS[db.engine.dialect.name]


def search(app, query, **filters):
    with app.app_context():
        page = search_posts(query, **filters)
        return [(hit.post.id, hit.post.is_opening) for hit in page.items], page.total


def hit_ids(app, query, **filters):
    return [post_id for post_id, _ in search(app, query, **filters)[0]]


def as_moderator(app, act):
    moderator = make_user(app, role=Role.MODERATOR)
    with app.app_context():
        act(db.session.get(User, moderator.id))
        db.session.commit()


@pytest.fixture
def member(app):
    return make_user(app, "critic")


def test_a_title_match_outranks_a_body_match(app, member):
    in_body = make_thread(app, member, "Sound design", body="The projectionist steals the film.")
    in_title = make_thread(app, member, "The projectionist", body="A quiet story about a cinema.")
    assert hit_ids(app, "projectionist") == [in_title.opening_post.id, in_body.opening_post.id]


def test_more_matches_outrank_fewer(app, member):
    thread = make_thread(app, member, "Cinema Paradiso", body="Nothing to see here at all, none.")
    once = make_reply(app, thread.opening_post, member, "The projector hums in one early scene of the film.")
    thrice = make_reply(app, thread.opening_post, member, "The projector, the projector: the projector is the heart.")
    assert hit_ids(app, "projector") == [thrice.id, once.id]


def test_every_word_must_match_and_stems_match(app, member):
    both = make_thread(app, member, "Trains", body="Watching trains arrive at the station.")
    make_thread(app, member, "Boats", body="Boats arrive at dawn.")
    assert hit_ids(app, "train arriving") == [both.opening_post.id]


def test_the_last_word_matches_as_a_prefix_for_results_as_you_type(app, member):
    thread = make_thread(app, member, "Bong Joon-ho", body="Parasite is a masterpiece.")
    assert hit_ids(app, "parasi") == [thread.opening_post.id]


def test_snippets_highlight_the_words_and_escape_html(app, client, member):
    thread = make_thread(app, member, "Markup <b>in</b> titles", body="Typed <script>alert(1)</script> next to the projector.")
    page = client.get("/search?q=projector").get_data(as_text=True)
    assert "<mark>projector</mark>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Markup &lt;b&gt;in&lt;/b&gt; titles" in page
    assert f'href="/posts/{thread.opening_post.id}"' in page
    title_page = client.get("/search?q=markup").get_data(as_text=True)
    assert "<mark>Markup</mark> &lt;b&gt;in&lt;/b&gt; titles" in title_page


def test_spoilers_never_reach_snippets_nor_match(app, client, member):
    thread = make_thread(app, member, "The ending", body="Before the credits ||the twist reveals everything|| happens.")
    page = client.get("/search?q=credits").get_data(as_text=True)
    assert "[spoiler]" in page
    assert "twist" not in page and "reveals" not in page
    assert hit_ids(app, "twist reveals") == []
    reply = make_reply(app, thread.opening_post, member, "I agree, ||the twist reveals it|| and the credits roll.")
    assert hit_ids(app, "twist") == []
    assert "twist" not in client.get("/search?q=credits").get_data(as_text=True)
    assert reply.id in hit_ids(app, "credits")


@pytest.mark.parametrize("marked", ["post", "thread"])
def test_no_snippet_for_a_post_or_thread_marked_as_spoilers(app, client, member, marked):
    thread = make_thread(app, member, "Finale talk", body="The lighthouse burns down at the end.",
                         has_spoilers=marked == "thread")
    if marked == "post":
        as_moderator(app, lambda moderator: db.session.get(Post, thread.opening_post.id).mark_spoiler(moderator))
    page = client.get("/search?q=lighthouse").get_data(as_text=True)
    assert "Contains spoilers — snippet hidden" in page and "Finale talk" in page
    assert "burns" not in page


def test_spoilers_in_a_title_are_never_shown(app, client, member):
    thread = make_thread(app, member, "Who is Keyser ||Verbal Kint||", body="The usual suspects lineup.")
    make_reply(app, thread.opening_post, member, "The lineup scene again.")
    for query in ("keyser", "lineup", "verbal"):
        page = client.get(f"/search?q={query}").get_data(as_text=True)
        assert "Verbal" not in page and "Kint" not in page
    assert "Who is <mark>Keyser</mark> [spoiler]" in client.get("/search?q=keyser").get_data(as_text=True)


def test_filters_by_film_and_by_author(app, member):
    other = make_user(app, "someone")
    her = make_thread(app, member, "Voices", body="A lonely voice.", film=("Her", 2013))
    other_her = make_reply(app, her.opening_post, other, "The voice is warm.")
    vertigo = make_thread(app, other, "Spirals", body="A voice calls from the tower.", film=("Vertigo", 1958))
    assert set(hit_ids(app, "voice", film="her-2013")) == {her.opening_post.id, other_her.id}
    assert set(hit_ids(app, "voice", film="Her")) == {her.opening_post.id, other_her.id}
    assert hit_ids(app, "voice", film="vertigo-1958") == [vertigo.opening_post.id]
    assert set(hit_ids(app, "voice", author="SOMEONE")) == {other_her.id, vertigo.opening_post.id}
    assert hit_ids(app, "voice", film="her-2013", author="someone") == [other_her.id]
    assert hit_ids(app, "voice", film="no-such-film") == []
    assert hit_ids(app, "voice", author="nobody") == []


def test_filters_through_the_page(app, client, member):
    make_thread(app, member, "Voices", body="A lonely voice.", film=("Her", 2013))
    make_thread(app, member, "Spirals", body="A voice calls.", film=("Vertigo", 1958))
    page = client.get("/search?q=voice&film=vertigo-1958").get_data(as_text=True)
    assert "Spirals" in page and "Voices" not in page
    assert "1 result for “voice” in film “vertigo-1958”." in page


def test_pagination(app, client, member):
    thread = make_thread(app, member, "Long one", body="Nothing here.")
    with app.app_context():
        author = db.session.get(User, member.id)
        opening = db.session.get(Post, thread.opening_post.id)
        for number in range(PER_PAGE + 5):
            opening.add_reply(author, f"Reply {number} about the score.")
        db.session.commit()
    with app.app_context():
        first, second = search_posts("score", page=1), search_posts("score", page=2)
        assert (first.total, first.pages, len(first.items), len(second.items)) == (PER_PAGE + 5, 2, PER_PAGE, 5)
        assert not {hit.post.id for hit in first.items} & {hit.post.id for hit in second.items}
    page = client.get("/search?q=score").get_data(as_text=True)
    assert "Page 1 of 2" in page and 'href="/search?page=2&amp;q=score"' in page
    assert "Reply" in client.get("/search?q=score&page=2").get_data(as_text=True)
    assert "No more results" in client.get("/search?q=score&page=3").get_data(as_text=True)
    assert client.get("/search?q=score&page=0").status_code == 400
    assert client.get("/search?q=score&page=99999999999999999999999").status_code == 400


def test_hidden_and_deleted_posts_are_never_found(app, member):
    thread = make_thread(app, member, "Visible", body="An umbrella scene.")
    hidden = make_reply(app, thread.opening_post, member, "The umbrella again, rudely.")
    deleted = make_reply(app, thread.opening_post, member, "Umbrella thoughts, withdrawn.")
    gone = make_thread(app, member, "Hidden thread", body="Umbrella spam.")
    reply_in_gone = make_reply(app, gone.opening_post, member, "An umbrella reply in a hidden thread.")
    as_moderator(app, lambda moderator: (db.session.get(Post, hidden.id).hide(moderator, "rude"),
                                         db.session.get(Post, gone.opening_post.id).hide(moderator, "spam")))
    with app.app_context():
        db.session.get(Post, deleted.id).delete()
        db.session.commit()
    assert hit_ids(app, "umbrella") == [thread.opening_post.id]
    assert reply_in_gone.id not in hit_ids(app, "umbrella")


def test_edits_and_retitles_reach_the_index(app, member):
    thread = make_thread(app, member, "Original title", body="First words about lanterns.")
    with app.app_context():
        post = db.session.get(Post, thread.opening_post.id)
        post.edit(db.session.get(User, member.id), "Now about kites instead.", title="Renamed carousel")
        db.session.commit()
    assert hit_ids(app, "lanterns") == [] and hit_ids(app, "original") == []
    assert hit_ids(app, "kites") == [thread.opening_post.id]
    assert hit_ids(app, "carousel") == [thread.opening_post.id]
    reply = make_reply(app, thread.opening_post, member, "A reply about kites too.")
    with app.app_context():
        db.session.get(Post, reply.id).edit(db.session.get(User, member.id), "A reply about gliders.")
        db.session.commit()
    assert hit_ids(app, "kites") == [thread.opening_post.id]
    assert hit_ids(app, "gliders") == [reply.id]
    # A reply is not found by its thread's title.
    assert hit_ids(app, "carousel") == [thread.opening_post.id]


def test_a_retitle_outside_an_edit_reaches_the_index_too(app, member):
    thread = make_thread(app, member, "Earlier", body="Body text.")
    with app.app_context():
        db.session.get(Thread, thread.id).title = "Afterwards"
        db.session.commit()
    assert hit_ids(app, "afterwards") == [thread.opening_post.id] and hit_ids(app, "earlier") == []


def test_an_empty_query_shows_the_empty_form(client):
    page = client.get("/search").get_data(as_text=True)
    assert '<form class="search-form" role="search"' in page and 'id="search-results"' in page
    assert "search-hit" not in page and "No posts match" not in page


def test_the_page_has_a_labelled_form_that_works_without_javascript(client):
    page = client.get("/search").get_data(as_text=True)
    assert 'method="get" action="/search"' in page
    for field_id, label in (("search-q", "Words to find"), ("search-film", "Film"), ("search-author", "Author")):
        assert f'<label for="{field_id}">{label}</label>' in page
    assert 'hx-trigger="input changed delay:300ms, search"' in page and 'hx-target="#search-results"' in page
    assert 'role="status" aria-live="polite"' in page


def test_htmx_gets_the_results_fragment_and_full_page_otherwise(app, client, member):
    make_thread(app, member, "Stalker", body="The zone and its rooms.")
    full = client.get("/search?q=zone")
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"]
    fragment = client.htmx_get("/search?q=zone")
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and "<form" not in body
    assert "<mark>zone</mark>" in body
    assert '<p id="search-status" hx-swap-oob="innerHTML">1 result for “zone”.</p>' in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert "hx-swap-oob" not in full.get_data(as_text=True)


def test_the_site_header_has_a_search_box(client):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<form class="site-search" role="search" aria-label="Site" method="get" action="/search">', page)
    assert '<label class="visually-hidden" for="site-search-q">Search posts</label>' in page


HOSTILE = ['"', "AND", "*", "NEAR(", "-", "'", "OR OR", "a:b", "title:x", "(", ")", "^", "x*y", '"unbalanced',
           "NOT", "{x}", "\\", "%", "_", "::*", "!", "&|", "<->", "café ñandú", "映画", "🎬", "‮", "ß", "\x01"]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(app, client, member, query):
    make_thread(app, member, "Café ñandú 映画 and more", body="Words AND operators NOT here.")
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/search", query_string={"q": query, "film": query, "author": query}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)


def test_unicode_words_are_found(app, member):
    thread = make_thread(app, member, "Café ñandú", body="Un film sur 映画 et le café.")
    assert hit_ids(app, "cafe") == [thread.opening_post.id] or hit_ids(app, "café") == [thread.opening_post.id]


def test_a_huge_query_is_cut_short_with_a_message(app, client, member):
    make_thread(app, member, "Mirror", body="A mirror scene.")
    response = client.get("/search", query_string={"q": "mirror " + "x" * 10_000})
    assert response.status_code == 200
    assert f"Your search was cut to its first {MAX_QUERY_LENGTH} characters." in response.get_data(as_text=True)
    assert len(Query.parse("word " * 5000).terms) <= 12


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_search_runs_the_same_few_statements_for_3_and_40_hits(app, client, count_queries, member, viewer):
    if viewer == "member":
        client.log_in(make_user(app))
    counts = []
    for word, hits in (("alpha", 3), ("omega", 40)):
        with app.app_context():
            author = db.session.get(User, member.id)
            films = [Film.find_or_create(f"Film {number}", 2000 + number) for number in range(4)]
            for number in range(hits):
                Thread.start(author, films[number % 4], f"{word} thread {number}", f"About {word}, number {number}.", False)
            db.session.commit()
        with count_queries() as counter:
            response = client.get(f"/search?q={word}")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('<li class="search-hit">') == min(hits, PER_PAGE)
        counts.append(counter.count)
    assert counts == [search_budget(app, viewer)] * 2


def test_the_migration_indexes_posts_written_before_it_and_downgrades_cleanly(app_factory):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    app = app_factory(create_tables=False)
    with app.app_context():
        upgrade()
    author = make_user(app, "early")
    thread = make_thread(app, author, "Vintage optics", body="An older post about zoetropes.")
    reply = make_reply(app, thread.opening_post, author, "Zoetropes spin.")
    with app.app_context():
        downgrade(revision="0003_discovery")  # posts written before the search index (the models write newer tables)
        assert "post_search" not in inspect(db.engine).get_table_names()
        upgrade(revision="0004_search")
    assert set(hit_ids(app, "zoetropes")) == {thread.opening_post.id, reply.id}
    assert hit_ids(app, "vintage") == [thread.opening_post.id]
    with app.app_context():
        downgrade(revision="0003_discovery")
        assert "post_search" not in inspect(db.engine).get_table_names()
        upgrade(revision="0004_search")
    assert hit_ids(app, "spin") == [reply.id]


# Hostile posts: a search costs the same few statements and shows short snippets whatever the posts hold (issue item 10).

NESTED_TAGS = "<div>" * 3000 + "film" + "</div>" * 3000  # pasted HTML, shown as text
ONE_WORD_RUN = "film " * 6000
LONG_WORDS = " ".join(["film"] + ["x" * 3000] * 10)  # every word a long one: a snippet of 30 words was 30,000 characters
SNIPPET = re.compile(r'<p class="search-hit__snippet">(.*?)</p>', re.S)


def snippets(page: str) -> list[str]:
    """The snippets of a results page as the reader sees them (tags gone, entities read)."""
    return [html.unescape(re.sub(r"<[^>]+>", "", snippet)) for snippet in SNIPPET.findall(page)]


def assert_short_snippets(page: str) -> None:
    for snippet in snippets(page):
        assert len(snippet) <= SNIPPET_CHARS + 2, snippet[:300]  # + the "…" at either end


def test_hostile_posts_give_short_snippets_in_the_same_few_statements(app, client, count_queries, member):
    for number, body in enumerate((NESTED_TAGS, ONE_WORD_RUN, LONG_WORDS)):
        make_thread(app, member, f"Pasted {number}", body=body)
    with app.app_context():
        assert max(len(text) for text in db.session.scalars(db.select(Post.plain_text))) > 24_000  # the text itself
    for query in ("film", "div", "<div><div>", "film " * 12, "x" * 200):
        # At most: PostgreSQL reads "<div>" as a tag, not a word, so there "div" finds nothing and needs no page query.
        assert statements_for(client, count_queries, f"/search?q={query}") <= search_budget(app, "anonymous")
        for headers in ({}, {"HX-Request": "true"}):
            page = client.get("/search", query_string={"q": query}, headers=headers).get_data(as_text=True)
            assert "That search took too long" not in page
            assert_short_snippets(page)
        if query.startswith("film"):  # the nested tags' "film" lies past the characters scanned: their opening shows
            assert sorted(snippet[:5] for snippet in snippets(page)) == ["<div>", "film ", "film "]
    assert "<mark>film</mark>" in client.get("/search?q=film").get_data(as_text=True)


def test_a_search_past_its_time_budget_asks_for_other_words(app, client, member):
    """Deterministic: SQLite's clock check fires at its first look (a budget of 0 ms); on PostgreSQL the index is locked
    by another transaction, so the search waits and its 1 ms statement_timeout stops it."""
    for number in range(40):
        make_thread(app, member, f"Zone {number}", body="The zone and its rooms.")
    app.config["SEARCH_BUDGET_MS"] = 0
    with locked_search_index():
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get("/search?q=zone", headers=headers)
            page = response.get_data(as_text=True)
            assert response.status_code == 422, page
            assert "That search took too long. Try fewer or other words." in page
            assert '<li class="search-hit">' not in page
    app.config["SEARCH_BUDGET_MS"] = 2_000  # the board answers again as soon as the search is quick enough
    assert client.get("/search?q=zone").get_data(as_text=True).count('<li class="search-hit">') == PER_PAGE


class locked_search_index:
    """On PostgreSQL, another connection holds the index table locked (released after 5 s whatever happens)."""

    def __enter__(self):
        self.connection = None
        if TEST_DATABASE_URL:
            import psycopg

            self.connection = psycopg.connect(TEST_DATABASE_URL)
            self.connection.execute("LOCK TABLE post_search IN ACCESS EXCLUSIVE MODE")
            self.release = threading.Timer(5, self.connection.rollback)
            self.release.start()
        return self

    def __exit__(self, *exc):
        if self.connection is not None:
            self.release.cancel()
            self.connection.close()


DOS_INPUTS = {
    "very long": "film " * 10_000,
    "one long word": "film" + "x" * 45_000,
    "deeply nested tags": NESTED_TAGS,
    "deeply nested quotes": "> " * 5000 + "film",
    "deeply nested brackets": "[" * 5000 + "film" + "]" * 5000,
    "many repeated tokens": "div " * 9000,
    "long words": LONG_WORDS,
}


@pytest.mark.parametrize("text", DOS_INPUTS.values(), ids=DOS_INPUTS.keys())
def test_dos_inputs_as_titles_bodies_and_queries_never_fail(app, client, member, text):
    client.log_in(member)
    for title in (text[:200], text):  # the longest title allowed, then the whole text (a form error)
        response = client.submit("/threads/new", {"title": title, "film_title": "Her", "body": text})
        assert response.status_code in (303, 422), response.get_data(as_text=True)[:500]
    make_thread(app, member, text[:200], body=text[:40_000])  # whatever the form said, such a post exists
    for query in (text, text[:MAX_QUERY_LENGTH], " ".join(text.split()[:12])):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get("/search", query_string={"q": query}, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
            assert_short_snippets(response.get_data(as_text=True))
