"""Every empty list says what to do next (issue #11): a link to start, to log in or register, to clear the filters,
or to browse."""
import pytest

from board.extensions import db
from board.models import Film, Role

from .factories import make_thread, make_user


@pytest.fixture(autouse=True)
def no_shared_pages(app):
    app.config["PAGE_CACHE_SECONDS"] = 0


def empty_text(page: str) -> str:
    return " ".join(page.split('class="empty">', 1)[1].split("</p>", 1)[0].split())


def test_no_threads_yet_offers_a_visitor_to_log_in_or_register_and_a_member_to_start(app, client):
    assert empty_text(client.get("/").get_data(as_text=True)) == (
        'No threads yet. <a href="/login?next=/threads/new">Log in</a> or <a href="/register">register</a> to start one.')
    member = make_user(app)
    response = client.submit("/login?next=/threads/new", {"username": member.username,
                                                          "password": "correct horse battery"})
    assert response.status_code == 303 and response.headers["Location"] == "/threads/new"  # the link leads there
    assert empty_text(client.get("/").get_data(as_text=True)) == (
        'No threads yet. <a href="/threads/new">Start the first one</a>.')
    assert empty_text(client.get("/?sort=top&t=day").get_data(as_text=True)) == (
        'No threads started in this period. <a href="/?sort=top&amp;t=all">See the top threads of all time</a>.')


def test_a_film_without_threads_and_a_search_for_films_that_finds_none(app, client):
    make_thread(app, make_user(app), "Somewhere", film=("Playtime", 1967))
    with app.app_context():
        Film.find_or_create("Jeanne Dielman", 1975)  # a film no thread is about (its thread was removed, say)
        db.session.commit()
    assert empty_text(client.get("/films?q=zzz").get_data(as_text=True)) == (
        'No film matches “zzz”. Try part of the title, or <a href="/films?order=az">browse every film</a>.')
    page = client.get("/films/jeanne-dielman-1975").get_data(as_text=True)
    assert empty_text(page).startswith("No threads about this film yet. ")
    assert '<a href="/login?next=/threads/new">Log in</a>' in empty_text(page)


def test_an_empty_profile_tab_points_its_owner_somewhere_and_others_to_the_other_tab(app, client):
    member = make_user(app, "quiet")
    assert empty_text(client.get("/u/quiet?tab=threads").get_data(as_text=True)) == (
        'No threads yet. <a href="/u/quiet?tab=replies">See quiet’s replies</a>. '
        '<a href="/u/quiet?tab=diary">See quiet’s diary</a>.')
    assert empty_text(client.get("/u/quiet?tab=diary").get_data(as_text=True)) == (
        'Nothing in the diary yet. <a href="/u/quiet?tab=threads">See quiet’s threads</a>. '
        '<a href="/u/quiet?tab=replies">See quiet’s replies</a>.')
    client.log_in(member)
    assert empty_text(client.get("/u/quiet?tab=threads").get_data(as_text=True)) == (
        'You have no threads yet. <a href="/threads/new">Start one</a>.')
    assert empty_text(client.get("/u/quiet?tab=replies").get_data(as_text=True)) == (
        'You have no replies yet. <a href="/">Find a thread to reply to</a>.')
    assert empty_text(client.get("/u/quiet?tab=diary").get_data(as_text=True)) == (
        'Your diary is empty. <a href="/films">Find a film to log</a>.')


def test_an_empty_inbox_search_log_queue_and_member_list_say_what_next(app, client):
    assert empty_text(client.get("/moderation/log").get_data(as_text=True)) == (
        'No moderation actions yet. <a href="/">Back to the threads</a>.')
    assert "Try fewer or other words; or <a href=\"/\">browse the threads</a>." in " ".join(
        client.get("/search?q=nothingmatchesthis").get_data(as_text=True).split())
    client.log_in(make_user(app, "admin", role=Role.ADMIN))
    assert empty_text(client.get("/inbox").get_data(as_text=True)).endswith(
        '<a href="/">join a conversation</a> to get some.')
    assert empty_text(client.get("/moderation/reports").get_data(as_text=True)) == (
        'No open reports. All quiet: <a href="/moderation/log">see what moderators did lately</a>.')
    assert empty_text(client.get("/admin/members?q=nobody-like-this").get_data(as_text=True)) == (
        'No members match. <a href="/admin/members">Show every member</a>.')
