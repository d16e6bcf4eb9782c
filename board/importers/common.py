"""What both importers share: the records an export is read into, safe XML parsing, dates, and HTML → Markdown."""
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse
from markdownify import ATX, MarkdownConverter

from ..markup import ALLOWED_PROTOCOLS


class ImportProblem(Exception):
    """An item (or a whole file) that cannot be imported, and why: reported, never half-written."""


@dataclass(frozen=True)
class Author:
    name: str
    email: str | None = None


@dataclass
class Comment:
    source_id: str
    parent_id: str | None
    author: Author
    created_at: datetime
    html: str


@dataclass
class Entry:
    """A blog post (or a Disqus thread) with the comments to import under it."""

    source_id: str
    title: str
    author: Author
    created_at: datetime
    html: str | None  # None: a Disqus thread, which has no text of its own (its page's link stands in)
    link: str | None = None
    film_names: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # why each comment not imported was left out: "spam", …
    parents: dict[str, str | None] = field(default_factory=dict)  # every comment's parent, left-out ones too


@dataclass
class Skipped:
    """An item of the export the import leaves out, and why."""

    label: str
    reason: str


def read_xml(path) -> Element:
    """The export's root element, parsed with defusedxml: no external entities, no entity expansion bombs."""
    try:
        return parse(path, forbid_dtd=True).getroot()
    except DefusedXmlException as refused:
        raise ImportProblem(f"refused: the file declares a DTD or entities ({type(refused).__name__}); "
                            "WordPress and Disqus exports have none") from None
    except ParseError as error:
        raise ImportProblem(f"not well-formed XML ({error})") from None
    except OSError as error:
        raise ImportProblem(f"could not read the file ({error.strerror or error})") from None


def text_of(element: Element | None, path: str, namespaces: dict | None = None) -> str:
    """The text at `path` under `element`, stripped ("" when missing)."""
    if element is None:
        return ""
    found = element.find(path, namespaces)
    return (found.text or "").strip() if found is not None else ""


def plain_title(raw: str) -> str:
    """A title as WordPress writes it into an export (entities such as &#8217; escaped once more) as one line."""
    return " ".join(html.unescape(html.unescape(raw)).split())


def parse_date(value: str, what: str) -> datetime:
    """'2013-12-18 20:15:00' (WordPress, UTC) or '2013-12-18T20:15:00Z' (Disqus) as the board's naive UTC."""
    value = value.strip()
    if not value or value.startswith("0000-00-00"):
        raise ImportProblem(f"{what} has no date")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ImportProblem(f"{what} has an unreadable date {value[:40]!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


BLOCK_TAG = re.compile(r"<(p|div|ul|ol|blockquote|h[1-6]|pre|table|figure)\b", re.IGNORECASE)


def autop(text: str) -> str:
    """WordPress stores classic posts and comments with blank lines for paragraphs and shows them through wpautop:
    the same here (a blank line starts a paragraph, a single newline is a line break), unless it has block tags."""
    if BLOCK_TAG.search(text):
        return text
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if part.strip()]
    return "".join(f"<p>{part.replace(chr(10), '<br>')}</p>" for part in paragraphs)


class BoardMarkdown(MarkdownConverter):
    """markdownify set for the board's Markdown: ATX headings, "-" bullets, images and embeds as links.

    Whatever it lets through is only Markdown text: the board's renderer has raw HTML off and its one sanitizer
    (board/markup.py) decides what survives, as for any post.
    """

    def __init__(self, **options):
        super().__init__(heading_style=ATX, bullets="-", escape_misc=False, newline_style="backslash", **options)

    def convert_a(self, el, text, parent_tags):
        """A link the board keeps (http, https, mailto); any other (javascript:, relative) is its words alone."""
        if not linkable(el.attrs.get("href")):
            return text
        return super().convert_a(el, text, parent_tags)

    def convert_img(self, el, text, parent_tags):
        """An image becomes a link to it, named by its alt text (the board never embeds images)."""
        alt, src = " ".join((el.attrs.get("alt") or "").split()), (el.attrs.get("src") or "").strip()
        if not linkable(src):
            return alt
        if "a" in parent_tags:  # inside a link already: the link's words
            return alt or "image"
        return f"[{self.escape(alt or 'image', parent_tags)}]({destination(src)})"

    def convert_iframe(self, el, text, parent_tags):
        """An embedded player (YouTube, Vimeo) becomes a link to what it played."""
        src = (el.attrs.get("src") or "").strip()
        name = re.sub(r"[\[\]\s]+", " ", el.attrs.get("title") or "").strip() or "Embedded video"
        return f"\n\n[{name}]({destination(src)})\n\n" if linkable(src) else ""

    def convert_nothing(self, el, text, parent_tags):
        """Code, styles and widgets: none of their text is the author's words."""
        return ""

    convert_script = convert_style = convert_noscript = convert_template = convert_svg = convert_nothing
    convert_object = convert_embed = convert_select = convert_textarea = convert_button = convert_nothing


def linkable(href: str | None) -> bool:
    """An absolute link of a kind the board's sanitizer keeps (the sanitizer still has the last word)."""
    if not href or "\n" in href:
        return False
    try:
        return urlsplit(href.strip()).scheme.lower() in ALLOWED_PROTOCOLS
    except ValueError:  # "http://[" and other addresses urllib cannot split
        return False


def destination(url: str) -> str:
    """A Markdown link destination: in <…> when it holds spaces or parentheses ("still (1).jpg")."""
    return f"<{url}>" if re.search(r"[\s()<>]", url) and "<" not in url and ">" not in url else url


def markdown_from_html(source: str) -> str:
    """An export's HTML (a post or a comment) as the board's Markdown."""
    converted = BoardMarkdown().convert(autop(source))
    return re.sub(r"\n{3,}", "\n\n", converted).strip()
