"""Outgoing mail: a durable outbox in the board's database, delivered by `flask mail-worker`, never by a request.

A view adds a row to the outbox in its own transaction, so a message exists exactly when what it announces was
committed, and the response never waits on a mail server. The worker (started by `make run` beside the server)
claims one due row at a time, atomically: on PostgreSQL `FOR UPDATE SKIP LOCKED` keeps workers off each other's
rows, and on both databases the claim is an UPDATE that succeeds only while the row is still due, pushing its next
attempt LEASE into the future. So several workers never take the same row. A sent row is deleted (the outbox keeps
no reset links once delivered); a failed one is retried with a doubling backoff, and given up after MAX_ATTEMPTS
or at once on a permanent (5xx) refusal. A worker killed in the middle of a send leaves its row claimed: it is
tried again after the lease, the one case where a message may arrive twice (never silently lost instead).

With MAIL_SERVER set, messages go by SMTP through Flask-Mailman; without it each is written to MAIL_OUTBOX_DIR
(instance/outbox/) as an .eml file readable by the board's user only: a board without a mail service still works.
"""
import os
import signal
import smtplib
import time
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import current_app, render_template
from flask.cli import with_appcontext
from flask_mailman import EmailMessage, Mail
from sqlalchemy import DateTime, Index, Integer, String, Text, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from .database import READS_ONLY
from .email_addresses import EMAIL_MAX
from .extensions import db
from .files import PRIVATE_FILE, private_directory
from .models import EmailNotices, User, utcnow

mailman = Mail()

LEASE = timedelta(minutes=10)  # a claimed row is another worker's to retry after this long (its worker died)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 8  # 30 s, 1, 2, 4, 8, 16, 32 min apart: about an hour of trying, then the message is given up
POLL_SECONDS = 2.0  # how often an idle worker looks for due messages
SUBJECT_MAX = 200
LINK_MAX = 2000


class OutgoingMail(db.Model):
    """One message waiting to be delivered (or given up); delivered ones are deleted."""

    __tablename__ = "outgoing_mail"

    # A ready message: subject and body rendered when it was queued.
    MESSAGE = "message"
    # A "forgot password" request: composed by the worker only if a member has confirmed `recipient`, so the request
    # itself does the same work whether or not the address belongs to anyone (board/auth.py).
    PASSWORD_RESET = "password_reset"
    # A notice or digest (board/notices.py): `link` is its one-click unsubscribe link (the List-Unsubscribe header),
    # and it is delivered only while its member still wants notices at this address.
    NOTICE = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=MESSAGE)
    recipient: Mapped[str] = mapped_column(String(EMAIL_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # PASSWORD_RESET: the reset page the token goes to; NOTICE: its unsubscribe link.
    link: Mapped[str | None] = mapped_column(String(LINK_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a worker may take it next: now for a new row; the lease while claimed; the backoff after a failure.
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    given_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_outgoing_mail_next_attempt_at", "next_attempt_at"),)

    @classmethod
    def due(cls, now: datetime):
        return (cls.given_up_at.is_(None)) & (cls.next_attempt_at <= now)

    def retry_delay(self) -> timedelta:
        return min(FIRST_RETRY * 2 ** max(self.attempts - 1, 0), LONGEST_RETRY)


def init_app(app) -> None:
    mailman.init_app(app)
    app.cli.add_command(mail_worker)


def send(recipient: str, template: str, list_unsubscribe: str | None = None, **context) -> OutgoingMail:
    """Queue templates/mail/<template>.txt (its first line the subject) for `recipient`, in the caller's transaction;
    with `list_unsubscribe`, as a NOTICE carrying that link in its List-Unsubscribe header."""
    message = OutgoingMail(**composed(recipient, template, list_unsubscribe, **context))
    db.session.add(message)
    return message


def send_all(messages: list[dict]) -> None:
    """Queue messages made by `composed`, in one INSERT whatever their number (a reply's notices)."""
    if messages:
        db.session.execute(insert(OutgoingMail), messages)


def composed(recipient: str, template: str, list_unsubscribe: str | None = None, **context) -> dict:
    """An outbox row's values for templates/mail/<template>.txt rendered now."""
    subject, _, body = render_template(f"mail/{template}.txt", **context).partition("\n")
    message = {"recipient": recipient, "subject": subject.strip()[:SUBJECT_MAX], "body": body.lstrip("\n"),
               "kind": OutgoingMail.MESSAGE, "link": None}
    if list_unsubscribe:
        message.update(kind=OutgoingMail.NOTICE, link=list_unsubscribe)
    return message


def request_password_reset(typed_address: str, reset_page: str) -> None:
    """Queue a reset request for whoever confirmed this address (maybe nobody): one INSERT either way."""
    db.session.add(OutgoingMail(kind=OutgoingMail.PASSWORD_RESET, recipient=typed_address, link=reset_page))


# Delivery -----------------------------------------------------------------------------------------------------------

def deliver_next() -> bool:
    """Claim one due message and deliver it; False when none was due (or another worker took it first)."""
    row = claim_next()
    if row is None:
        return False
    try:
        message = compose(row)
        if message is not None:
            deliver(message, row)
    except Exception as error:  # noqa: BLE001 (whatever went wrong, the row records it and is retried)
        db.session.rollback()
        record_failure(row, error)
    else:
        db.session.execute(OutgoingMail.__table__.delete().where(OutgoingMail.id == row.id))
        db.session.commit()
    return True


def claim_next() -> OutgoingMail | None:
    """The next due row, claimed for this worker alone (see the module's docstring), or None."""
    now = utcnow()
    # A look first, without SQLite's write lock, so an idle worker never holds up the board's writers.
    with db.engine.connect().execution_options(**{READS_ONLY: True}) as peek:
        if peek.scalar(select(OutgoingMail.id).where(OutgoingMail.due(now)).limit(1)) is None:
            return None
    candidate = select(OutgoingMail.id).where(OutgoingMail.due(now)).order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
    candidate = candidate.limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    ident = db.session.scalar(candidate)
    claimed = ident is not None and db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == ident, OutgoingMail.due(now))
        .values(next_attempt_at=now + LEASE, attempts=OutgoingMail.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.commit()
    if not claimed:
        return None
    return db.session.scalar(select(OutgoingMail).where(OutgoingMail.id == ident).execution_options(populate_existing=True))


def compose(row: OutgoingMail) -> EmailMessage | None:
    """The message to deliver for a row; None for a reset request no member's confirmed address matches."""
    subject, body = row.subject, row.body
    if row.kind == OutgoingMail.PASSWORD_RESET:
        from .tokens import password_reset_token

        member = User.by_email(row.recipient)
        db.session.commit()  # the read is over: no transaction stays open while the mail server answers
        if member is None:
            return None
        link = f"{row.link}?token={password_reset_token(member)}"
        subject, _, body = render_template("mail/password_reset.txt", member=member, link=link).partition("\n")
        body = body.lstrip("\n")
    headers = {}
    if row.kind == OutgoingMail.NOTICE:
        member = User.by_email(row.recipient)
        wanted = member is not None and EmailNotices.mode_of(member) != EmailNotices.OFF
        db.session.commit()
        if not wanted:
            return None  # unsubscribed (or the address changed) since it was queued
        # RFC 2369 and RFC 8058: mail clients offer "unsubscribe", and may do it with one POST to the link.
        headers = {"List-Unsubscribe": f"<{row.link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                   "Auto-Submitted": "auto-generated"}
    return EmailMessage(subject.strip(), body, from_email=current_app.config["MAIL_FROM"], to=[row.recipient],
                        headers=headers)


def deliver(message: EmailMessage, row: OutgoingMail) -> None:
    config = current_app.config
    if config["MAIL_SERVER"]:
        with mailman.get_connection(
            backend="smtp", host=config["MAIL_SERVER"], port=config["MAIL_PORT"], username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"], use_tls=config["MAIL_USE_TLS"], use_ssl=config["MAIL_USE_SSL"],
            timeout=config["MAIL_TIMEOUT"],
        ) as connection:
            connection.send_messages([message])
    else:
        write_eml(message, row)


def outbox_directory() -> Path:
    return Path(current_app.config["MAIL_OUTBOX_DIR"] or Path(current_app.instance_path) / "outbox")


def write_eml(message: EmailMessage, row: OutgoingMail) -> Path:
    """The message as an .eml file, created readable by the board's user only (it may hold a reset link)."""
    directory = private_directory(outbox_directory())
    path = directory / f"{utcnow():%Y%m%d-%H%M%S}-{row.id}-{row.kind}.eml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(message.message().as_bytes())
    return path


def is_permanent(error: Exception) -> bool:
    """A refusal the mail server will repeat (5xx): trying again only delays telling the admin."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def record_failure(row: OutgoingMail, error: Exception) -> None:
    now = utcnow()
    described = f"{type(error).__name__}: {error}"[:500]
    if is_permanent(error) or row.attempts >= MAX_ATTEMPTS:
        values = {"given_up_at": now, "last_error": described}
        current_app.logger.error("Gave up mail #%s to %s after %s attempts: %s", row.id, row.recipient, row.attempts, described)
    else:
        values = {"next_attempt_at": now + row.retry_delay(), "last_error": described}
        current_app.logger.warning("Mail #%s not delivered (attempt %s), retrying in %s: %s", row.id, row.attempts,
                       row.retry_delay(), described)
    db.session.execute(update(OutgoingMail).where(OutgoingMail.id == row.id).values(**values))
    db.session.commit()


# The worker ---------------------------------------------------------------------------------------------------------

class StopRequest:
    """Set by SIGTERM or SIGINT (a flag only: a handler must not take locks); a second signal stops at once."""

    def __init__(self, parent: int | None = None):
        self.asked = False
        self.parent = parent
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.ask)

    def ask(self, signum, _frame):
        self.asked = True
        signal.signal(signum, signal.SIG_DFL)  # a second one stops the worker wherever it is

    def __bool__(self) -> bool:
        """Asked to stop, or the process that started this worker is gone (`make run` was killed outright)."""
        return self.asked or (self.parent is not None and os.getppid() != self.parent)

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self and time.monotonic() < deadline:
            time.sleep(min(0.1, max(deadline - time.monotonic(), 0)))


class Never:
    """A stop request that never comes (tests run the worker in their own process, signals untouched)."""

    def __bool__(self) -> bool:
        return False

    sleep = staticmethod(time.sleep)


def work(stop: StopRequest | Never = Never(), once: bool = False, poll: float = POLL_SECONDS) -> None:
    """Deliver due messages until asked to stop (or, with `once`, until none is due); queue due digests first, and
    again every DIGEST_CHECK_SECONDS."""
    from .notices import DIGEST_CHECK_SECONDS, queue_due_digests

    failing = None
    digests_at = 0.0
    while not stop:
        try:
            if time.monotonic() >= digests_at:
                digests_at = time.monotonic() + DIGEST_CHECK_SECONDS
                queue_due_digests()
            delivered = deliver_next()
            failing = None
        except SQLAlchemyError as error:  # the database is down or not set up yet: say so once, keep trying
            db.session.rollback()
            if str(error.orig if hasattr(error, "orig") else error) != failing:
                failing = str(error.orig if hasattr(error, "orig") else error)
                current_app.logger.warning("Mail worker cannot read the outbox (is the database set up? flask setup): %s", failing)
            delivered = False
        if not delivered:
            if once:
                return
            stop.sleep(poll)


@click.command("mail-worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--parent", type=int, hidden=True, help="Stop when this process (make run's server) is gone.")
@with_appcontext
def mail_worker(once: bool, parent: int | None):
    """Deliver the outbox: by SMTP to MAIL_SERVER, or as .eml files in instance/outbox/ when none is set."""
    where = (f"SMTP {current_app.config['MAIL_SERVER']}:{current_app.config['MAIL_PORT']}"
             if current_app.config["MAIL_SERVER"] else f"files in {outbox_directory()}")
    click.echo(f"Mail worker delivering to {where}", err=True)
    work(StopRequest(parent), once=once)
