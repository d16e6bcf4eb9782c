"""Safety on every request: CSRF, the Content-Security-Policy, htmx's configuration, malformed input."""
import json
import re

import pytest

from board.extensions import db
from board.models import Post, Role

from .factories import make_reply, make_thread, make_user


@pytest.fixture
def reply(app):
    thread = make_thread(app, make_user(app, "author"), "CSRF target")
    return make_reply(app, thread.opening_post, make_user(app, "replier"))


STATE_CHANGING = [
    ("/posts/{reply}/vote", {"direction": "up"}),
    ("/posts/{reply}/reply", {"body": "forged"}),
    ("/threads/new", {"title": "t", "film_title": "f", "body": "b"}),
    ("/logout", {}),
]


@pytest.mark.parametrize("url, form", STATE_CHANGING)
def test_state_changing_requests_without_a_csrf_token_are_refused(app, client, reply, url, form):
    client.log_in(make_user(app, "reader"))
    url = url.format(reply=reply.id)
    plain = client.post(url, data=form)
    htmx = client.post(url, data=form, headers={"HX-Request": "true"})
    forged = client.post(url, data=form | {"csrf_token": "forged"}, headers={"X-CSRFToken": "forged"})
    for response in (plain, htmx, forged):
        assert response.status_code == 400
        assert "CSRF" in response.get_data(as_text=True)
    assert "<html" not in htmx.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Post, reply.id).score == 0
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 2
    assert "Log out" in client.get("/").get_data(as_text=True)


def test_htmx_sends_the_token_from_a_header_set_once_on_the_page(app, client, reply):
    client.log_in(make_user(app, "reader"))
    page = client.get("/").get_data(as_text=True)
    headers = json.loads(re.search(r"<body hx-headers='([^']+)'>", page).group(1))
    response = client.post(f"/posts/{reply.id}/vote", data={"direction": "up"},
                           headers={"HX-Request": "true", **headers})
    assert response.status_code == 200


def test_csrf_tokens_do_not_expire_while_a_page_is_open(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get("/")
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/nowhere").headers["Content-Security-Policy"] == response.headers["Content-Security-Policy"]


def test_pages_have_no_inline_script_or_style_and_load_nothing_from_other_hosts(app, client, reply):
    client.log_in(make_user(app, "reader"))
    for url in ["/", f"/threads/{reply.thread_id}", "/threads/new", f"/posts/{reply.id}/reply", "/account/password"]:
        page = client.get(url).get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", page) == [], url
        assert "<style" not in page and " style=" not in page, url
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), url
        assert not re.search(r"\son[a-z]+=", page), url


def test_htmx_is_vendored_pinned_and_configured_safely(client):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<script src="/static/vendor/htmx-2\.0\.11\.min\.js\?v=[0-9a-f]{12}" defer></script>', page)
    script = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert script.status_code == 200 and b"htmx" in script.data
    script.close()
    config = json.loads(re.search(r'<meta name="htmx-config" content="([^"]+)">', page).group(1).replace("&#34;", '"'))
    assert config["selfRequestsOnly"] is True
    assert config["allowScriptTags"] is False
    assert config["allowEval"] is False
    assert config["historyCacheSize"] == 0
    assert config["allowNestedOobSwaps"] is False
    assert config["includeIndicatorStyles"] is False


def test_every_rendered_post_body_sits_inside_hx_disable(app, client):
    author = make_user(app)
    hostile = '<div hx-get="/logout" hx-trigger="load">x</div> [a](javascript:alert(1)) ||<b hx-post="/x">s</b>||'
    thread = make_thread(app, author, "Hostile", body=hostile)
    make_reply(app, thread.opening_post, make_user(app), hostile)
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    bodies = re.findall(r'<div class="post__body prose" hx-disable>(.*?)</div>\n', page, re.S)
    assert len(bodies) == 2
    for body in bodies:
        assert not re.search(r"<[^>]*\bhx-", body) and "href=\"javascript" not in body and "<div" not in body
        assert "&lt;div hx-get=" in body  # typed HTML shows as text
    assert page.count("hx-disable") == 2


@pytest.mark.parametrize(
    "body",
    [b"body=caf%C3%A9%00", b"body=%FF%FEbad", b"body=half%E2%82", b"body=ok&direction=%C0%AF"],
    ids=["nul", "invalid-utf8", "truncated-utf8", "overlong-utf8"],
)
def test_nul_and_invalid_utf8_in_a_form_are_400(app, client, reply, body):
    client.log_in(make_user(app, "reader"))
    token = client.csrf_token()
    response = client.post(f"/posts/{reply.id}/reply", data=body + b"&csrf_token=" + token.encode(),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 2


@pytest.mark.parametrize("query", ["sort=new%00", "sort=%FF"])
def test_nul_and_invalid_utf8_in_a_query_are_400(client, query):
    assert client.get(f"/?{query}").status_code == 400


def test_an_oversized_request_is_413_with_a_clear_message(app, client, reply):
    client.log_in(make_user(app, "reader"))
    response = client.submit(f"/posts/{reply.id}/reply", {"body": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/threads/abc", "/threads/0", "/posts/-1/reply", "/no/such/page"])
def test_unknown_addresses_are_404_pages(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "There is nothing here" in response.get_data(as_text=True)


def test_wrong_method_is_405_not_500(client):
    assert client.get("/posts/1/vote").status_code == 405
    assert client.delete("/").status_code == 405


def test_htmx_responses_vary_on_the_htmx_header(client):
    assert "HX-Request" in client.get("/").headers["Vary"]


def test_client_addresses_come_from_the_proxy_only_when_configured(app_factory):
    from flask import request

    for proxies, expected in ((0, "10.0.0.1"), (1, "203.0.113.9")):
        app = app_factory(TRUSTED_PROXIES=proxies)
        app.add_url_rule("/_whoami", "whoami", lambda: request.remote_addr)
        response = app.test_client().get("/_whoami", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                                          headers={"X-Forwarded-For": "203.0.113.9"})
        assert response.get_data(as_text=True) == expected


@pytest.mark.parametrize("url", ["/threads/2147483648", "/posts/99999999999999999999/history", "/films/x/feed.atom?page=1",
                                 "/posts/99999999999/reply"])
def test_ids_too_large_for_the_database_are_404_not_500(client, url):
    assert client.get(url).status_code == 404


# Private pages out of caches (ASVS 14.3.2): what a signed-in member sees is never stored by the browser.

MEMBER_PAGES = ["/account/password", "/inbox", "/threads/new", "/u/{name}/bio", "/u/{name}", "/threads/{thread}", "/",
                "/posts/{post}/reply", "/posts/{post}/report"]
STAFF_PAGES = ["/moderation/reports", "/admin/members"]


@pytest.mark.parametrize("url", MEMBER_PAGES + STAFF_PAGES)
def test_a_signed_in_members_pages_are_never_stored(app, client, url):
    admin = make_user(app, "dana", role=Role.ADMIN)
    thread = make_thread(app, make_user(app, "erin"))
    client.log_in(admin)
    address = url.format(name="dana", thread=thread.id, post=thread.opening_post.id)
    for _ in range(2):  # rendered, then (for the pages the page cache keeps) the member's kept copy
        response = client.get(address)
        assert response.status_code == 200, address
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get(address, headers={"HX-Request": "true"}).headers["Cache-Control"] == "no-store"


def test_a_visitors_pages_may_be_kept_and_revalidated(app, client):
    thread = make_thread(app, make_user(app))
    for url in ("/", f"/threads/{thread.id}"):
        assert client.get(url).headers["Cache-Control"] == "no-cache"


def test_a_members_static_files_are_still_kept_for_a_year(app, client):
    client.log_in(make_user(app))
    page = client.get("/").get_data(as_text=True)
    stylesheet = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', page).group(1)
    response = client.get(stylesheet)
    response.close()  # a static file is an open file until then
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_logging_out_clears_what_the_browser_kept(app, client):
    client.log_in(make_user(app))
    response = client.submit("/logout")
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
