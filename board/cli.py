"""Administering the board from the command line: flask --app board <command>."""
import os
import secrets
import sqlite3
import sys
import time
from contextlib import closing
from datetime import datetime
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicError
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .extensions import db
from .files import private_file, tighten_sqlite_database, tighten_tree
from .models import USERNAME_PATTERN, BoardIdentity, Role, User
from .page_cache import follow_database, invalidate
from .passwords import password_problem
from .settings import write_instance_config


def init_app(app) -> None:
    for command in (init_db, create_admin, set_role, demo, remove_demo, setup, backup, restore, import_blog):
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db():
    """Create the database or bring it up to the current schema (safe to run again)."""
    upgrade()
    click.echo("Database is at the current schema.")


@click.command("create-admin")
@with_appcontext
@click.argument("name")
@click.option(
    "--password-file",
    type=click.File("r"),
    help="Read the password from this file ('-' for standard input) instead of prompting.",
)
def create_admin(name: str, password_file):
    """Create an admin account NAME (or make an existing member an admin and set the password)."""
    if not USERNAME_PATTERN.match(name):
        raise click.BadParameter("3–30 letters, digits, _ or -", param_hint="NAME")
    if password_file is not None:
        password = password_file.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if problem := password_problem(password, name):
        raise click.UsageError(f"that password can't be used. {problem}")
    user = User.by_username(name)
    if user is None:
        user = User.register(name, password, role=Role.ADMIN)
    else:
        user.set_password(password)
        user.role = Role.ADMIN
    db.session.commit()
    click.echo(f"{user.username} is an admin.")


@click.command("set-role")
@with_appcontext
@click.argument("name")
@click.argument("role", type=click.Choice([role.value for role in Role]))
def set_role(name: str, role: str):
    """Give member NAME the role member, moderator or admin."""
    user = User.by_username(name)
    if user is None:
        raise click.UsageError(f"no member called {name!r}")
    user.role = role
    db.session.commit()
    click.echo(f"{user.username} is now a {role}.")


@click.command("demo")
@with_appcontext
def demo():
    """Load the demo board into an empty database and print how to sign in as its admin."""
    from .demo import load_demo_board

    if db.session.scalar(db.select(User).limit(1)) is not None:
        click.echo("The database already has members; the demo board was not loaded.")
        return
    admin_password = secrets.token_urlsafe(12)
    summary = load_demo_board(admin_password)
    click.echo(summary)
    click.secho(f"\n  Sign in as the demo admin:  username 'admin'  password '{admin_password}'", bold=True)
    click.echo("  (printed once; change it at /account/password)")
    click.echo("  For a real board, create your own admin:  make admin NAME=yourname")
    click.echo("  then remove the demo (its accounts, threads and films):  make remove-demo\n")


@click.command("remove-demo")
@with_appcontext
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove_demo(yes: bool):
    """Remove the demo board: its six accounts, the threads they started (every reply in them) and emptied films."""
    from .demo import DemoBoard, DemoInUse

    board = DemoBoard.find()
    if board is None:
        click.echo("There is no demo board in this database; nothing was removed.")
        return
    try:
        board.check_unused()
    except DemoInUse as refusal:
        raise click.ClickException(f"{refusal}; nothing was removed.") from None
    question = f"Remove the demo accounts and their {len(board.thread_ids)} threads"
    if board.others_replies:
        question += f", with the {board.others_replies} replies {board.others_authors} other members wrote in them"
    if not yes:
        click.confirm(question + "?", abort=True)
    click.echo(board.remove())


@click.command("setup")
@with_appcontext
def setup():
    """What `make run` does before serving: instance config, schema, and the demo board on an empty database."""
    created = write_instance_config(current_app.instance_path)
    if created:
        click.echo(f"Wrote {created} with a new random SECRET_KEY (mode 600).")
    upgrade()
    # Files an older release (or a wide umask) left readable by others: the database, its copies, the cache.
    tighten_tree(current_app.instance_path)
    if db.engine.url.get_backend_name() == "sqlite" and db.engine.url.database not in (None, "", ":memory:"):
        tighten_sqlite_database(Path(db.engine.url.database))
    # The board is starting, perhaps on a database replaced while it was stopped (pg_restore, a copied file):
    # pages kept before are rendered afresh.
    invalidate()
    if current_app.config["DEMO"]:
        demo.callback()
    sys.stdout.flush()


# Importing a blog (board/importers/) ----------------------------------------------------------------------------------

@click.command("import")
@with_appcontext
@click.argument("source", type=click.Choice(["wordpress", "disqus"]))
@click.argument("path", metavar="FILE.xml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--film", metavar='"TITLE (YEAR)"', help="The film every post of the file is about.")
def import_blog(source: str, path: Path, film: str | None):
    """Import a blog: wordpress FILE.xml (Tools → Export) makes each published post a thread and its approved
    comments replies; disqus FILE.xml adds comments to the WordPress post at the same address, or starts a thread."""
    from .importers.disqus import DisqusExport
    from .importers.wordpress import WordPressExport

    run_import({"wordpress": WordPressExport, "disqus": DisqusExport}[source], path, film)


def run_import(export_type, path: Path, film_name: str | None) -> None:
    from .importers.common import ImportProblem
    from .importers.writer import Writer
    from .models import FILM_TITLE_MAX, Film

    try:
        export = export_type(path)
    except ImportProblem as problem:
        raise click.ClickException(f"{path.name}: {problem}; nothing was imported.") from None
    film = None
    if film_name is not None:
        if not film_name.strip():
            raise click.BadParameter("name a film, such as \"Her (2013)\"", param_hint="--film")
        film = Film.find_or_create(film_name.strip()[:FILM_TITLE_MAX], None)
        db.session.commit()
    writer = Writer(export.kind, film)
    with click.progressbar(export, label=f"Importing {path.name}", show_pos=True, file=sys.stderr) as items:
        for item in items:
            writer.take(export.label(item), lambda: export.read(item))
    invalidate()  # every kept page (front page, films, profiles) shows the imported threads at once
    click.echo("\n".join([*writer.summary.lines(), *export.notes]))


# Backup and restore (SQLite) ------------------------------------------------------------------------------------------

SQLITE_HEADER = b"SQLite format 3\x00"


def sqlite_database_path() -> Path:
    """The board's SQLite file, or a clear refusal on any other database."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            f"backup and restore work on SQLite; this board uses {url.get_backend_name()}. "
            "Use PostgreSQL's own tools: pg_dump --format=custom --file=board.dump DATABASE_URL "
            "to back up, pg_restore --clean --dbname=DATABASE_URL board.dump to restore."
        )
    if not url.database or url.database == ":memory:":
        raise click.ClickException("the board's SQLite database is in memory: there is no file to back up")
    return Path(url.database).resolve()


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup(path: Path, force: bool):
    """Copy the SQLite database to PATH while the board keeps serving (SQLite's online backup API)."""
    source = sqlite_database_path()
    path = path.resolve()
    if path == source:
        raise click.UsageError("PATH is the board's own database")
    if path.exists() and not force:
        raise click.UsageError(f"{path} exists; pass --force to replace it")
    if not source.exists():
        raise click.ClickException(f"there is no database at {source} yet")
    started = time.monotonic()
    # Written beside PATH under another name and renamed at the end: PATH is never a half-written backup.
    partial = path.with_name(f".{path.name}.partial-{secrets.token_hex(4)}")
    try:
        private_file(partial)  # a whole copy of the board: password hashes and all
        with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(partial)) as copy:
            # One step (pages=-1) reads one consistent snapshot; in WAL mode writers carry on meanwhile.
            live.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            problem = check_sqlite_file(copy)
            if problem:
                raise click.ClickException(f"the copy failed its check ({problem}); nothing was written to {path}")
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    size = path.stat().st_size / 1_000_000
    click.echo(f"Backed up {source} to {path} ({size:,.1f} MB) in {time.monotonic() - started:.1f} s.")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool):
    """Replace the board's SQLite database with the backup at PATH (the current one is kept beside it first)."""
    target = sqlite_database_path()
    path = path.resolve()
    if path == target:
        raise click.UsageError("PATH is the board's own database")
    revision = backup_revision(path)
    if not yes:
        click.confirm(f"Replace everything in {target} with the backup {path}? Posts written since then are lost",
                      abort=True)
    db.session.remove()
    db.engine.dispose()  # this process's pooled connections must not hold the database during the copy
    kept = None
    if target.exists():
        kept = private_file(target.with_name(f"{target.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}"))
        with closing(sqlite3.connect(target, timeout=30)) as live, closing(sqlite3.connect(kept)) as copy:
            live.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
    # The backup API in reverse: it writes under SQLite's own locks, so a board still running sees either the old
    # database or the restored one, never a mix, and no open connection is left pointing at a replaced file.
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as saved, \
            closing(sqlite3.connect(target, timeout=30)) as live:
        try:
            saved.backup(live)
        except sqlite3.Error as error:
            raise click.ClickException(f"could not restore into {target}: {error}") from None
    if kept:
        click.echo(f"The database as it was is kept at {kept}.")
    click.echo(f"Restored {target} from {path} (schema revision {revision}).")
    upgrade()  # a backup from an older release is brought to this release's schema, as `make run` would
    with db.engine.begin() as connection:
        identity = BoardIdentity.renew(connection)  # another database now: no page kept from the old one is served
    follow_database(identity, renew=True)
    click.echo("The database is at the current schema.")


def check_sqlite_file(connection: sqlite3.Connection) -> str | None:
    """None when SQLite finds the file sound, else what it found."""
    try:
        result = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return str(error)
    return None if result == "ok" else result


def backup_revision(path: Path) -> str:
    """The schema revision of a backup, after checking that it is a sound SQLite file made by this board."""
    with path.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise click.ClickException(f"{path} is not an SQLite database")
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as saved:
        problem = check_sqlite_file(saved)
        if problem:
            raise click.ClickException(f"{path} is damaged: {problem}")
        tables = {name for (name,) in saved.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"alembic_version", "users", "threads", "posts"} <= tables:
            raise click.ClickException(f"{path} is not a Reelboard database (no board tables or alembic_version)")
        revision = saved.execute("SELECT version_num FROM alembic_version").fetchone()
    if revision is None:
        raise click.ClickException(f"{path} has no schema revision in alembic_version")
    scripts = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    try:
        scripts.get_revision(revision[0])
    except AlembicError:
        raise click.ClickException(
            f"{path} is at schema revision {revision[0]}, which this release does not know (a newer release made it?)"
        ) from None
    return revision[0]
