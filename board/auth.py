"""Joining and signing in: register, log in, log out, change password, reset a forgotten one by mail."""
from functools import cache

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam

from .access import end_banned_session
from .account import ADDRESS_TAKEN, ask_to_confirm
from .extensions import db, login_manager
from .forms import ForgotPasswordForm, LoginForm, PasswordForm, RegisterForm, ResetPasswordForm
from .htmx import is_htmx
from .logs import refused_login
from .mail import request_password_reset
from .models import User, Visitor
from .security import safe_next
from .tokens import BadToken, member_for_reset

RESET_SENT = ("If a member confirmed that address, a link to choose a new password is on its way to it. "
              "The link works for an hour, once.")

bp = Blueprint("auth", __name__)
bp.before_app_request(end_banned_session)
login_manager.anonymous_user = Visitor
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to do that."


@login_manager.user_loader
def load_member(session_token: str) -> User | None:
    # The header's unread count comes in the same SELECT: no extra query on any page.
    return db.session.scalar(member_statement(), {"session_token": session_token})


@cache
def member_statement():
    """load_member's SELECT, its token bound when it runs: built once, as every member's request runs it."""
    return db.select(User).where(User.session_token == bindparam("session_token")).options(
        db.undefer(User.unread_notifications)
    )


@login_manager.unauthorized_handler
def send_to_login():
    """To the login page and back: HX-Redirect for HTMX (never a login form swapped into a button)."""
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    else:
        back = safe_next(_path_of(request.headers.get("HX-Current-URL") or request.referrer)) or url_for("threads.index")
    login_url = url_for("auth.login", next=back)
    if is_htmx():
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login_url
        return response
    flash(login_manager.login_message)
    return redirect(login_url, 303)


def _path_of(url: str | None) -> str | None:
    """The path (and query and anchor) of a URL on this host, for coming back after logging in."""
    if not url or not url.startswith(request.host_url):
        return None
    return "/" + url.removeprefix(request.host_url)


def start_session(user: User, remember: bool = False) -> None:
    """A fresh session for each login, so nothing from before it (or planted in it) carries over."""
    session.clear()
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        if form.email.data and User.email_taken(form.email.data):
            form.email.errors.append(ADDRESS_TAKEN)
        elif (user := User.register(form.username.data, form.password.data)) is not None:
            if form.email.data:
                ask_to_confirm(user, form.email.data)
            db.session.commit()
            start_session(user)
            flash(f"Welcome to Reelboard, {user.username}.")
            if form.email.data:
                flash(f"We sent a link to {form.email.data}: follow it to confirm your address.")
            return redirect(url_for("threads.index"), 303)
        else:
            form.username.errors.append("That username is taken.")
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = User.authenticate(form.username.data, form.password.data)
        if user is not None and user.is_banned():
            refused_login(form.username.data, "banned member")
            form.form_errors.append(user.ban_notice())
        elif user is not None:
            start_session(user, remember=form.remember.data)
            flash(f"Welcome back, {user.username}.")
            return redirect(safe_next(request.args.get("next")) or url_for("threads.index"), 303)
        else:
            refused_login(form.username.data, "unknown username or wrong password")
            form.form_errors.append("Unknown username or wrong password.")
    has_errors = bool(form.errors or form.form_errors)
    return render_template("auth/login.html", form=form), 422 if has_errors else 200


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
        logout_user()
    session.clear()
    flash("You have logged out on every device.")
    response = redirect(url_for("threads.index"), 303)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'  # nothing of the member's stays in this browser
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current.data):
            current_user.set_password(form.password.data)
            db.session.commit()
            start_session(current_user._get_current_object())
            flash("Password changed. Every other session has been logged out.")
            return redirect(url_for("threads.index"), 303)
        form.current.errors.append("That is not your current password.")
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """The same answer, after the same work (one INSERT), whether or not the address is a member's (board/mail.py)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data, url_for("auth.reset_password", _external=True))
        db.session.commit()
        flash(RESET_SENT)
        return redirect(url_for("auth.login"), 303)
    return render_template("auth/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    try:
        member = member_for_reset(request.values.get("token", ""))
    except BadToken as bad:
        return render_template("auth/reset_password.html", problem=str(bad)), 400
    form = ResetPasswordForm(member, token=request.args.get("token"))
    if form.validate_on_submit():
        member.set_password(form.password.data)  # ends every session, and this link with the old password
        db.session.commit()
        start_session(member)
        flash("Password set. Every other session has been logged out.")
        return redirect(url_for("threads.index"), 303)
    return render_template("auth/reset_password.html", form=form, member=member), 422 if form.errors else 200
