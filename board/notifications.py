"""Notifications: a reply to a member's post or an @name mention lands in their inbox until they mark it read.

Mentions are read from the post's sanitized HTML outside code and spoilers: `@name` inside `code`, a code
block, a ||spoiler|| or a spoiler block notifies nobody (a spoiler's text must never reach a notification,
and a reader should not learn of a post through words its author hid). Edits never notify.
"""
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased, contains_eager

from .extensions import db
from .htmx import fragment_or_redirect, is_htmx
from .markup import _PlainText  # the one parser that knows every spoiler form: mentions extend it
from .models import Notification, Post, User, utcnow
from .spoilers import safe_title

bp = Blueprint("notifications", __name__)
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_-]{3,30})(?![\w@-])")
MAX_MENTIONS = 10  # names looked up per post: a post naming the whole board notifies only the first ten
INBOX_PER_PAGE = 25
ALL_READ = "All notifications marked read."


class _MentionText(_PlainText):
    """The spoiler-safe plain text (markup.py knows every spoiler form), without code spans and code blocks."""

    CODE = frozenset({"code", "pre"})

    def __init__(self):
        super().__init__()
        self.code_depth = 0

    def handle_starttag(self, tag, attrs):
        self.code_depth += tag in self.CODE
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in self.CODE and self.code_depth:
            self.code_depth -= 1
            self.parts.append(" ")
        super().handle_endtag(tag)

    def handle_data(self, data):
        if not self.code_depth:
            super().handle_data(data)


def mentioned_names(html: str) -> list[str]:
    """Distinct @names (lower case, first ten) mentioned in a post's HTML outside code and spoilers."""
    parser = _MentionText()
    parser.feed(html)
    parser.close()
    names: list[str] = []
    for match in MENTION_RE.finditer("".join(parser.parts)):
        name = match.group(1).lower()
        if name not in names:
            names.append(name)
    return names[:MAX_MENTIONS]


def notify_for(post: Post, replied_to: Post | None = None) -> list[Notification]:
    """Notify the author of the post replied to and every member mentioned: once each, never the author.

    `replied_to` is the post the member answered (a reply past MAX_DEPTH attaches to its parent instead,
    but it is still this post's author who was answered); it defaults to the reply's parent.
    """
    kinds: dict[int, str] = {}
    if not post.is_opening:
        answered = replied_to or db.session.get(Post, post.parent_id)
        kinds[answered.author_id] = Notification.REPLY
    names = mentioned_names(post.body_html)
    if names:
        for member_id in db.session.scalars(select(User.id).where(func.lower(User.username).in_(names))):
            kinds.setdefault(member_id, Notification.MENTION)
    kinds.pop(post.author_id, None)
    if not kinds:
        return []
    # A resubmitted reply comes back as the same post: whoever was notified about it already stays notified once.
    already = set(db.session.scalars(select(Notification.recipient_id).where(Notification.post_id == post.id)))
    notifications = [
        Notification(recipient_id=recipient, actor_id=post.author_id, post_id=post.id, kind=kind)
        for recipient, kind in kinds.items()
        if recipient not in already
    ]
    db.session.add_all(notifications)
    return notifications


def inbox_query(member_id: int):
    """A member's notifications, newest first, with post, thread and actor: one SELECT (hidden posts left out)."""
    opening = aliased(Post)
    query = Notification.shown(select(Notification), opening)
    return (
        query.join(Post.thread)
        .join(Notification.actor)
        .options(
            contains_eager(Notification.post).contains_eager(Post.thread),
            contains_eager(Notification.actor),
        )
        .where(Notification.recipient_id == member_id)
        .order_by(Notification.id.desc())
    )


def describe(notification: Notification) -> str:
    """What happened, in words that never quote a spoiler: the actor, the kind, the thread's title."""
    title = safe_title(notification.post.thread.title)
    # <bdi>: a right-to-left title can't reorder the words and quotes around it.
    if notification.kind == Notification.REPLY:
        return Markup("{} replied to your post in “<bdi>{}</bdi>”").format(notification.actor.username, title)
    return Markup("{} mentioned you in “<bdi>{}</bdi>”").format(notification.actor.username, title)


@bp.app_context_processor
def notification_helpers():
    return {"describe_notification": describe}


@bp.get("/inbox")
@login_required
def inbox():
    page = db.paginate(inbox_query(current_user.id), per_page=INBOX_PER_PAGE, error_out=False, count=True)
    return render_template("notifications/inbox.html", page=page)


@bp.post("/inbox/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    notification = db.session.scalar(
        inbox_query(current_user.id).where(Notification.id == notification_id)
    )
    if notification is None:
        abort(404)  # someone else's, or one whose post is gone: as if it weren't there
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.session.commit()
    refresh_unread_count()
    return fragment_or_redirect(
        "notifications/_notification.html",
        url_for(
            "notifications.inbox", page=request.form.get("page", type=int), _anchor=f"notification-{notification.id}"
        ),
        notification=notification,
        just_marked=True,
        oob_badge=True,
    )


@bp.post("/inbox/read-all")
@login_required
def mark_all_read():
    db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    if not is_htmx():
        flash(ALL_READ)
        return redirect(url_for("notifications.inbox"), 303)
    refresh_unread_count()
    page = db.paginate(
        inbox_query(current_user.id), page=request.form.get("page", 1, type=int), per_page=INBOX_PER_PAGE,
        error_out=False, count=True,
    )
    return render_template("notifications/_inbox_list.html", page=page, notice=ALL_READ, oob_badge=True)


def refresh_unread_count() -> None:
    """The count was loaded with the member at the start of the request: reload it for the header badge."""
    db.session.expire(current_user._get_current_object(), ["unread_notifications"])
