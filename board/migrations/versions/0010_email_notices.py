"""Members' choice of email notices: off, each at once, or a daily digest.

Revision ID: 0010_email_notices
Revises: 0009_member_email_mail_outbox
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_email_notices"
down_revision = "0009_member_email_mail_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "email_notices",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("chosen_at", sa.DateTime(), nullable=False),
        sa.Column("digest_since", sa.DateTime(), nullable=False),
        sa.Column("last_digest_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("mode IN ('off', 'immediate', 'digest')", name=op.f("ck_email_notices_mode")),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_email_notices_member_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_email_notices")),
    )
    op.create_index("ix_email_notices_mode", "email_notices", ["mode"])


def downgrade():
    op.drop_index("ix_email_notices_mode", table_name="email_notices")
    op.drop_table("email_notices")
