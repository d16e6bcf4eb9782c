"""The demo board (board/demo_content.py): loaded into an empty database with believable timestamps, and removed."""
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select

from .demo_content import MEMBERS, THREADS
from .extensions import db
from .models import (
    Block, Bookmark, Film, FilmAlias, ModAction, Notification, Post, PostRevision, Report, Role, Thread, ThreadSubscription,
    User, Vote, utcnow,
)

REPLY_SPACING = timedelta(minutes=47)


def load_demo_board(admin_password: str) -> str:
    """Create the demo members, an admin, and the demo threads; return a one-line summary."""
    admin = User.register("admin", admin_password, role=Role.ADMIN)
    # Demo members get random passwords nobody knows: they exist to have written the demo posts.
    members = {name: User.register(name, secrets.token_urlsafe(16)) for name in MEMBERS}
    now = utcnow()
    replies = 0
    for spec in THREADS:
        started = now - timedelta(hours=spec["hours_ago"])
        thread = Thread.start(
            members[spec["author"]], Film.find_or_create(*spec["film"]), spec["title"], spec["body"], spec["spoilers"]
        )
        thread.created_at = thread.last_activity_at = thread.opening_post.created_at = started
        _cast_votes(thread.opening_post, spec["votes"], members)
        clock = [started]
        replies += _add_replies(thread, thread.opening_post, spec["replies"], members, clock, now)
        if spec["pinned"]:
            thread.pin(admin)
    db.session.commit()
    return f"Loaded the demo board: {len(THREADS)} threads, {replies} replies, {len(MEMBERS) + 1} members."


def _add_replies(thread, parent, specs, members, clock, now) -> int:
    count = 0
    for spec in specs:
        reply = parent.add_reply(members[spec["author"]], spec["body"])
        clock[0] = min(clock[0] + REPLY_SPACING, now)
        reply.created_at = thread.last_activity_at = clock[0]
        _cast_votes(reply, spec["votes"], members)
        count += 1 + _add_replies(thread, reply, spec["replies"], members, clock, now)
    return count


def _cast_votes(post, votes: dict[str, int], members) -> None:
    for name, value in votes.items():
        post.vote(members[name], value)


# Removing the demo board -----------------------------------------------------------------------------------------------

DEMO_ADMIN = "admin"
DEMO_ACCOUNTS = [DEMO_ADMIN, *MEMBERS]  # in the order load_demo_board creates them


class DemoInUse(Exception):
    """The demo's accounts were used for something the demo did not do: removing them would take real work."""


class DemoBoard:
    """The demo as loaded: its accounts, the threads they started, and what real members added inside them.

    The demo loads only into an empty database, so it is recognised by the first accounts ever created being
    exactly admin and the demo members, in that order. Its members' passwords are random and never shown, so
    every thread they started is the demo's.
    """

    def __init__(self, accounts: list[User]):
        self.accounts = accounts
        self.account_ids = [user.id for user in accounts]
        members = [user.id for user in accounts if user.username != DEMO_ADMIN]  # the demo admin starts no thread
        self.thread_ids = list(db.session.scalars(select(Thread.id).where(Thread.author_id.in_(members))))
        self.post_ids = select(Post.id).where(Post.thread_id.in_(self.thread_ids))
        others_posts = select(Post).where(Post.thread_id.in_(self.thread_ids), Post.author_id.not_in(self.account_ids))
        self.others_replies = _count(others_posts)
        self.others_authors = _count(others_posts.with_only_columns(Post.author_id).distinct())

    @classmethod
    def find(cls) -> "DemoBoard | None":
        first = list(db.session.scalars(select(User).order_by(User.id).limit(len(DEMO_ACCOUNTS))))
        if [user.username for user in first] != DEMO_ACCOUNTS:
            return None
        return cls(first)

    def check_unused(self) -> None:
        """Raise DemoInUse unless the demo accounts did nothing but the demo, and another admin exists."""
        outside = ~Post.thread_id.in_(self.thread_ids)
        used = {
            "posts outside the demo threads": _count(select(Post).where(Post.author_id.in_(self.account_ids), outside)),
            "votes outside the demo threads": _count(
                select(Vote).join(Post, Post.id == Vote.post_id).where(Vote.user_id.in_(self.account_ids), outside)
            ),
            "moderation actions": _count(
                select(ModAction).where(
                    ModAction.moderator_id.in_(self.account_ids),
                    ~((ModAction.action == ModAction.PIN) & (ModAction.target_type == "thread")
                      & ModAction.target_id.in_(self.thread_ids)),
                )
            ),
            "edits": _count(select(PostRevision).where(PostRevision.editor_id.in_(self.account_ids))),
            "reports filed or resolved": _count(
                select(Report).where(Report.reporter_id.in_(self.account_ids) | Report.resolver_id.in_(self.account_ids))
            ),
        }
        found = [f"{count} {what}" for what, count in used.items() if count]
        if found:
            raise DemoInUse(f"the demo accounts ({', '.join(DEMO_ACCOUNTS)}) have been used: {', '.join(found)}")
        other_admins = select(User).where(User.role == Role.ADMIN, User.id.not_in(self.account_ids))
        if not _count(other_admins):
            raise DemoInUse(f"'{DEMO_ADMIN}' is the board's only admin: create your own admin first")

    def remove(self) -> str:
        """Delete the demo accounts, their threads with every post in them, and films left without threads."""
        posts, accounts, threads = self.post_ids, self.account_ids, self.thread_ids
        film_ids = set(db.session.scalars(select(Thread.film_id).where(Thread.id.in_(threads))))
        for statement in (
            delete(Notification).where(Notification.post_id.in_(posts) | Notification.recipient_id.in_(accounts)
                                       | Notification.actor_id.in_(accounts)),
            delete(Vote).where(Vote.post_id.in_(posts) | Vote.user_id.in_(accounts)),
            delete(Bookmark).where(Bookmark.post_id.in_(posts) | Bookmark.member_id.in_(accounts)),
            delete(Block).where(Block.blocker_id.in_(accounts) | Block.blocked_id.in_(accounts)),
            delete(ThreadSubscription).where(ThreadSubscription.thread_id.in_(threads)
                                             | ThreadSubscription.member_id.in_(accounts)),
            delete(Report).where(Report.post_id.in_(posts)),
            delete(PostRevision).where(PostRevision.post_id.in_(posts)),
            # The demo admin's own pin records; real moderators' records about demo threads stay in the public log.
            delete(ModAction).where(ModAction.moderator_id.in_(accounts)),
            delete(Post).where(Post.thread_id.in_(threads)),
            delete(Thread).where(Thread.id.in_(threads)),
        ):
            db.session.execute(statement, execution_options={"synchronize_session": False})
        emptied = list(db.session.scalars(
            select(Film.id).where(Film.id.in_(film_ids), ~Film.id.in_(select(Thread.film_id)))
        ))
        db.session.execute(delete(FilmAlias).where(FilmAlias.film_id.in_(emptied)))
        db.session.execute(delete(Film).where(Film.id.in_(emptied)))
        db.session.execute(delete(User).where(User.id.in_(accounts)))
        db.session.commit()
        return (f"Removed the demo board: {len(accounts)} accounts ({', '.join(DEMO_ACCOUNTS)}), {len(threads)} threads "
                f"with {self.others_replies} replies by other members, {len(emptied)} films.")


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))
