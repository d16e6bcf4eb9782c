"""Retired usernames: the names of deleted accounts, which no one may register again.

Revision ID: 0012_leaving
Revises: 0011_display_names_avatars
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_leaving"
down_revision = "0011_display_names_avatars"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "retired_usernames",
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_retired_usernames")),
    )


def downgrade():
    op.drop_table("retired_usernames")
