"""Members log the films they watch (rating, date, short review), and choose whether "I've seen it" opens spoilers.

Revision ID: 0014_film_logs
Revises: 0013_film_details
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_film_logs"
down_revision = "0013_film_details"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN with a server default (every member keeps the gating on), as 0009's columns.
    op.add_column("users", sa.Column("reveal_seen_spoilers", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        "film_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("film_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("watched_on", sa.Date(), nullable=False),
        sa.Column("review_source", sa.Text(), nullable=False),
        sa.Column("review_html", sa.Text(), nullable=False),
        sa.Column("review_text", sa.Text(), nullable=False),
        sa.Column("review_spoilers", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 10", name=op.f("ck_film_logs_rating_half_stars")),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], name=op.f("fk_film_logs_film_id_films"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_film_logs_member_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_film_logs")),
    )
    op.create_index("ix_film_logs_film_created", "film_logs", ["film_id", "created_at"])
    op.create_index("ix_film_logs_member_watched", "film_logs", ["member_id", "watched_on"])
    op.create_index("ix_film_logs_created", "film_logs", ["created_at"])


def downgrade():
    op.drop_index("ix_film_logs_created", table_name="film_logs")
    op.drop_index("ix_film_logs_member_watched", table_name="film_logs")
    op.drop_index("ix_film_logs_film_created", table_name="film_logs")
    op.drop_table("film_logs")
    op.drop_column("users", "reveal_seen_spoilers")
