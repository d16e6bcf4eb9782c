"""Reading long threads: a focused branch ("continue this thread"), reply permalinks, the new-replies check."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from .extensions import db
from .htmx import is_htmx
from .models import Post, Thread, plain_rows
from .page_cache import shared_page, thread_tags
from .posts import get_post_or_404
from .ranking import read, reply_url
from .threads import get_thread_or_404, render_reading, reply_sort

bp = Blueprint("reading", __name__)


@bp.get("/threads/<int:thread_id>/posts/<int:post_id>")
@shared_page(tags=thread_tags)
def focus(thread_id: int, post_id: int):
    """One reply and everything under it, as the root of the page: the same walk, one SELECT for the branch and
    the reply it answers (for its "replying to")."""
    thread = get_thread_or_404(thread_id)
    focused = aliased(Post)
    where_focused = (focused.id == post_id, focused.thread_id == thread.id)
    branch = Post.path.startswith(select(focused.path).where(*where_focused).scalar_subquery())
    its_parent = Post.id == select(focused.parent_id).where(*where_focused).scalar_subquery()
    rows = plain_rows(Post.tree_rows(thread.id).where(or_(branch, its_parent)))
    parent = rows.pop(0) if rows and rows[0].id != post_id else None  # a parent's path sorts before its reply's
    if not rows:
        abort(404)
    if rows[0].parent_id is None:
        return redirect(url_for("threads.show", thread_id=thread.id), 302)
    posts = [Post.from_row(rows[0], thread), *rows[1:]]
    return render_reading("threads/focus.html", thread, read(posts, reply_sort(), paginate=False, parent=parent))


@bp.get("/posts/<int:post_id>")
def permalink(post_id: int):
    """A link to a post that stays good: to the page (and order) that holds it now, at its anchor."""
    return redirect(reply_url(get_post_or_404(post_id)), 302)


@bp.get("/threads/<int:thread_id>/new-replies")
def new_replies(thread_id: int):
    """Readable replies newer than ?since= (the page's newest post): 204 while their number is still ?seen=,
    else the notice (htmx) or a redirect to the first of them. One SELECT."""
    since, seen = request.args.get("since", type=int), request.args.get("seen", 0, type=int)
    if since is None or not 0 <= since < 2**31 or not 0 <= seen < 2**31:
        abort(400, "Say since which post: ?since=<post id>.")
    newer = and_(Post.thread_id == Thread.id, Post.id > since, Post.parent_id.is_not(None),
                 Post.hidden.is_(False), Post.deleted.is_(False))
    row = db.session.execute(
        select(func.count(Post.id), func.min(Post.id)).select_from(Thread).outerjoin(Post, newer)
        .where(Thread.id == thread_id).group_by(Thread.id)
    ).first()
    if row is None:
        abort(404)
    count, first_id = row
    if count <= seen:
        return "", 204
    if not is_htmx():
        return redirect(url_for("reading.permalink", post_id=first_id), 303)
    return render_template("threads/_new_replies.html", thread_id=thread_id, since=since, count=count,
                           first_id=first_id, poll_seconds=current_app.config["NEW_REPLIES_POLL_SECONDS"])

