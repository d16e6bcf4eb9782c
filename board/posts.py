"""Joining a conversation: reply to a post, vote on it."""
from functools import cache, partial

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from .database import reading
from .diffs import versions_of
from .extensions import db
from .forms import ReplyForm, edit_form_for
from .htmx import form_again, fragment_or_redirect, is_htmx
from .markup import quote_markdown
from .models import Film, Post, PostRevision, Thread, ViewerState, render_body
from .notifications import notifier
from .previews import preview_response, wants_preview
from .ranking import new_reply_url, reply_url
from .templating import absolute_url

bp = Blueprint("posts", __name__)
VOTE_VALUES = {"up": 1, "down": -1}


@bp.get("/posts/<int:post_id>/reply")
@login_required
def reply_form(post_id: int):
    post = get_post_or_404(post_id)
    if not post.accepts_reply_from(current_user):
        abort(403, "This post can't be replied to.")
    quoting = request.args.get("quote") and post.can_quote(current_user)
    form = ReplyForm(body=quote_of(post)) if quoting else ReplyForm()
    template = "posts/_reply_form.html" if is_htmx() else "posts/reply.html"
    return render_template(template, parent=post, form=form, inline=is_htmx())


@bp.post("/posts/<int:post_id>/reply")
@login_required
def reply(post_id: int):
    with reading():  # checks and Markdown before the write lock: other writers wait only for the inserts
        post = get_post_or_404(post_id)
        if not post.accepts_reply_from(current_user):
            abort(403, "This post can't be replied to.")
        form = ReplyForm()
        if wants_preview():
            return preview_response(form, form.body, post_html, "posts/reply.html", parent=post, inline=False)
        if not form.validate_on_submit():
            return form_again("posts/reply.html", "posts/_reply_form.html", parent=post, form=form, inline=is_htmx())
        body = render_body(form.body.data)
        notify = notifier(body.html, replied_to=post, author=current_user)
        url_of = post_url if is_htmx() else new_reply_url(post)  # a fragment needs no URL; a redirect's page, read now
    new_reply = post.add_reply(current_user, body, notify=notify)
    db.session.commit()
    return fragment_or_redirect(
        "posts/_reply.html",
        partial(url_of, new_reply),
        post=new_reply,
        votes={},
        replied_to=post,
        just_posted=True,
    )


@bp.post("/posts/<int:post_id>/vote")
@login_required
def vote(post_id: int):
    with reading():
        post = get_post_or_404(post_id, statement=post_to_vote_statement())
        value = VOTE_VALUES.get(request.form.get("direction", ""))
        if value is None:
            abort(400, "Vote up or down.")
        if not post.thread.permits_reply():
            abort(403, "This thread is locked: no new votes.")
        if not post.can_vote(current_user):
            abort(403, "You can't vote on your own post or on a hidden one.")
    current = post.vote(current_user, value)
    db.session.commit()
    return fragment_or_redirect("posts/_vote.html", partial(post_url, post), post=post, votes={post.id: current})


def get_post_or_404(post_id: int, statement=None) -> Post:
    """The post with its author, thread and film, in one SELECT (what a write to it renews is then known), or with
    what `statement` (one that binds "post_id") loads."""
    post = db.session.scalar(statement if statement is not None else post_statement(), {"post_id": post_id})
    if post is None:
        abort(404)
    return post


@cache
def post_statement():
    """get_post_or_404's SELECT, built once."""
    return (db.select(Post).where(Post.id == db.bindparam("post_id"))
            .options(db.joinedload(Post.author), db.joinedload(Post.thread).joinedload(Thread.film)))


@cache
def post_to_vote_statement():
    """What a vote and its fragment read: the post, its thread (locked?) and film (the page cache's tags), built once.
    Only the columns a vote, its fragment and its redirect (board/ranking.py reply_url) ask: not its author (only
    author_id), nor its text (its Markdown and HTML, many times the rest of the row), nor the dates."""
    return (db.select(Post).where(Post.id == db.bindparam("post_id"))
            .options(db.load_only(*VOTED_POST_COLUMNS),
                     db.joinedload(Post.thread).load_only(Thread.film_id, Thread.locked)
                     .joinedload(Thread.film).load_only(Film.slug)))


VOTED_POST_COLUMNS = (Post.thread_id, Post.parent_id, Post.author_id, Post.depth, Post.path, Post.score, Post.upvotes,
                      Post.downvotes, Post.hidden, Post.deleted)


def quote_of(post: Post) -> str:
    """The whole post's Markdown quoted, naming its author and linking it (what Quote fills a reply with)."""
    source = absolute_url("reading.permalink", post_id=post.id)
    return quote_markdown(post.author.shown_name, source, post.body_source, spoiler=post.marked_spoiler)


def post_html(source: str) -> str:
    """A post's HTML as saving it would store it (mentions of members who exist linked)."""
    return render_body(source).html


def post_url(post: Post) -> str:
    """The post on the page that holds it (board/ranking.py: its page of top-level replies, or a focused branch)."""
    return reply_url(post)


# Editing, deleting and the edit history (issue #3) ------------------------------------------------------------------

@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    post = get_post_or_404(post_id)
    if not post.can_edit(current_user):
        abort(403, "You can edit only your own posts, and not once they are hidden or deleted.")
    if request.method == "GET":
        form = edit_form_for(post, body=post.body_source, title=post.thread.title)
        template = "posts/_edit_form.html" if is_htmx() else "posts/edit.html"
        return render_template(template, post=post, form=form, inline=is_htmx())
    form = edit_form_for(post)
    if wants_preview():
        return preview_response(form, form.body, post_html, "posts/edit.html", post=post, inline=False)
    if not form.validate_on_submit():
        return form_again("posts/edit.html", "posts/_edit_form.html", post=post, form=form, inline=is_htmx())
    revision = post.edit(current_user, form.body.data, form.data.get("title"))
    db.session.commit()
    return fragment_or_redirect(
        "posts/_edited.html",
        partial(post_url, post),
        "Post updated." if revision else "Nothing changed.",
        post=post,
        votes=ViewerState.load(current_user, [post.id]),
        title_changed=revision is not None and revision.title not in (None, post.thread.title),
    )


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete(post_id: int):
    post = get_post_or_404(post_id)
    if not post.can_delete(current_user):
        abort(403, "Only the author can delete a post.")
    post.delete()
    db.session.commit()
    votes = ViewerState.load(current_user, [post.id])
    return fragment_or_redirect("posts/_post.html", partial(post_url, post), "Post deleted.", post=post, votes=votes)


@bp.get("/posts/<int:post_id>/history")
def history(post_id: int):
    post = get_post_or_404(post_id)
    if not post.is_visible_to(current_user):
        abort(404)  # as if it weren't there: a hidden or deleted post's history would show its text
    revisions = db.session.scalars(
        db.select(PostRevision)
        .join(PostRevision.editor)
        .options(db.contains_eager(PostRevision.editor))
        .where(PostRevision.post_id == post.id)
        .order_by(PostRevision.id.desc())
    ).all()
    return render_template("posts/history.html", post=post, versions=versions_of(post, revisions))
