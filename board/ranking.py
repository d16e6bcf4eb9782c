"""Reading a long thread one page at a time: reply orders, pages of top-level replies, cut branches.

Replies are ordered among their siblings (Best: the Wilson lower bound of up and down votes; New; Old), each
subtree staying together under its root. A page holds TOP_REPLIES_PER_PAGE top-level replies with all their
descendants, and shows CONTINUE_DEPTH levels below its root: deeper replies are read in the focused view of
their ancestor at that depth ("continue this thread"). A thread page's one SELECT reads only the posts it shows:
the database ranks the top-level replies, keeps the page's, and counts what lies beyond the cut.
"""
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial

from flask import current_app, url_for
from sqlalchemy import Float, Integer, bindparam, case, cast, func, literal, literal_column, select, tuple_
from sqlalchemy.orm import aliased

from .extensions import db
from .models import Post, User, plain_rows
from .pagination import PageNumbers
from .tree import ReplyTree, reply_tree

CONTINUE_DEPTH = 5  # levels of replies shown below the page's root; deeper ones behind "continue this thread"
TOP_REPLIES_PER_PAGE = 50  # default of app.config["TOP_REPLIES_PER_PAGE"]
REPLY_SORTS = ("best", "new", "old")
DEFAULT_REPLY_SORT = "best"  # links to a reply (reply_url) find its page in this order
Z_95 = 1.959963984540054  # the normal quantile for a 95% two-sided confidence interval
SEGMENT = len(Post.path_segment(0))  # a path is one zero-padded id + "." per level, from the opening post down


@lru_cache(maxsize=65_536)  # a page asks it for each reply, and most replies share a few small vote counts
def wilson_lower_bound(upvotes: int, downvotes: int, z: float = Z_95) -> float:
    """The lower bound of the Wilson score interval for the share of upvotes: 0 with no votes.

    A reply with 9 up and 1 down (0.606) ranks above one with 1 up and 0 down (0.207): more votes, more confidence.
    """
    total = upvotes + downvotes
    if total == 0:
        return 0.0
    share = upvotes / total
    spread = z * math.sqrt((share * (1 - share) + z * z / (4 * total)) / total)
    return (share + z * z / (2 * total) - spread) / (1 + z * z / total)


# Sort keys over anything with id, upvotes and downvotes (posts, or rows of those columns). Ids grow with time.
# Best breaks ties (every reply with no upvotes has a bound of 0) by net votes, then oldest first.
SORT_KEYS = {
    "best": lambda post: (-wilson_lower_bound(post.upvotes, post.downvotes), post.downvotes - post.upvotes, post.id),
    "new": lambda post: -post.id,
    "old": lambda post: post.id,
}


def wilson_lower_bound_sql(upvotes, downvotes, z: float = Z_95):
    """wilson_lower_bound as a SQL expression (SQLite and PostgreSQL), operation for operation the same."""
    total = cast(upvotes + downvotes, Float)
    share = cast(upvotes, Float) / total
    spread = z * func.sqrt((share * (1 - share) + z * z / (4 * total)) / total)
    return case((upvotes + downvotes == 0, 0.0), else_=(share + z * z / (2 * total) - spread) / (1 + z * z / total))


def sibling_order(sort: str, post=Post) -> list:
    """SORT_KEYS as an ORDER BY, for ranking top-level replies in the database. The same float operations in the
    same order give the same Wilson bounds as Python's (IEEE doubles, a correctly rounded sqrt), so the page the
    database picks and the order sort_siblings gives it agree."""
    if sort == "best":
        return [wilson_lower_bound_sql(post.upvotes, post.downvotes).desc(), post.downvotes - post.upvotes, post.id]
    return [post.id.desc() if sort == "new" else post.id]


def sort_siblings(posts, sort: str) -> list:
    """posts in path order (parents before children) → the same posts, siblings in the sort's order, each
    subtree contiguous right after its root. Sorting each sibling list is O(n log n); the walk is a stack."""
    key = SORT_KEYS[sort]
    present = {post.id for post in posts}
    children = defaultdict(list)
    for post in posts:
        children[post.parent_id if post.parent_id in present else None].append(post)
    ordered, stack = [], sorted(children[None], key=key, reverse=True)
    while stack:
        post = stack.pop()
        ordered.append(post)
        stack.extend(sorted(children.get(post.id, ()), key=key, reverse=True))
    return ordered


def ancestor_id(post, depth: int) -> int:
    """The id of the post's ancestor at `depth` (its own id at its own depth), read from its path."""
    return int(post.path[depth * SEGMENT:(depth + 1) * SEGMENT - 1])


@dataclass
class ReplyPage(PageNumbers):
    """Which page of top-level replies is shown: what _macros.html's pagination needs."""

    page: int
    pages: int


@dataclass
class Reading:
    """One page of a thread (or of a focused branch), ready for the flat walk of templates/threads/_replies.html."""

    root: Post
    sort: str
    tree: ReplyTree
    page: ReplyPage
    folds: dict[int, int] = field(default_factory=dict)  # reply id → replies under it, shown or not (its <details>)
    continued: dict[int, int] = field(default_factory=dict)  # reply id → replies under it left to its focused view
    newest_id: int = 0  # the newest post the page knew of: where "new replies" start
    replying_to: dict[int, "ReplyingTo"] = field(default_factory=dict)  # post id → whom it answers, where not plain


@dataclass(frozen=True)
class ReplyingTo:
    """Whom a reply answers, said on a reply whose parent is not just above it (an earlier sibling's replies lie
    between them) or not on the page at all (the root of a focused branch). A value of the post's HTML: hashable,
    part of its key in board/post_html.py."""

    parent_id: int
    name: str | None  # the parent's author; None when the parent is hidden or deleted (its author is not shown)
    on_page: bool  # the parent is on this page: link to its anchor, else to its permalink

    @classmethod
    def of(cls, parent, on_page: bool) -> "ReplyingTo":
        """parent: a Post, or a page row (models.Post.page_columns: its author's name as author_username)."""
        if parent.hidden or parent.deleted:
            return cls(parent.id, None, on_page)
        name = parent.author_username if hasattr(parent, "author_username") else parent.author.username
        return cls(parent.id, name, on_page)


def per_page() -> int:
    return current_app.config.get("TOP_REPLIES_PER_PAGE", TOP_REPLIES_PER_PAGE)


def read(posts, sort: str = DEFAULT_REPLY_SORT, page: int = 1, paginate: bool = True, parent=None) -> Reading | None:
    """posts: a root (opening post or focused reply) then all its descendants, in path order; parent: the root's
    parent (with its author), if the root is a reply. None: no such page.

    The focused view's reading of a branch it loaded whole; a thread page reads only its page (read_page)."""
    root, replies = posts[0], sort_siblings(posts[1:], sort)
    top_depth, cut_depth = root.depth + 1, root.depth + CONTINUE_DEPTH
    top_ids = [post.id for post in replies if post.depth == top_depth]
    size = per_page() if paginate else max(len(top_ids), 1)
    pages = max(1, math.ceil(len(top_ids) / size))
    if not 1 <= page <= pages:
        return None
    on_page = set(top_ids[(page - 1) * size:page * size])
    shown, continued = [], defaultdict(int)
    for post in replies:
        if ancestor_id(post, top_depth) not in on_page:
            continue
        if post.depth > cut_depth:
            continued[ancestor_id(post, cut_depth)] += 1
            continue
        shown.append(post)
    reading = reading_of(root, sort, shown, ReplyPage(page, pages), dict(continued), max(post.id for post in posts))
    if parent is not None and root.depth > 1:
        reading.replying_to[root.id] = ReplyingTo.of(parent, on_page=False)
    return reading


def read_page(thread, sort: str = DEFAULT_REPLY_SORT, page: int = 1) -> Reading | None:
    """A page of a thread in one SELECT that reads only what the page shows: the page's top-level replies (ranked
    in the database, in the sort's order) and their replies down to the cut, each reply at the cut with how many
    replies under it are left to its focused view, and the thread's newest post id. None: no such page."""
    root, size = thread.opening_post, per_page()
    rows = plain_rows(page_statement(sort), {"thread_id": thread.id, "opening_id": root.id,
                                             "skip": (page - 1) * size, "size": size})
    if not rows and page != 1:
        return None
    top_count = rows[0].top_count if rows else 0
    newest_id = max(rows[0].newest_id, root.id) if rows else root.id
    continued = {row.id: row.more for row in rows if row.more}
    shown = sort_siblings(rows, sort)
    return reading_of(root, sort, shown, ReplyPage(page, max(1, math.ceil(top_count / size))), continued, newest_id)


@cache
def page_statement(sort: str):
    """The SELECT of read_page: each post of the page as a row of Post.page_columns (its author's with it: plain
    rows, not Post objects, which cost more to build than the rest of the page), in path order, with the replies
    beyond the cut under it (or None), the number of top-level replies and the thread's newest post id. Its values are bound
    when it runs (thread_id, opening_id, and how many top-level replies come before the page's and how many it
    shows: the database keeps only the page's, in a bounded sort, instead of numbering them all): built
    once per sort, as building it (aliases, subqueries) cost more CPU than the database took to run it.

    Paths have fixed-width segments, so a post's top-level ancestor is its path's first two segments and its depth
    is in its length: the thread's (thread_id, path) index alone says which rows belong to the page, and the
    thread's rows are read once (the ranked top-level replies are a small list looked up, not a join)."""
    top_length, cut_length = 2 * SEGMENT, (CONTINUE_DEPTH + 1) * SEGMENT
    thread_id, opening_id = bindparam("thread_id", type_=Integer), bindparam("opening_id", type_=Integer)
    skip, size = bindparam("skip", type_=Integer), bindparam("size", type_=Integer)
    ranked, deeper, counted, newest = aliased(Post), aliased(Post), aliased(Post), aliased(Post)
    tops = (
        select(ranked.path)
        .where(ranked.parent_id == opening_id)
        .order_by(*sibling_order(sort, ranked))
        .limit(size)
        .offset(skip)
        .cte("tops")
    )
    page_tops = select(tops.c.path)
    beyond = (
        select(path_prefix(deeper.path, cut_length).label("cut_path"), func.count().label("more"))
        .where(deeper.thread_id == thread_id, func.length(deeper.path) > cut_length,
               path_prefix(deeper.path, top_length).in_(page_tops))
        .group_by(path_prefix(deeper.path, cut_length))
        .subquery("beyond")
    )
    return (
        select(*Post.page_columns(), beyond.c.more,
               select(func.count(counted.id)).where(counted.parent_id == opening_id).scalar_subquery().label("top_count"),
               select(func.max(newest.id)).where(newest.thread_id == thread_id).scalar_subquery().label("newest_id"))
        .join(User, User.id == Post.author_id)
        .outerjoin(beyond, beyond.c.cut_path == Post.path)
        .where(Post.thread_id == thread_id, func.length(Post.path) <= cut_length,
               path_prefix(Post.path, top_length).in_(page_tops))
        .order_by(Post.path)
    )


def path_prefix(path, length: int):
    """The first `length` characters of a path: its ancestor's path at depth length / SEGMENT - 1.

    Constants are written into the SQL, not bound: PostgreSQL groups by substr(path, 1, 66) only if the SELECT
    spells the very same expression."""
    return func.substr(path, literal_column("1"), literal_column(str(int(length))))


def reading_of(root, sort: str, shown: list, page: ReplyPage, continued: dict, newest_id: int) -> Reading:
    """The Reading of the replies shown under root (siblings in order, parents first): folds counted here (the
    replies shown under each reply, and those behind a "continue this thread" below it) in one pass from the last,
    children before parents (every ancestor of a shown reply below the root is shown), each reply's count added to
    its parent's; and whom each reply answers where its parent is not the post just above it. No SELECT: every
    parent is on the page."""
    top_depth, folds, replying_to = root.depth + 1, defaultdict(int), {}
    for post in reversed(shown):
        if post.depth > top_depth:
            folds[post.parent_id] += folds.get(post.id, 0) + 1 + continued.get(post.id, 0)
    by_id, previous = {root.id: root}, root
    for post in shown:
        if post.depth > 1 and post.parent_id != previous.id and post.parent_id in by_id:
            replying_to[post.id] = ReplyingTo.of(by_id[post.parent_id], on_page=True)
        by_id[post.id], previous = post, post
    return Reading(root=root, sort=sort, tree=reply_tree(shown, base_depth=root.depth), page=page, folds=dict(folds),
                   continued=continued, newest_id=newest_id, replying_to=replying_to)


def reply_url(post: Post, before: int | None = None, **values) -> str:
    """Where a post is read: the thread page that holds it (in the default order), or, beyond CONTINUE_DEPTH,
    its ancestor's focused view; with its anchor. One SELECT for a reply (its top-level ancestor's position), none
    when `before` gives that position (new_reply_url read it already)."""
    anchor = f"post-{post.id}"
    if post.depth == 0:
        return url_for("threads.show", thread_id=post.thread_id, _anchor=anchor, **values)
    if post.depth > CONTINUE_DEPTH:
        focus_id = ancestor_id(post, CONTINUE_DEPTH)
        return url_for("reading.focus", thread_id=post.thread_id, post_id=focus_id, _anchor=anchor, **values)
    if before is None:
        before = ranked_before(post)
    page = before // per_page() + 1
    if page > 1:
        values["page"] = page
    return url_for("threads.show", thread_id=post.thread_id, _anchor=anchor, **values)


def new_reply_url(parent: Post) -> Callable[[Post], str]:
    """reply_url of the reply about to be written under `parent`, its SELECT run now: a reply's view asks it before
    the write, in the transaction that read the parent, so answering after COMMIT begins no third transaction.

    Under a reply, the new reply's top-level ancestor is the parent's: its position is counted as reply_url counts it.
    A new top-level reply has no votes yet and is newer than every sibling, so the siblings ranked before it are those
    whose Best key, but for the id, is at most its own (ranked_before_new_statement). That holds for the reply this
    request writes, or one written since the count (a double submit's first copy in flight): a resubmission answered
    with an older reply, already counted among the siblings, is placed by reply_url itself.
    """
    if parent.depth >= CONTINUE_DEPTH:
        return reply_url  # its reply is read in a focused view: no position to count
    if parent.depth > 0:
        return partial(reply_url, before=ranked_before(parent))
    before, newest_id = db.session.execute(ranked_before_new_statement(), {"opening_id": parent.id}).one()
    return lambda reply: reply_url(reply, before if reply.id > (newest_id or 0) else None)


def ranked_before(reply: Post) -> int:
    """How many top-level replies come before the reply's top-level ancestor in the default order."""
    return db.session.scalar(ranked_before_statement(), {"opening_id": ancestor_id(reply, 0),
                                                         "top_id": ancestor_id(reply, 1)})


@cache
def ranked_before_statement():
    """How many top-level replies come before one (`top_id`) in the default order: a COUNT in the database, instead
    of reading every top-level reply into Python to sort them (a reply's redirect asks it on every write).

    The same ORDER BY as a thread page's (sibling_order), as a row comparison against the reply's own row, so the
    position agrees with the page read_page shows. A reply that is not there counts none before it: page 1.
    Compared per group of replies with the same votes (vote_groups), which rank alike but for their age.
    """
    top, top_id = aliased(Post), bindparam("top_id", type_=Integer)
    groups = vote_groups(older_than=top_id)
    group_key, top_key = tuple_(*votes_key(groups.c)), tuple_(*votes_key(top))
    before = case((group_key < top_key, groups.c.replies), (group_key == top_key, groups.c.older), else_=0)
    return select(func.coalesce(func.sum(before), 0)).select_from(groups).join(top, top.id == top_id)


def vote_groups(older_than=None):
    """A thread's top-level replies (under `opening_id`) grouped by their up and down votes: how many in each, and how
    many of them are older than a reply (ids below `older_than`), or without one the newest's id. Best ranks replies
    by their votes, then by age: a count of those before a reply computes one Wilson bound per group, not per reply."""
    sibling = aliased(Post)
    also = (func.count().filter(sibling.id < older_than).label("older") if older_than is not None
            else func.max(sibling.id).label("newest_id"))
    return (
        select(sibling.upvotes, sibling.downvotes, func.count().label("replies"), also)
        .where(sibling.parent_id == bindparam("opening_id", type_=Integer))
        .group_by(sibling.upvotes, sibling.downvotes)
        .subquery("vote_groups")
    )


def votes_key(post) -> list:
    """SORT_KEYS["best"] as SQL expressions, each ascending (sibling_order's ORDER BY "best" sorts the same way), but
    for the id that breaks its ties: what a reply's votes alone decide of its place."""
    return [-wilson_lower_bound_sql(post.upvotes, post.downvotes), post.downvotes - post.upvotes]


@cache
def ranked_before_new_statement():
    """How many top-level replies come before a new one (no votes: its key starts with -0.0 and 0, then its id, which
    is greater than theirs), and the newest top-level reply's id (new_reply_url: which reply is newer than them)."""
    groups = vote_groups()
    unvoted_key = (literal(0.0, Float), literal(0))  # votes_key of a reply with no votes
    before = case((tuple_(*votes_key(groups.c)) <= tuple_(*unvoted_key), groups.c.replies), else_=0)
    return select(func.coalesce(func.sum(before), 0), func.max(groups.c.newest_id)).select_from(groups)
