"""Rate-limit counts in the board's database, shared by every worker process when there is no Redis.

Revision ID: 0007_rate_limit_hits
Revises: 0006_board_identity
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_rate_limit_hits"
down_revision = "0006_board_identity"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hits")),
    )
    op.create_index("ix_rate_limit_hits_key", "rate_limit_hits", ["key", "expires_at"])
    op.create_index("ix_rate_limit_hits_expires_at", "rate_limit_hits", ["expires_at"])


def downgrade():
    op.drop_index("ix_rate_limit_hits_expires_at", table_name="rate_limit_hits")
    op.drop_index("ix_rate_limit_hits_key", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
