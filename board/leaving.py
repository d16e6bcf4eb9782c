"""Leaving the board: a member's data as a JSON file, and deleting an account (their own, or by an admin)."""
import json
from datetime import datetime

from flask import make_response, url_for
from sqlalchemy import select

from .extensions import db
from .models import Block, Bookmark, EmailNotices, Film, FilmLog, Post, Thread, ThreadSubscription, User, Vote, utcnow

EXPORT_FORMAT = "reelboard-member-data/1"


def member_data(member: User) -> dict:
    """Everything the board holds that the member wrote or chose, by plain column SELECTs (no other member's rows,
    no rendered HTML): their threads and replies with the Markdown they typed, votes, saved posts, follows, blocks,
    bio, display name, address, email notices and film logs. Nine SELECTs whatever the member wrote."""
    threads = db.session.execute(
        select(Thread.id, Thread.title, Film.title.label("film"), Film.year, Thread.created_at, Thread.has_spoilers,
               Post.id.label("post_id"), Post.body_source, Post.edited_at, Post.deleted, Post.hidden)
        .join(Film, Film.id == Thread.film_id)
        .join(Post, (Post.thread_id == Thread.id) & Post.parent_id.is_(None))
        .where(Thread.author_id == member.id).order_by(Thread.id)
    )
    replies = db.session.execute(
        select(Post.id, Post.thread_id, Post.parent_id, Post.created_at, Post.edited_at, Post.body_source, Post.deleted,
               Post.hidden)
        .where(Post.author_id == member.id, Post.parent_id.is_not(None)).order_by(Post.id)
    )
    votes = db.session.execute(select(Vote.post_id, Vote.value, Vote.created_at).where(Vote.user_id == member.id)
                               .order_by(Vote.created_at, Vote.post_id))
    saved = db.session.execute(select(Bookmark.post_id, Bookmark.created_at).where(Bookmark.member_id == member.id)
                               .order_by(Bookmark.created_at, Bookmark.post_id))
    follows = db.session.execute(
        select(ThreadSubscription.thread_id, ThreadSubscription.level, ThreadSubscription.created_at)
        .where(ThreadSubscription.member_id == member.id).order_by(ThreadSubscription.thread_id))
    logs = db.session.execute(
        select(Film.title, Film.year, FilmLog.watched_on, FilmLog.rating, FilmLog.review_source, FilmLog.review_spoilers,
               FilmLog.created_at)
        .join(Film, Film.id == FilmLog.film_id).where(FilmLog.member_id == member.id).order_by(FilmLog.id))
    blocked = db.session.scalars(select(User.username).join(Block, Block.blocked_id == User.id)
                                 .where(Block.blocker_id == member.id).order_by(User.username))
    return {
        "format": EXPORT_FORMAT,
        "exported_at": stamp(utcnow()),
        "member": {
            "username": member.username,
            "profile": url_for("members.profile", name=member.username, _external=True),
            "joined_at": stamp(member.created_at),
            "role": str(member.role),
            "email": member.email,
            "email_waiting_for_confirmation": member.unconfirmed_email,
            "bio_markdown": member.bio_source,
            "display_name": member.display_name,
        },
        "threads": [
            {"id": row.id, "title": row.title, "film": {"title": row.film, "year": row.year},
             "created_at": stamp(row.created_at), "edited_at": stamp(row.edited_at), "has_spoilers": row.has_spoilers,
             "opening_post_id": row.post_id, "body_markdown": row.body_source, "deleted": row.deleted,
             "hidden_by_moderators": row.hidden}
            for row in threads
        ],
        "replies": [
            {"id": row.id, "thread_id": row.thread_id, "parent_id": row.parent_id, "created_at": stamp(row.created_at),
             "edited_at": stamp(row.edited_at), "body_markdown": row.body_source, "deleted": row.deleted,
             "hidden_by_moderators": row.hidden}
            for row in replies
        ],
        "film_logs": [
            {"film": {"title": row.title, "year": row.year}, "watched_on": row.watched_on.isoformat(),
             "rating_out_of_5": row.rating / 2 if row.rating else None, "review_markdown": row.review_source,
             "review_has_spoilers": row.review_spoilers, "logged_at": stamp(row.created_at)}
            for row in logs
        ],
        "votes": [{"post_id": row.post_id, "value": row.value, "cast_at": stamp(row.created_at)} for row in votes],
        "settings": {
            "email_notices": EmailNotices.mode_of(member),
            "saved_posts": [{"post_id": row.post_id, "saved_at": stamp(row.created_at)} for row in saved],
            "threads": [{"thread_id": row.thread_id, "choice": row.level, "since": stamp(row.created_at)} for row in follows],
            "blocked_members": [name for name in blocked if not User(username=name).is_deleted],
        },
    }


def stamp(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def export_response(member: User):
    """The member's data as a download, `reelboard-<name>-<date>.json`, never stored by a browser or proxy."""
    body = json.dumps(member_data(member), ensure_ascii=False, indent=2) + "\n"
    response = make_response(body)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="reelboard-{member.username}-{utcnow():%Y-%m-%d}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response
