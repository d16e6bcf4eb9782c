"""A real SMTP server in the test process (aiosmtpd), keeping every message the board's mail worker delivers."""
import email
import email.policy
import re
import socket
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

from board.mail import work

LINK = re.compile(r"https?://\S+")


@dataclass
class Mailbox:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list = field(default_factory=list)
    refuse_with: str | None = None  # e.g. "550 No such user": the server refuses every message so

    async def handle_DATA(self, _server, _session, envelope):
        if self.refuse_with:
            return self.refuse_with
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]

    @staticmethod
    def body(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link_in(self, message) -> str:
        return LINK.search(self.body(message)).group(0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_mailbox() -> tuple[Mailbox, Controller]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    return mailbox, controller


def point_at(app, mailbox: Mailbox) -> None:
    """The board's mail goes to this server (plain SMTP on loopback: no STARTTLS)."""
    app.config.update(MAIL_SERVER=mailbox.host, MAIL_PORT=mailbox.port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                      MAIL_TIMEOUT=5)


def deliver_all(app) -> None:
    """Run the board's mail worker until nothing is due, as `flask mail-worker --once` does."""
    with app.app_context():
        work(once=True)
