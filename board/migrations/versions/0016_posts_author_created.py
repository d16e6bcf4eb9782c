"""A member's posts indexed with their date: a reply's double-submit check reads only the last seconds' posts.

The check runs inside the reply's INSERT, under SQLite's write lock; with the index on parent_id alone it read every
reply to the post answered (hundreds on a busy one), now only the author's posts of the last seconds. The new index
replaces ix_posts_author_id: every lookup by author uses its first column.

Revision ID: 0016_posts_author_created
Revises: 0015_import_sources
Create Date: 2026-11-29
"""
from alembic import op

revision = "0016_posts_author_created"
down_revision = "0015_import_sources"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_posts_author_created", "posts", ["author_id", "created_at"])
    op.drop_index("ix_posts_author_id", table_name="posts")


def downgrade():
    op.create_index("ix_posts_author_id", "posts", ["author_id"])
    op.drop_index("ix_posts_author_created", table_name="posts")
