"""Reelboard: a lightweight discussion board for film communities."""
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import (
    assets, cli, errors, limits, logs, mail, member_pages, notices, page_cache, post_html, security, settings, spoilers,
    templating,
)
from .database import tune_postgresql, tune_sqlite
from .extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: a non-negative id that fits the database's INTEGER column."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Board(Flask):
    """Flask, with the board's Jinja environment (board/templating.py BoardEnvironment)."""

    jinja_environment = templating.BoardEnvironment


def create_app(test_config: dict | None = None) -> Flask:
    """Build the board: configuration, extensions, blueprints, error pages and commands."""
    app = Board(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # Ids in URLs never exceed a 32-bit database integer: larger numbers are a 404, not a database error.
    app.url_map.converters["int"] = DatabaseId
    settings.load(app, test_config)
    logs.init_app(app)  # first: whatever is logged from here on is escaped
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    # First: the malformed-input guard reads the raw body before anything parses the form.
    security.init_app(app)
    assets.init_app(app)  # early: its after_request (cache policy, compression) runs after those registered later
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine)
        tune_postgresql(db.engine)

    from . import (
        account, admin, auth, feeds, film_logs, films, following, health, members, moderation, notifications, posts, reading,
        reports, search, threads,
    )

    for blueprint in (auth.bp, account.bp, threads.bp, posts.bp, moderation.bp, reports.bp, admin.bp, health.bp,
                      members.bp, notifications.bp, feeds.bp, films.bp, film_logs.bp, search.bp, reading.bp, following.bp):
        app.register_blueprint(blueprint)
    limits.init_app(app)  # after the blueprints: it puts each limit on its endpoint's view
    page_cache.init_app(app)  # after the limits: a limited request is refused before a cached page is served

    templating.init_app(app)
    post_html.init_app(app)
    member_pages.init_app(app)
    spoilers.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    mail.init_app(app)
    notices.init_app(app)
    return app
