"""Admins: the member list (search, filters, post counts and karma), role changes in place, and a member's data
or account deletion (the admin's own password required, recorded in the moderation log)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .access import admin_required
from .extensions import db
from .forms import DeleteAccountForm, RoleForm
from .htmx import fragment_or_redirect
from .leaving import export_response
from .models import Role, User
from .moderation import get_member_or_404

bp = Blueprint("admin", __name__, url_prefix="/admin")
MEMBERS_PER_PAGE = 50
BANNED_FILTERS = ("", "yes", "no")


@bp.get("/members")
@admin_required
def members():
    query, role, banned = request.args.get("q", "").strip(), request.args.get("role", ""), request.args.get("banned", "")
    if role not in ("", *Role) or banned not in BANNED_FILTERS:
        abort(400, "Unknown filter.")
    page = db.paginate(User.directory(query, role or None, banned or None), per_page=MEMBERS_PER_PAGE, error_out=False)
    return render_template(
        "admin/members.html",
        page=page,
        stats=User.post_stats([member.id for member in page.items]),
        query=query,
        role=role,
        banned=banned,
        roles=list(Role),
    )


@bp.post("/members/<int:member_id>/role")
@admin_required
def set_role(member_id: int):
    member = get_member_or_404(member_id)
    if member.id == current_user.id:
        abort(403, "You can't change your own role: ask another admin.")
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400, "Choose member, moderator or admin.")
    if member.role != form.role.data:
        member.change_role(current_user, Role(form.role.data))
        db.session.commit()
    return fragment_or_redirect(
        "admin/_member_row.html",
        url_for("admin.members", q=member.username),
        f"{member.username} is now a {member.role}.",
        member=member,
        stats=User.post_stats([member.id]),
    )


@bp.get("/members/<int:member_id>/data")
@admin_required
def export_member(member_id: int):
    return export_response(get_member_or_404(member_id))


@bp.route("/members/<int:member_id>/delete", methods=["GET", "POST"])
@admin_required
def delete_member(member_id: int):
    member = get_member_or_404(member_id)
    if member.id == current_user.id:
        abort(403, "Delete your own account from your account page.")
    if member.role == Role.ADMIN:
        abort(403, "An admin's account is deleted by its owner, or once another admin has made it a member's.")
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current.data):
            member.delete_account(current_user, remove_posts=form.remove_posts)
            db.session.commit()
            flash("The account is deleted." + (" Its posts' text is removed." if form.remove_posts else ""))
            return redirect(url_for("admin.members"), 303)
        form.current.errors.append("That is not your current password.")
    return render_template("account/delete.html", form=form, member=member), 422 if form.errors else 200
