"""Films' details: original title and runtime, their directors, and a poster.

Revision ID: 0013_film_details
Revises: 0012_leaving
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_film_details"
down_revision = "0012_leaving"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both databases (a batch would rebuild films on SQLite, for nothing).
    op.add_column("films", sa.Column("original_title", sa.String(length=200), server_default=sa.null(), nullable=True))
    op.add_column("films", sa.Column("runtime", sa.Integer(), server_default=sa.null(), nullable=True))
    op.create_table(
        "film_directors",
        sa.Column("film_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], name=op.f("fk_film_directors_film_id_films"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("film_id", "position", name=op.f("pk_film_directors")),
    )
    op.create_index("ix_film_directors_key", "film_directors", ["key"])
    op.create_table(
        "film_posters",
        sa.Column("film_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("small_data", sa.LargeBinary(), nullable=False),
        sa.Column("small_width", sa.Integer(), nullable=False),
        sa.Column("small_height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["film_id"], ["films.id"], name=op.f("fk_film_posters_film_id_films"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("film_id", name=op.f("pk_film_posters")),
    )


def downgrade():
    op.drop_table("film_posters")
    op.drop_index("ix_film_directors_key", table_name="film_directors")
    op.drop_table("film_directors")
    # A plain DROP COLUMN (SQLite 3.35+), not batch mode.
    op.drop_column("films", "runtime")
    op.drop_column("films", "original_title")
