"""The outbox and its worker, against a real SMTP server in this process (aiosmtpd): delivered once, retried, kept."""
import stat
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from board.extensions import db
from board.mail import FIRST_RETRY, LEASE, MAX_ATTEMPTS, OutgoingMail, claim_next, send
from board.models import User, utcnow

from .factories import make_user
from .mailbox import deliver_all, free_port


def queue(app, count=1, recipient="ada@example.com"):
    with app.app_context():
        member = db.session.get(User, make_user(app).id)
        for _ in range(count):
            send(recipient, "email_change_requested", member=member, new_address="new@example.org")
        db.session.commit()


def outbox(app) -> list[OutgoingMail]:
    with app.app_context():
        return db.session.scalars(db.select(OutgoingMail).order_by(OutgoingMail.id)).all()


def make_due(app):
    with app.app_context():
        db.session.execute(db.update(OutgoingMail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_a_queued_message_reaches_the_smtp_server_once_and_leaves_the_outbox(app, mailbox):
    queue(app)
    deliver_all(app)
    deliver_all(app)
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Your Reelboard email address is being changed"
    assert message["From"] == "Reelboard <noreply@localhost>"
    assert "new@example.org" in mailbox.body(message)
    assert outbox(app) == []


def test_the_mail_worker_command_delivers_what_is_due(app, mailbox, runner):
    queue(app, count=2)
    result = runner.invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    assert len(mailbox.messages) == 2


def test_several_workers_at_once_deliver_every_message_exactly_once(app, mailbox):
    queue(app, count=12)
    workers = [threading.Thread(target=deliver_all, args=(app,)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(mailbox.messages) == 12
    assert len({message["Message-ID"] for message in mailbox.messages}) == 12
    assert outbox(app) == []


def test_a_claimed_message_is_no_other_workers_until_its_lease_ends(app):
    queue(app)
    with app.app_context():
        first = claim_next()
        assert first is not None and first.attempts == 1
        assert first.next_attempt_at > utcnow() + LEASE - timedelta(minutes=1)
        assert claim_next() is None  # a second worker finds nothing due
    make_due(app)  # the first worker died: after the lease, the message is tried again
    with app.app_context():
        assert claim_next().attempts == 2


def test_an_unreachable_server_is_retried_with_a_doubling_backoff_then_given_up(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_TLS=False, MAIL_TIMEOUT=2)
    queue(app)
    before = utcnow()
    deliver_all(app)
    [row] = outbox(app)
    assert row.attempts == 1 and row.given_up_at is None and "Connection" in row.last_error
    assert before + FIRST_RETRY <= row.next_attempt_at <= utcnow() + FIRST_RETRY
    make_due(app)
    deliver_all(app)
    [row] = outbox(app)
    assert row.attempts == 2 and row.next_attempt_at >= utcnow() + 2 * FIRST_RETRY - timedelta(seconds=5)
    with app.app_context():
        db.session.execute(db.update(OutgoingMail).values(attempts=MAX_ATTEMPTS - 1))
        db.session.commit()
    make_due(app)
    deliver_all(app)
    [row] = outbox(app)
    assert row.attempts == MAX_ATTEMPTS and row.given_up_at is not None
    make_due(app)
    with app.app_context():
        assert claim_next() is None  # given up: no worker takes it again


def test_a_message_that_failed_goes_out_once_the_server_answers(app, mailbox):
    mailbox.refuse_with = "451 Try again later"
    queue(app)
    deliver_all(app)
    [row] = outbox(app)
    assert row.given_up_at is None and "451" in row.last_error and mailbox.messages == []
    mailbox.refuse_with = None
    make_due(app)
    deliver_all(app)
    assert len(mailbox.messages) == 1 and outbox(app) == []


def test_a_permanent_refusal_is_given_up_at_once(app, mailbox):
    mailbox.refuse_with = "550 No such mailbox"
    queue(app)
    deliver_all(app)
    [row] = outbox(app)
    assert row.attempts == 1 and row.given_up_at is not None and "550" in row.last_error


def test_without_a_mail_server_each_message_is_a_private_eml_file(app, tmp_path):
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    queue(app, recipient="grace@example.com")
    deliver_all(app)
    [path] = Path(tmp_path / "outbox").glob("*.eml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert "To: grace@example.com" in text and "Subject: Your Reelboard email address is being changed" in text
    assert outbox(app) == []


def test_the_worker_waits_for_a_database_that_is_not_set_up(app_factory, caplog):
    bare = app_factory(create_tables=False)
    deliver_all(bare)  # no outbox table yet: a warning, not a crash
    assert "Mail worker cannot read the outbox" in caplog.text


def test_mail_settings_come_from_the_environment(monkeypatch):
    from board import create_app

    monkeypatch.setenv("BOARD_SECRET_KEY", "x")
    monkeypatch.setenv("BOARD_MAIL_SERVER", "smtp.example.net")
    monkeypatch.setenv("BOARD_MAIL_PORT", "465")
    monkeypatch.setenv("BOARD_MAIL_USE_SSL", "true")
    monkeypatch.setenv("BOARD_BASE_URL", "https://films.example")
    app = create_app()
    assert app.config["MAIL_SERVER"] == "smtp.example.net" and app.config["MAIL_PORT"] == 465
    assert app.config["MAIL_USE_SSL"] is True and app.config["MAIL_USE_TLS"] is False
    assert app.config["MAIL_FROM"] == "Reelboard <noreply@films.example>"


def test_on_postgresql_a_worker_skips_a_row_another_worker_has_locked(app):
    """FOR UPDATE SKIP LOCKED: a row locked by another worker's claim is passed over, not waited for."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite claims one writer at a time")
    queue(app, count=2)
    first, second = (row.id for row in outbox(app))
    with app.app_context():
        with db.engine.connect() as other_worker:
            other_worker.execute(db.select(OutgoingMail.id).where(OutgoingMail.id == first).with_for_update())
            db.session.execute(db.text("SET lock_timeout = '2s'"))  # waiting on the lock would fail, not hang
            claimed = claim_next()
            other_worker.rollback()
        assert claimed is not None and claimed.id == second
