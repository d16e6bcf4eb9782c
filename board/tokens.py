"""Signed links sent by mail (itsdangerous, signed with SECRET_KEY): confirming an address, resetting a password.

Each kind has its own salt, so a token of one kind is never accepted as another. A token names the member and the
state it was made for; once that state changes the token is dead: a confirmation link names the address waiting
for confirmation (a newer request replaces it), a reset link the password it replaces and the address it was sent
to (setting the password, or changing the address, ends it). No token is stored.
"""
import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from .email_addresses import folded
from .extensions import db
from .models import User

CONFIRMATION_LIFETIME = timedelta(days=2)
RESET_LIFETIME = timedelta(hours=1)
TOKEN_MAX = 500  # a longer "token" in a form or URL is not one of ours


class BadToken(Exception):
    """The link is not one the board made, has expired, was used, or is for another state of the account."""


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(token: str, salt: str, lifetime: timedelta) -> dict:
    if not token or len(token) > TOKEN_MAX:
        raise BadToken("That link is incomplete.")
    try:
        data = _serializer(salt).loads(token, max_age=int(lifetime.total_seconds()))
    except BadData as error:
        expired = "expired" in type(error).__name__.lower()
        raise BadToken("That link has expired." if expired else "That link is not valid.") from None
    if not isinstance(data, dict):
        raise BadToken("That link is not valid.")
    return data


def email_confirmation_token(member: User, address: str) -> str:
    return _serializer("confirm-email").dumps({"member": member.id, "email": address})


def confirmation_of(token: str) -> tuple[int, str]:
    """(member id, address) a confirmation link is for; BadToken if it is not a live one."""
    data = _load(token, "confirm-email", CONFIRMATION_LIFETIME)
    if not isinstance(data.get("member"), int) or not isinstance(data.get("email"), str):
        raise BadToken("That link is not valid.")
    return data["member"], data["email"]


def reset_state(member: User) -> str:
    """Changes when the password or the confirmed address does; a reset link carries it, so it dies once used.

    A digest, so the link (readable base64, signed but not encrypted) shows neither the hash nor the address.
    """
    state = f"{member.password_hash}\0{folded(member.email or '')}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def password_reset_token(member: User) -> str:
    return _serializer("password-reset").dumps({"member": member.id, "state": reset_state(member)})


def member_for_reset(token: str) -> User:
    """The member a reset link is for, while the link is live (an hour, unused, sent to their current address)."""
    data = _load(token, "password-reset", RESET_LIFETIME)
    member = db.session.get(User, data["member"]) if isinstance(data.get("member"), int) else None
    if member is None or not member.email or not hmac.compare_digest(str(data.get("state", "")), reset_state(member)):
        raise BadToken("That link was already used or is no longer valid. Ask for a new one.")
    return member


# Unsubscribe links in notice mail: used without logging in (a mail client may POST them, RFC 8058), so the link is
# the member's only credential. It names the address it was sent to: once the member's address changes, the old
# mailbox's links no longer speak for them.
UNSUBSCRIBE_LIFETIME = timedelta(days=60)


def address_state(member: User) -> str:
    return hashlib.sha256(folded(member.email or "").encode()).hexdigest()[:16]


def unsubscribe_token(member: User) -> str:
    return _serializer("unsubscribe").dumps({"member": member.id, "to": address_state(member)})


def member_for_unsubscribe(token: str) -> User:
    """The member an unsubscribe link speaks for, while it is live (60 days, and sent to their current address)."""
    data = _load(token, "unsubscribe", UNSUBSCRIBE_LIFETIME)
    member = db.session.get(User, data["member"]) if isinstance(data.get("member"), int) else None
    if member is None or not member.email or not hmac.compare_digest(str(data.get("to", "")), address_state(member)):
        raise BadToken("That link was sent to an address this account no longer has.")
    return member
