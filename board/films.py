"""Films: a page per film with its threads, the film index, title suggestions, and moderators' rename and merge."""
from itertools import groupby

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import case, delete, func, select, update
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from .access import moderator_required
from .extensions import db
from .film_logs import film_context
from .forms import ThreadForm, VisibleText, single_line
from .htmx import form_again, is_htmx
from .models import FILM_TITLE_MAX, TOP_PERIODS, Film, FilmAlias, FilmLog, ModAction, Post, Thread, normalise_film_title, utcnow
from .page_cache import film_tags, shared_page
from .threads import SORTS

bp = Blueprint("films", __name__)
FILMS_PER_PAGE = 60
ORDERS = {"az": "A–Z", "discussed": "Most discussed"}
SUGGESTIONS = 8
SUGGEST_MIN_LENGTH = 2


class RenameFilmForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[single_line],
        validators=[DataRequired("Give the film a title."), VisibleText(), Length(max=FILM_TITLE_MAX, message=f"At most {FILM_TITLE_MAX} characters.")],
    )
    year = ThreadForm.film_year


class MergeFilmForm(FlaskForm):
    """The film to keep: one of the likely duplicates, or any film by its address."""

    duplicate_of = SelectField("A film with the same title", choices=[], validate_choice=False)
    into = StringField("Or the address of the film to keep", filters=[single_line])

    def target_slug(self) -> str:
        """The slug typed (a whole film URL works too) or else the one chosen."""
        typed = (self.into.data or "").strip().rstrip("/").rsplit("/", 1)[-1]
        return typed.lower() or (self.duplicate_of.data or "")


# Reading ----------------------------------------------------------------------------------------------------------------

def activity(viewer):
    """(threads, replies) of the film in the enclosing query as SQL, counting only threads the viewer sees listed."""
    threads = select(func.count(Thread.id)).where(Thread.film_id == Film.id)
    replies = select(func.coalesce(func.sum(Thread.reply_count), 0)).where(Thread.film_id == Film.id)
    if not viewer.can_moderate():
        threads, replies = (
            query.join(Thread.opening_post).where(Post.hidden.is_(False)) for query in (threads, replies)
        )
    return threads.scalar_subquery(), replies.scalar_subquery()


def activity_by_film(viewer, film_ids) -> dict[int, tuple[int, int]]:
    """(threads, replies) per film for a page of films: one SELECT."""
    if not film_ids:
        return {}
    threads, replies = activity(viewer)
    rows = db.session.execute(select(Film.id, threads, replies).where(Film.id.in_(film_ids)))
    return {film_id: (thread_count, reply_count) for film_id, thread_count, reply_count in rows}


def title_order():
    """Films by title, then year, compared byte by byte on every database (PostgreSQL's locale would skip the '|')."""
    key = func.replace(Film.key, "|", "\x01")  # the title/year separator sorts before any character of a title
    return key.collate("C") if db.engine.dialect.name == "postgresql" else key


def title_pattern(query: str, prefix: bool = False) -> str | None:
    """A LIKE pattern on Film.key for what was typed, normalised as film titles are ('_' escaped); None if empty."""
    words = normalise_film_title(query)
    if not words:
        return None
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix else f"%{escaped}%"


@bp.get("/films")
@shared_page
def index():
    order = request.args.get("order", "az")
    if order not in ORDERS:
        abort(400, f"Order by one of: {', '.join(ORDERS)}.")
    query_text = request.args.get("q", "").strip()
    films = select(Film)
    if pattern := title_pattern(query_text):
        films = films.where(Film.key.like(pattern, escape="\\"))
    if order == "discussed":
        threads, replies = activity(current_user)
        films = films.order_by((threads + replies).desc(), title_order(), Film.id)
    else:
        films = films.order_by(title_order(), Film.id)
    page = db.paginate(films, per_page=FILMS_PER_PAGE, error_out=False, count=True)
    counts = activity_by_film(current_user, [film.id for film in page.items])
    groups = [(letter, list(films)) for letter, films in groupby(page.items, key=first_letter)] if order == "az" else []
    highest_rated = FilmLog.highest_rated() if not query_text and page.page == 1 else []
    return render_template(
        "films/index.html", page=page, order=order, orders=ORDERS, counts=counts, groups=groups, query=query_text,
        highest_rated=highest_rated,
    )


def first_letter(film: Film) -> str:
    """The index heading a film sits under: its first letter without accents, or '#'."""
    letter = film.key[:1].upper()
    return letter if letter.isalpha() else "#"


@bp.get("/films/suggest")
def suggest():
    """Up to SUGGESTIONS films whose title starts with, then contains, what was typed (the new-thread form's film field)."""
    typed = request.args.get("q", request.args.get("film_title", ""))  # htmx sends the field under its own name
    if not is_htmx():
        return redirect(url_for("films.index", q=typed or None), 303)
    films = []
    title, year = Film.split_year(typed.strip())  # "Her (2013)", as the suggestions show it, finds Her (2013)
    if len(normalise_film_title(title)) >= SUGGEST_MIN_LENGTH:
        threads, replies = activity(current_user)
        starts = Film.key.like(title_pattern(title, prefix=True), escape="\\")
        matching = [Film.key.like(title_pattern(title), escape="\\")] + ([Film.year == year] if year else [])
        films = db.session.scalars(
            select(Film)
            .where(*matching)
            .order_by(case((starts, 0), else_=1), (threads + replies).desc(), title_order())
            .limit(SUGGESTIONS)
        ).all()
    response = make_response(render_template("films/_suggestions.html", films=films, announce=True))
    response.vary.add("HX-Request")
    return response


@bp.get("/films/<slug>")
@shared_page(tags=film_tags)
def show(slug: str):
    film, thread_count, reply_count = get_film_or_404(slug)
    if film.slug != slug:
        return redirect(url_for("films.show", **(request.args.to_dict() | {"slug": film.slug})), 301)
    sort, period = request.args.get("sort", "hot"), request.args.get("t", "all")
    if sort not in SORTS or period not in TOP_PERIODS:
        abort(400, f"Sort by one of: {', '.join(SORTS)}; top of: {', '.join(TOP_PERIODS)}.")
    return render_film(film, thread_count, reply_count, sort, period)


def render_film(film: Film, thread_count: int, reply_count: int, sort: str = "hot", period: str = "all", status: int = 200,
                log_form=None, **forms):
    """The film page: the film, its counts, its ratings and logs (board/film_logs.py), and its threads listed like the
    front page (with moderators' forms)."""
    page = db.paginate(
        Thread.listing(current_user, sort, utcnow(), film_id=film.id, period=period),
        per_page=current_app.config["THREADS_PER_PAGE"],
        error_out=False,
        count=True,
    )
    context = dict(film=film, thread_count=thread_count, reply_count=reply_count, page=page, sort=sort, sorts=SORTS,
                   period=period, **film_context(film, current_user, log_form))
    if current_user.can_moderate():
        context |= moderator_forms(film, **forms)
    return render_template("films/show.html", **context), status


def get_film_or_404(slug: str) -> tuple[Film, int, int]:
    """The film with this slug, or the one an old slug now points to, with its (threads, replies): one SELECT."""
    threads, replies = activity(current_user)
    aliased_to = select(FilmAlias.film_id).where(FilmAlias.slug == slug).scalar_subquery()
    row = db.session.execute(
        select(Film, threads, replies)
        .where((Film.slug == slug) | (Film.id == aliased_to))
        .order_by(case((Film.slug == slug, 0), else_=1))
        .limit(1)
    ).first()
    if row is None:
        abort(404, "There is no film at this address.")
    return tuple(row)


# Moderating: rename, merge -----------------------------------------------------------------------------------------------

def moderator_forms(film: Film, rename_form: RenameFilmForm | None = None, merge_form: MergeFilmForm | None = None) -> dict:
    """The rename and merge forms for a film page, with the likely duplicates (same title, another year) to merge into."""
    rename_form = rename_form or RenameFilmForm(formdata=None, title=film.title, year=film.year)
    merge_form = merge_form or MergeFilmForm(formdata=None)
    merge_form.duplicate_of.choices = [("", "— choose —")] + [(other.slug, str(other)) for other in likely_duplicates(film)]
    return {"rename_form": rename_form, "merge_form": merge_form}


def likely_duplicates(film: Film) -> list[Film]:
    """Other films with the same normalised title (the year aside)."""
    same_title = film.key.rsplit("|", 1)[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%"
    return db.session.scalars(
        select(Film).where(Film.key.like(same_title, escape="\\"), Film.id != film.id).order_by(title_order())
    ).all()


@bp.post("/films/<slug>/rename")
@moderator_required
def rename(slug: str):
    film, thread_count, reply_count = get_film_or_404(slug)
    form = RenameFilmForm()
    if form.validate_on_submit():
        other = db.session.scalar(select(Film).where(Film.key == Film.key_for(form.title.data, form.year.data), Film.id != film.id))
        if other is None:
            if rename_film(film, current_user, form.title.data, form.year.data):
                db.session.commit()
            return film_changed(film, f"Renamed to “{film}”.")
        form.form_errors.append(f"“{other}” already exists: merge this film into it instead.")
    return form_failed(film, thread_count, reply_count, "films/_rename_form.html", rename_form=form)


@bp.post("/films/<slug>/merge")
@moderator_required
def merge(slug: str):
    film, thread_count, reply_count = get_film_or_404(slug)
    form = MergeFilmForm()
    form.duplicate_of.choices = [("", "")] + [(other.slug, str(other)) for other in likely_duplicates(film)]
    if form.validate_on_submit():
        target_slug = form.target_slug()
        target = find_film(target_slug) if target_slug else None
        if not target_slug:
            form.form_errors.append("Choose the film to keep, or type its address.")
        elif target is None:
            form.into.errors = [*form.into.errors, f"There is no film at “{target_slug}”."]
        elif target.id == film.id:
            form.into.errors = [*form.into.errors, "That is this film: choose the one to keep."]
        else:
            merge_film(film, target, current_user)
            db.session.commit()
            return film_changed(target, f"“{film}” merged into “{target}”.")
    return form_failed(film, thread_count, reply_count, "films/_merge_form.html", merge_form=form)


def find_film(slug: str) -> Film | None:
    return db.session.scalar(select(Film).where(Film.slug == slug)) or db.session.scalar(
        select(Film).join(FilmAlias, FilmAlias.film_id == Film.id).where(FilmAlias.slug == slug)
    )


def film_changed(film: Film, message: str):
    """After a rename or merge the film's address (and every row on its page) may change: go to its page."""
    location = url_for("films.show", slug=film.slug)
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = location
        return response
    flash(message)
    return redirect(location, 303)


def form_failed(film: Film, thread_count: int, reply_count: int, fragment: str, **forms):
    """The form with its errors: in place for htmx, else the film page with that form open (422)."""
    context = moderator_forms(film, **forms)
    if is_htmx():
        return form_again("films/show.html", fragment, film=film, **context)
    return render_film(film, thread_count, reply_count, status=422, **forms)


def rename_film(film: Film, moderator, title: str, year: int | None) -> bool:
    """New title and year (the caller checked no other film has that key); the old slug keeps working. False if unchanged."""
    title = " ".join(title.split())
    if title == film.title and year == film.year:
        return False
    before = str(film)
    film.title, film.year, film.key = title, year, Film.key_for(title, year)
    new_slug = free_slug(film, Film.slug_for(title, year))
    if new_slug != film.slug:
        db.session.execute(delete(FilmAlias).where(FilmAlias.slug == new_slug))  # renamed back: its old alias
        point_alias(film.slug, film)
        film.slug = new_slug
    ModAction.record(moderator, ModAction.RENAME_FILM, film, f"from “{before}”"[:300])
    return True


def free_slug(film: Film, base: str) -> str:
    """`base`, or base-2, base-3…: its own slug, or one that is free (Film.slug_is_free)."""
    for attempt in range(1, 100):
        slug = base if attempt == 1 else f"{base}-{attempt}"
        if slug == film.slug or Film.slug_is_free(slug, film.id):
            return slug
    raise RuntimeError(f"no free slug for {base!r}")


def merge_film(duplicate: Film, target: Film, moderator) -> None:
    """Move the duplicate's threads to the target, point its slug and old slugs there, and delete it; logged."""
    db.session.execute(update(Thread).where(Thread.film_id == duplicate.id).values(film_id=target.id))
    db.session.execute(update(FilmAlias).where(FilmAlias.film_id == duplicate.id).values(film_id=target.id))
    db.session.execute(update(FilmLog).where(FilmLog.film_id == duplicate.id).values(film_id=target.id))  # members' diaries
    ModAction.record(moderator, ModAction.MERGE_FILM, target, f"“{duplicate}” merged into it"[:300])
    slug = duplicate.slug
    db.session.delete(duplicate)
    db.session.flush()
    point_alias(slug, target)


def point_alias(slug: str, film: Film) -> None:
    """From now on `slug` leads to `film` (replacing whatever it led to before)."""
    db.session.execute(delete(FilmAlias).where(FilmAlias.slug == slug))
    db.session.add(FilmAlias(slug=slug, film_id=film.id))
