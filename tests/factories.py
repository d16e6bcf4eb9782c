"""Plain functions that make members, threads and replies with numbered defaults."""
import itertools

from board.extensions import db
from board.models import Film, Post, Role, Thread, User

DEFAULT_PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


def make_user(app, username: str | None = None, role: Role = Role.MEMBER, password: str = DEFAULT_PASSWORD) -> User:
    with app.app_context():
        user = User.register(username or f"member{next(_numbers)}", password, role=role)
        db.session.commit()
        return user


def make_thread(app, author: User, title: str | None = None, body: str = "An opening post.",
                film: tuple = ("Her", 2013), has_spoilers: bool = False) -> Thread:
    """A thread; its opening post is `thread.opening_post`."""
    with app.app_context():
        film_record = Film.find_or_create(*film)
        thread = Thread.start(db.session.get(User, author.id), film_record, title or f"Thread {next(_numbers)}", body,
                              has_spoilers)
        db.session.commit()
        return thread


def make_reply(app, parent: Post, author: User, body: str | None = None) -> Post:
    with app.app_context():
        reply = db.session.get(Post, parent.id).add_reply(
            db.session.get(User, author.id), body or f"Reply number {next(_numbers)}."
        )
        db.session.commit()
        return reply


def fetch(app, model, ident):
    """A fresh copy of a record as the database has it now."""
    with app.app_context():
        return db.session.get(model, ident)


def long_essay(characters: int) -> str:
    """A film essay of exactly `characters` characters, with the typography members actually type."""
    para = (
        "In Ingmar Bergman’s “Persona” (1966) — a film Agnès Varda admired — Bibi Andersson and Liv Ullmann "
        "trade identities; Isabelle Huppert’s later roles echo it – ‘quietly’, *insistently*, without apology. "
    )
    section = (
        f"## Part\n\n{para * 4}\n\n- Liv Ullmann\n- Bibi Andersson\n- Gunnar Björnstrand\n\n"
        "> “The camera sees — and forgets.” ||Alma and Elisabet merge.|| https://www.criterion.com/x\n\n"
    )
    return (section * (characters // len(section) + 1))[:characters]
