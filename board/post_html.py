"""Each reply's HTML kept and reused across requests: the thread page's costliest part, rendered once per state.

The thread walk (templates/threads/_replies.html) is one Python loop here: each reply's opening — its `<li>`, its
thread line, its article (templates/posts/_macros.html `reply`), the fold or the "continue this thread" link under
it, the start of its own list — is looked up by a key of every value it is made of, and the macro is called only for
a state not seen before. Those values: the post's own (its body by its hash), its author's name, display name and
avatar digest (so a member's new display name or avatar shows at once, under a new key), its thread's lock
and author (the "author" badge), whom it is said to answer (ranking.ReplyingTo: the parent's author, or none where
the parent is just above it), the wording of its relative times, how many replies are folded or cut under it, and
what kind of reader sees it (a visitor; a member who wrote it — the "you" badge — or not, banned or not) with that
reader's vote on it and whether they blocked its author or saved it (models.ViewerState). The session's CSRF token
is left as a marker in kept HTML and filled in once per page. Kept HTML is UTF-8: a thread page's walk goes into the
encoded page as it is (walk_apart, put_walk_back). Moderators see tools that depend on more (the author's
role and ban), so their replies, and any fragment answering an action, are rendered afresh.
"""
import secrets
import threading
from collections import OrderedDict

from flask import current_app, g, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .forms import ReplyForm
from .member_pages import alternatives_of, marking, readers_of
from .models import Post, utcnow
from .templating import post_links, time_ago

# Default of app.config["POST_HTML_CACHE_CHARS"]: the characters of HTML a worker keeps (~8 MB of memory for Latin
# text, some thousands of posts), least recently read first out; 0 turns the cache off.
POST_HTML_CACHE_CHARS = 8_000_000
# Stands in for the CSRF token in kept HTML: random per process, so no post can contain it.
CSRF_MARKER = f"csrf-{secrets.token_hex(16)}"
# What the walk writes between replies, as UTF-8: the lists closed before a reply (board/tree.py), then the reply.
FIRST_CLOSE, LATER_CLOSE, BEFORE_REPLY = b"</ol></li>", b"</ol></details></li>", b"\n    "
# Stands in for the walk in a page rendered with it apart (walk_apart): random per process, so no post contains it.
WALK_MARKER = f"walk-{secrets.token_hex(16)}"
REPLY_FORM = "posts/_reply_form.html"


class PostHtmlCache:
    """A thread-safe LRU of post HTML by key, bounded by the characters it holds (a long essay counts for more);
    board/page_cache.py keeps the member copies of pages it read last in one too."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars, self.chars, self._entries, self._lock = max_chars, 0, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            held = self._entries.get(key)
            if held is None:
                return None
            self._entries.move_to_end(key)
            return held[0]

    def get_many(self, keys: list) -> list:
        """[get(key) for key in keys], in one hold of the lock (a thread page looks up each of its replies)."""
        entries, found = self._entries, []
        with self._lock:
            for key in keys:
                held = entries.get(key)
                if held is None:
                    found.append(None)
                else:
                    entries.move_to_end(key)
                    found.append(held[0])
        return found

    def put(self, key, html, size: int | None = None) -> None:
        """Keep `html` (or anything else `size` characters long) under `key`, the least recently read out first."""
        size = len(html) if size is None else size
        with self._lock:
            replaced = self._entries.pop(key, None)
            self.chars += size - (replaced[1] if replaced is not None else 0)
            self._entries[key] = (html, size)
            while self.chars > self.max_chars and self._entries:
                self.chars -= self._entries.popitem(last=False)[1][1]


def reply_key(post, context: tuple, own: bool, vote: int, replying_to, more: int, shown: int, now, blocked: bool,
              saved: bool, author: tuple | None = None) -> tuple:
    """Every value a reply's opening in the walk is made of, for a reader (not a moderator) who wrote it (`own`) or
    not, on a page described by `context` (reader_context: who reads it, in what thread). The body by its hash (64
    bits, within one process, beside the post's id and edit time): a key does not keep a second copy of a long post.
    `author`: the author's name, display name and avatar digest, where `post` is a Post and not a page row (which has
    them as columns)."""
    body, edited_at = post.body_html, post.edited_at
    if author is None:
        author = (post.author_username, post.author_display_name, post.author_avatar_digest)
    return (
        post.id, hash(body), len(body), post.score, post.hidden, post.hidden_reason, post.deleted,
        post.marked_spoiler, post.created_at, edited_at, post.edited_by_moderator, post.author_id, author,
        post.thread_id, post.parent_id is None, replying_to, time_ago(post.created_at, now),
        time_ago(edited_at, now) if edited_at else None, more, shown, own, vote, blocked, saved, context,
    )


def reader_context(viewer, shared: bool, thread) -> tuple:
    """What a reply's HTML takes from the page around it, the same for all its replies: the reader (member, banned,
    the shared copy of board/member_pages.py or not), the script root, and the thread (locked, its author's id)."""
    member = viewer.is_authenticated
    return member, member and viewer.is_banned(), shared, request.script_root, thread.locked, thread.author_id


def reply_walk(reading, viewer, votes, links, reply) -> str:
    """The replies of the page in order (rows of Post.page_columns), each after the lists closed before it, as HTML
    in a plain str (templates/threads/_replies.html writes it unescaped: a Markup of it would be a copy):
    reply(post, viewer, votes, links, reading) — the macro — for each, from the cache where this state was
    rendered before; only a state not seen before makes its row a Post. In the copy shared by members
    (board/member_pages.py), each reply twice: as its author sees it, and as everyone else does.

    Kept as UTF-8 and joined as bytes: for a page rendered with its walk apart (walk_apart), the walk is left in
    g and WALK_MARKER written in its place, so hundreds of KB of replies are neither copied by Jinja's join of the
    page nor encoded again for the response."""
    walk = b"".join(walk_parts(reading, viewer, votes, links, reply))
    if g.pop("walk_apart", False):
        g.walk = walk
        return WALK_MARKER
    return walk.decode()


def walk_parts(reading, viewer, votes, links, reply) -> list[bytes]:
    """reply_walk's parts, UTF-8, in order."""
    cache, thread = current_app.extensions.get("post_html"), reading.root.thread
    if cache is None or viewer.can_moderate():
        return [
            closing(closes) + BEFORE_REPLY + str(reply(Post.from_row(row, thread), viewer, votes, links, reading)).encode()
            for row, closes in reading.tree.items
        ]
    member, shared = viewer.is_authenticated, marking(votes)
    context, now = reader_context(viewer, shared, thread), utcnow()
    continued, folds, replying_to, marked = reading.continued, reading.folds, reading.replying_to, None
    # The viewer's own choices (models.ViewerState): the authors they blocked, the posts they saved.
    blocked, saved = getattr(votes, "blocked", ()), getattr(votes, "bookmarked", ())
    me = None if shared or not member else viewer.id  # "own": None in the shared copy, else whether they wrote it
    keys = [reply_key(post, context, None if shared else post.author_id == me, votes.get(post.id, 0) if member else 0,
                      replying_to.get(post.id), continued.get(post.id, 0), folds.get(post.id, 0), now,
                      member and post.author_id in blocked, member and post.id in saved)
            for post, _ in reading.tree.items]
    kept = cache.get_many(keys)

    def rendered(post) -> tuple[tuple[bytes, ...], int]:
        """The reply's opening for a state not seen before, cut where the CSRF token goes, as UTF-8."""
        nonlocal marked
        if marked is None:
            marked = links.with_csrf_token(CSRF_MARKER)
        if shared:  # as its author sees it, and as everyone else does: only where they differ twice
            html = alternatives_of(post.author_id, *(
                str(reply(Post.from_row(post, thread), reader_viewer, votes, marked, reading))
                for reader_viewer, _start, _end in readers_of(post, viewer, votes)))
        else:
            html = str(reply(Post.from_row(post, thread), viewer, votes, marked, reading))
        # Kept cut where the token goes: a member's page joins the pieces with theirs (one copy, no search).
        return tuple(piece.encode() for piece in html.split(CSRF_MARKER)), len(html)

    # Each part appended as it is (never concatenated per reply: a reply's HTML is copied once, by the last join).
    token, parts = links.csrf_token.encode() if member else b"", []
    for (post, closes), key, pieces in zip(reading.tree.items, keys, kept):
        if pieces is None:
            pieces, size = rendered(post)
            cache.put(key, pieces, size)
        if closes:
            parts.append(closing(closes))
        parts.append(BEFORE_REPLY)
        parts.append(token.join(pieces))
    return parts


def walk_apart() -> None:
    """Render this request's page with its reply walk apart (reply_walk); put_walk_back joins them."""
    g.walk_apart = True


def put_walk_back(page: str) -> bytes | str:
    """The page rendered after walk_apart, as UTF-8 with its walk in its place; a page with no walk as it is."""
    g.pop("walk_apart", None)
    walk = g.pop("walk", None)
    if walk is None:
        return page
    before, _, after = page.partition(WALK_MARKER)
    return b"".join((before.encode(), walk, after.encode()))


def opening_post_html(post, viewer, votes, article) -> Markup:
    """The opening post's article on its thread page (article: the macro of templates/posts/_macros.html), kept by
    the same key as a reply's (board/post_html.py reply_key, with "opening" in it: a reply's root in a focused view
    is drawn by the same macro with other values) and rendered afresh for moderators. In the copy shared by members,
    twice between markers: as its author sees it, and as everyone else does (board/member_pages.py readers_of)."""
    links, cache = post_links(), current_app.extensions.get("post_html")

    def rendered(with_links) -> str:
        return "".join(f"{start}{article(post, reader, votes, with_links)}{end}"
                       for reader, start, end in readers_of(post, viewer, votes))

    if cache is None or viewer.can_moderate():
        return Markup(rendered(links))
    member, shared, author = viewer.is_authenticated, marking(votes), post.author
    own = None if shared else member and viewer.id == post.author_id
    key = ("opening", *reply_key(
        post, reader_context(viewer, shared, post.thread), own, votes.get(post.id, 0) if member else 0, None, 0, 0,
        utcnow(), member and post.author_id in getattr(votes, "blocked", ()),
        member and post.id in getattr(votes, "bookmarked", ()),
        author=(author.username, author.display_name, author.avatar_digest)))
    html = cache.get(key)
    if html is None:
        html = rendered(links.with_csrf_token(CSRF_MARKER))
        cache.put(key, html)
    return Markup(html.replace(CSRF_MARKER, links.csrf_token) if member else html)


def end_reply_form(parent, form: ReplyForm | None = None) -> Markup:
    """The reply box at the end of a thread page (templates/posts/_reply_form.html for the opening post, submitted in
    place). Empty (form None: a ReplyForm is made only to render it), as a page read always has it, it is the same for
    every member but for the CSRF token: kept once per opening post with the marker in the token's place, as a post's
    HTML is. A form holding text or errors is rendered as it is."""
    cache, template = current_app.extensions.get("post_html"), current_app.jinja_env.get_template(REPLY_FORM)
    if cache is None or form is not None and (form.errors or form.body.data):
        return Markup(template.render(parent=parent, form=form or ReplyForm(), inline=True))
    key, token = ("end reply form", parent.id, request.script_root), generate_csrf()
    html = cache.get(key)
    if html is None:
        html = template.render(parent=parent, form=form or ReplyForm(), inline=True, csrf_token=lambda: CSRF_MARKER)
        cache.put(key, html)
    return Markup(html.replace(CSRF_MARKER, token))


def closing(closes: int) -> bytes:
    """The lists closed before a reply: the previous reply's own (never folded), then its ancestors' (folded)."""
    return FIRST_CLOSE + LATER_CLOSE * (closes - 1) if closes else b""


def init_app(app) -> None:
    max_chars = app.config.get("POST_HTML_CACHE_CHARS", POST_HTML_CACHE_CHARS)
    if max_chars:
        app.extensions["post_html"] = PostHtmlCache(max_chars)
    app.jinja_env.globals.update(reply_walk=reply_walk, opening_post_html=opening_post_html,
                                  end_reply_form=end_reply_form)
