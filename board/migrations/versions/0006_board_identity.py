"""The database's identity: a random token the page cache checks, so kept pages never outlive their database.

Revision ID: 0006_board_identity
Revises: 0005_listing_index
Create Date: 2026-11-22
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006_board_identity"
down_revision = "0005_listing_index"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "board_identity",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_board_identity")),
    )
    op.bulk_insert(table, [{"token": secrets.token_hex(16)}])


def downgrade():
    op.drop_table("board_identity")
