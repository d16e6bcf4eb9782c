"""Who may do what, checked on the server: decorators for views, and the ban that ends a session."""
from functools import wraps

from flask import abort, flash, request, session
from flask_login import current_user, login_required, logout_user

from .database import reading
from .extensions import db
from .htmx import is_htmx
from .security import READ_ONLY_METHODS, is_signed_in


def moderator_required(view):
    """Logged in (else to the login page) and a moderator or admin (else 403)."""

    @wraps(view)
    @login_required
    def checked(*args, **kwargs):
        if not current_user.can_moderate():
            abort(403, "Only moderators can do that.")
        return view(*args, **kwargs)

    return checked


def admin_required(view):
    """Logged in (else to the login page) and an admin (else 403)."""

    @wraps(view)
    @login_required
    def checked(*args, **kwargs):
        if not current_user.can_administer():
            abort(403, "Only admins can do that.")
        return view(*args, **kwargs)

    return checked


def end_banned_session():
    """A banned member's session ends at their next request, and they are told why and until when.

    A read goes on as a visitor with the notice shown; an action is refused (403) with the notice.
    """
    if request.endpoint == "static" or not is_signed_in():
        return None  # static files, visitors: nothing to check, no database, no session
    if request.method in READ_ONLY_METHODS:  # a read's one transaction goes on: it never takes the write lock
        banned = current_user.is_authenticated and current_user.is_banned()
    else:
        with reading():  # loading the member does not hold up other writers
            banned = current_user.is_authenticated and current_user.is_banned()
    if not banned:
        return None
    notice = current_user.ban_notice()
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    if request.method not in READ_ONLY_METHODS:
        if is_htmx():
            flash(notice)  # the toast fades; the next page says it again
        abort(403, notice)
    flash(notice)
    return None
