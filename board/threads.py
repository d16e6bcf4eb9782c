"""Reading and starting threads: the front page, a thread page, a new thread."""
from functools import cache

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import Integer, bindparam

from .extensions import db
from .member_pages import AnyMember, MarkedChoices
from .forms import PinForm, ThreadForm
from .models import SHOWN, TOP_PERIODS, Film, Post, Thread, ViewerState, utcnow
from .notifications import notify_for
from .page_cache import shared_page, thread_tags
from .spoilers import open_spoilers
from .posts import post_html
from .post_html import put_walk_back, walk_apart
from .previews import preview_response, wants_preview
from .ranking import DEFAULT_REPLY_SORT, REPLY_SORTS, read_page

bp = Blueprint("threads", __name__)
SORTS = ("hot", "new", "top", "active")


@bp.get("/")
@shared_page
def index():
    sort, period = request.args.get("sort", "hot"), request.args.get("t", "all")
    if sort not in SORTS or period not in TOP_PERIODS:
        abort(400, f"Sort by one of: {', '.join(SORTS)}; top of: {', '.join(TOP_PERIODS)}.")
    page = db.paginate(
        Thread.listing(current_user, sort, utcnow(), period=period),
        per_page=current_app.config["THREADS_PER_PAGE"],
        error_out=False,
        count=True,
    )
    return render_template("threads/index.html", page=page, sort=sort, sorts=SORTS, period=period)


@bp.get("/threads/<int:thread_id>")
@shared_page(tags=thread_tags, members=True)
def show(thread_id: int):
    thread = get_thread_or_404(thread_id)
    reading = read_page(thread, reply_sort(), request.args.get("page", 1, type=int))
    if reading is None:
        abort(404)
    return render_reading("threads/show.html", thread, reading)


def reply_sort() -> str:
    """The thread page's ?sort= (best, new or old), or a 400."""
    sort = request.args.get("sort", DEFAULT_REPLY_SORT)
    if sort not in REPLY_SORTS:
        abort(400, f"Sort replies by one of: {', '.join(REPLY_SORTS)}.")
    return sort


def render_reading(template: str, thread: Thread, reading, **context):
    """A page of a thread (or a focused branch of it) with the viewer's votes and choices on what it shows; or, when
    the page cache asks for it, the copy every member shares (board/member_pages.py), unless the thread is hidden
    (its title and head then depend on who asks)."""
    shown = [reading.root.id, *(post.id for post, _ in reading.tree.items)]
    if g.get("member_page") is not None and not thread.opening_post.is_removed:
        g.member_page.update(shown=shown, thread_id=thread.id, film_id=thread.film_id, film=str(thread.film))
        return render_template(template, thread=thread, opening=reading.root, reading=reading, viewer=AnyMember(),
                               votes=MarkedChoices(), reply_form=None, pin_form=None, **context)
    g.pop("member_page", None)
    # Votes, saved posts, blocks, follow and "I've seen it" (board/spoilers.py): one SELECT, the one a member's page
    # filled from the shared copy runs (built once, the page's id range bound): a list of the page's hundreds of ids
    # cost more to build and compile each time than the rest of the member's render. Choices on a post in that range
    # but not on the page are never asked for.
    votes = (ViewerState.of_posts_between(current_user, thread.id, min(shown), max(shown), thread.film_id)
             if current_user.is_authenticated else ViewerState())
    if votes.spoilers_open:
        return open_spoilers(render_page(template, thread, reading, votes, context))
    walk_apart()  # the replies, kept as UTF-8, joined into the encoded page as they are (board/post_html.py)
    return put_walk_back(render_page(template, thread, reading, votes, context))


def render_page(template: str, thread: Thread, reading, votes: ViewerState, context: dict) -> str:
    """The page for the viewer of this request, their votes and choices on it given."""
    return render_template(
        template,
        thread=thread,
        opening=reading.root,
        reading=reading,
        votes=votes,
        # The empty reply box, made where it is rendered (board/post_html.py end_reply_form); a pin form only for
        # moderators.
        reply_form=None,
        pin_form=PinForm() if current_user.can_moderate() else None,
        **context,
    )


@bp.route("/threads/new", methods=["GET", "POST"])
@login_required
def new():
    form = ThreadForm()
    if wants_preview():
        return preview_response(form, form.body, post_html, "threads/new.html")
    if form.validate_on_submit():
        film = Film.find_or_create(form.film_title.data, form.film_year.data)
        thread = Thread.start(current_user, film, form.title.data, form.body.data, form.has_spoilers.data)
        notify_for(thread.opening_post)
        db.session.commit()
        return redirect(url_for("threads.show", thread_id=thread.id), 303)
    return render_template("threads/new.html", form=form), 422 if form.errors else 200


def get_thread_or_404(thread_id: int) -> Thread:
    """The thread with its film, author and opening post (with its author) in one SELECT."""
    thread = db.session.scalar(thread_statement(), {"thread_id": thread_id})
    if thread is None:
        abort(404)
    return thread


@cache
def thread_statement():
    """get_thread_or_404's SELECT, its id bound when it runs: built once, as building it (and its cache key, with
    three eager loads) cost more CPU than the database took to run it."""
    return (
        db.select(Thread)
        .where(Thread.id == bindparam("thread_id", type_=Integer))
        .options(
            db.joinedload(Thread.film),
            db.joinedload(Thread.author).undefer_group(SHOWN),
            db.joinedload(Thread.opening_post).joinedload(Post.author),
        )
    )
