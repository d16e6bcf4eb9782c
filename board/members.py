"""Member profiles: who they are (joined, karma, a short bio) and what they wrote (threads and replies).

A profile opens on the member's threads, or on their replies when the viewer may see none of their threads.
"""
from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased, contains_eager, undefer

from .extensions import db
from .film_logs import SpoilerSettingForm, diary_of
from .forms import BioForm
from .images import picture_response
from .htmx import form_again, fragment_or_redirect, is_htmx
from .models import Block, MemberAvatar, Post, RetiredName, Thread, User, is_deleted_name
from .page_cache import shared_page
from .previews import preview_response, wants_preview

bp = Blueprint("members", __name__)
TABS = ("threads", "replies", "diary")  # the diary: the films they logged (board/film_logs.py)
PROFILE_PER_PAGE = 20


@bp.get("/u/<name>")
@shared_page
def profile(name: str):
    member = get_member_or_404(name)
    chosen = request.args.get("tab")
    if chosen not in (None, *TABS):
        abort(400, f"Show one of: {', '.join(TABS)}.")
    tab = chosen or "threads"
    page = listed(member, tab)
    if chosen is None and not page.total:  # open on what the member has: a member who only replies, on Replies
        replies = listed(member, "replies")
        if replies.total:
            tab, page = "replies", replies
    _posts, karma = User.post_stats([member.id]).get(member.id, (0, 0))
    blocked = Block.exists(current_user, member.id) if current_user.is_authenticated and current_user.id != member.id else False
    return render_template("members/profile.html", member=member, karma=karma, tab=tab, tabs=TABS, page=page,
                           blocked=blocked)


def listed(member: User, tab: str):
    """A page (?page=) of the member's threads or replies, as the viewer may see them: a count and a SELECT."""
    if tab == "diary":
        query = diary_of(member)
    else:
        query = threads_by(member, current_user) if tab == "threads" else replies_by(member, current_user)
    return db.paginate(query, per_page=PROFILE_PER_PAGE, error_out=False, count=True)


@bp.get("/avatars/<int:member_id>/<digest>.webp")
def avatar(member_id: int, digest: str):
    """A member's avatar under the digest that names it; a former digest is a 404 (pages renewed with the change name
    the new one at once, and a year-long cache must never answer a removed picture's URL with something else)."""
    avatar = db.session.scalar(select(MemberAvatar).options(undefer(MemberAvatar.data))
                               .where(MemberAvatar.member_id == member_id, MemberAvatar.digest == digest))
    if avatar is None:
        abort(404)
    return picture_response(avatar.data, avatar.digest)


@bp.route("/u/<name>/bio", methods=["GET", "POST"])
@login_required
def bio(name: str):
    member = get_member_or_404(name)
    if member.id != current_user.id:
        abort(403, "You can edit only your own bio.")
    if request.method == "GET":
        form = BioForm(bio=member.bio_source)
        template = "members/_bio_form.html" if is_htmx() else "members/bio.html"
        return render_template(template, member=member, form=form, setting_form=spoiler_setting_form(member))
    form = BioForm()
    if wants_preview():
        return preview_response(form, form.bio, User.bio_html_for, "members/bio.html", member=member,
                                setting_form=spoiler_setting_form(member))
    if not form.validate_on_submit():
        return form_again("members/bio.html", "members/_bio_form.html", member=member, form=form,
                          setting_form=spoiler_setting_form(member))
    member.set_bio(form.bio.data)
    db.session.commit()
    return fragment_or_redirect(
        "members/_bio.html", url_for("members.profile", name=member.username), "Bio saved.", member=member, saved=True
    )


def spoiler_setting_form(member: User) -> SpoilerSettingForm:
    """The "I've seen it" setting, shown with the bio form (the member's settings page for now)."""
    return SpoilerSettingForm(formdata=None, reveal=member.reveal_seen_spoilers)


def get_member_or_404(name: str) -> User:
    """The member called `name`; 410 Gone for a deleted account's name (retired: it never comes back), else 404."""
    member = User.by_username(name, shown=True)
    if member is None:
        if is_deleted_name(name) or RetiredName.is_retired(name):
            abort(410, "This member deleted their account.")
        abort(404)
    return member


def threads_by(member: User, viewer):
    """The threads a member started, newest first, with film and opening post: one SELECT.

    Threads whose opening post is hidden or deleted are listed to moderators only.
    """
    query = (
        select(Thread)
        .join(Thread.opening_post)
        .join(Thread.film)
        .options(contains_eager(Thread.opening_post), contains_eager(Thread.film))
        .where(Thread.author_id == member.id)
        .order_by(Thread.created_at.desc(), Thread.id.desc())
    )
    if not viewer.can_moderate():
        query = query.where(Post.hidden.is_(False), Post.deleted.is_(False))
    return query


def replies_by(member: User, viewer):
    """A member's replies, newest first, each with its thread: one SELECT.

    Hidden and deleted replies, and replies in a thread whose opening post is hidden, are listed to moderators only.
    """
    opening = aliased(Post)
    query = (
        select(Post)
        .join(Post.thread)
        .options(contains_eager(Post.thread))
        .where(Post.author_id == member.id, Post.parent_id.is_not(None))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    if not viewer.can_moderate():
        query = query.join(opening, and_(opening.thread_id == Post.thread_id, opening.parent_id.is_(None))).where(
            Post.hidden.is_(False), Post.deleted.is_(False), opening.hidden.is_(False)
        )
    return query
