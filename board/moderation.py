"""Moderators keeping the place civil: pin and unpin threads, hide and unhide posts."""
from functools import wraps

from flask import Blueprint, abort, url_for
from flask_login import current_user, login_required

from .extensions import db
from .forms import HideForm
from .htmx import form_again, fragment_or_redirect
from .models import Vote
from .posts import get_post_or_404, post_url
from .threads import get_thread_or_404

bp = Blueprint("moderation", __name__)


def moderator_required(view):
    """Logged in (else to the login page) and a moderator or admin (else 403)."""

    @wraps(view)
    @login_required
    def checked(*args, **kwargs):
        if not current_user.can_moderate():
            abort(403, "Only moderators can do that.")
        return view(*args, **kwargs)

    return checked


@bp.post("/threads/<int:thread_id>/pin")
@moderator_required
def pin(thread_id: int):
    return _set_pinned(thread_id, True)


@bp.post("/threads/<int:thread_id>/unpin")
@moderator_required
def unpin(thread_id: int):
    return _set_pinned(thread_id, False)


def _set_pinned(thread_id: int, pinned: bool):
    thread = get_thread_or_404(thread_id)
    if thread.pinned != pinned:
        (thread.pin if pinned else thread.unpin)(current_user)
        db.session.commit()
    return fragment_or_redirect(
        "threads/_head.html",
        url_for("threads.show", thread_id=thread.id),
        "Thread pinned." if pinned else "Thread unpinned.",
        thread=thread,
    )


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


def _post_changed(post, message: str):
    votes = Vote.values_by_post(current_user, [post.id])
    return fragment_or_redirect("posts/_post.html", post_url(post), message, post=post, votes=votes)
