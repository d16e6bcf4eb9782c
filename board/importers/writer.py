"""Writing what an export holds into the board: one transaction per post, each source id remembered."""
import re
import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..email_addresses import folded, normalized_address
from ..extensions import db
from ..models import (
    BODY_MAX, TITLE_MAX, USERNAME_PATTERN, Film, ImportSource, Post, Role, Thread, User, normalise_film_title, render_body,
)
from .common import Entry, ImportProblem, Skipped, markdown_from_html

USERNAME_MAX = 30
FALLBACK_NAME = "reader"


@dataclass
class Summary:
    posts: int = 0
    comments: int = 0
    members: int = 0
    unchanged: int = 0  # threads already on the board (imported before, or the blog post a Disqus thread joins)
    skipped: list[Skipped] = field(default_factory=list)
    left_out: Counter = field(default_factory=Counter)  # comments not imported, by why
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"Imported {self.posts} post{'s' * (self.posts != 1)}, {self.comments} "
                 f"comment{'s' * (self.comments != 1)}, {self.members} new member{'s' * (self.members != 1)}."]
        if self.unchanged:
            lines.append(f"Already on the board (only comments new to it added): {self.unchanged}.")
        if self.left_out:
            lines.append("Comments not imported: " + ", ".join(f"{n} {why}" for why, n in sorted(self.left_out.items())) + ".")
        lines += self.notes
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)}:")
            lines += [f"  {skipped.label}: {skipped.reason}" for skipped in self.skipped]
        return lines


@dataclass
class Written:
    """What one post's transaction wrote: added to the summary only once it is committed."""

    post: bool = False
    comments: int = 0
    members: int = 0
    left_out: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


class Writer:
    def __init__(self, source: str, film: Film | None = None):
        self.source, self.film, self.summary = source, film, Summary()

    def take(self, label: str, read) -> None:
        """Import one item of the export (`read()` gives its Entry or why it is left out), all of it or none."""
        written = Written()
        try:
            entry = read()
            if isinstance(entry, Skipped):
                self.summary.skipped.append(entry)
                return
            self.write(entry, written)
            db.session.commit()
        except ImportProblem as problem:
            db.session.rollback()
            self.summary.skipped.append(Skipped(label, str(problem)))
            return
        except SQLAlchemyError as error:
            db.session.rollback()
            reason = str(getattr(error, "orig", error)).splitlines()[0][:200]
            self.summary.skipped.append(Skipped(label, f"the database refused it ({reason})"))
            return
        summary = self.summary
        summary.posts += written.post
        summary.unchanged += not written.post
        summary.comments += written.comments
        summary.members += written.members
        summary.left_out += written.left_out
        summary.notes += written.notes

    # A post -------------------------------------------------------------------------------------------------------

    def write(self, entry: Entry, written: Written) -> None:
        written.left_out.update(entry.left_out)
        kind = f"{self.source}:{'post' if self.source == 'wordpress' else 'thread'}"
        thread = self.thread_imported(kind, entry)
        if thread is None:
            thread = self.start_thread(entry, written)
            ImportSource.note(kind, entry.source_id, thread_id=thread.id, label=thread.title)
            if entry.link and ImportSource.find("link", link_key(entry.link)) is None:
                ImportSource.note("link", link_key(entry.link), thread_id=thread.id, label=entry.link[:TITLE_MAX])
            written.post = True
        opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.parent_id.is_(None)))
        self.write_comments(entry, opening, written)

    def thread_imported(self, kind: str, entry: Entry) -> Thread | None:
        """The thread this post became in an earlier run; for a Disqus thread, also the blog post at the same link."""
        record = ImportSource.find(kind, entry.source_id)
        if record is None and entry.html is None and entry.link:
            record = ImportSource.find("link", link_key(entry.link))
            if record is not None:
                ImportSource.note(kind, entry.source_id, thread_id=record.thread_id, label=entry.title)
        return db.session.get(Thread, record.thread_id) if record is not None and record.thread_id else None

    def start_thread(self, entry: Entry, written: Written) -> Thread:
        if entry.html is None:  # a Disqus thread: the page it was on stands for the post
            name = entry.title.replace("[", "").replace("]", "") or entry.link or "the blog post"
            source = f"Comments brought over from Disqus, on [{name}]({entry.link})." if entry.link \
                else "Comments brought over from Disqus."
        else:
            source = markdown_from_html(entry.html)
        if not source:
            raise ImportProblem("has no text")
        if len(source) > BODY_MAX:
            raise ImportProblem(f"is {len(source):,} characters as Markdown, over the board's {BODY_MAX:,}")
        film = self.film_for(entry)
        author = self.member_for(entry.author, entry.created_at, written)
        title = entry.title or f"Untitled ({entry.created_at:%-d %B %Y})"
        if len(title) > TITLE_MAX:
            title = title[: TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"
            written.notes.append(f"Title shortened to the board's {TITLE_MAX} characters: “{title}”.")
        return Thread.start(author, film, title, render_body(source), False, at=entry.created_at)

    def film_for(self, entry: Entry) -> Film:
        """--film; else a film on the board its categories or tags name; else one they name with a year, created."""
        if self.film is not None:
            return self.film
        names = entry.film_names or ([entry.title] if entry.html is None else [])
        for name in names:
            if (film := existing_film(name)) is not None:
                return film
        for name in names:
            title, year = Film.split_year(" ".join(name.split()))
            if year is not None:
                return Film.find_or_create(title, year)
        raise ImportProblem("names no film (no category or tag is a film on the board or “Title (Year)”): "
                            "pass --film \"Title (Year)\"")

    # Comments -----------------------------------------------------------------------------------------------------

    def write_comments(self, entry: Entry, opening: Post, written: Written) -> None:
        """Each comment under the nearest ancestor imported (a reply to a spam comment goes up a level)."""
        kind = f"{self.source}:{'comment' if self.source == 'wordpress' else 'post'}"
        importable = {comment.source_id: comment for comment in entry.comments}
        ancestor = {comment.source_id: nearest(comment.source_id, entry.parents, importable) for comment in entry.comments}
        depth = {source_id: len(chain(source_id, ancestor)) for source_id in importable}
        placed: dict[str | None, Post] = {None: opening}
        for comment in sorted(entry.comments, key=lambda c: (depth[c.source_id], c.created_at, c.source_id)):
            record = ImportSource.find(kind, comment.source_id)
            if record is not None:
                placed[comment.source_id] = db.session.get(Post, record.post_id) or opening
                continue
            parent = placed.get(ancestor[comment.source_id], opening)  # (a cycle in a broken export: the post)
            source = markdown_from_html(comment.html)
            if not source or len(source) > BODY_MAX:
                written.left_out["empty" if not source else f"over {BODY_MAX:,} characters"] += 1
                placed[comment.source_id] = parent
                continue
            author = self.member_for(comment.author, comment.created_at, written)
            reply = parent.add_reply(author, render_body(source), at=comment.created_at)
            ImportSource.note(kind, comment.source_id, post_id=reply.id)
            placed[comment.source_id] = reply
            written.comments += 1

    # Members ------------------------------------------------------------------------------------------------------

    def member_for(self, author, at: datetime, written: Written) -> User:
        """The commenter's member: by address when the export has a usable one (a member who confirmed it is them),
        else by name; new ones get a valid unique username, no usable password and the address as confirmed."""
        address = normalized_address(author.email) if author.email else None
        name = " ".join(author.name.split()) or (address.split("@")[0] if address else "") or "Anonymous"
        kind, key = ("member:email", folded(address)) if address else ("member:name", name.casefold())
        record = ImportSource.find(kind, key)
        if record is not None and (member := db.session.get(User, record.member_id)) is not None:
            return member
        if address and (member := User.by_email(address)) is not None:
            return member
        member = create_member(name, address, at)
        ImportSource.note(kind, key, member_id=member.id, label=name)
        written.members += 1
        return member


def create_member(name: str, address: str | None, at: datetime) -> User:
    """A member with no usable password (Werkzeug accepts only "method$salt$hash"): they claim it by password reset."""
    base = username_base(name, address)
    for attempt in range(1, 1000):
        suffix = "" if attempt == 1 else f"-{attempt}"
        candidate = base[: USERNAME_MAX - len(suffix)] + suffix
        if User.by_username(candidate) is not None:
            continue
        member = User(username=candidate, password_hash="!" + secrets.token_hex(16), role=Role.MEMBER, created_at=at)
        if address:
            member.email = address
        try:
            with db.session.begin_nested():
                db.session.add(member)
        except IntegrityError:  # taken meanwhile
            continue
        return member
    raise ImportProblem(f"no free username for {name!r}")


def username_base(name: str, address: str | None) -> str:
    """'Agnès Varda' → 'Agnes_Varda': letters without accents, digits, _ and -; the address's name if none is left."""
    for words in (name, address.split("@")[0] if address else ""):
        plain = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode()
        base = re.sub(r"[^A-Za-z0-9_-]+", "_", plain).strip("_-")[:USERNAME_MAX]
        if len(base) >= 3 and USERNAME_PATTERN.match(base):
            return base
    return FALLBACK_NAME


def existing_film(name: str) -> Film | None:
    """The film on the board a category names: "Her (2013)" exactly, or "Her" when one film has that title."""
    title, year = Film.split_year(" ".join(name.split()))
    if year is not None:
        return db.session.scalar(select(Film).where(Film.key == Film.key_for(title, year)))
    normalised = normalise_film_title(title)
    if not normalised:
        return None
    pattern = normalised.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%"
    films = db.session.scalars(select(Film).where(Film.key.like(pattern, escape="\\")).limit(2)).all()
    return films[0] if len(films) == 1 else None


def nearest(source_id: str, parents: dict, importable: dict) -> str | None:
    """The nearest ancestor of a comment that is itself imported (None: the post)."""
    seen = {source_id}
    parent = parents.get(source_id)
    while parent is not None and parent not in importable and parent not in seen:
        seen.add(parent)
        parent = parents.get(parent)
    return parent if parent in importable and parent not in seen else None


def chain(source_id: str, ancestor: dict) -> list[str]:
    """The imported ancestors of a comment, nearest first (a cycle in a broken export is cut)."""
    found, current = [], ancestor.get(source_id)
    while current is not None and current not in found and current != source_id:
        found.append(current)
        current = ancestor.get(current)
    return found


def link_key(link: str) -> str:
    """A blog post's address as both exports name it: scheme, "www." and a trailing slash aside."""
    parts = urlsplit(link.strip())
    key = parts.netloc.lower().removeprefix("www.") + parts.path.rstrip("/")
    return key + (f"?{parts.query}" if parts.query else "")
