"""Atom 1.0 feeds (RFC 4287): the front page, each film and each thread; public and spoiler-safe.

Feeds are read by programs without a session, so they always show what a visitor sees, whoever asks.
The front and film feeds list threads newest first (not Hot: a feed reader orders by date and keeps what
it has seen, so a rank that changes every hour means nothing there); the thread feed lists its posts
newest first. Summaries are plain text from ``board.spoilers``: "[spoiler]" for inline and block
spoilers, and withheld altogether for the opening post of a thread marked "contains spoilers" and for posts
moderators marked (a reply in a marked thread is summarised from its own spoiler-safe text).
Hidden and deleted posts are left out. The XML is built with ElementTree, which escapes every string.
"""
import re
import xml.etree.ElementTree as ET
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, redirect, url_for
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from .extensions import db
from .models import Film, FilmAlias, Post, Thread
from .page_cache import film_tags, shared_page, thread_tags
from .spoilers import WITHHELD_NOTICE, public_excerpt, safe_title, withholds_excerpt
from .templating import absolute_url

bp = Blueprint("feeds", __name__)
ATOM = "http://www.w3.org/2005/Atom"
FEED_LENGTH = 30
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
# Characters XML 1.0 can't carry at all (control characters a member may have typed).
NOT_XML_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@bp.get("/feeds/front.atom")
@shared_page
def front():
    threads = db.session.scalars(_newest_threads().limit(FEED_LENGTH)).all()
    return _atom("Reelboard — newest film threads", absolute_url("threads.index", sort="new"),
                 absolute_url("feeds.front"), [_thread_entry(thread) for thread in threads])


@bp.get("/films/<slug>/feed.atom")
@shared_page(tags=film_tags)
def film(slug: str):
    film = db.session.scalar(select(Film).where(Film.slug == slug))
    if film is None:
        alias = db.session.get(FilmAlias, slug) or abort(404)
        return redirect(url_for("feeds.film", slug=db.session.get(Film, alias.film_id).slug), 301)
    threads = db.session.scalars(_newest_threads().where(Thread.film_id == film.id).limit(FEED_LENGTH)).all()
    # The film page is another blueprint's; link it once it exists.
    page = absolute_url("films.show", slug=film.slug) if "films.show" in current_app.view_functions else None
    return _atom(f"Reelboard — {film}", page, absolute_url("feeds.film", slug=film.slug),
                 [_thread_entry(thread) for thread in threads])


@bp.get("/threads/<int:thread_id>/feed.atom")
@shared_page(tags=thread_tags)
def thread(thread_id: int):
    thread = db.session.scalar(
        select(Thread).where(Thread.id == thread_id)
        .options(db.joinedload(Thread.film), db.joinedload(Thread.author), db.joinedload(Thread.opening_post))
    )
    if thread is None or thread.opening_post.hidden:
        abort(404)
    posts = db.session.scalars(
        select(Post).join(Post.author).options(contains_eager(Post.author))
        .where(Post.thread_id == thread.id, Post.hidden.is_(False), Post.deleted.is_(False))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(FEED_LENGTH)
    ).all()
    title = safe_title(thread.title)
    entries = [_post_entry(thread, title, post) for post in posts]
    return _atom(f"{title} — Reelboard", absolute_url("threads.show", thread_id=thread.id),
                 absolute_url("feeds.thread", thread_id=thread.id), entries,
                 fallback_updated=thread.last_activity_at)


def _newest_threads():
    """Threads a visitor can see, with opening post, author and film: one SELECT."""
    return (
        select(Thread)
        .join(Thread.opening_post)
        .join(Thread.author)
        .join(Thread.film)
        .options(contains_eager(Thread.opening_post), contains_eager(Thread.author), contains_eager(Thread.film))
        .where(Post.hidden.is_(False))
        .order_by(Thread.created_at.desc(), Thread.id.desc())
    )


def _summary(thread: Thread, post: Post) -> str | None:
    if post.is_removed:
        return None
    return WITHHELD_NOTICE + "." if withholds_excerpt(thread, post) else public_excerpt(thread, post)


def _thread_entry(thread: Thread) -> dict:
    opening = thread.opening_post
    return {
        "id": absolute_url("threads.show", thread_id=thread.id),
        "title": f"{safe_title(thread.title)} ({thread.film})",
        "published": thread.created_at,
        "updated": opening.edited_at or thread.created_at,
        "author": thread.author.shown_name,
        "summary": _summary(thread, opening),
    }


def _post_entry(thread: Thread, title: str, post: Post) -> dict:
    link = absolute_url("reading.permalink", post_id=post.id)
    return {
        "id": link,
        "title": title if post.is_opening else f"{post.author.shown_name} replied in {title}",
        "published": post.created_at,
        "updated": post.edited_at or post.created_at,
        "author": post.author.shown_name,
        "summary": _summary(thread, post),
    }


def rfc3339(moment: datetime) -> str:
    """Stored timestamps are naive UTC."""
    return moment.replace(microsecond=0).isoformat() + "Z"


def _atom(title: str, page: str | None, self_url: str, entries: list[dict], fallback_updated: datetime | None = None):
    # Unprefixed names under a default xmlns (ElementTree's default_namespace refuses plain attributes).
    feed = ET.Element("feed", xmlns=ATOM)
    _text(feed, "id", self_url)  # the feed's own address: stable, unlike the page it mirrors
    _text(feed, "title", title)
    newest = max((entry["updated"] for entry in entries), default=fallback_updated)
    _text(feed, "updated", rfc3339(newest or datetime(2000, 1, 1)))
    if page:
        ET.SubElement(feed, "link", rel="alternate", type="text/html", href=page)
    ET.SubElement(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _text(feed, "generator", "Reelboard")
    for entry in entries:
        element = ET.SubElement(feed, "entry")
        _text(element, "id", entry["id"])
        _text(element, "title", entry["title"])
        _text(element, "published", rfc3339(entry["published"]))
        _text(element, "updated", rfc3339(entry["updated"]))
        _text(ET.SubElement(element, "author"), "name", entry["author"])
        ET.SubElement(element, "link", rel="alternate", type="text/html", href=entry["id"])
        if entry["summary"]:
            _text(element, "summary", entry["summary"]).set("type", "text")
    body = ET.tostring(feed, encoding="unicode")
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, content_type=MEDIA_TYPE)


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, name)
    element.text = NOT_XML_RE.sub("\ufffd", text)
    return element
