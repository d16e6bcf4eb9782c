"""GET /healthz: the load balancers' check and the benchmark's ceiling — no database, no session."""
from .conftest import dispose, make_test_app
from .factories import make_user


def test_healthz_answers_ok_as_plain_text(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "ok"
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_sends_no_sql_and_sets_no_cookie(client, count_queries):
    """As a balancer asks: without a cookie. (With a member's cookie the app-wide ban check reads the member.)"""
    with count_queries() as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert queries.count == 0, queries.statements
    assert "Set-Cookie" not in response.headers


def test_healthz_answers_while_the_database_is_unreachable(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'missing' / 'board.db'}")  # a directory that does not exist
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 200
        assert response.get_data(as_text=True) == "ok"
    finally:
        dispose(app)


def test_healthz_is_a_get_only_route(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_with_a_member_session_still_answers(app, client):
    client.log_in(make_user(app))
    assert client.get("/healthz").get_data(as_text=True) == "ok"
