"""The host a page names: absolute links come from BASE_URL, and a hostile Host header never reaches another visitor."""
import pytest

from board import page_cache

from .factories import make_thread, make_user

EVIL = "evil.example"


def renew_kept_pages(app) -> None:
    """A write somewhere: every kept page is rendered again by its next reader (who may send any Host)."""
    with app.app_context():
        page_cache.invalidate()


def pages_naming_the_board(thread_id: int) -> list[str]:
    return ["/feeds/front.atom", f"/threads/{thread_id}", f"/threads/{thread_id}/feed.atom", "/"]


def test_without_base_url_a_hostile_host_reaches_only_whoever_sent_it(app, client):
    thread = make_thread(app, make_user(app))
    for url in pages_naming_the_board(thread.id):
        renew_kept_pages(app)
        poisoned = client.get(url, base_url=f"http://{EVIL}")
        assert EVIL in poisoned.get_data(as_text=True), url  # what it asked for: its own host, in its own copy
        next_visitor = client.get(url).get_data(as_text=True)
        assert EVIL not in next_visitor and "http://localhost/" in next_visitor, url


@pytest.fixture
def canonical(app_factory):
    return app_factory(BASE_URL="https://films.example")


def test_with_base_url_links_name_it_whatever_the_request_said(canonical):
    thread = make_thread(canonical, make_user(canonical))
    client = canonical.test_client()
    feed = client.get("/feeds/front.atom", base_url="http://films.example").get_data(as_text=True)
    assert 'href="https://films.example/feeds/front.atom"' in feed
    page = client.get(f"/threads/{thread.id}", base_url="http://films.example").get_data(as_text=True)
    assert f'<meta property="og:url" content="https://films.example/threads/{thread.id}">' in page


def test_with_base_url_a_request_for_another_host_is_refused(canonical):
    thread = make_thread(canonical, make_user(canonical))
    client = canonical.test_client()
    for url in pages_naming_the_board(thread.id):
        renew_kept_pages(canonical)
        refused = client.get(url, base_url=f"http://{EVIL}")
        assert refused.status_code == 400, url
        assert EVIL not in refused.get_data(as_text=True)
        assert EVIL not in client.get(url, base_url="https://films.example").get_data(as_text=True), url


@pytest.mark.parametrize("proxies, status", [(0, 200), (1, 400)], ids=["no proxy: ignored", "trusted proxy: refused"])
def test_a_forwarded_host_never_reaches_the_next_visitor(app_factory, proxies, status):
    board = app_factory(BASE_URL="https://films.example", TRUSTED_PROXIES=proxies)
    client = board.test_client()
    renew_kept_pages(board)
    forwarded = client.get("/feeds/front.atom", base_url="https://films.example", headers={"X-Forwarded-Host": EVIL})
    assert forwarded.status_code == status and EVIL not in forwarded.get_data(as_text=True)
    next_visitor = client.get("/feeds/front.atom", base_url="https://films.example").get_data(as_text=True)
    assert EVIL not in next_visitor and "https://films.example/feeds/front.atom" in next_visitor


def test_a_board_on_a_loopback_address_answers_to_each_name_of_it(app_factory):
    board = app_factory(SERVE_URL="http://127.0.0.1:5000")
    client = board.test_client()
    for host in ("127.0.0.1:5000", "localhost:5000"):
        feed = client.get("/feeds/front.atom", base_url=f"http://{host}")
        assert feed.status_code == 200
        assert 'href="http://127.0.0.1:5000/feeds/front.atom"' in feed.get_data(as_text=True)
    assert client.get("/", base_url=f"http://{EVIL}:5000").status_code == 400


def test_a_configured_base_url_wins_over_where_make_run_serves(app_factory):
    board = app_factory(BASE_URL="https://films.example", SERVE_URL="http://127.0.0.1:5000")
    assert board.config["SERVER_NAME"] == "films.example"


@pytest.mark.parametrize("address", ["films.example", "ftp://films.example", "https://films.example/board", "https://"])
def test_a_base_url_the_board_cannot_use_stops_it_at_start(app_factory, address):
    with pytest.raises(ValueError, match="BASE_URL must be like"):
        app_factory(BASE_URL=address)
