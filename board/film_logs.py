"""Members log the films they watch: a half-star rating, the day, a short review (maybe with spoilers).

A film page shows its ratings (each member's latest rating once), recent logs and, for a member, their own logs with
the form to log it again; a profile's Diary tab lists a member's logs by the day they watched. Logging a film is also
what "I've seen it" spoiler gating asks (board/spoilers.py): a member who logged a film sees its spoilers open.
"""
from datetime import date

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import case, select
from sqlalchemy.orm import contains_eager
from wtforms import BooleanField, DateField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from .access import moderator_required
from .extensions import db
from .forms import CharacterLimit, HideForm, unix_newlines
from .htmx import form_again, fragment_or_redirect, is_htmx
from .models import FIRST_FILM_YEAR, RATING_MAX, RATING_MIN, REVIEW_MAX, Film, FilmLog, User, utcnow

bp = Blueprint("film_logs", __name__)
bp.add_app_template_global(FilmLog.stars, "stars")
bp.add_app_template_global(FilmLog.rating_words, "rating_words")
RECENT_LOGS = 20
NO_RATING = ""
RATING_CHOICES = [(NO_RATING, "No rating")] + [
    (str(rating), FilmLog.rating_words(rating)) for rating in range(RATING_MIN, RATING_MAX + 1)
]


@bp.app_template_global()
def today() -> date:
    return utcnow().date()


class LogForm(FlaskForm):
    rating = RadioField("Rating", choices=[SelectChoice(value, words) for value, words in RATING_CHOICES], default=NO_RATING,
                        validate_choice=False)
    watched_on = DateField("Watched on", validators=[InputRequired("Say when you watched it.")], default=today)
    review = TextAreaField("Review (optional)", filters=[unix_newlines], validators=[Optional(), CharacterLimit(REVIEW_MAX)])
    review_spoilers = BooleanField("My review contains spoilers")

    def validate_rating(self, field):
        if field.data in (None, NO_RATING):
            return
        if not (field.data.isdigit() and RATING_MIN <= int(field.data) <= RATING_MAX):
            raise ValidationError("Choose from half a star to five stars, or no rating.")

    def validate_watched_on(self, field):
        if field.data is None:  # not a date: the field said so
            return
        if field.data > today():
            raise ValidationError("That day has not come yet: say when you watched it.")
        if field.data.year < FIRST_FILM_YEAR:
            raise ValidationError(f"Films were first shown in {FIRST_FILM_YEAR}: check the year.")

    def rating_value(self) -> int | None:
        return int(self.rating.data) if self.rating.data not in (None, NO_RATING) else None

    def fill(self, log: FilmLog) -> None:
        log.rating, log.watched_on = self.rating_value(), self.watched_on.data
        log.set_review(self.review.data or "", self.review_spoilers.data)


class SpoilerSettingForm(FlaskForm):
    reveal = BooleanField("Open the spoilers of films I have logged")


# Reading: what the film page and the profile show ------------------------------------------------------------------------

def film_context(film: Film, viewer, form: "LogForm | None" = None) -> dict:
    """The film page's ratings, recent logs and the viewer's own logs (with the gating): two SELECTs."""
    recent, own, spoilers_open = logs_for_page(film, viewer)
    if form is None and viewer.is_authenticated:
        form = LogForm(formdata=None)
    return dict(stats=FilmLog.histogram(film.id), recent_logs=recent, own_logs=own, spoilers_open=spoilers_open,
                log_form=form)


def logs_for_page(film: Film, viewer) -> tuple[list[FilmLog], list[FilmLog], bool]:
    """The film's RECENT_LOGS newest logs, the viewer's own logs of it (newest watch first), and whether its spoilers
    open for the viewer ("I've seen it": they logged it and keep the setting on): one SELECT with the members."""
    newest = (select(FilmLog.id).where(FilmLog.film_id == film.id)
              .order_by(FilmLog.created_at.desc(), FilmLog.id.desc()).limit(RECENT_LOGS).scalar_subquery())
    is_recent = FilmLog.id.in_(newest)
    shown = (is_recent | (FilmLog.member_id == viewer.id)) if viewer.is_authenticated else is_recent
    rows = db.session.execute(
        select(FilmLog, case((is_recent, 1), else_=0), User.reveal_seen_spoilers)
        .join(FilmLog.member).options(contains_eager(FilmLog.member))
        .where(FilmLog.film_id == film.id, shown)
        .order_by(FilmLog.created_at.desc(), FilmLog.id.desc())
    ).all()
    recent = [log for log, recent, _reveal in rows if recent]
    own = sorted((log for log, _recent, _reveal in rows if viewer.is_authenticated and log.member_id == viewer.id),
                 key=lambda log: (log.watched_on, log.id), reverse=True)
    reveal = any(reveal for log, _recent, reveal in rows if own and log.member_id == viewer.id)
    return recent, own, reveal


def diary_of(member: User):
    """A member's logs by the day they watched, newest first, each with its film: one SELECT (paginated)."""
    return (
        select(FilmLog).join(FilmLog.film).join(FilmLog.member)
        .options(contains_eager(FilmLog.film), contains_eager(FilmLog.member))
        .where(FilmLog.member_id == member.id)
        .order_by(FilmLog.watched_on.desc(), FilmLog.id.desc())
    )


# Writing: log, edit, delete; moderators hide a review ------------------------------------------------------------------------

@bp.post("/films/<slug>/log")
@login_required
def log(slug: str):
    film = get_film_or_404(slug)
    form = LogForm()
    if not form.validate_on_submit():
        return log_form_again(film, form)
    entry = FilmLog(member_id=current_user.id, film_id=film.id)
    form.fill(entry)
    db.session.add(entry)
    db.session.commit()
    return panel_or_redirect(film, "Logged.")


@bp.route("/logs/<int:log_id>/edit", methods=["GET", "POST"])
@login_required
def edit(log_id: int):
    entry = get_own_log_or_403(log_id)
    if request.method == "GET":
        form = LogForm(formdata=None, rating=str(entry.rating or ""), watched_on=entry.watched_on,
                       review=entry.review_source, review_spoilers=entry.review_spoilers)
        template = "films/_log_form.html" if is_htmx() else "films/log_edit.html"
        return render_template(template, film=entry.film, log_form=form, editing=entry)
    form = LogForm()
    if not form.validate_on_submit():
        return form_again("films/log_edit.html", "films/_log_form.html", film=entry.film, log_form=form, editing=entry)
    form.fill(entry)
    entry.edited_at = utcnow()
    db.session.commit()
    return panel_or_redirect(entry.film, "Log updated.")


@bp.post("/logs/<int:log_id>/delete")
@login_required
def delete(log_id: int):
    entry = get_own_log_or_403(log_id)
    film = entry.film
    db.session.delete(entry)
    db.session.commit()
    return panel_or_redirect(film, "Log deleted.")


@bp.post("/logs/<int:log_id>/hide")
@moderator_required
def hide(log_id: int):
    entry = get_log_or_404(log_id)
    form = HideForm()
    if not form.validate_on_submit():
        return form_again("films/hide_review.html", "films/_hide_review_form.html", log=entry, hide_form=form)
    if not entry.hidden:
        entry.hide(current_user, form.reason.data)
        db.session.commit()
    return review_changed(entry, "Review hidden.")


@bp.post("/logs/<int:log_id>/unhide")
@moderator_required
def unhide(log_id: int):
    entry = get_log_or_404(log_id)
    if entry.hidden:
        entry.unhide(current_user)
        db.session.commit()
    return review_changed(entry, "Review shown again.")


@bp.post("/u/<name>/spoilers")
@login_required
def spoiler_setting(name: str):
    if User.by_username(name) is None:
        abort(404)
    if name.lower() != current_user.username.lower():
        abort(403, "You can change only your own settings.")
    form = SpoilerSettingForm()
    if not form.validate_on_submit():
        abort(400, "Send the form again.")
    current_user.reveal_seen_spoilers = form.reveal.data
    db.session.commit()
    message = "Spoilers of films you logged now open." if form.reveal.data else "Spoilers now stay closed everywhere."
    return fragment_or_redirect("members/_spoiler_setting.html", url_for("members.bio", name=current_user.username),
                                message, member=current_user, setting_form=form, saved=True)


def get_film_or_404(slug: str) -> Film:
    film = db.session.scalar(select(Film).where(Film.slug == slug))
    if film is None:
        abort(404, "There is no film at this address.")
    return film


def get_log_or_404(log_id: int) -> FilmLog:
    """The log with its film and member: one SELECT."""
    entry = db.session.scalar(
        select(FilmLog).join(FilmLog.film).join(FilmLog.member)
        .options(contains_eager(FilmLog.film), contains_eager(FilmLog.member))
        .where(FilmLog.id == log_id)
    )
    if entry is None:
        abort(404)
    return entry


def get_own_log_or_403(log_id: int) -> FilmLog:
    entry = get_log_or_404(log_id)
    if not entry.can_edit(current_user):
        abort(403, "You can change only your own logs.")
    return entry


def log_form_again(film: Film, form: LogForm):
    """The log form with its errors and the text kept (422): in place for htmx, else the film page."""
    if is_htmx():
        return form_again("films/show.html", "films/_log_form.html", film=film, log_form=form, editing=None)
    from . import films  # the film page (which imports this module for its logs)

    _film, thread_count, reply_count = films.get_film_or_404(film.slug)
    return films.render_film(film, thread_count, reply_count, status=422, log_form=form)


def panel_or_redirect(film: Film, message: str):
    """After a write: the viewer's panel (and the ratings, out of band) for htmx, else back to it on the film page."""
    context = film_context(film, current_user)
    return fragment_or_redirect("films/_log_panel.html", url_for("films.show", slug=film.slug) + "#your-logs", message,
                                film=film, oob=True, just_saved=message, **context)


def review_changed(entry: FilmLog, message: str):
    return fragment_or_redirect("films/_log.html", url_for("films.show", slug=entry.film.slug) + f"#log-{entry.id}",
                                message, log=entry, film=entry.film, spoilers_open=False, hide_form=HideForm(formdata=None))
