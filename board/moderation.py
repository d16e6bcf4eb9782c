"""Moderators keeping the place civil: pin, lock, hide, mark spoilers, ban — each recorded in the public log."""
from datetime import datetime, time
from functools import partial

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from .access import moderator_required
from .extensions import db
from .forms import BanForm, HideForm, PinForm, ReplyForm
from .htmx import form_again, fragment_or_redirect
from .models import ModAction, Post, Thread, User, Vote
from .page_cache import moderation_log_tags, shared_page
from .posts import get_post_or_404, post_url
from .threads import get_thread_or_404

bp = Blueprint("moderation", __name__)
LOG_PER_PAGE = 50


# Threads: pin (optionally until a date) and lock ------------------------------------------------------------------------

@bp.post("/threads/<int:thread_id>/pin")
@moderator_required
def pin(thread_id: int):
    thread = get_thread_or_404(thread_id)
    form = PinForm()
    if not form.validate_on_submit():
        return form_again("moderation/pin.html", "threads/_head.html", thread=thread, pin_form=form)
    until = datetime.combine(form.until.data, time()) if form.until.data else None
    if not thread.is_pinned() or thread.pinned_until != until:
        thread.pin(current_user, until)
        db.session.commit()
    return _thread_changed(thread, "Thread pinned.")


@bp.post("/threads/<int:thread_id>/unpin")
@moderator_required
def unpin(thread_id: int):
    thread = get_thread_or_404(thread_id)
    if thread.pinned:
        thread.unpin(current_user)
        db.session.commit()
    return _thread_changed(thread, "Thread unpinned.")


@bp.post("/threads/<int:thread_id>/lock")
@moderator_required
def lock(thread_id: int):
    thread = get_thread_or_404(thread_id)
    if not thread.locked:
        thread.lock(current_user)
        db.session.commit()
    return _thread_changed(thread, "Thread locked: no new replies or votes.")


@bp.post("/threads/<int:thread_id>/unlock")
@moderator_required
def unlock(thread_id: int):
    thread = get_thread_or_404(thread_id)
    if thread.locked:
        thread.unlock(current_user)
        db.session.commit()
    return _thread_changed(thread, "Thread unlocked.")


def _thread_changed(thread: Thread, message: str):
    """The thread head, and (out of band) the reply area, which a lock opens or closes."""
    return fragment_or_redirect(
        "threads/_head.html",
        url_for("threads.show", thread_id=thread.id),
        message,
        thread=thread,
        pin_form=PinForm(),
        reply_form=ReplyForm(),
        oob_join=True,
    )


# Posts: hide with a public reason, or wrap in a spoiler ----------------------------------------------------------------

@bp.post("/posts/<int:post_id>/hide")
@moderator_required
def hide(post_id: int):
    post = get_post_or_404(post_id)
    form = HideForm()
    if not form.validate_on_submit():
        return form_again("moderation/hide.html", "moderation/_hide_form.html", post=post, form=form)
    if not post.hidden:
        post.hide(current_user, form.reason.data)
        db.session.commit()
    return _post_changed(post, "Post hidden.")


@bp.post("/posts/<int:post_id>/unhide")
@moderator_required
def unhide(post_id: int):
    post = get_post_or_404(post_id)
    if post.hidden:
        post.unhide(current_user)
        db.session.commit()
    return _post_changed(post, "Post visible again.")


@bp.post("/posts/<int:post_id>/spoiler")
@moderator_required
def mark_spoiler(post_id: int):
    post = get_post_or_404(post_id)
    if not post.marked_spoiler:
        post.mark_spoiler(current_user)
        db.session.commit()
    return _post_changed(post, "Post marked as a spoiler.")


@bp.post("/posts/<int:post_id>/unspoiler")
@moderator_required
def unmark_spoiler(post_id: int):
    post = get_post_or_404(post_id)
    if post.marked_spoiler:
        post.unmark_spoiler(current_user)
        db.session.commit()
    return _post_changed(post, "Spoiler mark removed.")


def _post_changed(post: Post, message: str):
    votes = Vote.values_by_post(current_user, [post.id])
    return fragment_or_redirect("posts/_post.html", partial(post_url, post), message, post=post, votes=votes)


# Members: ban for N days or permanently, unban --------------------------------------------------------------------------

@bp.post("/members/<int:member_id>/ban")
@moderator_required
def ban(member_id: int):
    member = get_member_or_404(member_id)
    if not current_user.can_ban(member):
        abort(403, "You can't ban this member.")
    form = BanForm()
    if not form.validate_on_submit():
        return form_again("moderation/ban.html", "moderation/_ban_form.html", member=member, ban_form=form)
    member.ban(current_user, form.days, form.reason.data)
    db.session.commit()
    return _member_changed(member, f"{member.username} is banned.")


@bp.post("/members/<int:member_id>/unban")
@moderator_required
def unban(member_id: int):
    member = get_member_or_404(member_id)
    if not current_user.can_ban(member):
        abort(403, "You can't unban this member.")
    if member.banned_at is not None:
        member.unban(current_user)
        db.session.commit()
    return _member_changed(member, f"{member.username} is no longer banned.")


def _member_changed(member: User, message: str):
    back = request.referrer if request.referrer and request.referrer.startswith(request.host_url) else None
    return fragment_or_redirect(
        "moderation/_ban_form.html", back or url_for("moderation.log"), message, member=member
    )


def get_member_or_404(member_id: int) -> User:
    member = db.session.get(User, member_id)
    if member is None:
        abort(404)
    if member.is_deleted:
        abort(410, "This member deleted their account.")
    return member


# The public log ----------------------------------------------------------------------------------------------------------

@bp.get("/moderation/log")
@shared_page(tags=moderation_log_tags)
def log():
    action = request.args.get("action") or None
    moderator_name = request.args.get("moderator") or None
    if action and action not in ModAction.LABELS:
        abort(400, "Unknown action.")
    page = db.paginate(ModAction.listing(action, moderator_name), per_page=LOG_PER_PAGE, error_out=False, count=True)
    targets = ModAction.describe_targets(page.items, current_user)
    return render_template(
        "moderation/log.html",
        page=page,
        targets=targets,
        action=action,
        moderator_name=moderator_name,
        actions=ModAction.LABELS,
        filters=ModAction.FILTER_LABELS,
        moderators=ModAction.moderator_names(),
    )
