"""Password rules (security issue, item 2): no common password, none with the username in it, any characters.

The same rules hold on every way in: registering, changing one's password, and `flask create-admin`.
"""
import gzip
import hashlib
import html

import pytest

from board.models import User
from board.passwords import COMMON_PASSWORDS_FILE, PASSWORD_MAX, common_passwords

from .factories import DEFAULT_PASSWORD, fetch, make_user

NAME = "Hitchcock_fan"
COMMON = "one of the most common passwords"
NAMED = "can't contain your username"

REFUSED = [
    pytest.param("password123", COMMON, id="password123"),
    pytest.param("1234567890", COMMON, id="1234567890"),
    pytest.param("QwertyUIOP", COMMON, id="list-entry-in-another-case"),  # the list has "qwertyuiop"
    pytest.param("ｐａｓｓｗｏｒｄ１２３", COMMON, id="list-entry-in-fullwidth-letters"),  # NFKC: password123
    pytest.param("hitchcock_FAN forever", NAMED, id="contains-the-username"),
    pytest.param("HITCHCOCK_FAN", NAMED, id="is-the-username"),
    pytest.param("short", "At least 10 characters.", id="too-short"),
    pytest.param("a" * (PASSWORD_MAX + 1), f"At most {PASSWORD_MAX:,} characters.", id="too-long"),
]
ACCEPTED = [
    pytest.param("Kurosawa’s rain — 羅生門の雨 ☔ und Regen", id="unicode-passphrase"),
    pytest.param("the opening long take of Touch of Evil runs three minutes and twenty seconds", id="over-64-characters"),
    pytest.param(("every frame a painting, " * 43)[:PASSWORD_MAX], id="the-longest-allowed"),
]


def field_error(page: str) -> str:
    """The message shown under the new-password field (empty when there is none)."""
    marker = '<p class="field-error" id="password-error">'
    return html.unescape(page.split(marker, 1)[1].split("</p>", 1)[0]) if marker in page else ""


def register(client, password: str):
    return client.submit("/register", {"username": NAME, "password": password, "confirm": password})


def change_password(client, password: str):
    return client.submit("/account/password", {"current": DEFAULT_PASSWORD, "password": password, "confirm": password})


def create_admin(runner, password: str):
    return runner.invoke(args=["create-admin", NAME, "--password-file", "-"], input=password + "\n")


@pytest.mark.parametrize(("password", "message"), REFUSED)
def test_registration_refuses_the_password_and_says_why(app, client, password, message):
    response = register(client, password)
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True))
    with app.app_context():
        assert User.by_username(NAME) is None


@pytest.mark.parametrize("password", ACCEPTED)
def test_registration_accepts_any_characters_and_long_passphrases(app, client, password):
    assert register(client, password).status_code == 303
    with app.app_context():
        assert User.by_username(NAME).check_password(password)


@pytest.mark.parametrize(("password", "message"), REFUSED)
def test_password_change_refuses_the_password_and_says_why(app, client, password, message):
    member = make_user(app, NAME)
    client.log_in(member)
    response = change_password(client, password)
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True))
    assert fetch(app, User, member.id).check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("password", ACCEPTED)
def test_password_change_accepts_any_characters_and_long_passphrases(app, client, password):
    member = make_user(app, NAME)
    client.log_in(member)
    assert change_password(client, password).status_code == 303
    assert fetch(app, User, member.id).check_password(password)


@pytest.mark.parametrize(("password", "message"), REFUSED)
def test_create_admin_refuses_the_password_and_tells_the_admin_why(app, runner, password, message):
    result = create_admin(runner, password)
    assert result.exit_code != 0
    assert "that password can't be used" in result.output and message in result.output
    with app.app_context():
        assert User.by_username(NAME) is None


def test_create_admin_refuses_it_when_making_an_existing_member_an_admin_too(app, runner):
    member = make_user(app, NAME)
    result = create_admin(runner, "password123")
    assert result.exit_code != 0 and COMMON in result.output
    promoted = fetch(app, User, member.id)
    assert promoted.role == "member" and promoted.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("password", ACCEPTED)
def test_create_admin_accepts_any_characters_and_long_passphrases(app, runner, password):
    result = create_admin(runner, password)
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert User.by_username(NAME).check_password(password)


def test_the_shipped_list_is_seclists_top_100000_unchanged():
    """The file board/data/README.md describes, byte for byte (a changed list must be a deliberate change)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rb") as file:
        listed = file.read()
    assert hashlib.sha256(listed).hexdigest() == "84f9f01da3323b41cdc030f89f7fab65bf76a7e0d5265acabb715c2b3795f148"
    assert listed.count(b"\n") == 100_000
    assert listed.startswith(b"123456\npassword\n12345678\nqwerty\n")


def test_the_list_is_read_once_per_process():
    assert common_passwords() is common_passwords()
    assert "password123" in common_passwords() and "1234567890" in common_passwords()
