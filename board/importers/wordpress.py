"""A WordPress export (WXR 1.0–1.2, what Tools → Export writes) read into posts with their comments."""
from .common import Author, Comment, Entry, ImportProblem, Skipped, parse_date, plain_title, read_xml, text_of

NS = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
WXR_PREFIX = "{http://wordpress.org/export/"
FILM_DOMAINS = ("category", "post_tag")
UNCATEGORIZED = {"uncategorized"}
# Why an item that is not a published post stays behind.
NOT_POSTS = {"page": "a page, not a blog post", "attachment": "an attachment (a media file)",
             "nav_menu_item": "a menu item", "revision": "a revision"}
COMMENT_STATES = {"0": "pending", "spam": "spam", "trash": "trash", "post-trashed": "trash"}


class WordPressExport:
    """rss/channel/item, the wp: namespace of whichever WXR version wrote it."""

    kind = "wordpress"

    def __init__(self, path):
        root = read_xml(path)
        channel = root.find("channel")
        if root.tag != "rss" or channel is None:
            raise ImportProblem("not a WordPress export (no rss/channel)")
        version = next((child.tag for child in channel if child.tag.startswith(WXR_PREFIX)), None)
        if version is None:
            raise ImportProblem("not a WordPress export (no wp: elements: is it a plain RSS feed?)")
        self.ns = NS | {"wp": version[1:].split("}")[0]}
        # Post and comment ids are numbers per blog: the blog's address keeps two blogs' ids apart.
        self.site = text_of(channel, "wp:base_blog_url", self.ns) or text_of(channel, "link") or "wordpress"
        self.items = channel.findall("item")
        self.notes: list[str] = []
        self.authors = {}
        for element in channel.findall("wp:author", self.ns):
            login = text_of(element, "wp:author_login", self.ns)
            name = plain_title(text_of(element, "wp:author_display_name", self.ns)) or login
            author = Author(name, text_of(element, "wp:author_email", self.ns) or None)
            self.authors[login] = author
            self.authors[text_of(element, "wp:author_id", self.ns)] = author

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def label(self, item) -> str:
        return f"“{plain_title(text_of(item, 'title'))[:80] or 'untitled'}” ({self.wp(item, 'post_type') or 'item'} "\
               f"{self.wp(item, 'post_id') or '?'})"

    def wp(self, element, name: str) -> str:
        return text_of(element, f"wp:{name}", self.ns)

    def read(self, item) -> Entry | Skipped:
        """The published post this item is, or why it is left out; ImportProblem when it is malformed."""
        post_type, status = self.wp(item, "post_type"), self.wp(item, "status")
        if post_type != "post":
            return Skipped(self.label(item), NOT_POSTS.get(post_type, f"a {post_type or 'typeless item'}, not a blog post"))
        if status != "publish":
            return Skipped(self.label(item), f"not published ({status or 'no status'})")
        if self.wp(item, "post_password"):
            return Skipped(self.label(item), "password-protected on the blog")
        post_id = self.wp(item, "post_id")
        if not post_id:
            raise ImportProblem("has no wp:post_id")
        content = item.find("content:encoded", self.ns)
        if content is None:
            raise ImportProblem("has no content:encoded")
        login = text_of(item, "dc:creator", self.ns)
        entry = Entry(
            source_id=f"{self.site}#{post_id}",
            title=plain_title(text_of(item, "title")),
            author=self.authors.get(login, Author(login or "blog author")),
            created_at=self.date(item, "post_date"),
            html=content.text or "",
            link=text_of(item, "link") or None,
            film_names=[plain_title(category.text or "") for category in item.findall("category")
                        if category.get("domain") in FILM_DOMAINS
                        and plain_title(category.text or "").casefold() not in UNCATEGORIZED],
        )
        for element in item.findall("wp:comment", self.ns):
            self.read_comment(entry, element)
        return entry

    def read_comment(self, entry: Entry, element) -> None:
        comment_id = self.wp(element, "comment_id")
        if not comment_id:
            raise ImportProblem("has a comment without wp:comment_id")
        source_id = f"{self.site}#comment-{comment_id}"
        parent = self.wp(element, "comment_parent")
        parent_id = f"{self.site}#comment-{parent}" if parent not in ("", "0") else None
        entry.parents[source_id] = parent_id
        state = COMMENT_STATES.get(self.wp(element, "comment_approved"))
        kind = self.wp(element, "comment_type")
        if state or kind in ("pingback", "trackback"):
            entry.left_out.append(state or kind)
            return
        author = Author(plain_title(self.wp(element, "comment_author")), self.wp(element, "comment_author_email") or None)
        if not author.email and self.wp(element, "comment_user_id") in self.authors:
            author = self.authors[self.wp(element, "comment_user_id")]  # the blog's own author, signed in
        entry.comments.append(Comment(source_id, parent_id, author, self.date(element, "comment_date"),
                                      self.wp(element, "comment_content")))

    def date(self, element, name: str):
        """The GMT date WordPress keeps beside the blog's local one (the local one if GMT is missing)."""
        gmt = self.wp(element, f"{name}_gmt")
        if gmt and not gmt.startswith("0000"):
            return parse_date(gmt, name.replace("_", " "))
        return parse_date(self.wp(element, name), name.replace("_", " "))
