"""Joining and signing in: registration rules, login, next=, sessions and cookies."""
import pytest

from board.models import User

from .conftest import CSRF_PATTERN
from .factories import DEFAULT_PASSWORD, fetch, make_user


def register(client, username="ada_l", password="a long enough pw", confirm=None):
    return client.submit("/register", {"username": username, "password": password, "confirm": confirm or password})


def test_register_creates_member_logs_in_and_hashes_password(app, client):
    app.config["PASSWORD_HASH_METHOD"] = None  # the production default
    response = register(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "ada_l" in page and "Log out" in page
    with app.app_context():
        user = User.by_username("ADA_L")
        assert user.role == "member"
        assert user.password_hash.startswith("scrypt:")  # Werkzeug's default
        assert "a long enough pw" not in user.password_hash


@pytest.mark.parametrize(
    "username, message",
    [
        ("ab", "3–30 letters"),
        ("a" * 31, "3–30 letters"),
        ("has space", "3–30 letters"),
        ("émile", "3–30 letters"),
        ("semi;colon", "3–30 letters"),
        ("", "Choose a username."),
    ],
)
def test_register_rejects_bad_usernames(app, client, username, message):
    response = register(client, username=username)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert User.query.count() == 0


def test_usernames_are_unique_case_insensitively(app, client):
    make_user(app, "Marguerite")
    response = register(client, username="mARGUERITE")
    assert response.status_code == 422
    assert "That username is taken." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "password, confirm, message",
    [("short", "short", "At least 10 characters."), ("long enough 1", "long enough 2", "The passwords differ.")],
)
def test_register_password_rules(client, password, confirm, message):
    response = register(client, password=password, confirm=confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_form_errors_sit_next_to_their_field(client):
    page = register(client, username="x").get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="username-hint username-error"' in page
    assert '<p class="field-error" id="username-error">' in page


def test_login_and_logout(app, client):
    user = make_user(app, "tomasz")
    response = client.log_in(user)
    assert response.headers["Location"] == "/"
    assert "Log out" in client.get("/").get_data(as_text=True)
    response = client.submit("/logout")
    assert response.status_code == 303
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_logout_is_post_only(client):
    assert client.get("/logout").status_code == 405


def test_failed_login_does_not_reveal_whether_the_name_exists(app, client):
    make_user(app, "tomasz")
    wrong_password = client.submit("/login", {"username": "tomasz", "password": "not the password"})
    unknown_name = client.submit("/login", {"username": "nobody_here", "password": "not the password"})
    assert wrong_password.status_code == unknown_name.status_code == 422
    message = "Unknown username or wrong password."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_name.get_data(as_text=True)
    assert "nobody_here" in unknown_name.get_data(as_text=True)  # the typed name is kept in the field
    strip = lambda page: page.replace("nobody_here", "tomasz")  # noqa: E731
    assert strip(unknown_name.get_data(as_text=True)).count("error") == wrong_password.get_data(as_text=True).count("error")


def test_login_is_case_insensitive_on_username(app, client):
    make_user(app, "Tomasz")
    response = client.submit("/login", {"username": "TOMASZ", "password": DEFAULT_PASSWORD})
    assert response.status_code == 303


@pytest.mark.parametrize("target", ["/threads/7#post-9", "/?sort=new"])
def test_login_honours_next_on_this_site(app, client, target):
    user = make_user(app)
    response = client.submit(f"/login?next={target.replace('#', '%23').replace('?', '%3F').replace('=', '%3D')}",
                             {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "evil.example",
    ],
)
def test_login_ignores_next_pointing_elsewhere(app, client, target):
    from urllib.parse import quote

    user = make_user(app)
    response = client.submit(f"/login?next={quote(target, safe='')}", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_login_starts_a_fresh_session(app, client):
    user = make_user(app)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.log_in(user)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_ends_every_session_of_the_member(app, client, other_client):
    user = make_user(app)
    client.log_in(user)
    other_client.log_in(user)
    client.submit("/logout")
    assert "Log in" in other_client.get("/").get_data(as_text=True)


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, other_client):
    user = make_user(app)
    client.log_in(user)
    other_client.log_in(user, remember=True)
    response = client.submit(
        "/account/password", {"current": DEFAULT_PASSWORD, "password": "a brand new secret", "confirm": "a brand new secret"}
    )
    assert response.status_code == 303
    assert "Log out" in client.get("/").get_data(as_text=True)
    assert "Log in" in other_client.get("/").get_data(as_text=True)
    assert fetch(app, User, user.id).check_password("a brand new secret")


def test_password_change_needs_the_current_password(app, client):
    user = make_user(app)
    client.log_in(user)
    response = client.submit("/account/password", {"current": "wrong guess!", "password": "new secret 123", "confirm": "new secret 123"})
    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)
    assert fetch(app, User, user.id).check_password(DEFAULT_PASSWORD)


def test_session_and_remember_cookies_are_httponly_and_lax(app, client):
    user = make_user(app)
    response = client.log_in(user, remember=True)
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name]
        assert "SameSite=Lax" in cookies[name]
        assert "Secure" not in cookies[name]


def test_cookies_are_secure_when_configured_for_https(app_factory):
    app = app_factory(HTTPS=True)
    user = make_user(app)
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    response = client.post(
        "/login",
        base_url="https://localhost",
        data={"username": user.username, "password": DEFAULT_PASSWORD, "remember": "y", "csrf_token": token},
        headers={"Referer": "https://localhost/login"},  # checked by the CSRF guard over HTTPS
    )
    assert response.status_code == 303
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    assert "Secure" in cookies["session"] and "Secure" in cookies["remember_token"]


def test_remember_me_survives_the_session_cookie(app, client):
    user = make_user(app)
    client.log_in(user, remember=True)
    client.delete_cookie("session")
    assert "Log out" in client.get("/").get_data(as_text=True)
