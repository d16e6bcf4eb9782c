"""Fingerprinted static files with a year's cache, and gzip through Flask-Compress (board/assets.py)."""
import gzip
import hashlib
import re
from pathlib import Path

import flask_compress.flask_compress
import pytest
from flask import Response, session, url_for

from .factories import make_reply, make_thread, make_user

STATIC = Path(__file__).resolve().parent.parent / "static"
LINKED = ["favicon.svg", "app.css", "vendor/htmx-2.0.11.min.js", "app.js"]
YEAR = "public, max-age=31536000, immutable"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def fetch(client, url: str, **headers):
    """GET, with the body read and the response closed (a static file is an open file until then)."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def static_links(page: str) -> dict[str, str]:
    """filename → fingerprint for every static URL on the page; fails on a static URL without one."""
    links = re.findall(r'(?:href|src)="/static/([^"?]+)(?:\?v=([0-9a-f]*))?"', page)
    assert all(version for _, version in links), links
    return dict(links)


def crowded_front_page(app, threads: int = 12) -> None:
    author = make_user(app, "author")
    for number in range(threads):
        make_thread(app, author, f"Thread about a long take, part {number}", film=("Stalker", 1979))


def without_tokens(page: str) -> str:
    """A member's page with its CSRF tokens blanked: they are signed with the second they were made in."""
    return re.sub(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]+', r"\1", page)


# Fingerprints


@pytest.mark.parametrize("url", ["/", "/login", "/search"])
def test_pages_link_css_js_and_favicon_with_the_fingerprint_of_their_content(client, url):
    page = client.get(url).get_data(as_text=True)
    links = static_links(page)
    assert set(links) == set(LINKED)
    for filename, version in links.items():
        assert version == digest((STATIC / filename).read_bytes()), filename


def test_fingerprints_are_read_lazily_once_per_file_and_kept_per_app(app, app_factory, client):
    assert app.extensions["assets"]["fingerprints"] == {}  # nothing read while the app was built
    client.get("/")
    assert set(app.extensions["assets"]["fingerprints"]) == set(LINKED)
    assert app_factory().extensions["assets"]["fingerprints"] == {}  # another app keeps its own


def test_a_missing_file_gets_no_fingerprint_and_a_given_v_is_kept(app):
    with app.test_request_context():
        assert url_for("static", filename="nowhere.css") == "/static/nowhere.css"
        assert url_for("static", filename="app.css", v="pinned") == "/static/app.css?v=pinned"
        assert url_for("static", filename="app.css", _external=True).startswith("http://localhost/static/app.css?v=")


def test_a_changed_file_gets_a_new_fingerprint_in_a_new_app(app, app_factory, tmp_path):
    (tmp_path / "theme.css").write_text("body { color: black; }")
    app.static_folder = str(tmp_path)
    with app.test_request_context():
        first = url_for("static", filename="theme.css")
    assert first == f"/static/theme.css?v={digest(b'body { color: black; }')}"

    (tmp_path / "theme.css").write_text("body { color: navy; }")
    with app.test_request_context():
        assert url_for("static", filename="theme.css") == first  # memoised: the file is not read again

    fresh = app_factory()
    fresh.static_folder = str(tmp_path)
    with fresh.test_request_context():
        second = url_for("static", filename="theme.css")
    assert second == f"/static/theme.css?v={digest(b'body { color: navy; }')}" != first
    client = fresh.test_client()
    assert fetch(client, second).headers["Cache-Control"] == YEAR
    assert fetch(client, first).headers["Cache-Control"] == "no-cache"  # the old URL is not pinned for a year
    assert fetch(client, first).data == b"body { color: navy; }"


def test_in_debug_mode_an_edited_file_gets_a_new_fingerprint_at_once(app, tmp_path):
    app.static_folder = str(tmp_path)
    app.debug = True
    (tmp_path / "theme.css").write_text("a {}")
    with app.test_request_context():
        first = url_for("static", filename="theme.css")
        (tmp_path / "theme.css").write_text("a { color: red; }")
        assert url_for("static", filename="theme.css") == f"/static/theme.css?v={digest(b'a { color: red; }')}" != first


# Cache-Control on static files


@pytest.mark.parametrize("filename", LINKED)
def test_the_current_fingerprint_may_be_kept_for_a_year(client, filename):
    response = fetch(client, f"/static/{filename}?v={digest((STATIC / filename).read_bytes())}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == YEAR
    assert "Expires" not in response.headers
    assert response.data == (STATIC / filename).read_bytes()


@pytest.mark.parametrize("query", ["", "?v=", "?v=000000000000", "?v=0123456789ab"])
def test_without_the_current_fingerprint_the_file_is_revalidated(client, query):
    response = fetch(client, f"/static/app.css{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert "Expires" not in response.headers
    again = fetch(client, f"/static/app.css{query}", **{"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == "no-cache"


def test_a_304_for_the_current_fingerprint_keeps_the_years_policy(client):
    url = f"/static/app.js?v={digest((STATIC / 'app.js').read_bytes())}"
    for encoding in ("", "gzip"):
        first = fetch(client, url, **{"Accept-Encoding": encoding})
        again = fetch(client, url, **{"Accept-Encoding": encoding, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["Cache-Control"] == YEAR


def test_a_static_response_that_sets_a_cookie_is_kept_by_the_browser_only(app, client):
    @app.before_request
    def touch_session():
        session["seen"] = True

    response = fetch(client, f"/static/app.css?v={digest((STATIC / 'app.css').read_bytes())}")
    assert "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"


def test_a_missing_static_file_is_a_plain_404(client):
    response = fetch(client, "/static/nowhere.css?v=000000000000", **{"Accept-Encoding": "gzip"})
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


# Compression


def test_a_page_is_gzipped_for_those_who_accept_it_and_the_same_once_unpacked(app, client):
    crowded_front_page(app)
    plain = client.get("/")
    packed = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    assert "Accept-Encoding" in packed.headers["Vary"] and "HX-Request" in packed.headers["Vary"]


def test_a_members_page_is_gzipped_and_flask_compress_keeps_no_page(app, client):
    crowded_front_page(app)
    client.log_in(make_user(app, "reader"))
    client.get("/")  # shows the "Welcome back" message
    plain = client.get("/")
    packed = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Ranges" not in packed.headers
    unpacked = gzip.decompress(packed.data).decode()
    assert "reader" in unpacked and without_tokens(unpacked) == without_tokens(plain.get_data(as_text=True))
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert app.extensions["assets"]["compress"].cache.data == {}  # pages are compressed afresh, never stored


@pytest.mark.parametrize("accept", [None, "", "identity", "br", "gzip;q=0", "gzip;q=0, *", "*;q=0"])
def test_without_gzip_accepted_the_page_is_sent_as_it_is(app, client, accept):
    crowded_front_page(app)
    client.log_in(make_user(app, "reader"))
    response = client.get("/", headers={} if accept is None else {"Accept-Encoding": accept})
    assert "Content-Encoding" not in response.headers
    assert response.get_data(as_text=True).startswith("<!doctype html>")
    assert "Accept-Encoding" in response.headers["Vary"]  # a cache must not give this copy to a gzip client


def test_a_wildcard_accepts_gzip(app, client):
    crowded_front_page(app)
    client.log_in(make_user(app, "reader"))
    response = client.get("/", headers={"Accept-Encoding": "*"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_small_responses_are_not_compressed(app, client):
    @app.get("/test-small")
    def small():
        return "<p>" + "x" * 400 + "</p>"

    for url in ("/healthz", "/test-small"):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and "Content-Encoding" not in response.headers, url
    assert client.get("/test-small").data == b"<p>" + b"x" * 400 + b"</p>"


def test_other_media_types_are_not_compressed(app, client):
    @app.get("/test-binary")
    def binary():
        return Response(b"\x89PNG" + b"\x00" * 4000, mimetype="image/png")

    response = client.get("/test-binary", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers and len(response.data) == 4004


def test_a_response_already_encoded_is_left_alone(app, client):
    html = "<p>" + "already packed " * 200 + "</p>"

    @app.get("/test-packed")
    def packed():
        response = Response(gzip.compress(html.encode()), mimetype="text/html")
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag("packed")
        return response

    response = client.get("/test-packed", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data).decode() == html  # encoded once, not twice
    assert response.headers["ETag"] == '"packed"'


def test_a_streamed_response_is_streamed_as_it_is(app, client):
    chunks = ["<p>" + f"chunk {number} " * 100 + "</p>" for number in range(5)]

    @app.get("/test-stream")
    def stream():
        return Response((chunk for chunk in chunks), mimetype="text/html")

    response = client.get("/test-stream", headers={"Accept-Encoding": "gzip"}, buffered=False)
    assert response.is_streamed and "Content-Encoding" not in response.headers
    assert [part.decode() for part in response.response] == chunks
    response.close()


def test_a_static_file_is_gzipped_once_and_the_same_bytes_are_sent_again(app, client, monkeypatch):
    compressions = []
    real = flask_compress.flask_compress._compress_data

    def counting(app_, data, algorithm):
        compressions.append(algorithm)
        return real(app_, data, algorithm)

    monkeypatch.setattr(flask_compress.flask_compress, "_compress_data", counting)
    content = (STATIC / "app.css").read_bytes()
    url = f"/static/app.css?v={digest(content)}"
    first = fetch(client, url, **{"Accept-Encoding": "gzip, deflate, br"})
    second = fetch(client, url, **{"Accept-Encoding": "gzip"})
    stale = fetch(client, "/static/app.css?v=000000000000", **{"Accept-Encoding": "gzip"})
    for response in (first, second, stale):
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert "Accept-Ranges" not in response.headers
        assert int(response.headers["Content-Length"]) == len(response.data)
    assert gzip.decompress(first.data) == content
    assert second.data == first.data == stale.data
    assert compressions == ["gzip"]  # compressed for the first request only
    assert list(app.extensions["assets"]["compress"].cache.data) == [f"gzip;static:app.css?v={digest(content)}"]
    assert first.headers["Cache-Control"] == YEAR and stale.headers["Cache-Control"] == "no-cache"


def test_the_gzipped_static_file_has_its_own_etag_and_revalidates(client):
    url = "/static/vendor/htmx-2.0.11.min.js"
    plain = fetch(client, url)
    packed = fetch(client, url, **{"Accept-Encoding": "gzip"})
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + ':gzip"'
    again = fetch(client, url, **{"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # A stored unencoded copy is still current (Flask answers before compression); a gzipped one is no use
    # to a client that no longer accepts gzip.
    assert fetch(client, url, **{"Accept-Encoding": "gzip", "If-None-Match": plain.headers["ETag"]}).status_code == 304
    assert fetch(client, url, **{"If-None-Match": packed.headers["ETag"]}).status_code == 200


def test_a_byte_range_of_a_static_file_is_never_compressed(client):
    content = (STATIC / "app.css").read_bytes()
    response = fetch(client, "/static/app.css", **{"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert response.status_code == 206
    assert "Content-Encoding" not in response.headers
    assert response.data == content[:100]


def test_head_of_a_static_file_sends_no_body(client):
    response = client.head("/static/app.css", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.data == b""
    assert response.headers["Content-Encoding"] == "gzip"
    response.close()


def test_small_and_binary_static_files_are_sent_as_they_are(client):
    response = fetch(client, "/static/favicon.svg", **{"Accept-Encoding": "gzip"})  # 303 bytes
    assert "Content-Encoding" not in response.headers
    assert response.data == (STATIC / "favicon.svg").read_bytes()


# htmx


def test_htmx_fragments_still_work_gzipped(app, client):
    author = make_user(app, "author")
    for number in range(8):
        make_thread(app, author, f"Stalker notes {number}", body="The zone, its rooms and the long take in the zone.")
    plain = client.htmx_get("/search?q=zone")
    packed = client.get("/search?q=zone", headers={"HX-Request": "true", "Accept-Encoding": "gzip"})
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    fragment = gzip.decompress(packed.data).decode()
    assert fragment == plain.get_data(as_text=True)
    assert "<html" not in fragment and "<mark>zone</mark>" in fragment
    assert "HX-Request" in packed.headers["Vary"] and "Accept-Encoding" in packed.headers["Vary"]


def test_htmx_posts_still_work_with_gzip_accepted(app, client):
    author, reader = make_user(app, "author"), make_user(app, "reader")
    thread = make_thread(app, author, "A thread")
    reply = make_reply(app, thread.opening_post, author, "A first reply")
    client.log_in(reader)
    response = client.submit(f"/posts/{reply.id}/vote", {"direction": "up"}, htmx=True, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    body = gzip.decompress(response.data) if response.headers.get("Content-Encoding") == "gzip" else response.data
    assert body.decode().lstrip().startswith(f'<form class="vote" id="vote-{reply.id}"')
    assert '<span class="vote__score">1 point</span>' in body.decode()


def test_a_page_links_a_static_file_with_its_fingerprint_once_it_is_there(app, client, tmp_path):
    """Pages remember static URLs (board/templating.py url_for_by_pattern) only once the file has a fingerprint:
    a file that appears later is linked with its own."""
    from board.templating import url_for_by_pattern

    app.static_folder = str(tmp_path)
    with app.test_request_context():
        assert url_for_by_pattern("static", filename="late.css") == "/static/late.css"
        (tmp_path / "late.css").write_text("a {}")
        assert url_for_by_pattern("static", filename="late.css") == f"/static/late.css?v={digest(b'a {}')}"
        assert url_for_by_pattern("static", filename="late.css") == url_for("static", filename="late.css")
