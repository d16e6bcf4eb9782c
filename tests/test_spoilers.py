"""Spoilers never leak where they can't be hidden: titles, meta and link-preview tags, list excerpts, feeds.

Every test uses a post with an inline ||…|| spoiler and a ```spoiler block, each holding distinctive words,
and checks the surface never carries those words, while its spoiler-free words still come through.
"""
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from board.extensions import db
from board.models import Film, FilmAlias, Post, Role, Thread, User
from board.spoilers import safe_title, title_html

from .factories import fetch, make_reply, make_thread, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
INLINE_SECRET, BLOCK_SECRET, TITLE_SECRET = "KANE-DIES-ALONE", "ROSEBUD-IS-A-SLED", "SLED-IN-THE-TITLE"
SECRETS = (INLINE_SECRET, BLOCK_SECRET, TITLE_SECRET)
VISIBLE = "XANADU-STANDS-TALL"
BODY = f"{VISIBLE} and the ending: ||{INLINE_SECRET}||.\n\n```spoiler\nThe last shot: {BLOCK_SECRET}.\n```\n\nAfterwards."
TITLE = f"What Rosebud means ||{TITLE_SECRET}||"
REPLY_VISIBLE, REPLY_SECRET = "SUSAN-SINGS-OPERA", "THE-GLOBE-SHATTERS"
REPLY_BODY = f"{REPLY_VISIBLE} ||{REPLY_SECRET}||"
WITHHELD = "Contains spoilers — excerpt hidden"


def assert_no_secret(text: str, *more: str) -> None:
    for secret in (*SECRETS, REPLY_SECRET, *more):
        assert secret not in text, secret


class HeadTags(HTMLParser):
    """The <title> text and <meta>/<link> tags of a page's head."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.title, self.meta, self.links, self._in_title, self._in_head = "", {}, [], False, True
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self._in_head = False
        if not self._in_head:
            return
        if tag == "title":
            self._in_title = True
        elif tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content", "")
        elif tag == "link":
            self.links.append(attrs)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


@pytest.fixture
def author(app):
    return make_user(app, "orson")


@pytest.fixture
def spoiler_thread(app, author):
    """A thread NOT marked "contains spoilers" whose post hides its twist inline and in a block, with a reply."""
    thread = make_thread(app, author, title=TITLE, body=BODY, film=("Citizen Kane", 1941))
    make_reply(app, thread.opening_post, make_user(app, "bernstein"), REPLY_BODY)
    return thread


@pytest.fixture
def marked_thread(app, author):
    """A thread its author marked "contains spoilers": nothing of its text shows in lists or feeds."""
    return make_thread(app, author, title="The sled, discussed", body=f"MARKED-THREAD-WORDS ||{INLINE_SECRET}||",
                       film=("Citizen Kane", 1941), has_spoilers=True)


def parse_feed(response) -> ET.Element:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(response.get_data())
    assert_valid_atom(root)
    return root


def assert_valid_atom(root: ET.Element) -> None:
    """The elements RFC 4287 requires, in the Atom namespace, with RFC 3339 dates."""
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert RFC3339.match(root.findtext(f"{ATOM}updated"))
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    assert root.find(f"{ATOM}link[@rel='self']").get("type") == "application/atom+xml"
    ids = set()
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert RFC3339.match(entry.findtext(f"{ATOM}updated"))
        assert RFC3339.match(entry.findtext(f"{ATOM}published"))
        assert entry.findtext(f"{ATOM}author/{ATOM}name")
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None and link.get("href").startswith("http://localhost/")
        summary = entry.find(f"{ATOM}summary")
        assert summary is None or summary.get("type") == "text"
        assert entry.findtext(f"{ATOM}id") not in ids  # entry ids are unique in a feed
        ids.add(entry.findtext(f"{ATOM}id"))


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{ATOM}entry")


# Titles --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "safe"),
    [
        ("Plain title", "Plain title"),
        ("Why ||he dies|| matters", "Why [spoiler] matters"),
        ("||a|| and ||b||", "[spoiler] and [spoiler]"),
        ("|| spaced || and |single|", "|| spaced || and |single|"),
        ("unclosed ||spoiler", "unclosed ||spoiler"),
    ],
)
def test_safe_title_replaces_title_spoilers(title, safe):
    assert safe_title(title) == safe


def test_title_html_escapes_and_wraps_spoilers():
    html = str(title_html('<b>"x"</b> ||<script>alert(1)</script>|| & y'))
    assert html == (
        "&lt;b&gt;&#34;x&#34;&lt;/b&gt; "
        '<span class="spoiler" tabindex="0"><span class="visually-hidden">Spoiler: </span>'
        '<span class="spoiler-text">&lt;script&gt;alert(1)&lt;/script&gt;</span></span> &amp; y'
    )


# The thread page's head ---------------------------------------------------------------------------


def test_thread_page_title_and_preview_tags_are_spoiler_safe(client, spoiler_thread):
    page = client.get(f"/threads/{spoiler_thread.id}").get_data(as_text=True)
    head = HeadTags(page)
    assert head.title == "What Rosebud means [spoiler] — Citizen Kane (1941) — Reelboard"
    assert head.meta["og:title"] == "What Rosebud means [spoiler] — Citizen Kane (1941)"
    assert head.meta["og:type"] == "article"
    assert head.meta["og:url"] == f"http://localhost/threads/{spoiler_thread.id}"
    assert head.meta["twitter:card"] == "summary"
    for name in ("description", "og:description"):
        assert head.meta[name].startswith(f"{VISIBLE} and the ending: [spoiler]. [spoiler] Afterwards"), name
    assert_no_secret(" ".join([head.title, *head.meta.values(), *map(str, head.links)]))
    feed_link = next(link for link in head.links if link.get("type") == "application/atom+xml")
    assert feed_link["rel"] == "alternate" and feed_link["href"] == f"/threads/{spoiler_thread.id}/feed.atom"


def test_thread_heading_hides_a_title_spoiler_until_revealed(client, spoiler_thread):
    page = client.get(f"/threads/{spoiler_thread.id}").get_data(as_text=True)
    heading = re.search(r'<h1 id="thread-title" dir="auto">(.*?)</h1>', page, re.DOTALL).group(1)
    assert heading == (
        'What Rosebud means <span class="spoiler" tabindex="0"><span class="visually-hidden">Spoiler: </span>'
        f'<span class="spoiler-text">{TITLE_SECRET}</span></span>'
    )


def test_block_spoiler_renders_as_a_disclosure_on_the_thread_page(client, spoiler_thread):
    page = client.get(f"/threads/{spoiler_thread.id}").get_data(as_text=True)
    assert (
        '<details class="spoiler-block"><summary>Spoiler</summary>\n'
        f"<p>The last shot: {BLOCK_SECRET}.</p>\n</details>"
    ) in page


@pytest.mark.parametrize("mark", ["thread", "post", "hidden"])
def test_withheld_thread_gets_a_neutral_description(app, client, author, mark):
    thread = make_thread(app, author, title="Kane", body=f"{VISIBLE} ||{INLINE_SECRET}||", film=("Citizen Kane", 1941),
                         has_spoilers=mark == "thread")
    with app.app_context():
        post = db.session.get(Post, thread.opening_post.id)
        moderator = User.register("moddy", "correct horse battery", role=Role.MODERATOR)
        if mark == "post":
            post.mark_spoiler(moderator)
        elif mark == "hidden":
            post.hide(moderator, "spam")
        db.session.commit()
    if mark == "hidden":
        client.log_in(fetch(app, User, author.id))  # its author can still open it
    head = HeadTags(client.get(f"/threads/{thread.id}").get_data(as_text=True))
    expected = {
        "thread": "A discussion of Citizen Kane (1941) on Reelboard. Contains spoilers.",
        "post": "A discussion of Citizen Kane (1941) on Reelboard. Contains spoilers.",
        "hidden": "A film thread on Reelboard.",
    }[mark]
    assert head.meta["description"] == head.meta["og:description"] == expected
    assert VISIBLE not in " ".join(head.meta.values())


def test_front_page_head_has_a_generic_description_and_the_feed(client, spoiler_thread):
    head = HeadTags(client.get("/").get_data(as_text=True))
    assert head.title == "Reelboard"
    assert head.meta["description"].startswith("Reelboard: film threads")
    assert head.meta["og:type"] == "website" and head.meta["twitter:card"] == "summary"
    assert {"rel": "alternate", "type": "application/atom+xml", "href": "/feeds/front.atom"}.items() <= next(
        link for link in head.links if link.get("type") == "application/atom+xml"
    ).items()


# Front-page excerpts (film pages reuse templates/threads/_row.html) --------------------------------


@pytest.mark.parametrize("sort", ["hot", "new", "top"])
def test_front_page_excerpts_are_spoiler_safe(client, spoiler_thread, marked_thread, sort):
    page = client.get(f"/?sort={sort}").get_data(as_text=True)
    assert_no_secret(page)
    assert f"<p class=\"thread-row__excerpt\">{VISIBLE} and the ending: [spoiler]. [spoiler] Afterwards.</p>" in page
    assert "What Rosebud means [spoiler]</bdi></a>" in page
    # The thread marked "contains spoilers": the notice, and none of its words — not even blurred.
    assert f'<p class="thread-row__excerpt is-withheld">{WITHHELD}</p>' in page
    assert "MARKED-THREAD-WORDS" not in page


def test_front_page_withholds_a_post_moderators_marked_and_drops_removed_ones(app, client, author):
    marked = make_thread(app, author, body="MARKED-POST-WORDS")
    deleted = make_thread(app, author, body="DELETED-POST-WORDS")
    hidden = make_thread(app, author, body="HIDDEN-POST-WORDS")
    with app.app_context():
        moderator = User.register("moddy", "correct horse battery", role=Role.MODERATOR)
        db.session.get(Post, marked.opening_post.id).mark_spoiler(moderator)
        db.session.get(Post, deleted.opening_post.id).delete()
        db.session.get(Post, hidden.opening_post.id).hide(moderator, None)
        db.session.commit()
    client.log_in(fetch(app, User, moderator.id))  # moderators list the hidden thread too
    page = client.get("/?sort=new").get_data(as_text=True)
    assert page.count(WITHHELD) == 1
    for words in ("MARKED-POST-WORDS", "DELETED-POST-WORDS", "HIDDEN-POST-WORDS"):
        assert words not in page


# Feeds ---------------------------------------------------------------------------------------------


def test_front_feed_is_valid_atom_and_spoiler_safe(client, spoiler_thread, marked_thread):
    response = client.get("/feeds/front.atom")
    root = parse_feed(response)
    assert_no_secret(response.get_data(as_text=True), "MARKED-THREAD-WORDS")
    assert root.findtext(f"{ATOM}id") == "http://localhost/feeds/front.atom"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://localhost/?sort=new"
    newest, older = entries(root)  # newest first
    assert newest.findtext(f"{ATOM}title") == "The sled, discussed (Citizen Kane (1941))"
    assert newest.findtext(f"{ATOM}summary") == WITHHELD + "."
    assert older.findtext(f"{ATOM}title") == "What Rosebud means [spoiler] (Citizen Kane (1941))"
    assert older.findtext(f"{ATOM}summary") == f"{VISIBLE} and the ending: [spoiler]. [spoiler] Afterwards."
    assert older.findtext(f"{ATOM}author/{ATOM}name") == "orson"
    assert older.findtext(f"{ATOM}id") == f"http://localhost/threads/{spoiler_thread.id}"
    assert root.findtext(f"{ATOM}updated") == newest.findtext(f"{ATOM}updated")


def test_front_feed_leaves_out_hidden_threads_and_the_text_of_deleted_ones(app, client, author):
    hidden = make_thread(app, author, title="Hidden one", body="HIDDEN-POST-WORDS")
    deleted = make_thread(app, author, title="Deleted one", body="DELETED-POST-WORDS")
    with app.app_context():
        moderator = User.register("moddy", "correct horse battery", role=Role.MODERATOR)
        db.session.get(Post, hidden.opening_post.id).hide(moderator, None)
        db.session.get(Post, deleted.opening_post.id).delete()
        db.session.commit()
    client.log_in(fetch(app, User, moderator.id))  # feeds show what a visitor sees, whoever asks
    response = client.get("/feeds/front.atom")
    (entry,) = entries(parse_feed(response))
    assert entry.findtext(f"{ATOM}title").startswith("Deleted one") and entry.find(f"{ATOM}summary") is None
    assert "HIDDEN-POST-WORDS" not in response.get_data(as_text=True)
    assert "DELETED-POST-WORDS" not in response.get_data(as_text=True)


def test_empty_front_feed_is_still_valid(client):
    assert entries(parse_feed(client.get("/feeds/front.atom"))) == []


def test_film_feed_lists_that_films_threads_spoiler_safe(app, client, author, spoiler_thread, marked_thread):
    make_thread(app, author, title="Another film", body="OTHER-FILM-WORDS", film=("Her", 2013))
    response = client.get("/films/citizen-kane-1941/feed.atom")
    root = parse_feed(response)
    text = response.get_data(as_text=True)
    assert_no_secret(text, "MARKED-THREAD-WORDS", "OTHER-FILM-WORDS")
    assert root.findtext(f"{ATOM}title") == "Reelboard — Citizen Kane (1941)"
    assert root.findtext(f"{ATOM}id") == "http://localhost/films/citizen-kane-1941/feed.atom"
    assert [entry.findtext(f"{ATOM}summary") for entry in entries(root)] == [
        WITHHELD + ".", f"{VISIBLE} and the ending: [spoiler]. [spoiler] Afterwards."
    ]


def test_film_feed_unknown_slug_is_404_and_an_old_slug_redirects(app, client, spoiler_thread):
    assert client.get("/films/no-such-film/feed.atom").status_code == 404
    with app.app_context():
        film = db.session.scalar(db.select(Film).where(Film.slug == "citizen-kane-1941"))
        db.session.add(FilmAlias(slug="kane-1941", film_id=film.id))
        db.session.commit()
    response = client.get("/films/kane-1941/feed.atom")
    assert response.status_code == 301
    assert response.headers["Location"] == "/films/citizen-kane-1941/feed.atom"


def test_thread_feed_lists_posts_newest_first_spoiler_safe(app, client, spoiler_thread):
    response = client.get(f"/threads/{spoiler_thread.id}/feed.atom")
    root = parse_feed(response)
    assert_no_secret(response.get_data(as_text=True))
    assert root.findtext(f"{ATOM}title") == "What Rosebud means [spoiler] — Reelboard"
    reply, opening = entries(root)
    assert reply.findtext(f"{ATOM}title") == "bernstein replied in What Rosebud means [spoiler]"
    assert reply.findtext(f"{ATOM}summary") == f"{REPLY_VISIBLE} [spoiler]"
    assert reply.find(f"{ATOM}link").get("href").startswith("http://localhost/posts/")
    assert opening.findtext(f"{ATOM}title") == "What Rosebud means [spoiler]"
    assert opening.findtext(f"{ATOM}summary").startswith(f"{VISIBLE} and the ending: [spoiler]. [spoiler]")


def test_thread_feed_of_a_spoiler_thread_withholds_the_opening_summary_and_summarises_replies_safely(
    app, client, marked_thread
):
    make_reply(app, marked_thread.opening_post, make_user(app), REPLY_BODY)
    response = client.get(f"/threads/{marked_thread.id}/feed.atom")
    root = parse_feed(response)
    assert_no_secret(response.get_data(as_text=True), "MARKED-THREAD-WORDS")
    assert [entry.findtext(f"{ATOM}summary") for entry in entries(root)] == [f"{REPLY_VISIBLE} [spoiler]", WITHHELD + "."]


def test_thread_feed_leaves_out_hidden_and_deleted_replies_and_withholds_marked_ones(app, client, author):
    thread = make_thread(app, author)
    replies = [make_reply(app, thread.opening_post, make_user(app), f"REPLY-{n}-WORDS") for n in range(4)]
    with app.app_context():
        moderator = User.register("moddy", "correct horse battery", role=Role.MODERATOR)
        db.session.get(Post, replies[0].id).hide(moderator, None)
        db.session.get(Post, replies[1].id).delete()
        db.session.get(Post, replies[2].id).mark_spoiler(moderator)
        db.session.commit()
    text = client.get(f"/threads/{thread.id}/feed.atom").get_data(as_text=True)
    root = parse_feed(client.get(f"/threads/{thread.id}/feed.atom"))
    assert [entry.findtext(f"{ATOM}summary") for entry in entries(root)] == ["REPLY-3-WORDS", WITHHELD + ".", "An opening post."]
    for n in range(3):
        assert f"REPLY-{n}-WORDS" not in text


def test_thread_feed_of_a_hidden_or_unknown_thread_is_404(app, client, author):
    thread = make_thread(app, author)
    with app.app_context():
        moderator = User.register("moddy", "correct horse battery", role=Role.MODERATOR)
        db.session.get(Post, thread.opening_post.id).hide(moderator, None)
        db.session.commit()
    assert client.get(f"/threads/{thread.id}/feed.atom").status_code == 404
    assert client.get("/threads/999999/feed.atom").status_code == 404


def test_feed_text_is_escaped_and_xml_safe(app, client, author):
    title = 'A <b>"title"</b> & ]]> \x0b ||x||'  # a control character XML 1.0 can't carry
    make_thread(app, author, title=title, body="<script>alert(1)</script> & ]]>")
    response = client.get("/feeds/front.atom")
    (entry,) = entries(parse_feed(response))
    assert entry.findtext(f"{ATOM}title") == 'A <b>"title"</b> & ]]> \ufffd [spoiler] (Her (2013))'
    assert "<script>" not in response.get_data(as_text=True)
    assert entry.findtext(f"{ATOM}summary") == "<script>alert(1)</script> & ]]>"


# Query budgets -------------------------------------------------------------------------------------

FEED_BUDGET = {"front": 1, "film": 2, "thread": 2}


def test_feeds_run_the_same_few_statements_however_long(app, client, count_queries, author):
    counts = []
    for total in (3, 30):
        with app.app_context():
            film = Film.find_or_create("Playtime", 1967)
            user = db.session.get(User, author.id)
            existing = db.session.scalar(db.select(db.func.count(Thread.id)))
            for number in range(existing, total):
                Thread.start(user, film, f"Thread {number}", f"Body {number} ||secret||", number % 2 == 0)
            thread = db.session.scalar(db.select(Thread).order_by(Thread.id))
            opening = db.session.scalar(db.select(Post).where(Post.thread_id == thread.id, Post.parent_id.is_(None)))
            replier = User.register(f"replier{total}", "correct horse battery")
            for number in range(total - len(db.session.scalars(db.select(Post.id).where(Post.thread_id == thread.id)).all()) + 1):
                opening.add_reply(replier, f"Reply {number}")
            db.session.commit()
            thread_id = thread.id
        for name, url in (("front", "/feeds/front.atom"), ("film", "/films/playtime-1967/feed.atom"),
                          ("thread", f"/threads/{thread_id}/feed.atom")):
            with count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200 and len(entries(ET.fromstring(response.get_data()))) >= min(total, 3)
            counts.append((name, counter.count))
    assert counts == [(name, FEED_BUDGET[name]) for name in ("front", "film", "thread")] * 2


# Cross-checks of surfaces other parts of issue #4 own (search, notifications, film and profile pages) --------
# Their routes exist now; these check the same spoiler-bearing thread never leaks there either.
BODY_SECRETS = (INLINE_SECRET, BLOCK_SECRET, REPLY_SECRET)


def notified_inbox(app, client, other_client, author, thread) -> str:
    """orson's inbox after leland replies to his spoiler-bearing post, mentioning him."""
    other_client.log_in(make_user(app, "leland"))
    reply = other_client.submit(f"/posts/{thread.opening_post.id}/reply", {"body": f"@orson {REPLY_BODY} again"})
    assert reply.status_code == 303
    client.log_in(author)
    response = client.get("/inbox")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def cross_check_pages(app, client, other_client, author, thread) -> dict[str, str]:
    pages = {"inbox": notified_inbox(app, client, other_client, author, thread)}
    for name, url in (("film", "/films/citizen-kane-1941"), ("profile-author", "/u/orson"),
                      ("profile-replier", "/u/bernstein"), *((f"search-{q}", f"/search?q={q}") for q in (VISIBLE, "Rosebud", REPLY_VISIBLE))):
        response = client.get(url)
        assert response.status_code == 200, url
        pages[name] = response.get_data(as_text=True)
    return pages


def test_cross_check_body_spoilers_never_reach_search_notifications_film_or_profile_pages(
    app, client, other_client, author, spoiler_thread, marked_thread
):
    pages = cross_check_pages(app, client, other_client, author, spoiler_thread)
    for name, page in pages.items():
        for secret in BODY_SECRETS:
            assert secret not in page, (name, secret)
    assert "MARKED-THREAD-WORDS" not in pages["film"]
    assert f"{VISIBLE} and the ending: [spoiler]" in pages["film"] and WITHHELD in pages["film"]
    assert f"{REPLY_VISIBLE} [spoiler] again" in pages["inbox"]


def test_cross_check_title_spoilers_never_reach_search_notifications_or_profile_pages(
    app, client, other_client, author, spoiler_thread
):
    pages = cross_check_pages(app, client, other_client, author, spoiler_thread)
    leaking = [name for name, page in pages.items() if TITLE_SECRET in page]
    assert leaking == []


# A thread marked "contains spoilers": the flag is about its opening post --------------------------------
# Its replies are excerpted from their own spoiler-safe text everywhere off the page; the opening post never is.


def marked_thread_pages(app, client, other_client, author, marked_thread) -> dict[str, str]:
    """Every off-page surface after bernstein replies to the marked thread (notifying orson, its author)."""
    other_client.log_in(make_user(app, "bernstein"))
    response = other_client.submit(f"/posts/{marked_thread.opening_post.id}/reply", {"body": f"{REPLY_BODY} MARKED too"})
    assert response.status_code == 303
    client.log_in(author)
    pages = {}
    for name, url in (("inbox", "/inbox"), ("front", "/"), ("film", "/films/citizen-kane-1941"),
                      ("author-threads", "/u/orson?tab=threads"), ("replier-replies", "/u/bernstein?tab=replies"),
                      ("search-reply", f"/search?q={REPLY_VISIBLE}"), ("search-both", "/search?q=MARKED")):
        response = client.get(url)
        assert response.status_code == 200, url
        pages[name] = response.get_data(as_text=True)
    return pages


def test_replies_in_a_marked_thread_get_their_own_excerpts_in_search_notifications_and_profiles(
    app, client, other_client, author, marked_thread
):
    pages = marked_thread_pages(app, client, other_client, author, marked_thread)
    own_excerpt = f"{REPLY_VISIBLE} [spoiler] MARKED too"
    assert f'<p class="notification__excerpt">{own_excerpt}</p>' in pages["inbox"]
    assert f'<p class="profile-item__excerpt">{own_excerpt}</p>' in pages["replier-replies"]
    assert f'<p class="search-hit__snippet">{own_excerpt}</p>' in unmarked(pages["search-reply"])
    assert "snippet hidden" not in pages["search-reply"]
    # A search matching both: the reply's own words are shown, the opening post's snippet is withheld.
    assert pages["search-both"].count('<li class="search-hit">') == 2
    assert pages["search-both"].count("Contains spoilers — snippet hidden") == 1
    assert f'<p class="search-hit__snippet">{own_excerpt}</p>' in unmarked(pages["search-both"])
    # The opening post's text never appears off its page; its title does, as every thread's.
    for name, page in pages.items():
        assert_no_secret(page)
        assert "MARKED-THREAD-WORDS" not in page, name
    for name in ("front", "film", "author-threads"):
        assert WITHHELD in pages[name], name
    assert "The sled, discussed" in pages["replier-replies"]


def unmarked(page: str) -> str:
    """A search page without the <mark> tags around matched words."""
    return page.replace("<mark>", "").replace("</mark>", "")


def test_a_reply_moderators_marked_stays_withheld_in_a_marked_thread(app, client, author, marked_thread):
    reply = make_reply(app, marked_thread.opening_post, make_user(app, "bernstein"), REPLY_BODY)
    with app.app_context():
        db.session.get(Post, reply.id).mark_spoiler(User.register("moddy", "correct horse battery", role=Role.MODERATOR))
        db.session.commit()
    for url in ("/u/bernstein?tab=replies", "/search?q=SUSAN"):  # the search finds it by a word it shows nowhere
        page = client.get(url).get_data(as_text=True)
        assert "SINGS-OPERA" not in page, url
        assert "Contains spoilers — excerpt hidden" in page or "Contains spoilers — snippet hidden" in page, url


# Reviews (issue #13): a film log's review may hide spoilers inline (||…||) or be marked as containing spoilers --------
REVIEW_VISIBLE, REVIEW_INLINE_SECRET, REVIEW_MARKED_SECRET = "KANE-REVIEW-WORDS", "REVIEW-SLED-BURNS", "REVIEW-MARKED-ROSEBUD"


def log_reviews(app, client, author, spoiler_thread) -> None:
    """orson logs Citizen Kane twice: a review with an inline spoiler, and one he marked as containing spoilers."""
    client.log_in(author)
    for review, marked in ((f"{REVIEW_VISIBLE} ||{REVIEW_INLINE_SECRET}|| @bernstein", False),
                           (f"{REVIEW_VISIBLE} again: {REVIEW_MARKED_SECRET}", True)):
        data = {"rating": "9", "watched_on": "2026-01-02", "review": review} | ({"review_spoilers": "y"} if marked else {})
        assert client.submit("/films/citizen-kane-1941/log", data).status_code == 303


def test_review_spoilers_never_reach_feeds_search_notifications_lists_or_the_film_pages_head(
    app, client, other_client, author, spoiler_thread
):
    log_reviews(app, client, author, spoiler_thread)
    secrets = (REVIEW_INLINE_SECRET, REVIEW_MARKED_SECRET)
    other_client.log_in(make_user(app, "leland"))  # a reader who logged the film too: their spoilers open on the pages
    assert other_client.submit("/films/citizen-kane-1941/log", {"rating": "8", "watched_on": "2026-01-03"}).status_code == 303
    mentioned = app.test_client()
    mentioned.log_in(fetch_user(app, "bernstein"))  # named in a review: reviews notify nobody, so nothing can leak there
    surfaces = {
        "front feed": client.get("/feeds/front.atom"), "film feed": client.get("/films/citizen-kane-1941/feed.atom"),
        "thread feed": client.get(f"/threads/{spoiler_thread.id}/feed.atom"), "front page": client.get("/"),
        "film index": client.get("/films"), "film index, highest rated": other_client.get("/films"),
        "inbox": mentioned.get("/inbox"), "profile": client.get("/u/orson"),
        f"search {REVIEW_VISIBLE}": other_client.get(f"/search?q={REVIEW_VISIBLE}"),
    }
    for secret in secrets:  # searching for the words themselves finds nothing (the page repeats only the query)
        assert f"No posts match “{secret}”" in other_client.get(f"/search?q={secret}").get_data(as_text=True)
    for name, response in surfaces.items():
        assert response.status_code == 200, name
        for secret in secrets:
            assert secret not in response.get_data(as_text=True), (name, secret)
    for reader in (app.test_client(), other_client, client):  # the film page's <title> and link-preview tags
        head = reader.get("/films/citizen-kane-1941").get_data(as_text=True).split("</head>")[0]
        assert REVIEW_VISIBLE not in head and not any(secret in head for secret in secrets)


def test_review_spoilers_stay_behind_their_markup_on_the_pages_that_can_hide_them(app, client, author, spoiler_thread):
    log_reviews(app, client, author, spoiler_thread)
    for page in (app.test_client().get("/films/citizen-kane-1941").get_data(as_text=True),
                 app.test_client().get("/u/orson?tab=diary").get_data(as_text=True)):
        assert f'<span class="visually-hidden">Spoiler: </span><span class="spoiler-text">{REVIEW_INLINE_SECRET}</span>' in page
        marked = page.split(REVIEW_MARKED_SECRET)[0].rsplit("<details", 1)[1]
        assert marked.startswith(' class="spoiler-block">') and "This review contains spoilers. Show it" in marked
    diary = client.get("/u/orson?tab=diary").get_data(as_text=True)  # even its author's diary keeps them closed
    assert 'class="spoiler spoiler--open"' not in diary and '<details class="spoiler-block" open>' not in diary


def fetch_user(app, name):
    with app.app_context():
        return User.by_username(name)
