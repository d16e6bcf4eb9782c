"""Administering the board from the command line: flask --app board <command>."""
import secrets
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .extensions import db
from .models import PASSWORD_MIN, USERNAME_PATTERN, Role, User
from .settings import write_instance_config


def init_app(app) -> None:
    for command in (init_db, create_admin, set_role, demo, setup):
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
    if len(password) < PASSWORD_MIN:
        raise click.UsageError(f"the password needs at least {PASSWORD_MIN} characters")
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
    click.echo("  (printed once; change it at /account/password)\n")


@click.command("setup")
@with_appcontext
def setup():
    """What `make run` does before serving: instance config, schema, and the demo board on an empty database."""
    created = write_instance_config(current_app.instance_path)
    if created:
        click.echo(f"Wrote {created} with a new random SECRET_KEY (mode 600).")
    upgrade()
    if current_app.config["DEMO"]:
        demo.callback()
    sys.stdout.flush()
