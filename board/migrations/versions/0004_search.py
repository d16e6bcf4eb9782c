"""Search: the post_search index (SQLite FTS5, or a PostgreSQL tsvector table with a GIN index) and its triggers.

The statements live in board/search.py, which also runs them when `db.create_all()` builds a database.

Revision ID: 0004_search
Revises: 0003_discovery
Create Date: 2026-11-21
"""
from alembic import op

from board.search import BACKFILL_BY_DIALECT, DDL_BY_DIALECT, DROP_BY_DIALECT

# revision identifiers, used by Alembic.
revision = '0004_search'
down_revision = '0003_discovery'
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in DDL_BY_DIALECT[dialect]:
        op.execute(statement)
    op.execute(BACKFILL_BY_DIALECT[dialect])  # posts written before the index existed


def downgrade():
    for statement in DROP_BY_DIALECT[op.get_bind().dialect.name]:
        op.execute(statement)
