"""Films: a page per film with its threads, the film index, title suggestions, and moderators' rename and merge."""
from datetime import timedelta
from itertools import groupby

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.orm import aliased, contains_eager, selectinload, undefer_group
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from .access import moderator_required
from .extensions import db
from .film_logs import film_context
from .forms import CharacterLimit, ThreadForm, VisibleText, single_line, unix_newlines
from .htmx import form_again, is_htmx
from .images import UploadedPicture, picture_response, reencode
from .models import (
    DIRECTOR_NAME_MAX, DIRECTORS_MAX, FILM_TITLE_MAX, REASON_MAX, RUNTIME_MAX, TOP_PERIODS, Film, FilmAlias,
    FilmDirector, FilmLog, FilmPoster, ModAction, Post, Thread, normalise_film_title, utcnow
)
from .page_cache import film_tags, shared_page
from .threads import SORTS

bp = Blueprint("films", __name__)
FILMS_PER_PAGE = 60
ORDERS = {"az": "A–Z", "discussed": "Most discussed"}
SUGGESTIONS = 8
SUGGEST_MIN_LENGTH = 2
MOST_DISCUSSED = 6  # films in the index's "most discussed this week"
DISCUSSED_WINDOW = timedelta(days=7)
POSTER_BOX = (600, 900)  # a film page's poster: fitted inside, never cropped or enlarged
POSTER_SMALL_BOX = (120, 180)  # the index's poster
POSTER_MAX_PIXELS = 40_000_000  # judged from the header before decoding (board/images.py)


class RenameFilmForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[single_line],
        validators=[DataRequired("Give the film a title."), VisibleText(), Length(max=FILM_TITLE_MAX, message=f"At most {FILM_TITLE_MAX} characters.")],
    )
    year = ThreadForm.film_year


class DirectorList:
    """One name a line: at most DIRECTORS_MAX names of at most DIRECTOR_NAME_MAX characters, each named once."""

    def __call__(self, form, field):
        names = director_names(field.data)
        if len(names) > DIRECTORS_MAX:
            raise ValidationError(f"At most {DIRECTORS_MAX} directors; this lists {len(names)}.")
        for name in names:
            if len(name) > DIRECTOR_NAME_MAX:
                raise ValidationError(f"A director's name is at most {DIRECTOR_NAME_MAX} characters: “{name[:40]}…” has {len(name)}.")
            if not FilmDirector.key_for(name):
                raise ValidationError(f"“{name}” has no letters or digits: a director needs a name.")
        seen = set()
        for name in names:
            if (key := FilmDirector.key_for(name)) in seen:
                raise ValidationError(f"“{name}” is listed twice.")
            seen.add(key)


def director_names(text: str | None) -> list[str]:
    """The names typed one a line, each on one line with single spaces, blank lines skipped."""
    return [name for name in (single_line(line) for line in (text or "").split("\n")) if name]


class FilmDetailsForm(FlaskForm):
    limits = {"directors": DIRECTORS_MAX, "director_name": DIRECTOR_NAME_MAX, "runtime": RUNTIME_MAX}  # shown as hints
    original_title = StringField(
        "Original title (optional)", filters=[single_line],
        validators=[Optional(), VisibleText(), CharacterLimit(FILM_TITLE_MAX)],
    )
    directors = TextAreaField(
        "Directors (optional)", filters=[unix_newlines],
        validators=[VisibleText(newlines=True), CharacterLimit(DIRECTORS_MAX * (DIRECTOR_NAME_MAX + 1)), DirectorList()],
    )
    runtime = IntegerField(
        "Runtime in minutes (optional)",
        validators=[Optional(), NumberRange(min=1, max=RUNTIME_MAX, message=f"A runtime is 1 to {RUNTIME_MAX:,} minutes.")],
    )

    @classmethod
    def of(cls, film: Film) -> "FilmDetailsForm":
        return cls(formdata=None, original_title=film.original_title, runtime=film.runtime,
                   directors="\n".join(director.name for director in film.directors))


class PosterForm(FlaskForm):
    box = f"{POSTER_BOX[0]} × {POSTER_BOX[1]}"
    poster = FileField("Poster picture", validators=[
        FileRequired("Choose a picture file."), UploadedPicture(box=POSTER_BOX, max_pixels=POSTER_MAX_PIXELS)])


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


def with_poster(query):
    """The query's films with their posters' sizes (not their bytes), in the same SELECT."""
    return query.outerjoin(Film.poster).options(contains_eager(Film.poster))


@bp.get("/films")
@shared_page
def index():
    order = request.args.get("order", "az")
    if order not in ORDERS:
        abort(400, f"Order by one of: {', '.join(ORDERS)}.")
    year, decade = year_argument("year"), year_argument("decade")
    query_text = request.args.get("q", "").strip()
    films = select(Film)
    if pattern := title_pattern(query_text):
        films = films.where(Film.key.like(pattern, escape="\\"))
    if year is not None:
        films = films.where(Film.year == year)
    elif decade is not None:
        films = films.where(Film.year.between(decade - decade % 10, decade - decade % 10 + 9))
    browsing = not (query_text or year or decade or request.args.get("page", "1") != "1")
    return film_listing(films, order, query=query_text, year=year, decade=decade,
                        discussed=most_discussed_this_week(current_user) if browsing else [])


@bp.get("/films/directors/<key>")
@shared_page
def director(key: str):
    order = request.args.get("order", "az")
    if order not in ORDERS:
        abort(400, f"Order by one of: {', '.join(ORDERS)}.")
    name = db.session.scalar(select(FilmDirector.name).where(FilmDirector.key == key).order_by(FilmDirector.film_id).limit(1))
    if name is None:
        abort(404, "No film on Reelboard has a director at this address.")
    films = select(Film).where(Film.id.in_(select(FilmDirector.film_id).where(FilmDirector.key == key)))
    return film_listing(films, order, director_key=key, director_name=name, decades={})


def year_argument(name: str) -> int | None:
    value = request.args.get(name, "")
    if not value:
        return None
    if not value.isdigit() or not 1000 <= int(value) <= 9999:
        abort(400, f"The {name} is a year such as 1967.")
    return int(value)


def film_listing(films, order: str, **context):
    """A page of films (posters, directors, counts) in the order asked, with the years there are to browse by."""
    if order == "discussed":
        threads, replies = activity(current_user)
        films = films.order_by((threads + replies).desc(), title_order(), Film.id)
    else:
        films = films.order_by(title_order(), Film.id)
    page = db.paginate(with_poster(films).options(selectinload(Film.directors)), per_page=FILMS_PER_PAGE,
                       error_out=False, count=True)
    counts = activity_by_film(current_user, [film.id for film in page.items])
    groups = [(letter, list(films)) for letter, films in groupby(page.items, key=first_letter)] if order == "az" else []
    context = {"query": "", "year": None, "decade": None} | context
    if "decades" not in context:
        context["decades"] = film_decades()
    unfiltered = page.page == 1 and not (context["query"] or context["year"] or context["decade"]
                                         or context.get("director_key"))
    return render_template("films/index.html", page=page, order=order, orders=ORDERS, counts=counts, groups=groups,
                           highest_rated=FilmLog.highest_rated() if unfiltered else [], **context)


def film_decades() -> dict[int, list[int]]:
    """The years films are from, by decade (1960: [1962, 1967]), for browsing: one SELECT of the distinct years."""
    years = db.session.scalars(select(Film.year).where(Film.year.is_not(None)).distinct().order_by(Film.year))
    return {decade: list(years) for decade, years in groupby(years, key=lambda year: year - year % 10)}


def most_discussed_this_week(viewer) -> list[tuple[Film, int]]:
    """The films with the most replies written in the last seven days (only replies the viewer may see counted)."""
    reply, opening = aliased(Post), aliased(Post)
    recent = (
        select(Thread.film_id, func.count(reply.id).label("replies"))
        .join(reply, and_(reply.thread_id == Thread.id, reply.parent_id.is_not(None)))
        .where(reply.created_at >= utcnow() - DISCUSSED_WINDOW, reply.deleted.is_(False))
        .group_by(Thread.film_id)
    )
    if not viewer.can_moderate():
        recent = recent.join(opening, and_(opening.thread_id == Thread.id, opening.parent_id.is_(None))).where(
            reply.hidden.is_(False), opening.hidden.is_(False))
    recent = recent.subquery()
    query = with_poster(select(Film, recent.c.replies).join(recent, recent.c.film_id == Film.id))
    return db.session.execute(
        query.order_by(recent.c.replies.desc(), title_order(), Film.id).limit(MOST_DISCUSSED)).all()


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
        with_poster(select(Film, threads, replies))
        .options(undefer_group("details"), selectinload(Film.directors))
        .where((Film.slug == slug) | (Film.id == aliased_to))
        .order_by(case((Film.slug == slug, 0), else_=1))
        .limit(1)
    ).first()
    if row is None:
        abort(404, "There is no film at this address.")
    return tuple(row)


# Moderating: rename, merge -----------------------------------------------------------------------------------------------

def moderator_forms(film: Film, rename_form: RenameFilmForm | None = None, merge_form: MergeFilmForm | None = None,
                    details_form: FilmDetailsForm | None = None, poster_form: PosterForm | None = None) -> dict:
    """The moderators' forms for a film page, with the likely duplicates (same title, a year apart) to merge into."""
    rename_form = rename_form or RenameFilmForm(formdata=None, title=film.title, year=film.year)
    duplicates = likely_duplicates(film)
    merge_form = merge_form or MergeFilmForm(formdata=None, duplicate_of=request.args.get("merge_into"))
    merge_form.duplicate_of.choices = [("", "— choose —")] + [(other.slug, str(other)) for other in duplicates]
    return {"rename_form": rename_form, "merge_form": merge_form, "duplicates": duplicates,
            "details_form": details_form or FilmDetailsForm.of(film), "poster_form": poster_form or PosterForm(formdata=None)}


def likely_duplicates(film: Film) -> list[Film]:
    """Other films that may be this one (Film.may_be_duplicate_of): the same normalised title, a year apart at most."""
    same_title = film.key.rsplit("|", 1)[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%"
    candidates = db.session.scalars(
        select(Film).where(Film.key.like(same_title, escape="\\"), Film.id != film.id).order_by(title_order())
    ).all()
    return [other for other in candidates if film.may_be_duplicate_of(other)]


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


@bp.post("/films/<slug>/details")
@moderator_required
def edit_details(slug: str):
    film, thread_count, reply_count = get_film_or_404(slug)
    form = FilmDetailsForm()
    if form.validate_on_submit():
        if change_details(film, current_user, form.original_title.data or None, director_names(form.directors.data),
                          form.runtime.data):
            db.session.commit()
        return film_changed(film, "Details saved.")
    return form_failed(film, thread_count, reply_count, "films/_details_form.html", details_form=form)


@bp.post("/films/<slug>/poster")
@moderator_required
def upload_poster(slug: str):
    film, thread_count, reply_count = get_film_or_404(slug)
    form = PosterForm()
    if form.validate_on_submit():
        if set_poster(film, current_user, form.poster.picture):
            db.session.commit()
        return film_changed(film, "Poster saved.")
    return form_failed(film, thread_count, reply_count, "films/_poster_form.html", poster_form=form)


@bp.post("/films/<slug>/poster/remove")
@moderator_required
def remove_poster(slug: str):
    film, _threads, _replies = get_film_or_404(slug)
    if FlaskForm().validate_on_submit() and film.poster is not None:
        ModAction.record(current_user, ModAction.REMOVE_POSTER, film, f"{describe_poster(film.poster)} removed")
        film.poster = None
        db.session.commit()
    return film_changed(film, "Poster removed.")


@bp.get("/films/<slug>/poster/<digest>.webp")
def poster(slug: str, digest: str):
    """A film's poster under its digest: a new poster is a new address, so each is cached for a year."""
    return poster_picture(slug, digest, FilmPoster.data, digest)


@bp.get("/films/<slug>/poster/<digest>/small.webp")
def small_poster(slug: str, digest: str):
    return poster_picture(slug, digest, FilmPoster.small_data, f"{digest}-small")


def poster_picture(slug: str, digest: str, column, etag: str):
    data = db.session.scalar(
        select(column)
        .join(Film, Film.id == FilmPoster.film_id)
        .where(Film.slug == slug, FilmPoster.digest == digest)
    )
    if data is None:
        abort(404, "There is no such poster.")
    return picture_response(data, etag)


def change_details(film: Film, moderator, original_title: str | None, names: list[str], runtime: int | None) -> bool:
    """New original title, directors and runtime, logged with what changed (before → after); False if nothing did."""
    before_names = [director.name for director in film.directors]
    changes = [
        f"{label}: {shown(before)} → {shown(after)}"
        for label, before, after in (
            ("original title", film.original_title, original_title),
            ("directors", ", ".join(before_names), ", ".join(names)),
            ("runtime", film.runtime and f"{film.runtime} min", runtime and f"{runtime} min"),
        )
        if (before or None) != (after or None)
    ]
    if not changes:
        return False
    film.original_title, film.runtime = original_title, runtime
    if names != before_names:
        film.directors = [FilmDirector(position=position, name=name, key=FilmDirector.key_for(name))
                          for position, name in enumerate(names)]
    ModAction.record(moderator, ModAction.EDIT_FILM, film, shorten("; ".join(changes)))
    return True


def set_poster(film: Film, moderator, picture) -> bool:
    """The film's poster from now on (the page-sized picture and an index-sized one made from it); logged.

    False if it is the poster the film has."""
    if film.poster is not None and film.poster.digest == picture.digest:
        return False
    small = reencode(picture.data, box=POSTER_SMALL_BOX, max_pixels=POSTER_MAX_PIXELS)
    before = describe_poster(film.poster) if film.poster else "none"
    film.poster = FilmPoster(digest=picture.digest, data=picture.data, width=picture.width, height=picture.height,
                             small_data=small.data, small_width=small.width, small_height=small.height)
    ModAction.record(moderator, ModAction.SET_POSTER, film, f"{before} → {describe_poster(film.poster)}")
    return True


def describe_poster(poster: FilmPoster) -> str:
    return f"poster {poster.digest} ({poster.width}×{poster.height})"


def shown(value) -> str:
    return f"“{value}”" if value else "none"


def shorten(text: str, limit: int = REASON_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    keep_details(duplicate, target)
    db.session.execute(update(FilmLog).where(FilmLog.film_id == duplicate.id).values(film_id=target.id))  # members' diaries
    ModAction.record(moderator, ModAction.MERGE_FILM, target, f"“{duplicate}” merged into it"[:300])
    slug = duplicate.slug
    db.session.delete(duplicate)
    db.session.flush()
    point_alias(slug, target)


def keep_details(duplicate: Film, target: Film) -> None:
    """The kept film takes the duplicate's details it lacks (a poster, directors, original title, runtime)."""
    for film in (duplicate, target):
        db.session.refresh(film, ["original_title", "runtime", "directors", "poster"])
    target.original_title = target.original_title or duplicate.original_title
    target.runtime = target.runtime or duplicate.runtime
    if not target.directors and duplicate.directors:
        target.directors = [FilmDirector(position=director.position, name=director.name, key=director.key)
                            for director in duplicate.directors]
    if target.poster is None and duplicate.poster is not None:
        poster = duplicate.poster
        target.poster = FilmPoster(**{column: getattr(poster, column) for column in (
            "digest", "data", "width", "height", "small_data", "small_width", "small_height")})
    duplicate.directors, duplicate.poster = [], None


def point_alias(slug: str, film: Film) -> None:
    """From now on `slug` leads to `film` (replacing whatever it led to before)."""
    db.session.execute(delete(FilmAlias).where(FilmAlias.slug == slug))
    db.session.add(FilmAlias(slug=slug, film_id=film.id))
