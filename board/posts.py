"""Joining a conversation: reply to a post, vote on it."""
from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required

from .extensions import db
from .forms import ReplyForm
from .htmx import form_again, fragment_or_redirect, is_htmx
from .models import Post, Vote

bp = Blueprint("posts", __name__)
VOTE_VALUES = {"up": 1, "down": -1}


@bp.get("/posts/<int:post_id>/reply")
@login_required
def reply_form(post_id: int):
    post = get_post_or_404(post_id)
    if not post.accepts_reply_from(current_user):
        abort(403, "This post can't be replied to.")
    template = "posts/_reply_form.html" if is_htmx() else "posts/reply.html"
    return render_template(template, parent=post, form=ReplyForm(), inline=is_htmx())


@bp.post("/posts/<int:post_id>/reply")
@login_required
def reply(post_id: int):
    post = get_post_or_404(post_id)
    if not post.accepts_reply_from(current_user):
        abort(403, "This post can't be replied to.")
    form = ReplyForm()
    if not form.validate_on_submit():
        return form_again("posts/reply.html", "posts/_reply_form.html", parent=post, form=form, inline=is_htmx())
    new_reply = post.add_reply(current_user, form.body.data)
    db.session.commit()
    return fragment_or_redirect(
        "posts/_reply.html",
        post_url(new_reply),
        post=new_reply,
        votes={},
        replied_to=post,
        just_posted=True,
    )


@bp.post("/posts/<int:post_id>/vote")
@login_required
def vote(post_id: int):
    post = get_post_or_404(post_id)
    value = VOTE_VALUES.get(request.form.get("direction", ""))
    if value is None:
        abort(400, "Vote up or down.")
    if not post.can_vote(current_user):
        abort(403, "You can't vote on your own post or on a hidden one.")
    current = post.vote(current_user, value)
    db.session.commit()
    return fragment_or_redirect("posts/_vote.html", post_url(post), post=post, votes={post.id: current})


def get_post_or_404(post_id: int) -> Post:
    """The post with its author and thread, in one SELECT."""
    post = db.session.scalar(
        db.select(Post).where(Post.id == post_id).options(db.joinedload(Post.author), db.joinedload(Post.thread))
    )
    if post is None:
        abort(404)
    return post


def post_url(post: Post) -> str:
    return url_for("threads.show", thread_id=post.thread_id, _anchor=f"post-{post.id}")


# Editing, deleting and the edit history: stubs until implemented (see issue #3).
@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    abort(501)


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete(post_id: int):
    abort(501)


@bp.get("/posts/<int:post_id>/history")
def history(post_id: int):
    abort(501)
