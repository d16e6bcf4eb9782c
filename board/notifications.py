"""Notifications: a reply to a member's post, an @name mention, or a reply in a thread they follow lands in their
inbox until they mark it read. The inbox groups them by topic (board/models.py Notification): "5 new replies to your
post in …" is one item, newest first, linking to the first unread reply; the header's count counts these items.

A muted thread notifies nobody who muted it, not even of replies to them; a member who blocked the author of a post
is not notified of it at all.

Mentions are read from the post's sanitized HTML outside code and spoilers: `@name` inside `code`, a code
block, a ||spoiler|| or a spoiler block notifies nobody (a spoiler's text must never reach a notification,
and a reader should not learn of a post through words its author hid). Edits never notify.
"""
import re
from collections.abc import Callable
from functools import cache

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import String, bindparam, case, func, insert, literal, or_, select, union_all, update
from sqlalchemy.orm import aliased, contains_eager, with_expression

from .extensions import db
from .htmx import fragment_or_redirect, is_htmx
from .markup import _PlainText  # the one parser that knows every spoiler form: mentions extend it
from .models import SHOWN, Block, EmailNotices, Notification, Post, ThreadSubscription, User, utcnow
from .notices import queue_immediate
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


# Reasons in recipients_statement, beside ThreadSubscription's levels.
MENTIONED, BLOCKED, MAILED = "mention", "block", "mail"


def notifier(body_html: str, replied_to: Post, author: User) -> Callable[[Post], int]:
    """notify_for of `author`'s reply to `replied_to`, with its mentions and who might be told read now: a reply's view
    calls it before the write lock, so the lock is held for notify_for's INSERTs only, not for parsing HTML or its
    SELECT. Who follows, muted or blocked is read as it stood a moment before the reply was written."""
    names = mentioned_names(body_html)
    reasons = recipients(replied_to.thread_id, author.id, names, replied_to)
    return lambda post: notify_for(post, replied_to, names, reasons)


def notify_for(post: Post, replied_to: Post | None = None, names: list[str] | None = None,
               reasons: dict[str, list[int]] | None = None) -> int:
    """Notify the author of the post replied to, every member mentioned and every follower of the thread: once each,
    never the author, nobody who muted the thread or blocked the author.

    `post` is one just written (nothing notifies of it yet: a resubmitted reply is answered with the first, unnotified
    again). `replied_to` is the post the member answered (a reply past MAX_DEPTH attaches to its parent instead,
    but it is still this post's author who was answered); it defaults to the reply's parent. `names` and `reasons`:
    the post's mentions and its `recipients`, when read already (notifier). Returns how many members were notified.
    """
    answered = None if post.is_opening else replied_to or db.session.get(Post, post.parent_id)
    names = mentioned_names(post.body_html) if names is None else names
    if reasons is None:
        reasons = recipients(post.thread_id, post.author_id, names, answered)
    wanted: dict[int, tuple[str, str]] = {}  # recipient -> (kind, topic); the first reason wins
    if answered is not None:
        wanted[answered.author_id] = (Notification.REPLY, f"post:{answered.id}")
    for member_id in reasons[MENTIONED]:
        wanted.setdefault(member_id, (Notification.MENTION, f"mention:{post.id}"))
    if not post.is_opening:
        for member_id in reasons[ThreadSubscription.FOLLOW]:
            wanted.setdefault(member_id, (Notification.REPLY, f"thread:{post.thread_id}"))
    wanted.pop(post.author_id, None)
    for member_id in reasons[ThreadSubscription.MUTE] + reasons[BLOCKED]:
        wanted.pop(member_id, None)
    if not wanted:
        return 0
    rows = [dict(recipient_id=recipient, actor_id=post.author_id, post_id=post.id, kind=kind, topic=topic)
            for recipient, (kind, topic) in wanted.items()]
    # One INSERT for them all, built once: the ORM would send one per row on SQLite (it reads each new id back, unused
    # here). Through the session: the page cache learns from it which members' pages changed.
    db.session.execute(notifications_insert(), rows)
    mailed = set(reasons[MAILED])
    # What queue_immediate reads, for the members who asked for mail only (not added to the session).
    queue_immediate(post, [Notification(**row) for row in rows if row["recipient_id"] in mailed], mailed)
    return len(rows)


def recipients(thread_id: int, author_id: int, names: list[str], answered: Post | None) -> dict[str, list[int]]:
    """Who might be told of a post in the thread by this author, answering `answered`'s author and mentioning `names`,
    by reason (a level of ThreadSubscription, MENTIONED, BLOCKED, MAILED): one SELECT (recipients_statement)."""
    reasons: dict[str, list[int]] = {MENTIONED: [], ThreadSubscription.FOLLOW: [], ThreadSubscription.MUTE: [],
                                     BLOCKED: [], MAILED: []}
    statement = recipients_statement(bool(names), answered is not None)
    values = dict(thread_id=thread_id, author_id=author_id, names=names,
                  answered_author_id=answered.author_id if answered else None)
    for member_id, reason in db.session.connection().execute(statement, values):  # rows only: no ORM needed
        reasons[reason].append(member_id)
    return reasons


@cache
def notifications_insert():
    """notify_for's INSERT of Notification rows (Core, executemany), built once."""
    return insert(Notification.__table__)


@cache
def recipients_statement(mentions: bool, answers: bool):
    """Who might be told of a post, with why, in one SELECT (a reply's runs before the write lock): the members it
    mentions (MENTIONED), the thread's followers and muters (their level), who among the members it could notify
    blocked its author (BLOCKED), and who among them asked for a mail at once (MAILED: queue_immediate needs no query
    of its own when nobody did, the usual case).

    Built once per shape (whether the post mentions anyone, whether it answers a post) with its values as parameters
    (thread_id, author_id, names, answered_author_id): building it took longer than running it."""
    thread_id, author_id = bindparam("thread_id"), bindparam("author_id")
    choices = select(ThreadSubscription.member_id, ThreadSubscription.level.label("reason")).where(
        ThreadSubscription.thread_id == thread_id)
    followers = select(ThreadSubscription.member_id).where(
        ThreadSubscription.thread_id == thread_id, ThreadSubscription.level == ThreadSubscription.FOLLOW)
    mentioned = func.lower(User.username).in_(bindparam("names", expanding=True))

    def could_notify(member_id):
        """The member is one the post could notify: a follower of the thread, mentioned, or the author answered."""
        conditions = [member_id.in_(followers)]
        if mentions:
            conditions.append(member_id.in_(select(User.id).where(mentioned)))
        if answers:
            conditions.append(member_id == bindparam("answered_author_id"))
        return or_(*conditions)

    parts = [choices]
    if mentions:
        parts.append(select(User.id, literal(MENTIONED, String)).where(mentioned))
    parts.append(select(Block.blocker_id, literal(BLOCKED, String)).where(Block.blocked_id == author_id,
                                                                           could_notify(Block.blocker_id)))
    parts.append(select(EmailNotices.member_id, literal(MAILED, String))
                 .join(User, User.id == EmailNotices.member_id)
                 .where(EmailNotices.mode == EmailNotices.IMMEDIATE, User.email.is_not(None),
                        could_notify(EmailNotices.member_id)))
    return union_all(*parts)


def inbox_query(member_id: int, topic: str | None = None):
    """A member's inbox items, one per topic, newest first: each the topic's latest notification (with post, thread
    and actor) and its unread and total counts and first unread post. One SELECT (hidden posts left out)."""
    opening = aliased(Post)
    unread = Notification.read_at.is_(None)
    topics = Notification.shown(
        select(
            Notification.topic,
            func.max(Notification.id).label("latest"),
            func.count(Notification.id).label("total"),
            func.count(case((unread, 1))).label("unread"),
            func.min(case((unread, Notification.id))).label("first_unread"),
        ),
        opening,
    ).where(Notification.recipient_id == member_id).group_by(Notification.topic)
    if topic is not None:
        topics = topics.where(Notification.topic == topic)
    topics = topics.subquery()
    first_unread = aliased(Notification)
    return (
        select(Notification)
        .join(topics, Notification.id == topics.c.latest)
        .join(Notification.post)
        .join(Post.thread)
        .join(Notification.actor)
        .outerjoin(first_unread, first_unread.id == topics.c.first_unread)
        .options(
            contains_eager(Notification.post).contains_eager(Post.thread),
            contains_eager(Notification.actor).undefer_group(SHOWN),
            with_expression(Notification.unread_in_topic, topics.c.unread),
            with_expression(Notification.total_in_topic, topics.c.total),
            with_expression(Notification.first_unread_post_id, first_unread.post_id),
        )
        .order_by(Notification.id.desc())
        .execution_options(populate_existing=True)
    )


def describe(notification: Notification) -> str:
    """What happened, in words that never quote a spoiler: who or how many, the kind, the thread's title."""
    title = Markup("“<bdi>{}</bdi>”").format(safe_title(notification.post.thread.title))
    # <bdi>: a right-to-left title can't reorder the words and quotes around it.
    if notification.kind == Notification.MENTION:
        return Markup("<bdi>{}</bdi> mentioned you in {}").format(notification.actor.name_with_handle(), title)
    unread, total = notification.unread_in_topic or 0, notification.total_in_topic or 1
    count, new = (unread, "new ") if unread else (total, "")
    followed = notification.topic.startswith("thread:")
    if count > 1:
        where = Markup("in {}, a thread you follow") if followed else Markup("to your post in {}")
        return Markup("{} {}replies ").format(count, new) + where.format(title)
    where = Markup("in {}, a thread you follow") if followed else Markup("to your post in {}")
    return Markup("<bdi>{}</bdi> replied ").format(notification.actor.name_with_handle()) + where.format(title)


def link_post_id(notification: Notification) -> int:
    """Where an inbox item leads: its first unread reply, else its latest."""
    return notification.first_unread_post_id or notification.post_id


@bp.app_context_processor
def notification_helpers():
    return {"describe_notification": describe, "notification_link_post": link_post_id}


@bp.get("/inbox")
@login_required
def inbox():
    page = db.paginate(inbox_query(current_user.id), per_page=INBOX_PER_PAGE, error_out=False, count=True)
    return render_template("notifications/inbox.html", page=page)


@bp.post("/inbox/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    """Mark an inbox item read: every notification of its topic."""
    topic = db.session.scalar(
        select(Notification.topic).where(Notification.id == notification_id, Notification.recipient_id == current_user.id)
    )
    if topic is None:
        abort(404)  # someone else's: as if it weren't there
    db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == current_user.id, Notification.topic == topic, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    notification = db.session.scalar(inbox_query(current_user.id, topic))
    if notification is None:
        abort(404)  # its posts are gone
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
