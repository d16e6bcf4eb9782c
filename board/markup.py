"""Member Markdown to safe HTML: the board's one sanitizer and its only allow-list.

``render_markdown`` runs once, when a post is saved; the stored HTML is shown as-is.

Pipeline: markdown-it (CommonMark, raw HTML off, strikethrough, spoilers) renders
the source, then one bleach ``Cleaner`` keeps only the allow-list below and
linkifies bare ``http(s)://`` URLs in the same pass.

Output markup the stylesheet can rely on:

* Headings sit under the page's own h1/h2 without skipping a level: the heading
  levels a post uses become h3, h4, h5, h6 in rank order (``#`` and ``###`` in one
  post -> h3 and h4; a post whose top heading is ``##`` starts at h3 too).
* ``||text||`` becomes a keyboard-focusable spoiler, revealed by CSS alone::

      <span class="spoiler" tabindex="0"><span class="visually-hidden">Spoiler: </span><span class="spoiler-text">text</span></span>

  Style ``.spoiler-text`` as obscured until ``.spoiler:hover``, ``.spoiler:focus``
  or ``.spoiler:focus-within``; hide ``.visually-hidden`` visually only.  Obscure
  with colour/blur, never ``display: none`` or ``visibility: hidden``, which
  would hide the text from screen readers too.
* A fenced ``spoiler`` block hides whole paragraphs (any Markdown inside)::

      ```spoiler
      The twist, with *emphasis* and lists.
      ```

  becomes a native disclosure: keyboard, screen reader and no-JavaScript ready::

      <details class="spoiler-block"><summary>Spoiler</summary>...</details>

  A block that holds a code block needs a longer outer fence (four backticks), as
  in CommonMark; an unclosed block runs to the end of the post.
* Images never embed: ``![alt](url)`` becomes ``<a href="url">alt</a>``.
* Every link gets ``rel="nofollow ugc noopener"``; only absolute http, https
  and mailto links survive, anything else (relative, ``#anchor``,
  ``javascript:``...) is reduced to its text.
* ``@name`` of a member who exists becomes a link to their profile, written when the post is saved::

      <a href="/u/Name" class="mention">@Name</a>

  The caller names the members (``mentions``: lower-case name -> profile path; board/models.py looks them up
  from ``mention_candidates``); an ``@name`` in code, inside a link, in an address (``a@b``) or a URL path
  (``/@name``) stays text. These are the only relative links that survive: the ``mention`` class comes from
  this renderer only (Markdown cannot set a class), and the path must be a profile's.
"""

import re
import threading
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from urllib.parse import urlsplit

from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import Cleaner
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.state_inline import Delimiter
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin

ALLOWED_TAGS = frozenset("p br hr em strong del s a code pre blockquote ul ol li h3 h4 h5 h6 span details summary".split())
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
SPOILER_CLASSES = frozenset({"spoiler", "spoiler-text", "visually-hidden"})
CODE_CLASS_RE = re.compile(r"language-[a-z0-9+#-]+")
# bleach's default URL pattern makes the scheme optional and only knows pre-2015 TLDs (no .film,
# .movie or .dev); ours wants an explicit http(s):// with any host, stops at curly quotes and
# leaves sentence punctuation outside the link (bleach itself trims trailing "." "," and ")").
# A match starts only at the first "(" of a run: without (?<!\() the search retried from every "(" of a
# run and rescanned the rest of it each time, so a post of 50,000 "(" took minutes (quadratic).
URL_RE = re.compile(r"""(?<!\()\(*\bhttps?://\w[^\s<>"`{}|\\^“”‘’«»]*(?<![!?:;'*])""", re.IGNORECASE)
MENTION_RE = re.compile(r"@([A-Za-z0-9_-]{3,30})(?![\w@-])")  # at the "@"; USERNAME_PATTERN's characters
MENTION_CANDIDATE_RE = re.compile(r"(?<![\w@/])@([A-Za-z0-9_-]{3,30})(?![\w@-])")
MENTION_CLASS = "mention"
MENTION_HREF_RE = re.compile(r"(?:/[\w.~-]+)*/u/[A-Za-z0-9_-]{3,30}")  # a profile path (behind any script root)
MAX_MENTION_LINKS = 50  # names looked up per post
TOP_HEADING = 3  # page templates own h1 and h2
DEEPEST_HEADING = 6
LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
SPOILER_MARKER = "|"
SPOILER_LABEL = "Spoiler: "  # read out by screen readers before the obscured text
SPOILER_OPEN = (
    '<span class="spoiler" tabindex="0">'
    f'<span class="visually-hidden">{SPOILER_LABEL}</span><span class="spoiler-text">'
)
SPOILER_CLOSE = "</span></span>"
SPOILER_PLACEHOLDER = "[spoiler]"  # what plain-text surfaces show instead of spoiler text
SPOILER_BLOCK_CLASS = "spoiler-block"
SPOILER_BLOCK_OPEN = f'<details class="{SPOILER_BLOCK_CLASS}"><summary>Spoiler</summary>\n'
SPOILER_BLOCK_CLOSE = "</details>\n"


def _allow_code_attr(tag: str, name: str, value: str) -> bool:
    """Keep only a fenced block's ``language-*`` class, for syntax highlighters."""
    return name == "class" and CODE_CLASS_RE.fullmatch(value) is not None


def _allow_spoiler_attr(tag: str, name: str, value: str) -> bool:
    """Keep only the exact attributes the spoiler markup uses."""
    return (name == "class" and value in SPOILER_CLASSES) or (name == "tabindex" and value == "0")


def _allow_spoiler_block_attr(tag: str, name: str, value: str) -> bool:
    """A block spoiler's <details> keeps its class and nothing else (never ``open``)."""
    return name == "class" and value == SPOILER_BLOCK_CLASS


def _allow_focusable(tag: str, name: str, value: str) -> bool:
    """A code block that scrolls sideways must be reachable by keyboard: tabindex="0", nothing else."""
    return name == "tabindex" and value == "0"


def _allow_link_attr(tag: str, name: str, value: str) -> bool:
    return name in ("href", "title", "rel") or (name == "class" and value == MENTION_CLASS)


ALLOWED_ATTRIBUTES = {
    "a": _allow_link_attr,
    "ol": ["start"],
    "pre": _allow_focusable,
    "code": _allow_code_attr,
    "span": _allow_spoiler_attr,
    "details": _allow_spoiler_block_attr,
}


def _spoiler_tokenize(state: StateInline, silent: bool) -> bool:
    """Record each ``||`` as a delimiter so balance_pairs can pair them like ``~~``."""
    if silent or state.src[state.pos] != SPOILER_MARKER:
        return False
    scanned = state.scanDelims(state.pos, True)
    token = state.push("text", "", 0)
    token.content = SPOILER_MARKER * scanned.length
    # Only an exact pair is a delimiter; `|` and `|||`+ stay literal text.
    if scanned.length == 2:
        state.delimiters.append(
            Delimiter(
                marker=ord(SPOILER_MARKER),
                length=0,  # disables the emphasis-only "rule of 3"
                token=len(state.tokens) - 1,
                end=-1,
                open=scanned.can_open,
                close=scanned.can_close,
            )
        )
    state.pos += scanned.length
    return True


def _spoiler_post_process(state: StateInline) -> None:
    """Turn paired ``||`` delimiters, including those nested in links, into spoiler tokens."""
    nested = [meta["delimiters"] for meta in state.tokens_meta if meta and "delimiters" in meta]
    for delimiters in [state.delimiters, *nested]:
        for opener in delimiters:
            if opener.marker != ord(SPOILER_MARKER) or opener.end == -1:
                continue
            closer = delimiters[opener.end]
            for index, kind, nesting in ((opener.token, "open", 1), (closer.token, "close", -1)):
                token = state.tokens[index]
                token.type, token.tag, token.nesting = f"spoiler_{kind}", "span", nesting
                token.markup, token.content = token.content, ""


def _mention_tokenize(state: StateInline, silent: bool) -> bool:
    """``@name`` of a member the caller named (env["mentions"]) becomes a link to their profile; else plain text."""
    mentions = state.env.get("mentions")
    if not mentions or state.src[state.pos] != "@" or state.linkLevel > 0:
        return False
    if state.pos > 0 and re.match(r"[\w@/]", state.src[state.pos - 1]):
        return False
    match = MENTION_RE.match(state.src, state.pos)
    if match is None or match[1].lower() not in mentions:
        return False
    if not silent:
        name, href = mentions[match[1].lower()]
        state.push("link_open", "a", 1).attrs = {"href": href, "class": MENTION_CLASS}
        state.push("text", "", 0).content = f"@{name}"
        state.push("link_close", "a", -1)
    state.pos = match.end()
    return True


def mention_candidates(source: str) -> list[str]:
    """Lower-case names written as ``@name`` in Markdown (the first MAX_MENTION_LINKS): who may be linked."""
    names = dict.fromkeys(match[1].lower() for match in MENTION_CANDIDATE_RE.finditer(source))
    return list(names)[:MAX_MENTION_LINKS]


def _demote_headings(state: StateCore) -> None:
    """Rank the post's heading levels from h3 down, so they sit under the page's h1/h2 and never skip one."""
    headings = [token for token in state.tokens if token.type in ("heading_open", "heading_close")]
    ranks = {level: rank for rank, level in enumerate(sorted({int(token.tag[1]) for token in headings}))}
    for token in headings:
        token.tag = f"h{min(TOP_HEADING + ranks[int(token.tag[1])], DEEPEST_HEADING)}"


def _images_to_links(state: StateCore) -> None:
    """Replace each image with a link to it (just its alt text inside a link), so posts never embed."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children, in_link = [], False
        for token in block.children:
            if token.type in ("link_open", "link_close"):
                in_link = token.type == "link_open"
            if token.type != "image":
                children.append(token)
                continue
            src, title = token.attrGet("src"), token.attrGet("title")
            alt = state.md.renderer.renderInlineAsText(token.children, state.md.options, state.env)
            text = Token("text", "", 0, content=alt or src)
            if in_link:  # a link can't hold a link; the outer one wins
                children.append(text)
                continue
            link = Token("link_open", "a", 1, attrs={"href": src, **({"title": title} if title else {})})
            children += [link, text, Token("link_close", "a", -1)]
        block.children = children


def _focusable(default_rule):
    """Code blocks scroll rather than wrap, so keyboard users must be able to focus them."""

    def render(_renderer, tokens, idx, options, env) -> str:
        return default_rule(tokens, idx, options, env).replace("<pre>", '<pre tabindex="0">', 1)

    return render


def _link_policy(attrs: dict, is_new: bool) -> dict | None:
    """Give every link the board's rel; reduce links without an allowed absolute URL to their text."""
    # Filters run after bleach sanitizes, so links LinkifyFilter adds are vetted only here.
    href = attrs.get((None, "href"), "")
    if attrs.get((None, "class")) == MENTION_CLASS and MENTION_HREF_RE.fullmatch(href):
        return attrs  # a mention this renderer made: the board's own profile path
    attrs.pop((None, "class"), None)
    if urlsplit(href).scheme.lower() not in ALLOWED_PROTOCOLS:
        return None  # bleach removed a bad href, or it was relative: keep the words only
    attrs[(None, "rel")] = LINK_REL
    return attrs


_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("strikethrough")
)
# ```spoiler … ``` : a container (its inside is Markdown), tried before the code-fence rule.
container_plugin(_markdown, "spoiler", marker="`", render=lambda self, tokens, idx, *_: (
    SPOILER_BLOCK_OPEN if tokens[idx].nesting == 1 else SPOILER_BLOCK_CLOSE
))
_markdown.inline.add_terminator_char(SPOILER_MARKER)  # else the text rule swallows `|`
_markdown.inline.ruler.before("emphasis", "spoiler", _spoiler_tokenize)
_markdown.inline.add_terminator_char("@")  # else the text rule swallows `@`
_markdown.inline.ruler.before("emphasis", "mention", _mention_tokenize)
_markdown.inline.ruler2.before("emphasis", "spoiler", _spoiler_post_process)
_markdown.core.ruler.push("demote_headings", _demote_headings)
_markdown.core.ruler.push("images_to_links", _images_to_links)
for _rule in ("fence", "code_block"):
    _markdown.add_render_rule(_rule, _focusable(_markdown.renderer.rules[_rule]))
_markdown.add_render_rule("spoiler_open", lambda *args: SPOILER_OPEN)
_markdown.add_render_rule("spoiler_close", lambda *args: SPOILER_CLOSE)

_cleaner = Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[
        partial(
            LinkifyFilter,
            callbacks=[_link_policy],
            skip_tags=["pre", "code"],
            parse_email=False,
            url_re=URL_RE,
        )
    ],
)
# bleach's Cleaner keeps parser state between calls: concurrent clean() calls raise IndexError.
_render_lock = threading.Lock()


def render_markdown(source: str, mentions: dict[str, tuple[str, str]] | None = None) -> str:
    """Render member Markdown to safe HTML: the board's one sanitizer and its only allow-list.

    `mentions`: lower-case name -> (the member's name, their profile path), for the members who exist.
    """
    # A lone surrogate can't be encoded as UTF-8, so it would only fail later, when stored or sent.
    source = LONE_SURROGATE_RE.sub("\ufffd", source)
    with _render_lock:
        return _cleaner.clean(_markdown.render(source, {"mentions": mentions or {}}))


class _PlainText(HTMLParser):
    """Text of sanitized post HTML, with every spoiler replaced by "[spoiler]" (so it can never leak)."""

    BLOCKS = frozenset("p li blockquote pre h3 h4 h5 h6 hr br div details".split())
    SPOILER_ROOTS = frozenset({"spoiler", SPOILER_BLOCK_CLASS})  # inline ||…|| and ```spoiler blocks

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.spoiler_depth = 0
        self.stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "hr"):
            self.parts.append(" ")
            return
        is_spoiler = not self.SPOILER_ROOTS.isdisjoint((dict(attrs).get("class") or "").split())
        self.stack.append(is_spoiler)
        if is_spoiler:
            if self.spoiler_depth == 0:
                self.parts.append(f" {SPOILER_PLACEHOLDER} " if tag in self.BLOCKS else SPOILER_PLACEHOLDER)
            self.spoiler_depth += 1
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("br", "hr") or not self.stack:
            return
        if self.stack.pop():
            self.spoiler_depth -= 1
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if self.spoiler_depth == 0:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """Spoiler-safe plain text of rendered post HTML: for excerpts, search, feeds, titles and notifications."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


@dataclass(frozen=True)
class RenderedPost:
    """A post's Markdown, its sanitized HTML and its spoiler-safe plain text: what a post stores, made here only."""

    source: str
    html: str
    plain_text: str


def render_post(source: str, mentions: dict[str, tuple[str, str]] | None = None) -> RenderedPost:
    """Render before taking the database's write lock; Post.set_body stores the result as it is."""
    html = render_markdown(source, mentions)
    return RenderedPost(source, html, plain_text(html))


def quote_markdown(author: str, source_url: str, text: str, spoiler: bool = False) -> str:
    """`text` quoted in Markdown under a line naming its author and linking its source: "> **@name** [wrote](url):".

    The link is absolute: the sanitizer keeps no relative link. A post moderators marked as a spoiler stays behind a
    ```spoiler block inside the quote. static/app.js builds the same form for a quoted selection (quoteMarkdown).
    """
    text = text.strip("\n")
    if spoiler:
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
        text = f"{fence}spoiler\n{text}\n{fence}"
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))
    name = author.replace("_", r"\_")  # a name like "a_b_" would open emphasis
    return f"> **@{name}** [wrote]({source_url}):\n>\n{quoted}\n\n"
