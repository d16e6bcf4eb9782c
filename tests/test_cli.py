"""Administering from the command line: init-db, create-admin, set-role, demo, remove-demo, setup."""
import os
import stat

import pytest
from sqlalchemy import inspect

from board.extensions import db
from board.models import Film, ModAction, Notification, Post, Role, Thread, User, Vote

from .factories import make_thread, make_user


@pytest.fixture
def empty_app(app_factory):
    """An app whose database has no tables yet, as on a fresh clone."""
    return app_factory(create_tables=False)


def test_init_db_migrates_an_empty_database_and_is_safe_to_repeat(empty_app):
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "films", "threads", "posts", "votes", "mod_actions", "alembic_version"} <= tables
    make_user(empty_app, "survivor")
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with empty_app.app_context():
        assert User.by_username("survivor") is not None


# Alembic cannot compare expression indexes; the next test checks that one by behaviour instead.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_build_exactly_the_schema_the_models_describe(empty_app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from board.search import include_name

    assert empty_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with empty_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrated_database_refuses_usernames_differing_only_in_case(empty_app):
    from sqlalchemy.exc import IntegrityError

    assert empty_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    insert = db.text("INSERT INTO users (username, password_hash, role, session_token, created_at) "
                     "VALUES (:name, 'x', 'member', :token, CURRENT_TIMESTAMP)")
    with empty_app.app_context():
        db.session.execute(insert, {"name": "Tomasz", "token": "a"})
        with pytest.raises(IntegrityError):
            db.session.execute(insert, {"name": "tOMASZ", "token": "b"})
        db.session.rollback()


def test_create_admin_with_a_prompted_password(app, runner):
    result = runner.invoke(args=["create-admin", "root_admin"], input="a long admin password\na long admin password\n")
    assert result.exit_code == 0, result.output
    assert "root_admin is an admin." in result.output
    with app.app_context():
        admin = User.by_username("root_admin")
        assert admin.role == "admin" and admin.can_moderate() and admin.check_password("a long admin password")


def test_create_admin_reads_the_password_from_a_file_or_stdin(app, runner, tmp_path):
    secret = tmp_path / "password.txt"
    secret.write_text("from a file, not typed\n")
    assert runner.invoke(args=["create-admin", "filed", "--password-file", str(secret)]).exit_code == 0
    assert runner.invoke(args=["create-admin", "piped", "--password-file", "-"], input="sent through stdin\n").exit_code == 0
    with app.app_context():
        assert User.by_username("filed").check_password("from a file, not typed")
        assert User.by_username("piped").check_password("sent through stdin")


def test_create_admin_promotes_an_existing_member(app, runner):
    make_user(app, "promoted")
    result = runner.invoke(args=["create-admin", "PROMOTED", "--password-file", "-"], input="brand new password\n")
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 1
        assert User.by_username("promoted").role == "admin"


@pytest.mark.parametrize("name, password, message", [("x", "long enough password", "3–30"), ("okname", "short", "At least 10")])
def test_create_admin_rejects_bad_input(app, runner, name, password, message):
    result = runner.invoke(args=["create-admin", name, "--password-file", "-"], input=password + "\n")
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_set_role(app, runner):
    make_user(app, "helper")
    result = runner.invoke(args=["set-role", "helper", "moderator"])
    assert result.exit_code == 0 and "helper is now a moderator." in result.output
    with app.app_context():
        assert User.by_username("helper").role == "moderator"
    bad_role = runner.invoke(args=["set-role", "helper", "emperor"])
    assert bad_role.exit_code != 0 and "emperor" in bad_role.output
    unknown = runner.invoke(args=["set-role", "nobody", "admin"])
    assert unknown.exit_code != 0 and "no member called 'nobody'" in unknown.output


def test_demo_loads_once_into_an_empty_board(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Sign in as the demo admin:  username 'admin'  password '" in result.output
    assert "create your own admin:  make admin NAME=yourname" in result.output
    assert "then remove the demo (its accounts, threads and films):  make remove-demo" in result.output
    password = result.output.split("password '", 1)[1].split("'", 1)[0]
    with app.app_context():
        assert User.by_username("admin").check_password(password)
        assert db.session.scalar(db.select(db.func.count(Thread.id))) == 5
        replies = db.session.scalar(db.select(db.func.count(Post.id)).where(Post.parent_id.is_not(None)))
        assert replies >= 30
        assert db.session.scalar(db.select(db.func.max(Post.depth))) >= 3
        assert db.session.scalar(db.select(ModAction.action)) == "pin"
    again = runner.invoke(args=["demo"])
    assert "already has members" in again.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Thread.id))) == 5


def test_setup_writes_a_private_config_migrates_and_loads_the_demo_once(app_factory, tmp_path):
    app = app_factory(create_tables=False)
    app.instance_path = str(tmp_path / "instance")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    config = tmp_path / "instance" / "config.py"
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    assert "SECRET_KEY = '" in config.read_text() and len(config.read_text().split("'")[1]) == 64
    assert "Sign in as the demo admin" in first.output
    written = config.read_text()
    second = runner.invoke(args=["setup"])
    assert second.exit_code == 0 and "Sign in as the demo admin" not in second.output
    assert config.read_text() == written  # never replaced
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Thread.id))) == 5


def test_setup_skips_the_demo_when_asked(app_factory, tmp_path):
    app = app_factory(create_tables=False, DEMO=False)
    app.instance_path = str(tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["setup"])
    assert result.exit_code == 0
    assert "Loaded the demo board" not in result.output and "Sign in" not in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0


# Removing the demo board ---------------------------------------------------------------------------------------------

def demo_board_with_real_members(app, runner):
    """The demo, then a real admin and member who post on the board and inside a demo thread, and a moderator's hide."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    owner = make_user(app, "owner", role=Role.ADMIN)
    reader = make_user(app, "reader")
    with app.app_context():
        welcome = db.session.scalar(db.select(Thread).where(Thread.pinned.is_(True)))
        demo_post = db.session.scalar(db.select(Post).where(Post.thread_id == welcome.id, Post.parent_id.is_not(None)))
        welcome_id, demo_post_id = welcome.id, demo_post.id
    own = make_thread(app, reader, title="A real thread", film=("Cléo from 5 to 7", 1962))
    other_film = make_thread(app, reader, title="Another real thread", film=("Her", 2013))
    client = app.test_client()
    client.log_in(reader)
    assert client.submit(f"/posts/{demo_post_id}/reply", {"body": "A real reply in a demo thread."}).status_code == 303
    assert client.submit(f"/posts/{demo_post_id}/vote", {"direction": "up"}).status_code == 303
    moderator = app.test_client()
    moderator.log_in(owner)
    assert moderator.submit(f"/posts/{own.opening_post.id}/reply", {"body": "A real reply to a real thread."}).status_code == 303
    assert moderator.submit(f"/posts/{demo_post_id}/hide", {"reason": "testing the log"}).status_code == 303
    return {"owner": owner, "reader": reader, "own": own, "other_film": other_film, "welcome_id": welcome_id}


def counts(app) -> dict:
    with app.app_context():
        return {model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model))
                for model in (User, Thread, Post, Film, Vote, ModAction, Notification)}


def test_remove_demo_removes_the_demo_accounts_threads_and_films_and_nothing_else(app, runner):
    board = demo_board_with_real_members(app, runner)
    result = runner.invoke(args=["remove-demo"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "with the 1 replies 1 other members wrote in them?" in result.output
    assert "Removed the demo board: 6 accounts" in result.output
    with app.app_context():
        assert sorted(user.username for user in db.session.scalars(db.select(User))) == ["owner", "reader"]
        assert sorted(db.session.scalars(db.select(Thread.title))) == ["A real thread", "Another real thread"]
        # The real thread's two posts and the other real thread's opening post; the reply in the demo thread went with it.
        assert sorted(db.session.scalars(db.select(Post.body_source))) == [
            "A real reply to a real thread.", "An opening post.", "An opening post."]
        # Cléo stays for the real thread about it; the films only the demo used are gone.
        assert sorted(film.title for film in db.session.scalars(db.select(Film))) == ["Cléo from 5 to 7", "Her"]
        assert db.session.scalar(db.select(db.func.count()).select_from(Vote)) == 0
        # The real moderator's hide stays in the public log; the demo admin's pin left with the demo admin.
        assert [(entry.action, entry.moderator_id) for entry in db.session.scalars(db.select(ModAction))] == [
            ("hide", board["owner"].id)]
        assert [n.recipient_id for n in db.session.scalars(db.select(Notification))] == [board["reader"].id]
    assert app.test_client().get(f"/threads/{board['welcome_id']}").status_code == 404
    assert "A real thread" in app.test_client().get("/").get_data(as_text=True)
    assert app.test_client().get("/moderation/log").status_code == 200
    again = runner.invoke(args=["remove-demo", "--yes"])
    assert again.exit_code == 0 and "There is no demo board in this database" in again.output


def test_remove_demo_asks_first_and_keeps_everything_when_told_no(app, runner):
    demo_board_with_real_members(app, runner)
    before = counts(app)
    result = runner.invoke(args=["remove-demo"], input="n\n")
    assert result.exit_code != 0 and "Aborted" in result.output
    assert counts(app) == before


def test_remove_demo_refuses_while_the_demo_admin_is_the_only_admin(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    before = counts(app)
    result = runner.invoke(args=["remove-demo", "--yes"])
    assert result.exit_code != 0
    assert "'admin' is the board's only admin: create your own admin first; nothing was removed." in result.output
    assert counts(app) == before


def test_remove_demo_refuses_when_the_demo_admin_was_put_to_real_use(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    make_user(app, "owner", role=Role.ADMIN)
    with app.app_context():
        demo_admin = User.by_username("admin")
    make_thread(app, demo_admin, title="Written as the demo admin")
    before = counts(app)
    result = runner.invoke(args=["remove-demo", "--yes"])
    assert result.exit_code != 0
    assert "have been used: 1 posts outside the demo threads; nothing was removed." in result.output
    assert counts(app) == before


def test_remove_demo_leaves_a_board_that_never_had_the_demo_alone(app, runner):
    # Real members who happen to bear demo names, but were not created by the demo (not first, not in its order).
    for name in ["owner", "admin", "marguerite", "tomasz", "ines_r", "kenji-w", "oluwaseun"]:
        make_user(app, name, role=Role.ADMIN if name == "owner" else Role.MEMBER)
    before = counts(app)
    result = runner.invoke(args=["remove-demo", "--yes"])
    assert result.exit_code == 0 and "There is no demo board in this database; nothing was removed." in result.output
    assert counts(app) == before


def test_every_revision_id_fits_alembic_versions_column():
    """alembic_version.version_num is a VARCHAR(32): a longer id migrates on SQLite and fails on PostgreSQL."""
    from alembic.script import ScriptDirectory

    from board import MIGRATIONS

    scripts = ScriptDirectory(str(MIGRATIONS))
    too_long = [revision.revision for revision in scripts.walk_revisions() if len(revision.revision) > 32]
    assert too_long == []
