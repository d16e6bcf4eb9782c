"""A member's own choices about the conversation: follow or mute a thread, block a member, save a post.

Each is a plain form (POST → 303 back to where it was made) and, with htmx, swaps its own small form in place. What
they change is shown only in the member's own pages (board/page_cache.py keeps those per member).
"""
from functools import partial

from flask import Blueprint, abort, make_response, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from .extensions import db
from .htmx import fragment_or_redirect
from .members import get_member_or_404
from .models import USERNAME_PATTERN, Block, Bookmark, Post, ThreadSubscription, User, ViewerState
from .posts import get_post_or_404, post_url
from .threads import get_thread_or_404

bp = Blueprint("following", __name__)
SAVED_PER_PAGE = 20
NAME_SUGGESTIONS = 8
NAME_SUGGESTIONS_SECONDS = 60  # how long a browser may reuse a list of names (new members appear within a minute)
LEVEL_WORDS = {"follow": "Following this thread.", "mute": "Thread muted.", "none": "Not following this thread."}


@bp.post("/threads/<int:thread_id>/follow")
@login_required
def follow(thread_id: int):
    """Follow, mute, or neither (level=follow|mute|none)."""
    thread = get_thread_or_404(thread_id)
    level = request.form.get("level", "")
    if level not in LEVEL_WORDS:
        abort(400, "Choose follow, mute or none.")
    if not thread.is_visible_to(current_user):
        abort(404)
    ThreadSubscription.set(current_user, thread, None if level == "none" else level)
    db.session.commit()
    return fragment_or_redirect(
        "threads/_follow.html", url_for("threads.show", thread_id=thread.id, _anchor="thread-follow"),
        LEVEL_WORDS[level], thread=thread, subscription=None if level == "none" else level, just_changed=True,
    )


@bp.post("/members/<name>/block")
@login_required
def block(name: str):
    """Block (block=1) or unblock (block=0) a member: their posts fold away for you and cannot notify you."""
    member = get_member_or_404(name)
    blocking = request.form.get("block") == "1"
    if member.id == current_user.id:
        abort(400, "You can't block yourself.")
    Block.set(current_user, member, blocking)
    db.session.commit()
    return fragment_or_redirect(
        "members/_block.html", url_for("members.profile", name=member.username),
        f"{'Blocked' if blocking else 'Unblocked'} {member.username}.",
        member=member, blocked=blocking, just_changed=True,
    )


@bp.post("/posts/<int:post_id>/bookmark")
@login_required
def bookmark(post_id: int):
    """Save (saved=1) or unsave (saved=0) a post; saving an opening post saves its thread."""
    post = get_post_or_404(post_id)
    if not post.is_visible_to(current_user):
        abort(404)
    saved = request.form.get("saved") == "1"
    Bookmark.set(current_user, post, saved)
    db.session.commit()
    return fragment_or_redirect(
        "posts/_bookmark.html", partial(post_url, post), "Saved." if saved else "Removed from Saved.",
        post=post, votes=ViewerState(bookmarked=frozenset({post.id} if saved else ())), just_changed=True,
    )


@bp.get("/u/<name>/saved")
@login_required
def saved(name: str):
    """The posts and threads a member saved, newest first: theirs alone to see."""
    member = get_member_or_404(name)
    if member.id != current_user.id:
        abort(403, "Only you can see what you saved.")
    query = (
        select(Bookmark)
        .join(Bookmark.post)
        .join(Post.thread)
        .options(contains_eager(Bookmark.post).contains_eager(Post.thread))
        .where(Bookmark.member_id == member.id)
        .order_by(Bookmark.created_at.desc(), Bookmark.post_id.desc())
    )
    page = db.paginate(query, per_page=SAVED_PER_PAGE, error_out=False, count=True)
    blocked = db.session.scalars(select(User).join(Block, Block.blocked_id == User.id)
                                 .where(Block.blocker_id == member.id).order_by(User.username)).all()
    return render_template("members/saved.html", member=member, page=page, blocked_members=blocked)


@bp.get("/members/suggest")
def suggest_names():
    """Up to NAME_SUGGESTIONS members whose username starts with ?q= (the @mention list of every Markdown box): their
    usernames, each with its display name beside it."""
    typed = request.args.get("q", "").removeprefix("@")
    names = []
    if typed and USERNAME_PATTERN.match(typed.ljust(3, "_")) and len(typed) <= 30:
        pattern = typed.lower().replace("_", "\\_") + "%"
        names = db.session.execute(
            select(User.username, User.display_name).where(func.lower(User.username).like(pattern, escape="\\"))
            .order_by(func.length(User.username), func.lower(User.username)).limit(NAME_SUGGESTIONS)
        ).all()
    response = make_response(render_template("members/_name_suggestions.html", names=names, typed=typed))
    response.vary.add("HX-Request")
    if not current_user.is_authenticated:  # a member's responses are never stored (board/security.py)
        response.cache_control.public = True
        response.cache_control.max_age = NAME_SUGGESTIONS_SECONDS
    return response
