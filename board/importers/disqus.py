"""A Disqus export (Admin → Export: <disqus> with <thread> and <post> elements) read into threads with comments."""
from collections import defaultdict

from .common import Author, Comment, Entry, ImportProblem, Skipped, parse_date, plain_title, read_xml, text_of

NS = {"d": "http://disqus.com", "dsq": "http://disqus.com/disqus-internals"}
DSQ_ID = "{http://disqus.com/disqus-internals}id"


def is_true(value: str) -> bool:
    return value.strip().lower() == "true"


class DisqusExport:
    """One entry per Disqus thread (a page of the blog), its posts as comments."""

    kind = "disqus"

    def __init__(self, path):
        root = read_xml(path)
        if root.tag != "{http://disqus.com}disqus":
            raise ImportProblem("not a Disqus export (no <disqus> root in the http://disqus.com namespace)")
        self.threads = root.findall("d:thread", NS)
        self.posts = defaultdict(list)
        orphans = 0
        thread_ids = {thread.get(DSQ_ID) for thread in self.threads}
        for post in root.findall("d:post", NS):
            thread = post.find("d:thread", NS)
            thread_id = thread.get(DSQ_ID) if thread is not None else None
            if thread_id in thread_ids:
                self.posts[thread_id].append(post)
            else:
                orphans += 1
        self.notes = [f"Comments not imported: {orphans} of no thread in the file."] if orphans else []

    def __len__(self) -> int:
        return len(self.threads)

    def __iter__(self):
        return iter(self.threads)

    def label(self, thread) -> str:
        return f"“{plain_title(text_of(thread, 'd:title', NS))[:80] or 'untitled'}” (Disqus thread {thread.get(DSQ_ID) or '?'})"

    def read(self, thread) -> Entry | Skipped:
        thread_id = thread.get(DSQ_ID)
        if not thread_id:
            raise ImportProblem("has no dsq:id")
        if is_true(text_of(thread, "d:isDeleted", NS)):
            return Skipped(self.label(thread), "deleted on Disqus")
        if not self.posts.get(thread_id):
            return Skipped(self.label(thread), "no comments")
        author = self.author(thread.find("d:author", NS)) or Author(text_of(thread, "d:forum", NS) or "Disqus")
        entry = Entry(
            source_id=thread_id,
            title=plain_title(text_of(thread, "d:title", NS)),
            author=author,
            created_at=parse_date(text_of(thread, "d:createdAt", NS), "thread createdAt"),
            html=None,
            link=text_of(thread, "d:link", NS) or None,
        )
        for post in self.posts[thread_id]:
            self.read_post(entry, post)
        if not entry.comments:
            return Skipped(self.label(thread), f"no comments to import ({', '.join(sorted(set(entry.left_out)))})")
        return entry

    def read_post(self, entry: Entry, post) -> None:
        post_id = post.get(DSQ_ID)
        if not post_id:
            raise ImportProblem("has a post without dsq:id")
        parent = post.find("d:parent", NS)
        parent_id = parent.get(DSQ_ID) if parent is not None else None
        entry.parents[post_id] = parent_id or None
        if is_true(text_of(post, "d:isSpam", NS)):
            entry.left_out.append("spam")
        elif is_true(text_of(post, "d:isDeleted", NS)):
            entry.left_out.append("deleted")
        elif text_of(post, "d:isApproved", NS).lower() == "false":
            entry.left_out.append("pending")
        else:
            author = self.author(post.find("d:author", NS)) or Author("Anonymous")
            entry.comments.append(Comment(post_id, parent_id or None, author,
                                          parse_date(text_of(post, "d:createdAt", NS), f"post {post_id} createdAt"),
                                          text_of(post, "d:message", NS)))

    @staticmethod
    def author(element) -> Author | None:
        if element is None:
            return None
        name = plain_title(text_of(element, "d:name", NS)) or text_of(element, "d:username", NS)
        email = text_of(element, "d:email", NS) or None
        return Author(name, email) if name or email else None
