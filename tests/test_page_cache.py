"""Shared pages for visitors: served from the cache without touching the database, dropped by any write."""
import gzip
import os
import re
import threading
import time

from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from flask import before_render_template
from flask_migrate import downgrade, upgrade
from sqlalchemy import event

from board import file_cache, page_cache
from board.extensions import db
from board.models import Role, Thread

from .conftest import TEST_DATABASE_URL, dispose, make_test_app, reset_database
from .factories import make_reply, make_thread, make_user


def visit(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return response


def test_a_visitors_second_request_is_served_without_a_statement(client, count_queries, app):
    thread = make_thread(app, make_user(app), title="Céline and Julie Go Boating")
    first = visit(client, f"/threads/{thread.id}")
    with count_queries() as counter:
        second = visit(client, f"/threads/{thread.id}")
    assert counter.count == 0
    assert second.data == first.data
    assert "Céline and Julie Go Boating" in second.get_data(as_text=True)


def test_every_shared_page_is_kept(client, count_queries, app):
    thread = make_thread(app, make_user(app, "ana"), body="Ozu's pillow shots, again.")
    reply = make_reply(app, thread.opening_post, make_user(app))
    urls = ["/", "/?sort=new", f"/threads/{thread.id}", "/films", "/films/her-2013", "/u/ana", "/search?q=pillow",
            "/feeds/front.atom", f"/threads/{thread.id}/feed.atom", "/films/her-2013/feed.atom",
            f"/threads/{thread.id}/posts/{reply.id}"]
    for url in urls:
        assert "Set-Cookie" not in visit(client, url).headers, url  # nothing in a shared page is the visitor's own
        with count_queries() as counter:
            visit(client, url)
        assert counter.count == 0, url


def test_a_reply_is_on_the_visitors_next_page(client, other_client, app):
    author, replier = make_user(app), make_user(app)
    thread = make_thread(app, author)
    assert "Long takes" not in visit(client, f"/threads/{thread.id}").get_data(as_text=True)
    other_client.log_in(replier)
    assert other_client.submit(f"/posts/{thread.opening_post.id}/reply", {"body": "Long takes, long memories."}).status_code == 303
    assert "Long takes, long memories." in visit(client, f"/threads/{thread.id}").get_data(as_text=True)
    assert "1 reply" in visit(client, "/").get_data(as_text=True)


def test_a_vote_changes_the_score_visitors_see(client, other_client, app):
    thread = make_thread(app, make_user(app))
    assert "0 points" in visit(client, f"/threads/{thread.id}").get_data(as_text=True)
    other_client.log_in(make_user(app))
    assert other_client.submit(f"/posts/{thread.opening_post.id}/vote", {"direction": "up"}, htmx=True).status_code == 200
    assert "1 point" in visit(client, f"/threads/{thread.id}").get_data(as_text=True)


def test_a_hidden_post_leaves_the_cached_page_at_once(client, other_client, app):
    thread = make_thread(app, make_user(app))
    reply = make_reply(app, thread.opening_post, make_user(app), "Buy cheap watches at example.test")
    assert "cheap watches" in visit(client, f"/threads/{thread.id}").get_data(as_text=True)
    other_client.log_in(make_user(app, role=Role.MODERATOR))
    assert other_client.submit(f"/posts/{reply.id}/hide", {"reason": "Spam"}).status_code == 303
    page = visit(client, f"/threads/{thread.id}").get_data(as_text=True)
    assert "cheap watches" not in page
    assert "Hidden by moderators: <bdi>Spam</bdi>." in page


def test_a_write_in_another_worker_reaches_this_workers_visitors(app, database_url):
    """Two app objects on one database and one cache directory: two worker processes of one machine."""
    shared = {key: app.config[key] for key in ("PAGE_CACHE_DIR", "CACHE_KEY_PREFIX")}
    other_worker = make_test_app(database_url, **shared)
    thread = make_thread(app, make_user(app))
    visitor = app.test_client()
    assert "Seen from the other worker" not in visit(visitor, f"/threads/{thread.id}").get_data(as_text=True)
    make_reply(other_worker, thread.opening_post, make_user(other_worker), "Seen from the other worker.")
    assert "Seen from the other worker." in visit(visitor, f"/threads/{thread.id}").get_data(as_text=True)
    dispose(other_worker)


class FileOperations:
    """The files created, replaced, linked or removed under a directory while it is watched (os calls counted)."""

    def __init__(self, monkeypatch, directory: str):
        self.directory, self.calls = str(directory), []
        for name in ("open", "replace", "rename", "link", "unlink", "remove"):
            monkeypatch.setattr(os, name, self.counting(name, getattr(os, name)))

    def counting(self, name, call):
        def counted(path, *args, **kwargs):
            if str(path).startswith(self.directory):
                self.calls.append((name, str(path)))
            return call(path, *args, **kwargs)
        return counted


def test_a_write_renews_the_pages_it_changed_without_writing_a_file(client, other_client, app, monkeypatch):
    """A vote and a reply renew their tags in the shared table of versions: no file made, replaced or locked."""
    thread = make_thread(app, make_user(app))
    visit(other_client, f"/threads/{thread.id}")
    client.log_in(make_user(app))
    files = FileOperations(monkeypatch, Path(app.config["CACHE_DIR"]).parent)
    assert client.submit(f"/posts/{thread.opening_post.id}/vote", {"direction": "up"}).status_code == 303
    assert client.submit(f"/posts/{thread.opening_post.id}/reply", {"body": "Renewed in memory."}).status_code == 303
    assert files.calls == []
    monkeypatch.undo()
    page = visit(other_client, f"/threads/{thread.id}").get_data(as_text=True)
    assert "Renewed in memory." in page and "1 point" in page


def test_a_tag_table_deleted_by_hand_is_made_again_and_every_worker_follows_it(app, database_url):
    shared = {key: app.config[key] for key in ("PAGE_CACHE_DIR", "CACHE_KEY_PREFIX")}
    other_worker = make_test_app(database_url, **shared)
    thread = make_thread(app, make_user(app))
    visitor = app.test_client()
    visit(visitor, f"/threads/{thread.id}")
    Path(f"{app.config['CACHE_DIR']}.tags").unlink()
    make_reply(other_worker, thread.opening_post, make_user(other_worker), "After the table was deleted.")
    assert Path(f"{app.config['CACHE_DIR']}.tags").stat().st_size == file_cache.TAG_SLOTS * file_cache.SLOT_BYTES
    assert "After the table was deleted." in visit(visitor, f"/threads/{thread.id}").get_data(as_text=True)
    dispose(other_worker)


def test_members_get_their_own_page(client, other_client, app):
    member = make_user(app, "bruno")
    thread = make_thread(app, make_user(app))
    visitor_page = visit(client, f"/threads/{thread.id}").get_data(as_text=True)
    other_client.log_in(member)
    member_page = visit(other_client, f"/threads/{thread.id}").get_data(as_text=True)
    assert "bruno" in member_page and "bruno" not in visitor_page
    assert "X-CSRFToken" in member_page and "Log out" in member_page
    assert "X-CSRFToken" not in visitor_page and "csrf_token" not in visitor_page


def test_a_visitor_is_given_no_cookie_and_no_token(client, app):
    thread = make_thread(app, make_user(app))
    for _ in range(2):
        response = visit(client, f"/threads/{thread.id}")
        assert "Set-Cookie" not in response.headers
        assert "csrf" not in response.get_data(as_text=True).lower()


def test_a_visitors_vote_arrows_lead_to_the_login_form_and_back(client, app):
    thread = make_thread(app, make_user(app))
    post_id = thread.opening_post.id
    page = visit(client, f"/threads/{thread.id}").get_data(as_text=True)
    assert '<form class="vote" method="get" action="/login">' in page
    assert f'<input type="hidden" name="next" value="/posts/{post_id}">' in page
    login = visit(client, f"/login?next=/posts/{post_id}").get_data(as_text=True)
    assert 'name="password"' in login


def test_a_flash_message_is_shown_not_swallowed_by_the_cache(client, app):
    member = make_user(app)
    visit(client, "/")  # the visitor's front page is in the cache
    client.log_in(member)
    response = client.submit("/logout")
    assert response.status_code == 303
    assert "You have logged out on every device." in visit(client, "/").get_data(as_text=True)
    assert "You have logged out" not in visit(client, "/").get_data(as_text=True)  # shown once, then the shared page


def test_an_unchanged_page_answers_304_and_a_changed_one_200(client, app):
    thread = make_thread(app, make_user(app))
    first = visit(client, f"/threads/{thread.id}")
    etag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get(f"/threads/{thread.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    make_reply(app, thread.opening_post, make_user(app), "A new reply changes the page.")
    changed = client.get(f"/threads/{thread.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "A new reply changes the page." in changed.get_data(as_text=True)


def test_the_cached_page_is_sent_gzipped_to_those_who_accept_it(client, app):
    thread = make_thread(app, make_user(app))
    plain = visit(client, f"/threads/{thread.id}")
    for _ in range(2):  # rendered and kept, then from the cache
        packed = visit(client, f"/threads/{thread.id}", **{"Accept-Encoding": "gzip, deflate, br"})
        assert packed.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed.data) == plain.data
        assert packed.headers["ETag"] != plain.headers["ETag"]
        assert "Accept-Encoding" in packed.headers["Vary"]
    assert "Content-Encoding" not in plain.headers


def test_htmx_fragments_and_pages_are_kept_apart(client, app):
    make_thread(app, make_user(app), body="Tarkovsky's water.")
    page = visit(client, "/search?q=water")
    fragment = visit(client, "/search?q=water", **{"HX-Request": "true"})
    assert page.data != fragment.data
    assert b"<html" in page.data and b"<html" not in fragment.data
    assert visit(client, "/search?q=water", **{"HX-Request": "true"}).data == fragment.data


def test_a_kept_page_expires_after_page_cache_seconds(app, client, count_queries):
    app.config["PAGE_CACHE_SECONDS"] = 1
    page_cache.cache.init_app(app, config={**app.config, "CACHE_DEFAULT_TIMEOUT": 1})
    visit(client, "/")
    with count_queries() as counter:
        visit(client, "/")
    assert counter.count == 0
    time.sleep(1.2)
    with count_queries() as counter:
        visit(client, "/")
    assert counter.count > 0


def test_page_cache_seconds_0_renders_every_time(app, client, count_queries):
    app.config["PAGE_CACHE_SECONDS"] = 0
    visit(client, "/")
    with count_queries() as counter:
        visit(client, "/")
    assert counter.count > 0


def test_error_pages_are_not_kept(client, app, count_queries):
    assert client.get("/threads/999").status_code == 404
    with count_queries() as counter:
        assert client.get("/threads/999").status_code == 404
    assert counter.count > 0


def test_with_redis_the_pages_live_in_redis_and_every_server_sees_a_write(app_factory, database_url, redis_url):
    """Two app servers sharing Redis (and the database): a reply through one reaches the other's visitors."""
    first = app_factory(REDIS_URL=redis_url, PAGE_CACHE_DIR=None)
    second = make_test_app(database_url, REDIS_URL=redis_url, CACHE_KEY_PREFIX=first.config["CACHE_KEY_PREFIX"])
    assert first.config["CACHE_TYPE"] == "RedisCache"
    thread = make_thread(first, make_user(first))
    visitor = second.test_client()
    visit(visitor, f"/threads/{thread.id}")
    with redis.Redis.from_url(redis_url) as server:
        keys = server.keys(f"{first.config['CACHE_KEY_PREFIX']}*")
    assert any(f"/threads/{thread.id}".encode() in key for key in keys)
    make_reply(first, thread.opening_post, make_user(first), "Written through the first server.")
    assert "Written through the first server." in visit(visitor, f"/threads/{thread.id}").get_data(as_text=True)
    dispose(second)


def test_with_redis_a_worker_reads_a_kept_page_from_redis_only_when_it_changed(app_factory, database_url, redis_url):
    """Each worker holds the pages it kept or read last (board/page_cache.py kept_entry): between writes it asks
    Redis for the page's tag versions only, not for the ~440 KB copy; a write anywhere (here through another
    server) renews the copy at the next request."""
    first = app_factory(REDIS_URL=redis_url, PAGE_CACHE_DIR=None)
    second = make_test_app(database_url, REDIS_URL=redis_url, CACHE_KEY_PREFIX=first.config["CACHE_KEY_PREFIX"])
    thread = make_thread(first, make_user(first))
    url, visitor = f"/threads/{thread.id}", first.test_client()
    kept = visit(visitor, url).get_data(as_text=True)
    with redis.Redis.from_url(redis_url) as server:
        (key,) = [key for key in server.keys(f"{first.config['CACHE_KEY_PREFIX']}page:*") if url.encode() in key]
        server.delete(key)  # gone from Redis: only the worker's own copy is left
    statements = []
    with first.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert visit(visitor, url).get_data(as_text=True) == kept
    assert statements == []  # served from the worker's copy: no render
    make_reply(second, thread.opening_post, make_user(second), "Written through the second server.")
    assert "Written through the second server." in visit(visitor, url).get_data(as_text=True)
    dispose(second)


# The session's CSRF token, signed afresh (with the time) for each page: the same token, whatever its signature.
SIGNED_TOKEN = re.compile(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]+"')


def page_of(response) -> str:
    return SIGNED_TOKEN.sub(r'\1token"', response.get_data(as_text=True))


def test_a_members_reload_is_served_from_the_copy_members_share(client, count_queries, app):
    member = make_user(app, "carla")
    thread = make_thread(app, make_user(app))
    client.log_in(member)
    visit(client, f"/threads/{thread.id}")  # a login starts a fresh session: this page gives it its CSRF token
    first = visit(client, f"/threads/{thread.id}")  # rendered and kept
    with count_queries() as counter:
        again = visit(client, f"/threads/{thread.id}")
    # The member's own row, read by the ban check before every request, and their votes, saves, blocks and follow
    # on the page (board/member_pages.py): no render.
    assert counter.count == 2
    assert page_of(again) == page_of(first) and "carla" in again.get_data(as_text=True)
    assert again.headers["Cache-Control"] == "no-store"  # the browser never keeps it (test_security: private pages)
    time.sleep(1.05)  # the CSRF token's signature (in the form and in the header's logout form) is a second older
    assert client.get(f"/threads/{thread.id}", headers={"If-None-Match": again.headers["ETag"]}).status_code == 304
    client.submit("/logout")
    visit(client, f"/threads/{thread.id}")  # says "You have logged out…": rendered, not kept
    visitor_page = visit(client, f"/threads/{thread.id}")
    assert visitor_page.headers["Cache-Control"] == "no-cache"


def test_a_members_copy_follows_their_own_vote(client, app):
    thread = make_thread(app, make_user(app))
    client.log_in(make_user(app))
    up = f'id="vote-up-{thread.opening_post.id}" name="direction" value="up"\n            aria-pressed="true"'
    assert up not in visit(client, f"/threads/{thread.id}").get_data(as_text=True)
    assert client.submit(f"/posts/{thread.opening_post.id}/vote", {"direction": "up"}).status_code == 303
    assert up in visit(client, f"/threads/{thread.id}").get_data(as_text=True)


def test_each_session_of_a_member_gets_a_page_whose_forms_work_in_that_session(client, other_client, app):
    member = make_user(app)
    thread = make_thread(app, make_user(app))
    client.log_in(member)
    other_client.log_in(member)
    for browser in (client, other_client, client, other_client):  # each page rendered, then served from the cache
        page = visit(browser, f"/threads/{thread.id}").get_data(as_text=True)
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        vote = browser.post(f"/posts/{thread.opening_post.id}/vote", data={"direction": "up"},
                            headers={"HX-Request": "true", "X-CSRFToken": token})
        assert vote.status_code == 200, vote.get_data(as_text=True)


def test_a_member_never_sees_another_members_copy(client, other_client, app):
    thread = make_thread(app, make_user(app))
    client.log_in(make_user(app, "dora"))
    other_client.log_in(make_user(app, "emil"))
    assert "dora" in visit(client, f"/threads/{thread.id}").get_data(as_text=True)
    page = visit(other_client, f"/threads/{thread.id}").get_data(as_text=True)
    assert "emil" in page and "dora" not in page


def test_gzip_refused_with_q_0_gets_the_plain_page(client, app):
    for _ in range(2):
        response = visit(client, "/", **{"Accept-Encoding": "gzip;q=0, identity"})
        assert "Content-Encoding" not in response.headers
        assert b"<html" in response.data


def test_a_hard_reload_renders_the_page_afresh_and_keeps_the_new_copy(client, count_queries, app):
    thread = make_thread(app, make_user(app))
    visit(client, f"/threads/{thread.id}")
    with count_queries() as counter:
        visit(client, f"/threads/{thread.id}", **{"Cache-Control": "no-cache"})
    assert counter.count > 0
    with count_queries() as counter:
        visit(client, f"/threads/{thread.id}")
    assert counter.count == 0


def test_with_redis_unreachable_pages_are_rendered_and_writes_go_through(app_factory, caplog):
    board = app_factory(REDIS_URL="redis://127.0.0.1:1/0", PAGE_CACHE_DIR=None)
    thread = make_thread(board, make_user(board))  # the write's new generation cannot be stored: logged, not raised
    visitor = board.test_client()
    for _ in range(2):
        assert "Thread" in visit(visitor, f"/threads/{thread.id}").get_data(as_text=True)
    make_reply(board, thread.opening_post, make_user(board), "Still written.")
    assert "Still written." in visit(visitor, f"/threads/{thread.id}").get_data(as_text=True)
    assert "page cache unavailable" in caplog.text


# What a kept page's key is made of (page_cache.page_key): each part keeps apart what differs in it.

def test_a_boosted_navigation_and_an_htmx_request_are_kept_apart(client, app):
    make_thread(app, make_user(app), body="Ozu's pillow shots.")
    boosted = visit(client, "/search?q=pillow", **{"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)  # a boosted navigation is a whole page
    fragment = visit(client, "/search?q=pillow", **{"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "pillow" in fragment.get_data(as_text=True)
    assert "<html" in visit(client, "/search?q=pillow", **{"HX-Request": "true", "HX-Boosted": "true"}).get_data(as_text=True)
    assert {"HX-Request", "HX-Boosted"} <= set(map(str.strip, fragment.headers["Vary"].split(",")))


def test_each_query_string_is_its_own_page(client, app):
    make_thread(app, make_user(app), body="Ozu's pillow shots.")
    make_thread(app, make_user(app), body="Kiarostami's cars.")
    assert "pillow" in visit(client, "/search?q=pillow").get_data(as_text=True)
    cars = visit(client, "/search?q=cars").get_data(as_text=True)
    assert "Kiarostami" in cars and "pillow shots" not in cars


def test_each_host_is_its_own_page(client, app):
    make_thread(app, make_user(app))
    local = visit(client, "/feeds/front.atom").get_data(as_text=True)
    other = client.get("/feeds/front.atom", base_url="http://127.0.0.1").get_data(as_text=True)
    assert "http://localhost/" in local and "http://localhost/" not in other and "http://127.0.0.1/" in other


# Pages belong to the database they were rendered from ----------------------------------------------------------------
# Each case changes the database under the cache without a write through the board, then asks as a visitor would.

@pytest.fixture(params=["file", "redis"])
def cache_settings(request):
    """Where the two processes of a case keep their pages: the directory under instance/, or Redis."""
    if request.param == "redis":
        return {"REDIS_URL": request.getfixturevalue("redis_url"), "PAGE_CACHE_DIR": None}
    return {}


def migrated_board(app_factory, tmp_path, **settings):
    """A board built the way `make run` builds it (migrations, no demo), serving a front page with one thread."""
    app = app_factory(create_tables=False, DEMO=False, **settings)
    app.instance_path = str(tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    make_thread(app, make_user(app), title="Written before")
    assert "Written before" in visit(app.test_client(), "/").get_data(as_text=True)
    return app


def same_cache(app) -> dict:
    keys = ("PAGE_CACHE_DIR", "CACHE_KEY_PREFIX", "REDIS_URL", "DEMO")
    return {key: app.config[key] for key in keys}


def delete_database(app) -> None:
    """What an administrator does to start afresh: the SQLite file goes (with its -wal and -shm), or every table."""
    if TEST_DATABASE_URL:
        reset_database(app, create_tables=False)
        return
    dispose(app)
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)


def test_a_database_deleted_and_set_up_again_serves_none_of_the_old_pages(app_factory, database_url, tmp_path,
                                                                          cache_settings):
    old = migrated_board(app_factory, tmp_path, **cache_settings)
    delete_database(old)
    restarted = make_test_app(database_url, **same_cache(old))  # `make run` again: a new process, same cache
    restarted.instance_path = old.instance_path
    assert restarted.test_cli_runner().invoke(args=["setup"]).exit_code == 0
    assert "Written before" not in visit(restarted.test_client(), "/").get_data(as_text=True)
    dispose(restarted)


def test_a_process_starting_on_another_database_serves_none_of_the_old_pages(app_factory, database_url, tmp_path,
                                                                            cache_settings):
    """The new database was made where the cache could not be reached: the first process started on it notices."""
    old = migrated_board(app_factory, tmp_path, **cache_settings)
    delete_database(old)
    elsewhere = make_test_app(database_url, PAGE_CACHE_DIR=str(tmp_path / "another-cache"))
    assert elsewhere.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    dispose(elsewhere)
    worker = make_test_app(database_url, **same_cache(old))
    assert "Written before" not in visit(worker.test_client(), "/").get_data(as_text=True)
    dispose(worker)


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="flask restore is for SQLite boards")
def test_a_restore_serves_none_of_the_pages_kept_before_it(app_factory, tmp_path, cache_settings):
    board = migrated_board(app_factory, tmp_path, **cache_settings)
    runner = board.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "saved.db")]).exit_code == 0
    make_thread(board, make_user(board), title="Written after the backup")
    visitor = board.test_client()
    assert "Written after the backup" in visit(visitor, "/").get_data(as_text=True)
    assert runner.invoke(args=["restore", str(tmp_path / "saved.db"), "--yes"]).exit_code == 0
    assert "Written after the backup" not in visit(visitor, "/").get_data(as_text=True)


def test_a_migration_serves_none_of_the_pages_kept_before_it(app_factory, tmp_path, cache_settings):
    board = app_factory(create_tables=False, **cache_settings)
    with board.app_context():
        upgrade()
    thread = make_thread(board, make_user(board), title="Named before the migration")
    with board.app_context():
        downgrade(revision="0007_rate_limit_hits")  # a board one release behind, with a thread in it
    visitor = board.test_client()
    # The front feed: the front page shows members' display names, which a board one release behind has no column for.
    assert "Named before the migration" in visit(visitor, "/feeds/front.atom").get_data(as_text=True)
    with board.app_context(), db.engine.begin() as connection:  # data a migration changes, as data migrations do
        connection.execute(db.update(Thread).where(Thread.id == thread.id).values(title="Named by the migration"))
    assert board.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    assert "Named by the migration" in visit(visitor, "/feeds/front.atom").get_data(as_text=True)
    assert "Named by the migration" in visit(visitor, "/").get_data(as_text=True)


# Targeted invalidation and one render per miss ------------------------------------------------------------------------

@contextmanager
def renders_of(template: str, *apps, seconds: float = 0.0):
    """Counts renders of `template` by `apps` (each render taking `seconds` longer, to let concurrent readers meet)."""
    renders = []

    def rendered(_app, template, context):
        if template.name == template_name:
            renders.append(template.name)
            time.sleep(seconds)

    template_name = template
    for app in apps:
        before_render_template.connect(rendered, app)
    try:
        yield renders
    finally:
        for app in apps:
            before_render_template.disconnect(rendered, app)


def test_a_reply_to_one_thread_leaves_another_threads_kept_page_a_hit(app_factory, cache_settings):
    board = app_factory(**cache_settings)
    here = make_thread(board, make_user(board), title="Here")
    elsewhere = make_thread(board, make_user(board), title="Elsewhere", film=("Stalker", 1979))
    visitor = board.test_client()
    for url in (f"/threads/{here.id}", f"/threads/{elsewhere.id}", "/films/stalker-1979", "/", "/films/her-2013"):
        visit(visitor, url)
    make_reply(board, here.opening_post, make_user(board), "Only this thread changes.")
    with renders_of("threads/show.html", board) as renders:
        assert "Elsewhere" in visit(visitor, f"/threads/{elsewhere.id}").get_data(as_text=True)
    assert renders == []  # still kept
    with renders_of("films/show.html", board) as renders:
        visit(visitor, "/films/stalker-1979")
    assert renders == []  # another film's page: still kept
    assert "Only this thread changes." in visit(visitor, f"/threads/{here.id}").get_data(as_text=True)
    assert "1 reply" in visit(visitor, "/films/her-2013").get_data(as_text=True)  # the thread's film page, renewed
    assert "1 reply" in visit(visitor, "/").get_data(as_text=True)  # and the front page


def test_a_vote_in_one_thread_leaves_another_threads_kept_page_a_hit(app_factory, cache_settings):
    """The vote's statements are built once, the post named only when they run: still only its thread is renewed."""
    board = app_factory(**cache_settings)
    here = make_thread(board, make_user(board), title="Here")
    elsewhere = make_thread(board, make_user(board), title="Elsewhere", film=("Stalker", 1979))
    visitor = board.test_client()
    for url in (f"/threads/{here.id}", f"/threads/{elsewhere.id}", "/films/stalker-1979"):
        visit(visitor, url)
    member = board.test_client()
    member.log_in(make_user(board))
    assert member.submit(f"/posts/{here.opening_post.id}/vote", {"direction": "up"}, htmx=True).status_code == 200
    with renders_of("threads/show.html", board) as renders:
        assert "Elsewhere" in visit(visitor, f"/threads/{elsewhere.id}").get_data(as_text=True)
    assert renders == []  # still kept
    with renders_of("films/show.html", board) as renders:
        visit(visitor, "/films/stalker-1979")
    assert renders == []
    assert "1 point" in visit(visitor, f"/threads/{here.id}").get_data(as_text=True)  # its own thread, renewed


def concurrent_visits(clients, url) -> list:
    """Every client asks for `url` at the same moment, each in its own thread."""
    start, responses = threading.Barrier(len(clients)), []

    def ask(client):
        start.wait()
        responses.append(client.get(url))

    threads = [threading.Thread(target=ask, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_concurrent_misses_of_one_page_render_it_once(app_factory, database_url, cache_settings):
    """Six readers on two workers (or two servers, with Redis) miss one page at once: one renders, the others wait."""
    first = app_factory(**cache_settings)
    second = make_test_app(database_url, **same_cache(first))
    thread = make_thread(first, make_user(first))
    url = f"/threads/{thread.id}"
    clients = [board.test_client() for board in (first, second) for _ in range(3)]
    with renders_of("threads/show.html", first, second, seconds=0.3) as renders:
        responses = concurrent_visits(clients, url)
    assert len(renders) == 1
    assert [response.status_code for response in responses] == [200] * 6
    assert len({response.data for response in responses}) == 1
    make_reply(second, thread.opening_post, make_user(second), "A reply renews it: one render again.")
    with renders_of("threads/show.html", first, second, seconds=0.3) as renders:
        responses = concurrent_visits(clients, url)  # the previous copy for the others while it renders
    assert len(renders) == 1 and [response.status_code for response in responses] == [200] * 6
    assert "A reply renews it" in visit(clients[0], url).get_data(as_text=True)
    dispose(second)


def directory_bytes(path) -> int:
    return sum(file.stat().st_size for file in Path(path).iterdir() if file.is_file())


def test_the_cache_directory_stays_within_page_cache_max_bytes(app_factory):
    board = app_factory(PAGE_CACHE_MAX_BYTES=100_000)
    make_thread(board, make_user(board), body="Ozu's pillow shots. " * 200)
    visitor, sizes = board.test_client(), []
    for number in range(40):  # each query string its own page: well over the budget in all
        visit(visitor, f"/?from={number}")
        sizes.append(directory_bytes(board.config["CACHE_DIR"]))
    assert max(sizes) <= 100_000
    assert sizes[-1] < max(sizes)  # the oldest pages were dropped to make room
    with renders_of("threads/index.html", board) as renders:
        visit(visitor, "/?from=39")
    assert renders == []  # the newest page is still kept


def test_the_moderation_log_is_kept_and_shows_a_hide_at_once(client, other_client, app, count_queries):
    thread = make_thread(app, make_user(app))
    reply = make_reply(app, thread.opening_post, make_user(app), "Buy cheap watches at example.test")
    visit(client, "/moderation/log")
    with count_queries() as counter:
        assert "Spam, plainly" not in visit(client, "/moderation/log").get_data(as_text=True)
    assert counter.count == 0
    other_client.log_in(make_user(app, role=Role.MODERATOR))
    assert other_client.submit(f"/posts/{reply.id}/hide", {"reason": "Spam, plainly"}).status_code == 303
    assert "Spam, plainly" in visit(client, "/moderation/log").get_data(as_text=True)
