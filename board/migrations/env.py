"""Alembic environment: migrations run against the app's own engine and models (Flask-SQLAlchemy 3)."""
import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from board.models import BoardIdentity
from board.page_cache import follow_database
from board.search import include_name  # the search index is raw DDL the models do not describe

config = context.config
# Keep the app's own loggers alive when migrations run inside `flask setup`.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

board_db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url", board_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def skip_empty_autogenerate(_context, _revision, directives):
    """`flask db migrate` with no model changes writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=board_db.metadata, literal_binds=True,
                      include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    options.setdefault("include_name", include_name)
    applied = []
    options.setdefault("on_version_apply", lambda step, **_: applied.append(step))
    identity = None
    with board_db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=board_db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()
            # A migrated database is another database: pages kept from the old schema or data must not be served.
            if applied and sa.inspect(connection).has_table(BoardIdentity.__tablename__):
                identity = BoardIdentity.renew(connection)
    if identity:
        follow_database(identity, renew=True)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
