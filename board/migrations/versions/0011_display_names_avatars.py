"""Members' display names and avatars: two columns on users, and the avatars' pictures in a table of their own.

Revision ID: 0011_display_names_avatars
Revises: 0010_email_notices
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_display_names_avatars"
down_revision = "0010_email_notices"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases (a batch would rebuild users on SQLite, for nothing).
    op.add_column("users", sa.Column("display_name", sa.String(length=50), server_default=sa.null(), nullable=True))
    op.add_column("users", sa.Column("avatar_digest", sa.String(length=16), server_default=sa.null(), nullable=True))
    op.create_table(
        "member_avatars",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_member_avatars_member_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_avatars")),
    )


def downgrade():
    op.drop_table("member_avatars")
    # A plain DROP COLUMN (SQLite 3.35+), not batch mode: rebuilding users would lose its expression index.
    op.drop_column("users", "avatar_digest")
    op.drop_column("users", "display_name")
