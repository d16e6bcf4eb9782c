"""A member's email address (set, confirmed by a signed link, changed with the password) and "forgot password",
with the board's real mail worker and a real SMTP server in this process (tests/mailbox.py)."""
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from board.email_addresses import normalized_address
from board.extensions import db
from board.mail import OutgoingMail
from board.models import User
from board.tokens import reset_state

from .conftest import CSRF_PATTERN
from .factories import DEFAULT_PASSWORD, fetch, make_user
from .mailbox import deliver_all

NEW_PASSWORD = "a brand new secret"
SWEEP = "DELETE FROM rate_limit_hits"  # the counts' sweep (board/limit_storage.py sweep_statement)


def made_ago(seconds: int):
    """A signer whose tokens carry a timestamp `seconds` in the past (itsdangerous's own extension point)."""

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    return Earlier


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def addresses(app, member_id):
    """A member's confirmed and waiting addresses as the database has them now (they load only when asked for)."""
    with app.app_context():
        member = db.session.get(User, member_id)
        return SimpleNamespace(email=member.email, unconfirmed_email=member.unconfirmed_email)


def queued(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(OutgoingMail.id)))


def with_confirmed_email(app, user, address):
    with app.app_context():
        member = db.session.get(User, user.id)
        member.email = address
        db.session.commit()
        return member


def confirmation_link(app, mailbox, address) -> str:
    deliver_all(app)
    [message] = mailbox.to(address)
    assert message["Subject"] == "Confirm your email address on Reelboard"
    return mailbox.link_in(message)


# Addresses ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("ada@example.com", "ada@example.com"),
    ("  Ada.Lovelace+films@EXAMPLE.Com ", "Ada.Lovelace+films@example.com"),  # domain lowercased, local part as typed
    ("ada@Bücher.example", "ada@xn--bcher-kva.example"),
    ("ada@example.com.", "ada@example.com"),
])
def test_addresses_are_stored_normalized(typed, stored):
    assert normalized_address(typed) == stored


@pytest.mark.parametrize("typed", [
    "", "ada", "ada@", "@example.com", "ada@localhost", "ada@@example.com", "ada lovelace@example.com",
    "ada@exa mple.com", "ada@-example.com", "ada..l@example.com", '"ada"@example.com', "ada@example.123",
    "ada@example.com\nBcc: victim@example.org", "a" * 65 + "@example.com", "ada@" + "a" * 250 + ".com",
])
def test_malformed_addresses_are_refused(typed):
    assert normalized_address(typed) is None


# Registering with an address and confirming it ----------------------------------------------------------------------

def register(client, username="ada_l", email="", password="a long enough pw"):
    return client.submit("/register", {"username": username, "password": password, "confirm": password, "email": email})


def test_registering_with_an_address_sends_a_link_and_the_address_counts_once_confirmed(app, client, mailbox):
    response = register(client, email="Ada@Example.COM")
    assert response.status_code == 303
    with app.app_context():
        member = User.by_username("ada_l")
        assert member.email is None and member.unconfirmed_email == "Ada@example.com"
    link = confirmation_link(app, mailbox, "Ada@example.com")
    page = client.get(path_of(link))
    assert page.status_code == 200 and "Make <strong>Ada@example.com</strong> the address" in page.get_data(as_text=True)
    assert addresses(app, member.id).email is None  # opening the link (a mail scanner would) changes nothing
    confirmed = client.submit(urlsplit(link).path, {"token": token_of(link)})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/account/email"
    member = addresses(app, member.id)
    assert member.email == "Ada@example.com" and member.unconfirmed_email is None


def test_registering_without_an_address_sends_nothing(app, client):
    assert register(client).status_code == 303
    assert queued(app) == 0


def test_a_malformed_address_at_registration_is_a_form_error_keeping_what_was_typed(app, client):
    response = register(client, email="ada@nowhere")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That is not an email address we can send to" in page
    assert 'value="ada@nowhere"' in page and 'value="ada_l"' in page
    with app.app_context():
        assert User.by_username("ada_l") is None
    assert queued(app) == 0


def test_an_address_another_member_confirmed_is_refused_in_any_case(app, client):
    with_confirmed_email(app, make_user(app, "grace"), "grace@example.com")
    response = register(client, email="GRACE@example.com")
    assert response.status_code == 422
    assert "Another account has confirmed that address" in response.get_data(as_text=True)
    with app.app_context():
        assert User.by_username("ada_l") is None


def test_a_confirmation_link_for_another_account_is_refused_and_changes_nothing(app, client, other_client, mailbox):
    register(client, email="ada@example.com")
    link = confirmation_link(app, mailbox, "ada@example.com")
    other = make_user(app, "grace")
    other_client.log_in(other)
    response = other_client.submit(urlsplit(link).path, {"token": token_of(link)})
    assert response.status_code == 403
    assert "This confirmation link is for another account" in response.get_data(as_text=True)
    assert addresses(app, other.id).email is None
    with app.app_context():
        assert User.by_username("ada_l").email is None


def test_a_used_tampered_or_expired_confirmation_link_is_a_clear_400(app, client, mailbox):
    register(client, email="ada@example.com")
    link = confirmation_link(app, mailbox, "ada@example.com")
    token = token_of(link)
    assert client.submit("/account/email/confirm", {"token": token[:-2] + "xx"}).status_code == 400
    assert client.submit("/account/email/confirm", {"token": token}).status_code == 303
    reused = client.submit("/account/email/confirm", {"token": token})
    assert reused.status_code == 400 and "already used" in reused.get_data(as_text=True)
    with app.app_context():
        member = User.by_username("ada_l")
        signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="confirm-email", signer=made_ago(3 * 24 * 3600))
        old = signer.dumps({"member": member.id, "email": "ada@example.com"})
    expired = client.submit("/account/email/confirm", {"token": old})
    assert expired.status_code == 400 and "That link has expired." in expired.get_data(as_text=True)
    assert client.submit("/account/email/confirm", {"token": "x" * 5000}).status_code == 400


# Changing the address -----------------------------------------------------------------------------------------------

def test_changing_the_address_needs_the_current_password(app, client):
    user = make_user(app)
    client.log_in(user)
    response = client.submit("/account/email", {"email": "new@example.com", "current": "not my password"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "That is not your current password." in page and 'value="new@example.com"' in page
    assert addresses(app, user.id).unconfirmed_email is None and queued(app) == 0


def test_changing_the_address_tells_the_old_one_and_changes_once_the_new_one_confirms(app, client, mailbox):
    user = make_user(app)
    with_confirmed_email(app, user, "old@example.com")
    client.log_in(user)
    response = client.submit("/account/email", {"email": "new@example.com", "current": DEFAULT_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/account/email"
    assert addresses(app, user.id).email == "old@example.com"  # until the new one confirms
    link = confirmation_link(app, mailbox, "new@example.com")
    [notice] = mailbox.to("old@example.com")
    assert notice["Subject"] == "Your Reelboard email address is being changed"
    assert "new@example.com" in mailbox.body(notice)
    assert client.submit("/account/email/confirm", {"token": token_of(link)}).status_code == 303
    assert addresses(app, user.id).email == "new@example.com"


def test_a_newer_request_replaces_an_older_link(app, client, mailbox):
    user = make_user(app)
    client.log_in(user)
    client.submit("/account/email", {"email": "first@example.com", "current": DEFAULT_PASSWORD})
    client.submit("/account/email", {"email": "second@example.com", "current": DEFAULT_PASSWORD})
    first = confirmation_link(app, mailbox, "first@example.com")
    assert client.submit("/account/email/confirm", {"token": token_of(first)}).status_code == 400
    assert addresses(app, user.id).email is None


def test_an_address_confirmed_by_someone_else_meanwhile_is_refused_at_confirmation(app, client, mailbox):
    user = make_user(app)
    client.log_in(user)
    client.submit("/account/email", {"email": "shared@example.com", "current": DEFAULT_PASSWORD})
    link = confirmation_link(app, mailbox, "shared@example.com")
    with_confirmed_email(app, make_user(app), "Shared@example.com")
    response = client.submit("/account/email/confirm", {"token": token_of(link)})
    assert response.status_code == 409
    assert addresses(app, user.id).email is None


def test_the_email_page_needs_a_login(client):
    response = client.get("/account/email")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?next=")


# Forgot password ------------------------------------------------------------------------------------------------------

def ask_for_reset(client, address):
    return client.submit("/forgot-password", {"email": address})


def test_the_login_page_links_to_forgot_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<a href="/forgot-password">Forgot your password?</a>' in page


def test_forgot_password_answers_the_same_for_members_and_strangers(app, client, other_client):
    with_confirmed_email(app, make_user(app, "ada_l"), "ada@example.com")
    known = ask_for_reset(client, "ada@example.com")
    unknown = ask_for_reset(other_client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    pages = [CSRF_PATTERN.sub("", browser.get("/login").get_data(as_text=True)) for browser in (client, other_client)]
    assert pages[0] == pages[1]
    assert "If a member confirmed that address, a link to choose a new password is on its way" in pages[0]


def test_forgot_password_does_the_same_work_for_members_and_strangers(app, client, count_queries):
    """Statement for statement: nothing the request does depends on whether the address is a member's."""
    with_confirmed_email(app, make_user(app, "ada_l"), "ada@example.com")
    token = client.csrf_token()
    runs = {}
    for address in ("ada@example.com", "nobody@example.com"):
        with count_queries() as counter:
            response = client.post("/forgot-password", data={"email": address, "csrf_token": token})
        assert response.status_code == 303
        # Left out: the rate-limit counts' sweep, which a process runs on its first count and then every
        # SWEEP_SECONDS (board/limit_storage.py), whatever the request: on PostgreSQL it is on the counted engine.
        runs[address] = [statement for statement in counter.statements if not statement.startswith(SWEEP)]
    assert runs["ada@example.com"] == runs["nobody@example.com"]
    assert any(statement.startswith("INSERT INTO outgoing_mail") for statement in runs["nobody@example.com"])
    assert not any("FROM users" in statement for statement in runs["nobody@example.com"])


def test_only_a_member_with_that_confirmed_address_gets_a_reset_link(app, client, mailbox):
    with_confirmed_email(app, make_user(app, "ada_l"), "ada@example.com")
    with app.app_context():
        db.session.get(User, make_user(app, "grace").id).unconfirmed_email = "grace@example.com"
        db.session.commit()
    for address in ("ADA@example.com", "nobody@example.com", "grace@example.com"):
        ask_for_reset(client, address)
    deliver_all(app)
    assert [message["To"] for message in mailbox.messages] == ["ADA@example.com"]
    [message] = mailbox.messages
    assert message["Subject"] == "Choose a new Reelboard password" and "ada_l" in mailbox.body(message)
    assert queued(app) == 0  # the stranger's and the unconfirmed address's requests are gone, unsent


def test_a_malformed_address_is_a_form_error_keeping_the_text(app, client):
    response = ask_for_reset(client, "not an address")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "That is not an email address we can send to" in page and 'value="not an address"' in page
    assert queued(app) == 0


def reset_link(app, client, mailbox, address="ada@example.com") -> str:
    ask_for_reset(client, address)
    deliver_all(app)
    return mailbox.link_in(mailbox.to(address)[-1])


def test_a_reset_link_sets_a_new_password_and_ends_every_other_session(app, client, other_client, mailbox):
    user = make_user(app, "ada_l")
    with_confirmed_email(app, user, "ada@example.com")
    other_client.log_in(user)  # a session elsewhere (a stolen one, perhaps)
    link = reset_link(app, client, mailbox)
    form = client.get(path_of(link))
    assert form.status_code == 200 and "For <strong>ada_l</strong>" in form.get_data(as_text=True)
    response = client.submit("/reset-password", {"token": token_of(link), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert fetch(app, User, user.id).check_password(NEW_PASSWORD)
    assert "Log out" in client.get("/").get_data(as_text=True)  # this browser is logged in
    assert "Log out" not in other_client.get("/").get_data(as_text=True)  # the other session ended


def test_a_reset_link_works_once(app, client, mailbox):
    user = make_user(app, "ada_l")
    with_confirmed_email(app, user, "ada@example.com")
    link = reset_link(app, client, mailbox)
    client.submit("/reset-password", {"token": token_of(link), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = client.submit("/reset-password", {"token": token_of(link), "password": "yet another secret",
                                              "confirm": "yet another secret"})
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    assert client.get(path_of(link)).status_code == 400
    assert fetch(app, User, user.id).check_password(NEW_PASSWORD)


def test_a_reset_link_dies_when_the_address_changes(app, client, mailbox):
    user = make_user(app, "ada_l")
    with_confirmed_email(app, user, "ada@example.com")
    link = reset_link(app, client, mailbox)
    with_confirmed_email(app, user, "ada@elsewhere.example")
    assert client.get(path_of(link)).status_code == 400


def test_an_expired_or_forged_reset_link_is_a_clear_400_and_changes_nothing(app, client):
    user = make_user(app, "ada_l")
    member = with_confirmed_email(app, user, "ada@example.com")
    with app.app_context():
        state = reset_state(db.session.get(User, user.id))
        signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="password-reset", signer=made_ago(3601))
        expired = signer.dumps({"member": member.id, "state": state})
        confirm_kind = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="confirm-email").dumps(
            {"member": member.id, "email": "ada@example.com"})
        foreign = URLSafeTimedSerializer("another board's key", salt="password-reset").dumps(
            {"member": member.id, "state": state})
    for token, words in ((expired, "That link has expired."), (confirm_kind, "That link is not valid."),
                         (foreign, "That link is not valid."), ("", "That link is incomplete.")):
        response = client.submit("/reset-password", {"token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 400 and words in response.get_data(as_text=True)
        assert "Ask for a new link" in response.get_data(as_text=True)
    assert fetch(app, User, user.id).check_password(DEFAULT_PASSWORD)


def test_the_new_password_follows_the_password_rules(app, client, mailbox):
    user = make_user(app, "ada_l")
    with_confirmed_email(app, user, "ada@example.com")
    link = reset_link(app, client, mailbox)
    for password, words in (("short", "At least 10 characters."), ("ada_l is my name", "contain your username")):
        response = client.submit("/reset-password", {"token": token_of(link), "password": password, "confirm": password})
        assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert fetch(app, User, user.id).check_password(DEFAULT_PASSWORD)


def test_reset_requests_are_limited_per_address_typed_in_any_case(app, client, other_client):
    app.config["RATE_LIMITS"] = {"reset_per_account": "2 per hour"}
    assert ask_for_reset(client, "ada@example.com").status_code == 303
    assert ask_for_reset(other_client, "ADA@example.com").status_code == 303
    refused = ask_for_reset(client, "Ada@Example.com")
    assert refused.status_code == 429 and "Too many reset links were asked for this address." in refused.get_data(as_text=True)
    assert ask_for_reset(client, "grace@example.com").status_code == 303  # another account is counted apart
    assert queued(app) == 3


def test_reset_requests_are_limited_per_network(app, client):
    app.config["RATE_LIMITS"] = {"reset_per_address": "2 per hour"}
    for number in range(2):
        assert ask_for_reset(client, f"person{number}@example.com").status_code == 303
    refused = ask_for_reset(client, "person9@example.com")
    assert refused.status_code == 429 and "from your network" in refused.get_data(as_text=True)


def test_a_visitor_following_a_confirmation_link_is_asked_to_log_in_first(app, client, mailbox):
    register(client, email="ada@example.com")
    link = confirmation_link(app, mailbox, "ada@example.com")
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    response = client.get(path_of(link))
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?next=")
    posted = client.submit("/account/email/confirm", {"token": token_of(link)})
    assert posted.status_code == 303 and posted.headers["Location"].startswith("/login?next=")
    with app.app_context():
        assert User.by_username("ada_l").email is None
