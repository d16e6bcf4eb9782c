"""Admins: the member list (search, filters, post counts and karma) and role changes in place."""
from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from .access import admin_required
from .extensions import db
from .forms import RoleForm
from .htmx import fragment_or_redirect
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
