"""What may be shown of a thread where a spoiler can't be hidden: titles, excerpts and descriptions.

Lists, ``<title>``, meta and link-preview tags and feeds can't hold reveal-on-demand markup, so they
ask here. Post text comes from ``Post.plain_text`` (spoilers already read "[spoiler]"); an excerpt is
withheld entirely — not blurred, which still leaks to feed readers, screen readers and scrapers — when
moderators marked the post a spoiler, or when it is the opening post of a thread marked "contains spoilers".
That flag is the thread author's word about their own post: a reply in such a thread is excerpted from its own
spoiler-safe text (its ||…|| and ```spoiler blocks already read "[spoiler]"), which never holds the opening post's.
"""
import re

from markupsafe import Markup, escape

from .markup import SPOILER_BLOCK_CLASS, SPOILER_CLOSE, SPOILER_OPEN, SPOILER_PLACEHOLDER

# Titles are plain text, not Markdown, but a member may still type ||…|| in one.
TITLE_SPOILER_RE = re.compile(r"\|\|(?=\S)(.+?)(?<=\S)\|\|")
WITHHELD_NOTICE = "Contains spoilers — excerpt hidden"
DESCRIPTION_LENGTH = 200


def safe_title(title: str) -> str:
    """The title with every ||…|| replaced by "[spoiler]": for <title>, og:title, lists and feeds."""
    return TITLE_SPOILER_RE.sub(SPOILER_PLACEHOLDER, title)


def title_html(title: str) -> Markup:
    """The title escaped, each ||…|| as an inline reveal-on-demand spoiler: for the thread page heading only."""
    parts, last = [], 0
    for match in TITLE_SPOILER_RE.finditer(title):
        parts += [escape(title[last : match.start()]), Markup(SPOILER_OPEN), escape(match.group(1)), Markup(SPOILER_CLOSE)]
        last = match.end()
    parts.append(escape(title[last:]))
    return Markup("").join(parts)


# "I've seen it": a member who logged a film (board/film_logs.py) reads its thread pages with the spoilers open.
SPOILER_REVEALED = SPOILER_OPEN.replace('class="spoiler"', 'class="spoiler spoiler--open"', 1)
SPOILER_BLOCK = f'<details class="{SPOILER_BLOCK_CLASS}">'
SPOILER_BLOCK_REVEALED = f'<details class="{SPOILER_BLOCK_CLASS}" open>'


def open_spoilers(page: str) -> str:
    """A rendered page (or fragment) with every inline spoiler shown and every spoiler block, posts marked spoilers
    included, open: for the member whose spoilers of this film open. Post HTML holds only the sanitizer's exact markup
    (a member's own `<details>` or `class` never survives it), so these are the page's spoilers and nothing else."""
    return page.replace(SPOILER_OPEN, SPOILER_REVEALED).replace(SPOILER_BLOCK, SPOILER_BLOCK_REVEALED)


def withholds_excerpt(thread, post) -> bool:
    """Spoilers could be anywhere in the post: moderators marked it, or it opens a thread marked "contains spoilers"."""
    return post.marked_spoiler or (thread.has_spoilers and post.is_opening)


def public_excerpt(thread, post, length: int | None = None) -> str | None:
    """The post's spoiler-safe excerpt for everyone, or None when it is removed or must be withheld."""
    if post.is_removed or withholds_excerpt(thread, post):
        return None
    return post.excerpt(length) if length else post.excerpt()


def description(thread) -> str:
    """The thread's meta/og description: its opening excerpt, or a neutral line that gives nothing away."""
    opening = thread.opening_post
    excerpt = public_excerpt(thread, opening, DESCRIPTION_LENGTH)
    if excerpt:
        return excerpt
    if opening.hidden:
        return "A film thread on Reelboard."
    if withholds_excerpt(thread, opening):
        return f"A discussion of {thread.film} on Reelboard. Contains spoilers."
    return f"A discussion of {thread.film} on Reelboard."


def init_app(app) -> None:
    app.jinja_env.filters.update(safe_title=safe_title, title_html=title_html)
    app.jinja_env.globals.update(
        public_excerpt=public_excerpt, withholds_excerpt=withholds_excerpt, spoiler_safe_description=description,
        EXCERPT_WITHHELD=WITHHELD_NOTICE,
    )
