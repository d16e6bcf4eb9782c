"""Email notices, for members who ask for them (board/account.py's settings page): each at once, or a daily digest.

They tell of what the inbox holds (board/notifications.py: replies, mentions, replies in followed threads), so the
same rules apply — never the member's own posts, nothing from a muted thread or a blocked member — and what has
changed since is checked again when a digest is composed (a block or mute after the reply, a post hidden since).

At once: queued in the outbox (board/mail.py) in the transaction that makes the notification, so the request never
waits on a mail server and a mail exists exactly when its notification does. A burst of replies is one mail: a
notice is mailed only when its notification is the only unread one in its topic (the inbox's grouping: replies to
one post, replies in one followed thread, one mention), so after one mail about a conversation the next comes once
the member has read it in their inbox. On PostgreSQL the member's choice row is locked (FOR UPDATE) first, so two
replies committed at the same moment still see each other's notification; SQLite runs writes one at a time.

Daily digest: the mail worker composes due digests (`queue_due_digests`) about once a minute, and `flask send-digests`
does the same from cron. A digest lists the unread notifications that came in since the last one, at most once per
DIGEST_INTERVAL, and none is sent when nothing is new. Claiming a member's digest is a conditional UPDATE in the same
transaction as its outbox row, so two workers never both send it.

Spoiler-safe like the feeds (board/spoilers.py): titles with ||…|| read "[spoiler]", excerpts come from the posts'
spoiler-safe text, and none at all for a post moderators marked or the opening post of a thread marked spoiler.
"""
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased, contains_eager

from . import mail
from .extensions import db
from .models import Block, EmailNotices, Notification, Post, Thread, ThreadSubscription, User, utcnow
from .spoilers import WITHHELD_NOTICE, public_excerpt, safe_title
from .templating import absolute_url
from .tokens import unsubscribe_token

DIGEST_MAX_ITEMS = 50  # a digest lists this many notifications; the inbox has the rest
DIGEST_CHECK_SECONDS = 60  # how often the mail worker looks for due digests
EXCERPT_LENGTH = 300


def init_app(app) -> None:
    app.cli.add_command(send_digests)


def mail_title(thread: Thread) -> str:
    """The thread's title as a mail may show it: its ||spoilers|| "[spoiler]", on one line."""
    return " ".join(safe_title(thread.title).split())


def what_happened(notification: Notification) -> str:
    """One line about a notification, in words that never quote a spoiler."""
    actor, title = notification.actor.username, mail_title(notification.post.thread)
    if notification.kind == Notification.MENTION:
        return f"{actor} mentioned you in “{title}”"
    if notification.topic.startswith("thread:"):
        return f"{actor} replied in “{title}”, a thread you follow"
    return f"{actor} replied to your post in “{title}”"


def excerpt(notification: Notification) -> str:
    """The post's spoiler-safe excerpt, or a line saying it is withheld."""
    post = notification.post
    return public_excerpt(post.thread, post, EXCERPT_LENGTH) or WITHHELD_NOTICE + "."


def links_for(member: User) -> dict:
    return {
        "inbox": absolute_url("notifications.inbox"),
        "settings": absolute_url("account.notices"),
        "unsubscribe": absolute_url("account.unsubscribe", token=unsubscribe_token(member)),
    }


def notice(member: User, template: str, **context) -> dict:
    """A notice's outbox row: templates/mail/<template>.txt with the member's links, and its List-Unsubscribe link."""
    links = links_for(member)
    return mail.composed(member.email, template, list_unsubscribe=links["unsubscribe"], member=member, **links,
                         **context)


# At once ------------------------------------------------------------------------------------------------------------

def queue_immediate(post: Post, notifications: list[Notification], asked: set[int]) -> None:
    """Queue a notice for each new notification whose member wants them at once and has nothing else unread in its
    topic that the inbox still shows (see the module's docstring). Two SELECTs and one INSERT whatever the number of
    recipients; nothing at all when nobody wants mail.

    `asked`: the members who asked for mail at once, as notify_for's SELECT found them; only their notifications are
    looked at (and their choice read again here: on PostgreSQL it is locked first, and may have changed since).
    """
    by_recipient = {notification.recipient_id: notification for notification in notifications
                    if notification.recipient_id in asked}
    if not by_recipient:
        return
    wanting = (
        select(User).join(EmailNotices, EmailNotices.member_id == User.id)
        .where(User.id.in_(list(by_recipient)), EmailNotices.mode == EmailNotices.IMMEDIATE, User.email.is_not(None))
        .options(db.undefer(User.email))
    )
    if db.session.get_bind().dialect.name == "postgresql":
        wanting = wanting.with_for_update(of=EmailNotices)
    members = db.session.scalars(wanting).all()
    if not members:
        return
    waiting = set(db.session.execute(
        Notification.shown(select(Notification.recipient_id, Notification.topic), aliased(Post)).where(
            Notification.recipient_id.in_([member.id for member in members]),
            Notification.topic.in_({by_recipient[member.id].topic for member in members}),
            Notification.read_at.is_(None), Notification.post_id != post.id,
        )
    ).all())
    actor = db.session.get(User, post.author_id)
    notices = []
    for member in members:
        notification = by_recipient[member.id]
        if (member.id, notification.topic) in waiting:
            continue  # one mail about this conversation is already waiting to be read
        # The notification is new: its post, thread and actor are the ones in hand (no lazy loads).
        notification.post, notification.actor = post, actor
        notices.append(notice(member, "notice", line=what_happened(notification), excerpt=excerpt(notification),
                              link=absolute_url("reading.permalink", post_id=post.id)))
    mail.send_all(notices)


# Daily digest -------------------------------------------------------------------------------------------------------

def digest_items(member_id: int, since: datetime):
    """The member's unread notifications newer than `since` that may still be told: readable posts, nothing from a
    member they block or a thread they mute now. With post, thread and actor; oldest first."""
    opening = aliased(Post)
    return (
        Notification.shown(select(Notification), opening)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Notification.actor)
        .options(contains_eager(Notification.post).contains_eager(Post.thread), contains_eager(Notification.actor))
        .where(
            Notification.recipient_id == member_id, Notification.read_at.is_(None), Notification.created_at > since,
            ~exists().where(Block.blocker_id == member_id, Block.blocked_id == Notification.actor_id),
            ~exists().where(ThreadSubscription.member_id == member_id, ThreadSubscription.thread_id == Post.thread_id,
                            ThreadSubscription.level == ThreadSubscription.MUTE),
        )
        .order_by(Notification.id)
    )


def due_digests(now: datetime):
    """Members whose digest is due: chosen, a confirmed address, none in the last DIGEST_INTERVAL, something unread
    since the last one (checked in full, block and mute included, when it is composed)."""
    return (
        select(EmailNotices.member_id).join(User, User.id == EmailNotices.member_id)
        .where(
            EmailNotices.mode == EmailNotices.DIGEST, User.email.is_not(None),
            EmailNotices.last_digest_at.is_(None) | (EmailNotices.last_digest_at <= now - EmailNotices.DIGEST_INTERVAL),
            exists().where(Notification.recipient_id == EmailNotices.member_id, Notification.read_at.is_(None),
                           Notification.created_at > EmailNotices.digest_since),
        )
        .order_by(EmailNotices.member_id)
    )


def queue_due_digests(now: datetime | None = None) -> int:
    """Queue every due digest, one transaction each; how many were queued."""
    if not current_app.config.get("SERVER_NAME"):
        if db.session.scalar(select(EmailNotices.member_id).where(EmailNotices.mode == EmailNotices.DIGEST).limit(1)):
            current_app.logger.warning("Digests need BASE_URL (their links are absolute): none queued.")
        db.session.commit()
        return 0
    now = now or utcnow()
    queued = 0
    for member_id in db.session.scalars(due_digests(now)).all():
        db.session.commit()  # the look is over: each digest is its own short transaction
        try:
            queued += queue_digest(member_id, now)
        except Exception:  # noqa: BLE001 (one member's digest going wrong must not stop the others, nor the worker)
            db.session.rollback()
            current_app.logger.exception("Digest for member #%s not queued", member_id)
    db.session.commit()
    return queued


def queue_digest(member_id: int, now: datetime) -> bool:
    """Claim the member's digest (a conditional UPDATE: another worker's claim makes it match nothing), then queue it,
    in one transaction; False when it was not due after all, or held nothing still worth telling."""
    choice = db.session.get(EmailNotices, member_id)
    if choice is None:
        return False
    items = db.session.scalars(digest_items(member_id, choice.digest_since).limit(DIGEST_MAX_ITEMS + 1)).all()
    due = (EmailNotices.member_id == member_id) & (EmailNotices.mode == EmailNotices.DIGEST) & (
        EmailNotices.last_digest_at.is_(None) | (EmailNotices.last_digest_at <= now - EmailNotices.DIGEST_INTERVAL))
    if not items:  # only what may not be told came in (a blocked member, a muted thread): skip past it quietly
        db.session.execute(update(EmailNotices).where(due).values(digest_since=now))
        db.session.commit()
        return False
    newest = max(item.created_at for item in items[:DIGEST_MAX_ITEMS])
    claimed = db.session.execute(
        update(EmailNotices).where(due).values(last_digest_at=now, digest_since=newest)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not claimed:
        db.session.rollback()
        return False
    member = db.session.scalar(select(User).where(User.id == member_id).options(db.undefer(User.email)))
    lines = [
        {"line": what_happened(item), "excerpt": excerpt(item),
         "link": absolute_url("reading.permalink", post_id=item.post_id)}
        for item in items[:DIGEST_MAX_ITEMS]
    ]
    mail.send_all([notice(member, "digest", items=lines, more=len(items) > DIGEST_MAX_ITEMS)])
    db.session.commit()
    return True


@click.command("send-digests")
@with_appcontext
def send_digests():
    """Queue the daily digests that are due (the mail worker delivers them); for cron, beside the worker's own."""
    click.echo(f"Queued {queue_due_digests()} digest(s).")
