"""Members report posts; moderators work through the queue of reported posts and resolve each in place."""
from functools import partial

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import exists, func, select
from sqlalchemy.orm import contains_eager

from .access import moderator_required
from .extensions import db
from .forms import ReportForm, ResolveForm
from .htmx import form_again, fragment_or_redirect, is_htmx
from .models import Post, Report, User
from .posts import get_post_or_404, post_url

bp = Blueprint("reports", __name__)
QUEUE_PER_PAGE = 20
THANKS = "Thanks — moderators will review this post."
ALREADY_REPORTED = "You have already reported this post; moderators will look at it."
ALREADY_RESOLVED = "Nothing left to resolve: these reports were already closed, perhaps by another moderator."
RESOLVED = {"hide": "hidden", "spoiler": "marked as spoiler", "dismiss": "dismissed"}


@bp.app_context_processor
def report_badge():
    """The header badge's count as a function: only a moderator's page calls it, so only theirs runs the query."""
    return {"open_report_count": Report.open_count}


# Members: report a post ---------------------------------------------------------------------------------------------------

@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@login_required
def report(post_id: int):
    post = get_post_or_404(post_id)
    if not post.can_report(current_user):
        abort(403, "You can't report this post.")
    form = ReportForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return form_again("reports/report.html", "reports/_report_form.html", post=post, form=form, inline=is_htmx())
        filed = Report.file(post, current_user, form.reason.data, form.details.data)
        db.session.commit()
        return _reported(post, THANKS if filed else ALREADY_REPORTED)
    if has_open_report(post, current_user):
        return _reported(post, ALREADY_REPORTED)
    template = "reports/_report_form.html" if is_htmx() else "reports/report.html"
    return render_template(template, post=post, form=form, inline=is_htmx())


def _reported(post: Post, message: str):
    return fragment_or_redirect("reports/_reported.html", partial(post_url, post), message, notice=message)


# Moderators: the queue, one entry per reported post ------------------------------------------------------------------------

@bp.get("/moderation/reports")
@moderator_required
def queue():
    page = db.paginate(reported_posts(), per_page=QUEUE_PER_PAGE, error_out=False, count=True)
    # page.total is the badge's number too (posts with open reports): passing it saves the header a query.
    return render_template(
        "reports/queue.html", page=page, reports_by_post=open_reports_on(page.items), open_reports=page.total
    )


@bp.post("/moderation/reports/<int:post_id>/resolve")
@moderator_required
def resolve(post_id: int):
    post = get_post_or_404(post_id)
    resolution = request.form.get("resolution")
    if resolution not in Report.RESOLUTIONS:
        abort(400, "Resolve by hiding the post, marking it as a spoiler, or dismissing the reports.")
    form = ResolveForm()
    if not form.validate_on_submit():
        reports = open_reports_on([post])[post.id]
        return form_again("reports/resolve.html", "reports/_resolve_form.html", post=post, reports=reports, form=form)
    closed = Report.resolve(post, current_user, resolution, form.reason.data)
    if closed:
        db.session.commit()
        message = f"Resolved: {RESOLVED[resolution]} ({closed} report{'' if closed == 1 else 's'} closed)."
    else:
        db.session.rollback()  # another moderator got there first: no second action, no second log entry
        message = ALREADY_RESOLVED
    return fragment_or_redirect("reports/_resolved.html", url_for("reports.queue"), message, post_id=post_id, notice=message)


# Queries ------------------------------------------------------------------------------------------------------------------

def has_open_report(post: Post, member: User) -> bool:
    return db.session.scalar(
        select(exists().where(Report.post_id == post.id, Report.reporter_id == member.id, Report.resolved_at.is_(None)))
    )


def reported_posts():
    """Posts with open reports, longest waiting first, each with its author and thread (a SELECT for db.paginate)."""
    waiting = (
        select(Report.post_id, func.min(Report.created_at).label("first_reported"))
        .where(Report.resolved_at.is_(None))
        .group_by(Report.post_id)
        .subquery()
    )
    return (
        select(Post)
        .join(waiting, waiting.c.post_id == Post.id)
        .join(Post.author)
        .join(Post.thread)
        .options(contains_eager(Post.author), contains_eager(Post.thread))
        .order_by(waiting.c.first_reported, Post.id)
    )


def open_reports_on(posts) -> dict[int, list[Report]]:
    """Each post's open reports with their reporters, oldest first: one SELECT (none for no posts)."""
    by_post = {post.id: [] for post in posts}
    if by_post:
        query = (
            select(Report)
            .join(Report.reporter)
            .options(contains_eager(Report.reporter))
            .where(Report.post_id.in_(by_post), Report.resolved_at.is_(None))
            .order_by(Report.created_at, Report.id)
        )
        for report in db.session.scalars(query):
            by_post[report.post_id].append(report)
    return by_post
