"""Long essays: posted whole up to the limit, and over it refused with every character kept in the form."""
import html
import re

import pytest

from board.extensions import db
from board.models import BODY_MAX, Post, Thread

from .factories import fetch, long_essay, make_thread, make_user

TEXTAREA = re.compile(r'<textarea[^>]*\sid="(?P<id>[^"]+)"[^>]*>(?:\r?\n)?(?P<text>.*?)</textarea>', re.S)


def textareas(page: str) -> dict[str, str]:
    """Each text box's id and the text it holds, as the browser will show it."""
    return {match["id"]: html.unescape(match["text"]) for match in TEXTAREA.finditer(page)}


def count_threads(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Thread.id)))


def test_a_sixty_thousand_character_essay_posts_whole(app, client):
    essay = long_essay(60_000)
    client.log_in(make_user(app))
    response = client.submit("/threads/new", {"title": "Persona, at length", "film_title": "Persona", "body": essay})
    assert response.status_code == 303
    with app.app_context():
        stored = db.session.scalar(db.select(Post.body_source))
    assert stored == essay
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for typed in ("Agnès Varda", "“Persona”", "’", "—", "Björnstrand"):
        assert page.count(typed) >= essay.count(typed), typed


def test_no_text_box_or_field_carries_a_maxlength_that_would_cut_a_paste(app, client):
    member = make_user(app, "writer")
    thread, someone_elses = make_thread(app, member), make_thread(app, make_user(app))
    client.log_in(member)
    for url in ("/threads/new", f"/posts/{thread.opening_post.id}/edit", f"/posts/{thread.opening_post.id}/reply",
                f"/threads/{thread.id}", "/u/writer/bio", f"/posts/{someone_elses.opening_post.id}/report"):
        page = client.get(url).get_data(as_text=True)
        assert "<textarea" in page, url
        assert "maxlength" not in page, url


def test_every_markdown_box_shows_its_count_and_limit_before_anything_is_typed(app, client):
    member = make_user(app, "writer")
    thread = make_thread(app, member, body="Twenty-one characters")
    client.log_in(member)
    for url, box, length, limit in [
        ("/threads/new", "body", "0", f"{BODY_MAX:,}"),
        (f"/posts/{thread.opening_post.id}/edit", f"edit-body-{thread.opening_post.id}", "21", f"{BODY_MAX:,}"),
        (f"/threads/{thread.id}", f"reply-body-{thread.opening_post.id}", "0", f"{BODY_MAX:,}"),
        ("/u/writer/bio", "bio-source", "0", "2,000"),
    ]:
        page = client.get(url).get_data(as_text=True)
        counter = re.search(rf'<p class="hint character-count" id="{box}-count"[^>]*>(.*?)</p>', page, re.S)
        assert counter, (url, box)
        assert " ".join(re.sub(r"<[^>]+>", " ", counter.group(1)).split()) == f"{length} of {limit} characters"
        textarea = re.search(rf'<textarea[^>]*\sid="{box}"[^>]*>', page).group(0)
        assert re.search(rf'aria-describedby="[^"]*{box}-count', textarea), (url, box)


def test_an_over_long_essay_comes_back_whole_in_the_new_thread_form(app, client):
    essay = long_essay(BODY_MAX + 1_234)
    client.log_in(make_user(app))
    response = client.submit("/threads/new", {"title": "Persona, at length", "film_title": "Persona", "body": essay})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "At most 100,000 characters; this has 101,234. Shorten it by 1,234." in page
    assert textareas(page)["body"] == essay
    assert "101,234</span> of 100,000 characters" in page and "1,234 over the limit" in page  # the count, without JavaScript
    assert count_threads(app) == 0


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_an_over_long_reply_and_edit_come_back_whole(app, client, htmx):
    essay = long_essay(BODY_MAX + 1)
    member = make_user(app)
    thread = make_thread(app, member, body="A short opening.")
    client.log_in(member)
    opening_id = thread.opening_post.id

    reply = client.submit(f"/posts/{opening_id}/reply", {"body": essay}, htmx=htmx)
    assert reply.status_code == 422
    assert textareas(reply.get_data(as_text=True))[f"reply-body-{opening_id}"] == essay

    edit = client.submit(f"/posts/{opening_id}/edit", {"body": essay, "title": thread.title}, htmx=htmx)
    assert edit.status_code == 422
    assert textareas(edit.get_data(as_text=True))[f"edit-body-{opening_id}"] == essay
    assert fetch(app, Post, opening_id).body_source == "A short opening."


def test_a_post_far_over_the_limit_in_the_widest_characters_still_reaches_the_form(app, client):
    """Twice the limit in emoji (12 bytes each as form data) is under MAX_CONTENT_LENGTH: the form says so, no 413."""
    essay = "🎬" * (2 * BODY_MAX)
    client.log_in(make_user(app))
    response = client.submit("/threads/new", {"title": "Clapperboards", "film_title": "Persona", "body": essay})
    assert response.status_code == 422
    assert textareas(response.get_data(as_text=True))["body"] == essay
