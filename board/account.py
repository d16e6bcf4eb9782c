"""A member's account: the page that gathers it all, their email address (set with the current password, confirmed
through a signed link sent to it), the notices sent to it (board/notices.py: chosen here, stopped by the one-click link
each of them carries), how they appear to others (a display name beside their username, an avatar), logging out
elsewhere, and leaving — their data as a file, deleting the account."""
from flask import (Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_required, logout_user
from sqlalchemy.exc import IntegrityError

from . import mail
from .email_addresses import folded
from .extensions import csrf, db
from .forms import AvatarForm, DeleteAccountForm, DisplayNameForm, EmailForm, NoticesForm
from .leaving import export_response
from .models import EmailNotices, User
from .tokens import BadToken, confirmation_of, email_confirmation_token, member_for_unsubscribe

bp = Blueprint("account", __name__)
ADDRESS_TAKEN = "Another account has confirmed that address. Use another, or reset that account's password."


def ask_to_confirm(member: User, address: str) -> None:
    """The address waits for confirmation, and the link to confirm it is queued to it (in the caller's transaction)."""
    member.ask_to_confirm(address)
    link = url_for("account.confirm_email", token=email_confirmation_token(member, address), _external=True)
    mail.send(address, "confirm_email", member=member, link=link)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def email():
    form = EmailForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("That is not your current password.")
        elif current_user.email and folded(current_user.email) == folded(form.email.data):
            form.email.errors.append("That is already your address.")
        elif User.email_taken(form.email.data, by_other_than=current_user):
            form.email.errors.append(ADDRESS_TAKEN)
        else:
            if current_user.email:  # the old address hears of it: a stolen session can't move the account quietly
                mail.send(current_user.email, "email_change_requested", member=current_user, new_address=form.email.data)
            ask_to_confirm(current_user, form.email.data)
            db.session.commit()
            flash(f"We sent a link to {form.email.data}. Your address changes when you follow it.")
            return redirect(url_for("account.email"), 303)
    return render_template("account/email.html", form=form), 422 if form.errors else 200


@bp.route("/account/email/confirm", methods=["GET", "POST"])
@login_required
def confirm_email():
    """GET shows a button, POST confirms: a mail scanner that opens the link changes nothing."""
    token = request.values.get("token", "")
    try:
        member_id, address = confirmation_of(token)
    except BadToken as bad:
        abort(400, f"{bad} Ask for a new confirmation link on your email page.")
    if member_id != current_user.id:
        abort(403, "This confirmation link is for another account. Log in as that member to confirm it.")
    if request.method == "GET":
        return render_template("account/confirm_email.html", address=address, token=token)
    if User.email_taken(address, by_other_than=current_user):
        abort(409, ADDRESS_TAKEN)
    if not current_user.confirm_email(address):
        abort(400, "That link was already used, or a newer request replaced it. Your address is unchanged.")
    try:
        db.session.commit()
    except IntegrityError:  # another member confirmed the same address at the same moment
        db.session.rollback()
        abort(409, ADDRESS_TAKEN)
    flash(f"Your email address is now {address}.")
    return redirect(url_for("account.email"), 303)


NOTICE_WORDS = {
    EmailNotices.OFF: "Email notices are off.",
    EmailNotices.IMMEDIATE: "You will get email notices right away.",
    EmailNotices.DIGEST: "You will get a daily digest by email.",
}
ONE_CLICK = "One-Click"


@bp.route("/account/notices", methods=["GET", "POST"])
@login_required
def notices():
    """Email notices: never, right away, or a daily digest; only to a confirmed address."""
    form = NoticesForm(data={"notices": EmailNotices.mode_of(current_user)})
    if form.validate_on_submit():
        if form.notices.data != EmailNotices.OFF and not current_user.email:
            form.notices.errors.append("Confirm an email address first: notices go only to a confirmed address.")
        else:
            EmailNotices.set(current_user, form.notices.data)
            db.session.commit()
            flash(NOTICE_WORDS[form.notices.data])
            return redirect(url_for("account.notices"), 303)
    return render_template("account/notices.html", form=form), 422 if form.errors else 200


@bp.route("/notices/unsubscribe", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe():
    """Stop every email notice, from the link in one, without logging in: GET shows a button (a mail scanner that
    opens links changes nothing), POST stops them — from that button, or from a mail client (RFC 8058).

    No CSRF token: a mail client's one-click POST cannot carry one, and none is needed. CSRF rides on a browser's
    cookies; here no cookie can make anything happen (a session can only make it refuse: another member's link).
    The signed token in the link, which only the recipient's mailbox holds and no other site can forge, names the
    member, and all it can do is turn their notices off.
    """
    token = request.args.get("token", "")
    try:
        member = member_for_unsubscribe(token)
    except BadToken as bad:
        abort(400, f"{bad} Choose your notices on your account's notices page instead.")
    if current_user.is_authenticated and current_user.id != member.id:
        abort(403, "This unsubscribe link is for another account. Log out, or log in as that member, to use it.")
    if request.method == "GET":
        response = make_response(render_template(
            "account/unsubscribe.html", member=member, token=token, mode=EmailNotices.mode_of(member)))
        response.headers["Cache-Control"] = "no-store"  # it shows whose link this is
        return response
    EmailNotices.set(member, EmailNotices.OFF)
    db.session.commit()
    if request.form.get("List-Unsubscribe") == ONE_CLICK:  # a mail client: nobody reads the answer
        return "Unsubscribed.", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    flash(NOTICE_WORDS[EmailNotices.OFF])
    return redirect(url_for("account.unsubscribe", token=token), 303)


@bp.get("/account")
@login_required
def index():
    return render_template("account/index.html")


@bp.post("/account/sessions")
@login_required
def end_other_sessions():
    """Log out everywhere else: every session and remember-me cookie ends, then this one starts again."""
    from .auth import start_session  # auth imports this module

    member = current_user._get_current_object()
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    member.end_sessions()
    db.session.commit()
    start_session(member, remember=remembered)
    flash("You are logged out everywhere else. This session goes on.")
    return redirect(url_for("account.index"), 303)


@bp.get("/account/data")
@login_required
def export():
    """The member's data as a JSON file (a GET a link can start; never stored: no-store)."""
    return export_response(current_user)


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current.data):
            current_user.delete_account(current_user, remove_posts=form.remove_posts)
            db.session.commit()
            logout_user()
            session.clear()
            flash("Your account is deleted. Thank you for the conversations.")
            response = redirect(url_for("threads.index"), 303)
            response.headers["Clear-Site-Data"] = '"cache", "storage"'
            response.headers["Cache-Control"] = "no-store"  # answered to the session it ends
            return response
        form.current.errors.append("That is not your current password.")
    return render_template("account/delete.html", form=form, member=current_user), 422 if form.errors else 200


@bp.get("/account/profile")
@login_required
def profile():
    return profile_page()


def profile_page(name_form: DisplayNameForm | None = None, avatar_form: AvatarForm | None = None):
    """The page of both forms, one of them maybe sent back with its errors (422, what was typed kept)."""
    name_form = name_form or DisplayNameForm(display_name=current_user.display_name)
    avatar_form = avatar_form or AvatarForm(formdata=None)
    failed = name_form.errors or avatar_form.errors
    return render_template("account/profile.html", name_form=name_form, avatar_form=avatar_form), 422 if failed else 200


@bp.post("/account/profile/name")
@login_required
def display_name():
    form = DisplayNameForm()
    valid = form.validate_on_submit()
    problem = valid and form.display_name.data and current_user.impersonation_in(form.display_name.data)
    if problem:
        form.display_name.errors.append(problem)
    if not valid or problem:
        return profile_page(name_form=form)
    current_user.set_display_name(form.display_name.data)
    db.session.commit()
    flash("Display name saved." if form.display_name.data else "Display name removed: your username shows alone.")
    return redirect(url_for("account.profile"), 303)


@bp.post("/account/profile/avatar")
@login_required
def avatar():
    form = AvatarForm()
    if not form.validate_on_submit():
        return profile_page(avatar_form=form)
    current_user.set_avatar(form.avatar.picture)
    db.session.commit()
    flash("Avatar saved.")
    return redirect(url_for("account.profile"), 303)


@bp.post("/account/profile/avatar/remove")
@login_required
def remove_avatar():
    """No form of its own: the CSRF token is checked for every POST (board/extensions.py)."""
    current_user.remove_avatar()
    db.session.commit()
    flash("Avatar removed: your initials show instead.")
    return redirect(url_for("account.profile"), 303)
