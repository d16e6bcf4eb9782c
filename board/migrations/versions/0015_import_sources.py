"""Where imported threads, posts and members came from (WordPress and Disqus ids): importing again finds them.

Revision ID: 0015_import_sources
Revises: 0014_film_logs
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_import_sources"
down_revision = "0014_film_logs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], name=op.f("fk_import_sources_thread_id_threads"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_import_sources_post_id_posts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_import_sources_member_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_sources")),
    )
    op.create_index("uq_import_sources_kind_source", "import_sources", ["kind", "source_id"], unique=True)
    op.create_index("ix_import_sources_thread_id", "import_sources", ["thread_id"])
    op.create_index("ix_import_sources_post_id", "import_sources", ["post_id"])
    op.create_index("ix_import_sources_member_id", "import_sources", ["member_id"])


def downgrade():
    op.drop_index("ix_import_sources_member_id", table_name="import_sources")
    op.drop_index("ix_import_sources_post_id", table_name="import_sources")
    op.drop_index("ix_import_sources_thread_id", table_name="import_sources")
    op.drop_index("uq_import_sources_kind_source", table_name="import_sources")
    op.drop_table("import_sources")
