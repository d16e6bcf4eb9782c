"""A covering index for the thread listings' join to each opening post.

Profiling `make bench` (20,000 threads, 500,000 posts) showed the front page spending 150–220 ms reading
each thread's opening post from the posts table; with this index SQLite answers from the index alone.

Revision ID: 0005_listing_index
Revises: 0004_search
Create Date: 2026-11-21
"""
from alembic import op

revision = "0005_listing_index"
down_revision = "0004_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_posts_listing", "posts", ["parent_id", "thread_id", "hidden", "score"])


def downgrade():
    op.drop_index("ix_posts_listing", table_name="posts")
