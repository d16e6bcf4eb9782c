"""Reading and starting threads: the front page, a thread page, a new thread."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .extensions import db
from .forms import PinForm, ReplyForm, ThreadForm
from .models import Film, Post, Thread, Vote, utcnow
from .tree import reply_tree

bp = Blueprint("threads", __name__)
SORTS = ("hot", "new", "top")


@bp.get("/")
def index():
    sort = request.args.get("sort", "hot")
    if sort not in SORTS:
        abort(400, f"Sort by one of: {', '.join(SORTS)}.")
    page = db.paginate(
        Thread.listing(current_user, sort, utcnow()),
        per_page=current_app.config["THREADS_PER_PAGE"],
        error_out=False,
        count=True,
    )
    return render_template("threads/index.html", page=page, sort=sort, sorts=SORTS)


@bp.get("/threads/<int:thread_id>")
def show(thread_id: int):
    thread = get_thread_or_404(thread_id)
    posts = db.session.scalars(Post.tree(thread.id)).all()
    votes = Vote.values_by_post(current_user, [post.id for post in posts])
    return render_template(
        "threads/show.html",
        thread=thread,
        opening=posts[0],
        tree=reply_tree(posts[1:]),
        votes=votes,
        reply_form=ReplyForm(),
        pin_form=PinForm(),
    )


@bp.route("/threads/new", methods=["GET", "POST"])
@login_required
def new():
    form = ThreadForm()
    if form.validate_on_submit():
        film = Film.find_or_create(form.film_title.data, form.film_year.data)
        thread = Thread.start(current_user, film, form.title.data, form.body.data, form.has_spoilers.data)
        db.session.commit()
        return redirect(url_for("threads.show", thread_id=thread.id), 303)
    return render_template("threads/new.html", form=form), 422 if form.errors else 200


def get_thread_or_404(thread_id: int) -> Thread:
    """The thread with its film, author and opening post in one SELECT."""
    thread = db.session.scalar(
        db.select(Thread)
        .where(Thread.id == thread_id)
        .options(
            db.joinedload(Thread.film),
            db.joinedload(Thread.author),
            db.joinedload(Thread.opening_post),
        )
    )
    if thread is None:
        abort(404)
    return thread
