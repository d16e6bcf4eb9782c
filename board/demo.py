"""Loads the demo board (board/demo_content.py) into an empty database, with believable timestamps."""
import secrets
from datetime import timedelta

from .demo_content import MEMBERS, THREADS
from .extensions import db
from .models import Film, Role, Thread, User, utcnow

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
