"""Each post's HTML kept and reused across requests: the thread page's costliest part, rendered once per state.

A post's HTML (templates/posts/_macros.html `article`) depends only on the post (and whether its author started the
thread: the "author" badge), on what kind of reader sees it (a visitor; a member who wrote it — the "you" badge — or
not, banned or not), that reader's vote on it and whether they blocked its author or saved it, on whom it is said to
answer (ranking.ReplyingTo: the parent's author, or none where the parent is just above it), on its relative time's
wording, and on the session's CSRF token. The key below holds every one of those values except the token, which is
left as a marker in the kept HTML and filled in for each request. Moderators see tools that depend on more (the
author's role and ban), so their pages, and any fragment answering an action, are rendered afresh.
"""
import hashlib
import secrets
import threading
from collections import OrderedDict

from flask import current_app, request
from markupsafe import Markup

from .templating import time_ago

# Default of app.config["POST_HTML_CACHE_CHARS"]: the characters of HTML a worker keeps (~8 MB of memory for Latin
# text, some thousands of posts), least recently read first out; 0 turns the cache off.
POST_HTML_CACHE_CHARS = 8_000_000
# Stands in for the CSRF token in kept HTML: random per process, so no post can contain it.
CSRF_MARKER = f"csrf-{secrets.token_hex(16)}"


class PostHtmlCache:
    """A thread-safe LRU of post HTML by key, bounded by the characters it holds (a long essay counts for more)."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars, self.chars, self._entries, self._lock = max_chars, 0, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
            return html

    def put(self, key, html: str) -> None:
        with self._lock:
            replaced = self._entries.pop(key, None)
            self.chars += len(html) - (len(replaced) if replaced is not None else 0)
            self._entries[key] = html
            while self.chars > self.max_chars and self._entries:
                self.chars -= len(self._entries.popitem(last=False)[1])


def post_key(post, viewer, votes, replying_to=None) -> tuple:
    """Every value the post's HTML is made of, for this reader (not a moderator). The body by its digest: a key
    does not keep a second copy of a long post."""
    member = viewer.is_authenticated
    body = hashlib.blake2b(post.body_html.encode(), digest_size=16).digest()
    return (
        post.id, post.parent_id is None, body, post.score, post.hidden, post.hidden_reason, post.deleted,
        post.marked_spoiler, post.created_at, post.edited_at, post.edited_by_moderator, post.author_id,
        post.author.username, post.thread.author_id, post.thread.locked, replying_to, time_ago(post.created_at),
        time_ago(post.edited_at) if post.edited_at else None,
        member, member and viewer.id == post.author_id, member and viewer.is_banned(),
        votes.get(post.id, 0) if member else 0, request.script_root,
        # The viewer's own choices (models.ViewerState): whether they blocked the author, saved the post.
        member and post.author_id in getattr(votes, "blocked", ()), member and post.id in getattr(votes, "bookmarked", ()),
    )


def cached_article(post, viewer, votes, links, article, replying_to=None) -> Markup:
    """article(post, viewer, votes, links, replying_to=…) — the macro — from the cache when this state was
    rendered before."""
    cache = current_app.extensions.get("post_html")
    if cache is None or viewer.can_moderate():
        return article(post, viewer, votes, links, replying_to=replying_to)
    key = post_key(post, viewer, votes, replying_to)
    html = cache.get(key)
    if html is None:
        html = str(article(post, viewer, votes, links.with_csrf_token(CSRF_MARKER), replying_to=replying_to))
        cache.put(key, html)
    if viewer.is_authenticated and CSRF_MARKER in html:
        html = html.replace(CSRF_MARKER, links.csrf_token)
    return Markup(html)


def init_app(app) -> None:
    max_chars = app.config.get("POST_HTML_CACHE_CHARS", POST_HTML_CACHE_CHARS)
    if max_chars:
        app.extensions["post_html"] = PostHtmlCache(max_chars)
    app.jinja_env.globals["cached_article"] = cached_article
