"""Bringing a film blog over: `flask import wordpress` and `flask import disqus`, read back through the board's pages.

The exports are in tests/data/ (written for these tests the way WordPress's exporter and Disqus write theirs):
several posts, comment chains five deep (replies listed before their parents), pending, spam, trashed and deleted
comments, a pingback, non-ASCII names, curly quotes and accents, a post with no comments, hostile HTML in posts and
comments, drafts, a private post, a page, an attachment, a post with an unreadable date and one naming no film.
"""
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.models import Film, ImportSource, Post, Thread, ThreadSubscription, User

from .factories import DEFAULT_PASSWORD, make_thread, make_user
from .mailbox import deliver_all

DATA = Path(__file__).parent / "data"
WORDPRESS, DISQUS = DATA / "wordpress.xml", DATA / "disqus.xml"
HER_TITLE = "“Her” and the voice in the room"
LEFT_OUT = ("PENDING-TEXT", "SPAM-TEXT", "TRASH-TEXT", "PINGBACK-TEXT", "DSQ-SPAM-TEXT", "DSQ-DELETED-TEXT", "DSQ-ORPHAN-TEXT",
            "DRAFT-TEXT", "PRIVATE-TEXT", "PAGE-TEXT", "BROKEN-TEXT", "NOFILM-TEXT")
HOSTILE = ("<script", "alert(", "onclick", "onerror", "onmouseover", "javascript:", "hx-post", "hx-get", "hx-delete",
           "hx-trigger", "<iframe", "style=", "<img")


def run_import(runner, source: str, path: Path, *options: str):
    return runner.invoke(args=["import", source, str(path), *options])


def imported(runner, source: str, path: Path = None, *options: str) -> str:
    result = run_import(runner, source, path or {"wordpress": WORDPRESS, "disqus": DISQUS}[source], *options)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def row_counts(app) -> dict:
    with app.app_context():
        return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                for model in (User, Film, Thread, Post, ImportSource, ThreadSubscription)}


def thread_titled(app, title: str) -> Thread:
    with app.app_context():
        return db.session.scalar(select(Thread).where(Thread.title == title))


def member(app, username: str) -> User:
    with app.app_context():
        user = User.by_username(username)
        db.session.refresh(user, ["email"])
        return user


class ReplyNesting(HTMLParser):
    """How many reply lists (<ol class="replies…">) enclose each piece of text on a thread page."""

    def __init__(self):
        super().__init__()
        self.open: list[bool] = []  # per open <ol>: is it a reply list
        self.depth_of: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        if tag == "ol":
            self.open.append("replies" in (dict(attrs).get("class") or "").split())

    def handle_endtag(self, tag):
        if tag == "ol" and self.open:
            self.open.pop()

    def handle_data(self, data):
        if data.strip():
            self.depth_of.setdefault(data.strip(), sum(self.open))

    def depth(self, starting: str) -> int:
        return next(depth for text, depth in self.depth_of.items() if text.startswith(starting))


def nesting(client, thread_id: int) -> ReplyNesting:
    response = client.get(f"/threads/{thread_id}")
    assert response.status_code == 200
    parser = ReplyNesting()
    parser.feed(response.get_data(as_text=True))
    return parser


def test_a_wordpress_export_becomes_threads_with_nested_replies_at_their_original_dates(app, runner, client):
    output = imported(runner, "wordpress")
    assert "Imported 3 posts, 8 comments, 4 new members." in output
    assert "Comments not imported: 1 pending, 1 pingback, 1 spam, 1 trash." in output
    for skipped in ("“A draft about Vertigo” (post 104): not published (draft)",
                    "“Private notes” (post 105): not published (private)",
                    "“About” (page 2): a page, not a blog post",
                    "“her-still” (attachment 106): an attachment (a media file)",
                    "“A post with a broken date” (post 107): post date has an unreadable date",
                    "“Notes on the festival” (post 108): names no film"):
        assert skipped in output
    her = thread_titled(app, HER_TITLE)
    page = client.get(f"/threads/{her.id}").get_data(as_text=True)
    assert '<time datetime="2013-12-18T20:15:00Z"' in page  # the post's own date (GMT), not the import's
    assert '<time datetime="2013-12-19T08:00:00Z"' in page and '<time datetime="2013-12-21T08:00:00Z"' in page
    assert "7 replies" in page
    tree = nesting(client, her.id)
    assert [tree.depth(f"Level {n}") for n in ("one", "two", "three", "four", "five")] == [1, 2, 3, 4, 5]
    assert tree.depth("Answering the spam") == 1  # its parent was spam: it answers the post
    assert tree.depth("The author answers") == 2
    assert "naïve and sure" in page and "it’s Phoenix’s face" in page and "映画は夢だ" in page
    with app.app_context():
        assert her.reply_count == 7 and her.last_activity_at.isoformat() == "2013-12-23T08:00:00"
        assert her.created_at.isoformat() == "2013-12-18T20:15:00"
        persona = db.session.scalar(select(Thread).where(Thread.title == "Persona, “the mask” and the cut"))
        again = db.session.scalar(select(Thread).where(Thread.title == "Her, again: the ending"))
        assert persona.reply_count == 0 and again.reply_count == 1
        films = {thread.title: str(db.session.get(Film, thread.film_id)) for thread in (her, persona, again)}
        assert films == {HER_TITLE: "Her (2013)", persona.title: "Persona (1966)", again.title: "Her (2013)"}
        bodies = " ".join(db.session.scalars(select(Post.body_source)))
        assert not [text for text in LEFT_OUT if text in bodies]
        author = db.session.scalar(select(User).join(Post, Post.author_id == User.id).where(Post.body_source.like("The author answers%")))
        assert author.id == her.author_id  # a comment by the blog's own author, signed in: the post's author
    persona_page = client.get(f"/threads/{persona.id}").get_data(as_text=True)
    assert "0 replies" in persona_page or "No replies" in persona_page
    assert "<em>Alma</em>" in persona_page and "<p>It closes with one, too" in persona_page  # blank lines: paragraphs


def test_the_post_html_becomes_the_boards_markdown_and_hostile_html_is_neutralized(app, runner, client):
    imported(runner, "wordpress")
    imported(runner, "disqus")
    with app.app_context():
        for source, html in db.session.execute(select(Post.body_source, Post.body_html)):
            assert not [bad for bad in HOSTILE if bad in html], html
        opening = db.session.scalar(select(Post).join(Thread).where(Thread.title == HER_TITLE, Post.parent_id.is_(None)))
        assert opening.body_source.startswith("Spike Jonze’s *Her* is a film about a voice")
        assert "## What Samantha knows" in opening.body_source and "> “The past is just a story" in opening.body_source
        assert "[Joaquin Phoenix at the window](https://reelnotes.example/her-still.jpg)" in opening.body_source
        assert "[Trailer](https://www.youtube.com/embed/ne6p6MfLBxc)" in opening.body_source
    for thread_id in (thread_titled(app, HER_TITLE).id, thread_titled(app, "Cléo from 5 to 7 (1962)").id):
        page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
        assert "alert(" not in page and "javascript:" not in page and "hx-delete=\"/posts/1" not in page
    page = client.get(f"/threads/{thread_titled(app, HER_TITLE).id}").get_data(as_text=True)
    assert "<h3>What Samantha knows</h3>" in page and "<li>Theodore</li>" in page and "<blockquote>" in page
    assert "<strong>café</strong>" in page and "A paragraph with handlers." in page
    assert '<a href="https://www.criterion.com/her" rel="nofollow ugc noopener">the essay</a> or click here.' in page
    assert "Level four: 映画は夢だ. look" in page  # the hostile link is its words alone


def test_importing_twice_changes_nothing(app, runner):
    imported(runner, "wordpress")
    imported(runner, "disqus")
    before = row_counts(app)
    assert before["threads"] == 4 and before["posts"] == 17 and before["users"] == 6
    again = imported(runner, "wordpress")
    assert "Imported 0 posts, 0 comments, 0 new members." in again and "Already on the board" in again
    assert "Imported 0 posts, 0 comments, 0 new members." in imported(runner, "disqus")
    assert row_counts(app) == before


def test_disqus_comments_join_the_wordpress_post_at_the_same_address(app, runner, client):
    imported(runner, "wordpress")
    output = imported(runner, "disqus")
    assert "Imported 1 post, 5 comments, 2 new members." in output
    assert "Comments not imported: 1 deleted, 1 spam." in output
    assert "“Nobody commented here (2015)” (Disqus thread 7003): no comments" in output
    assert "Comments not imported: 1 of no thread in the file." in output
    her = thread_titled(app, HER_TITLE)
    assert her.reply_count == 8  # seven from WordPress, one from Disqus (http://www. and no slash: the same page)
    page = client.get(f"/threads/{her.id}").get_data(as_text=True)
    assert "the <strong>score</strong> by Arcade Fire" in page and '<time datetime="2013-12-24T10:00:00Z"' in page
    cleo = thread_titled(app, "Cléo from 5 to 7 (1962)")
    with app.app_context():
        assert str(db.session.get(Film, cleo.film_id)) == "Cléo from 5 to 7 (1962)" and cleo.reply_count == 4
        assert cleo.created_at.isoformat() == "2015-03-01T12:00:00"
    tree = nesting(client, cleo.id)
    assert [tree.depth(f"Depth {n}") for n in ("one", "two", "three", "four")] == [1, 2, 3, 4]
    assert "Varda’s clock" in client.get(f"/threads/{cleo.id}").get_data(as_text=True)
    # The same address on both sides is one member: Zoë commented on the blog and on Disqus.
    zoe = member(app, "Zoe_Angstrom")
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id)).where(Post.author_id == zoe.id)) == 4
        bodies = " ".join(db.session.scalars(select(Post.body_source)))
        assert not [text for text in LEFT_OUT if text in bodies]


def test_disqus_alone_starts_a_thread_per_page_and_skips_what_names_no_film(app, runner):
    output = imported(runner, "disqus")
    assert "Imported 1 post, 4 comments" in output
    assert f"“{HER_TITLE}” (Disqus thread 7001): names no film" in output  # no year in its title, no --film
    output = imported(runner, "disqus", DISQUS, "--film", "Her (2013)")
    assert "Imported 1 post, 1 comment" in output  # the Cléo thread was imported before: only Her's is new
    her = thread_titled(app, HER_TITLE)
    with app.app_context():
        opening = db.session.scalar(select(Post).where(Post.thread_id == her.id, Post.parent_id.is_(None)))
        assert 'href="http://www.reelnotes.example/2013/12/her-voice"' in opening.body_html


def test_commenters_become_members_who_claim_their_account_by_password_reset(app, runner, client, mailbox):
    taken = make_user(app, "Jose_Muller")  # a member of the board already has the name: the commenter gets another
    output = imported(runner, "wordpress")
    assert "4 new members" in output
    jose = member(app, "Jose_Muller-2")
    assert jose.email == "jose@cine.example" and jose.id != taken.id
    assert not jose.check_password("") and not jose.check_password(DEFAULT_PASSWORD)
    assert client.submit("/login", {"username": "Jose_Muller-2", "password": "!"}).status_code == 422
    kurosawa = member(app, "reader")  # "黒澤 明" has no letters a username can hold, and no address
    with app.app_context():
        record = db.session.scalar(select(ImportSource).where(ImportSource.member_id == kurosawa.id))
        assert record.label == "黒澤 明" and kurosawa.email is None
    profile = client.get("/u/Jose_Muller-2")
    assert profile.status_code == 200 and "Same reader, other name, same address." in profile.get_data(as_text=True)
    # Claiming the account: the address in the export is the member's confirmed one, so a reset link reaches it.
    client.submit("/forgot-password", {"email": "jose@cine.example"})
    deliver_all(app)
    link = mailbox.link_in(mailbox.to("jose@cine.example")[-1])
    token = parse_qs(urlsplit(link).query)["token"][0]
    response = client.submit("/reset-password", {"token": token, "password": "a brand new secret",
                                                 "confirm": "a brand new secret"})
    assert response.status_code == 303
    assert member(app, "Jose_Muller-2").check_password("a brand new secret")


def test_a_member_who_confirmed_the_address_gets_their_comments(app, runner, client):
    zoe = make_user(app, "zoe")
    with app.app_context():
        db.session.get(User, zoe.id).email = "Zoe@Films.example"
        db.session.commit()
    assert "3 new members" in imported(runner, "wordpress")
    with app.app_context():
        assert User.by_username("Zoe_Angstrom") is None
        assert db.session.scalar(select(func.count(Post.id)).where(Post.author_id == zoe.id)) == 2
    assert "Level five: and the city" in client.get("/u/zoe").get_data(as_text=True)


def test_the_film_option_sets_the_film_for_every_post(app, runner):
    output = imported(runner, "wordpress", WORDPRESS, "--film", "Vertigo (1958)")
    assert "Imported 4 posts" in output  # the festival notes too, now that they have a film
    with app.app_context():
        films = db.session.scalars(select(Film)).all()
        assert [str(film) for film in films] == ["Vertigo (1958)"]
        assert set(db.session.scalars(select(Thread.film_id))) == {films[0].id}


def test_an_empty_film_option_is_refused(app, runner):
    result = run_import(runner, "wordpress", WORDPRESS, "--film", "  ")
    assert result.exit_code == 2 and "name a film" in result.output
    assert row_counts(app)["threads"] == 0


def test_an_overlong_title_is_shortened_and_an_overlong_comment_left_out_saying_so(app, runner, tmp_path):
    long_title, long_comment = "Her " * 80, "word " * 21_000  # 320 characters; 105,000 (over BODY_MAX)
    export = tmp_path / "long.xml"
    export.write_text(WORDPRESS.read_text()
                      .replace("<![CDATA[Persona, &#8220;the mask&#8221; and the cut]]>", f"<![CDATA[{long_title}]]>")
                      .replace("<![CDATA[Level three: both, surely.]]>", f"<![CDATA[{long_comment}]]>"))
    output = imported(runner, "wordpress", export)
    assert "Title shortened to the board's 200 characters" in output
    assert "Comments not imported: 1 over 100,000 characters, 1 pending" in output
    with app.app_context():
        title = db.session.scalar(select(Thread.title).where(Thread.title.like("Her Her%")))
        assert len(title) <= 200 and title.endswith("Her…")
    her = thread_titled(app, HER_TITLE)
    assert her.reply_count == 6  # level four and five now answer level two


def test_categories_name_films_already_on_the_board(app, runner):
    author = make_user(app)
    persona = make_thread(app, author, film=("Persona", 1966)).film_id
    imported(runner, "wordpress")
    with app.app_context():
        assert db.session.scalar(select(func.count(Film.id)).where(Film.title == "Persona")) == 1
        assert db.session.scalar(select(Thread.film_id).where(Thread.title.like("Persona,%"))) == persona


@pytest.mark.parametrize("name, source, message", [
    ("xxe.xml", "wordpress", "refused: the file declares a DTD or entities"),
    ("billion-laughs.xml", "disqus", "refused: the file declares a DTD or entities"),
    ("disqus.xml", "wordpress", "not a WordPress export"),
    ("wordpress.xml", "disqus", "not a Disqus export"),
])
def test_unsafe_or_foreign_files_are_refused_and_nothing_is_written(app, runner, name, source, message):
    before = row_counts(app)
    result = run_import(runner, source, DATA / name)
    assert result.exit_code == 1 and message in result.output and "nothing was imported" in result.output
    assert "root:" not in result.output and "lollol" not in result.output
    assert row_counts(app) == before


def test_a_file_that_is_not_xml_or_not_a_blog_export_is_refused(app, runner, tmp_path):
    broken = tmp_path / "cut-short.xml"
    broken.write_bytes(WORDPRESS.read_bytes()[:5000])
    result = run_import(runner, "wordpress", broken)
    assert result.exit_code == 1 and "not well-formed XML" in result.output
    feed = tmp_path / "feed.xml"
    feed.write_text('<rss version="2.0"><channel><title>Just a feed</title><item><title>x</title></item></channel></rss>')
    result = run_import(runner, "wordpress", feed)
    assert result.exit_code == 1 and "not a WordPress export (no wp: elements" in result.output
    assert row_counts(app)["threads"] == 0


def test_a_post_with_a_malformed_comment_is_skipped_whole(app, runner, tmp_path):
    broken = tmp_path / "broken-comment.xml"
    text = WORDPRESS.read_text()
    broken.write_text(text.replace("<wp:comment_id>505</wp:comment_id>", "<wp:comment_id></wp:comment_id>")
                      .replace("<wp:comment_date_gmt><![CDATA[2014-02-02 09:00:00]]>", "<wp:comment_date_gmt><![CDATA[soon]]>")
                      .replace("<wp:comment_date><![CDATA[2014-02-02 10:00:00]]>", "<wp:comment_date><![CDATA[later]]>"))
    output = imported(runner, "wordpress", broken)
    assert f"“{HER_TITLE}” (post 101): has a comment without wp:comment_id" in output
    assert "“Her, again: the ending” (post 103): comment date has an unreadable date 'soon'" in output
    assert "Imported 1 post, 0 comments" in output  # Persona alone: nothing of the two broken posts
    with app.app_context():
        assert db.session.scalar(select(Thread.title)) == "Persona, “the mask” and the cut"
        assert db.session.scalar(select(func.count(Post.id))) == 1
    # The blog fixed, the import run again brings the rest.
    assert "Imported 2 posts, 8 comments" in imported(runner, "wordpress")


def test_imported_threads_keep_their_dates_so_they_do_not_flood_the_front_page(app, runner, client):
    fresh = make_thread(app, make_user(app), title="Tonight’s screening")
    assert "Tonight’s screening" in client.get("/").get_data(as_text=True)  # the front page is now kept
    imported(runner, "wordpress")
    for url in ("/", "/?sort=new", "/?sort=active"):
        page = client.get(url).get_data(as_text=True)
        assert "Persona, “the mask”" in page  # shown at once: the kept front page was renewed
        # Newest first by their own dates, whatever the order: the import is older than tonight's thread.
        assert page.index("Tonight’s screening") < page.index("Her, again") < page.index("Persona, “the mask”")
    assert thread_titled(app, fresh.title).created_at > thread_titled(app, HER_TITLE).created_at


def test_imported_posts_are_found_by_search(app, runner, client):
    imported(runner, "wordpress")
    imported(runner, "disqus")
    assert HER_TITLE in client.get("/search?q=Samantha").get_data(as_text=True)
    found = client.get("/search?q=arcade").get_data(as_text=True)
    assert "<mark>Arcade</mark> Fire" in found and HER_TITLE in found  # the Disqus comment, in the blog post's thread
    assert "映画" not in client.get("/search?q=spam").get_data(as_text=True)
