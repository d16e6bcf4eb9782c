"""Following, muting, blocking and saving; notifications grouped by topic (one inbox item per conversation).

Revision ID: 0008_conversation_choices
Revises: 0007_rate_limit_hits
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_conversation_choices"
down_revision = "0007_rate_limit_hits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "thread_subscriptions",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("level IN ('follow', 'mute')", name=op.f("ck_thread_subscriptions_level")),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_thread_subscriptions_member_id_users")),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], name=op.f("fk_thread_subscriptions_thread_id_threads")),
        sa.PrimaryKeyConstraint("member_id", "thread_id", name=op.f("pk_thread_subscriptions")),
    )
    op.create_index(op.f("ix_thread_subscriptions_thread_id"), "thread_subscriptions", ["thread_id"])
    op.create_table(
        "blocks",
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("blocker_id <> blocked_id", name=op.f("ck_blocks_not_self")),
        sa.ForeignKeyConstraint(["blocked_id"], ["users.id"], name=op.f("fk_blocks_blocked_id_users")),
        sa.ForeignKeyConstraint(["blocker_id"], ["users.id"], name=op.f("fk_blocks_blocker_id_users")),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_blocks")),
    )
    op.create_index(op.f("ix_blocks_blocked_id"), "blocks", ["blocked_id"])
    op.create_table(
        "bookmarks",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_bookmarks_member_id_users")),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_bookmarks_post_id_posts")),
        sa.PrimaryKeyConstraint("member_id", "post_id", name=op.f("pk_bookmarks")),
    )
    op.create_index(op.f("ix_bookmarks_post_id"), "bookmarks", ["post_id"])
    # Authors follow their threads from the start: so do the authors of the threads already here.
    op.execute(
        "INSERT INTO thread_subscriptions (member_id, thread_id, level, created_at) "
        "SELECT author_id, id, 'follow', created_at FROM threads"
    )
    # Plain ADD COLUMN (see 0002): batch mode would reflect `users` and its expression index.
    op.add_column("notifications", sa.Column("topic", sa.String(length=32), nullable=False, server_default=""))
    # A reply notification's topic is the post replied to; a mention is its own item.
    op.execute(
        "UPDATE notifications SET topic = 'post:' || CAST((SELECT parent_id FROM posts WHERE posts.id = notifications.post_id) AS VARCHAR(11)) "
        "WHERE kind = 'reply'"
    )
    op.execute("UPDATE notifications SET topic = 'mention:' || CAST(post_id AS VARCHAR(11)) WHERE kind = 'mention'")
    op.create_index("ix_notifications_topic", "notifications", ["recipient_id", "topic", "id"])


def downgrade():
    op.drop_index("ix_notifications_topic", table_name="notifications")
    op.drop_column("notifications", "topic")
    op.drop_index(op.f("ix_bookmarks_post_id"), table_name="bookmarks")
    op.drop_table("bookmarks")
    op.drop_index(op.f("ix_blocks_blocked_id"), table_name="blocks")
    op.drop_table("blocks")
    op.drop_index(op.f("ix_thread_subscriptions_thread_id"), table_name="thread_subscriptions")
    op.drop_table("thread_subscriptions")
