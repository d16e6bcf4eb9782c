"""Members' email addresses (confirmed, and waiting for confirmation) and the outbox of mail to deliver.

Revision ID: 0009_member_email_mail_outbox
Revises: 0008_conversation_choices
Create Date: 2026-11-28
(A revision id is at most 32 characters: alembic_version.version_num is a VARCHAR(32) on PostgreSQL.)
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_member_email_mail_outbox"
down_revision = "0008_conversation_choices"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases (a batch would rebuild users on SQLite, for nothing).
    op.add_column("users", sa.Column("email", sa.String(length=254), server_default=sa.null(), nullable=True))
    op.add_column("users", sa.Column("unconfirmed_email", sa.String(length=254), server_default=sa.null(), nullable=True))
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("given_up_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
    )
    op.create_index("ix_outgoing_mail_next_attempt_at", "outgoing_mail", ["next_attempt_at"])


def downgrade():
    op.drop_index("ix_outgoing_mail_next_attempt_at", table_name="outgoing_mail")
    op.drop_table("outgoing_mail")
    op.drop_index("uq_users_email_lower", table_name="users")
    # A plain DROP COLUMN (SQLite 3.35+), not batch mode: rebuilding users would lose its expression index.
    op.drop_column("users", "unconfirmed_email")
    op.drop_column("users", "email")
