"""Names that lie: invisible and control characters refused in titles, film titles, reasons and report details.

Each field is sent through its real route, with and without htmx; real scripts (Arabic, Hebrew, Persian with its
zero-width non-joiner, accented and emoji text) are kept as typed and shown isolated from the page around them.
"""
import pytest

from board.extensions import db
from board.models import USERNAME_PATTERN, ModAction, Post, Report, Role, Thread, User

from .factories import fetch, make_reply, make_thread, make_user

TRICKS = [
    ("admin\u202egnp.exe", "invisible right-to-left override (U+202E) at character 6"),
    ("Her\u200b review", "invisible zero-width space (U+200B) at character 4"),
    ("Her\u2066 review", "invisible left-to-right isolate (U+2066) at character 4"),
    ("\u200fHer", "invisible right-to-left mark (U+200F) at character 1"),
    ("Her\ufeff", "invisible zero-width no-break space (U+FEFF) at character 4"),
    ("ad\u200dmin", "invisible zero-width joiner (U+200D) at character 3"),
    ("red \x1b[31malert", "control character ESC (U+001B) at character 5"),
    ("C1\x9bcontrol", "control character (U+009B) at character 3"),
    ("Z" + "\u0301" * 5 + "algo", "stacks more than 4 combining marks on one character at character 6"),
]
HONEST = [
    "الرجل الذي باع ظهره",  # Arabic
    "שלושה ימים וילד",  # Hebrew
    "می\u200cخواهم",  # Persian: the zero-width non-joiner between two letters is part of the word
    "Cléo de 5 à 7 👩\u200d👩\u200d👧",  # accents (NFD below too) and an emoji joined by zero-width joiners
    "Ba\u0300\u0309i ca",  # Vietnamese-style stacked marks, two per letter
]


@pytest.fixture
def board(app):
    moderator = make_user(app, "moderator", role=Role.MODERATOR)
    author, reader = make_user(app, "author"), make_user(app, "reader")
    thread = make_thread(app, author, "A thread")
    reply = make_reply(app, thread.opening_post, author, "A reply")
    witness = app.test_client()  # an open report, for the moderator's resolve form
    witness.log_in(make_user(app, "witness"))
    assert witness.submit(f"/posts/{reply.id}/report", {"reason": "spam"}).status_code == 303
    return {"moderator": moderator, "author": author, "reader": reader, "thread": thread, "reply": reply}


def new_thread(client, title="A title", film="Her", htmx=False):
    return client.submit("/threads/new", {"title": title, "film_title": film, "film_year": "", "body": "Words."}, htmx=htmx)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.mark.parametrize("text, message", TRICKS, ids=[message.split(" (")[0] for _, message in TRICKS])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_thread_title_that_hides_characters_is_refused_saying_which_and_where(app, client, board, text, message, htmx):
    client.log_in(board["reader"])
    before = count(app, Thread)
    response = new_thread(client, title=text, htmx=htmx)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"This contains an {message}" in page or f"This contains a {message}" in page or f"This {message}" in page
    assert count(app, Thread) == before


@pytest.mark.parametrize("text", HONEST, ids=["arabic", "hebrew", "persian", "accents-emoji", "vietnamese"])
def test_real_scripts_are_kept_as_typed_and_shown_isolated(app, client, board, text):
    client.log_in(board["reader"])
    response = new_thread(client, title=text, film=text)
    assert response.status_code == 303, response.get_data(as_text=True)
    thread_id = int(response.headers["Location"].rsplit("/", 1)[1])
    thread = fetch(app, Thread, thread_id)
    assert thread.title == text
    page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert f'<h1 id="thread-title" dir="auto">{text}</h1>' in page
    front = client.get("/").get_data(as_text=True)
    # In a row of running text a right-to-left title can't pull the badges and counts beside it into its order.
    assert f"><bdi>{text}</bdi></a>" in front


@pytest.mark.parametrize(
    "url, data, field",
    [
        ("/threads/new", {"title": "Fine", "film_title": "Her\u202e", "body": "Words."}, "film title"),
        ("/posts/{reply}/hide", {"reason": "spam\u202e"}, "hide reason"),
        ("/members/{author}/ban", {"term": "1", "reason": "spam\u200b"}, "ban reason"),
        ("/moderation/reports/{reply}/resolve", {"resolution": "dismiss", "reason": "ok\x1b[2J"}, "resolve reason"),
        ("/posts/{reply}/report", {"reason": "other", "details": "line one\nline \u202etwo"}, "report details"),
        ("/films/her-2013/rename", {"title": "Her\u2067", "year": "2013"}, "film rename"),
        ("/posts/{opening}/edit", {"title": "Edited\u200b", "body": "Words."}, "edited title"),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else None,
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_every_name_and_reason_refuses_hidden_characters(app, client, board, url, data, field, htmx):
    member = board["reader"] if field == "report details" else board["author"] if field == "edited title" else board["moderator"]
    client.log_in(member)
    url = url.format(reply=board["reply"].id, author=board["author"].id, opening=board["thread"].opening_post.id)
    before = [count(app, model) for model in (Thread, ModAction, Report)]
    response = client.submit(url, data, htmx=htmx)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "This contains a" in response.get_data(as_text=True)
    assert [count(app, model) for model in (Thread, ModAction, Report)] == before
    assert fetch(app, Post, board["reply"].id).hidden is False
    assert fetch(app, User, board["author"].id).banned_at is None
    assert fetch(app, Thread, board["thread"].id).title == "A thread"


def test_honest_reasons_keep_their_script_and_lines_and_are_shown_isolated(app, client, other_client, board):
    other_client.log_in(board["reader"])
    details = "line one\r\n\tשורה שתיים"
    assert other_client.submit(f"/posts/{board['reply'].id}/report", {"reason": "other", "details": details}).status_code == 303
    client.log_in(board["moderator"])
    assert client.submit(f"/posts/{board['reply'].id}/hide", {"reason": "הודעה פוגענית"}).status_code == 303
    page = client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert "Hidden by moderators</strong>: <bdi>הודעה פוגענית</bdi>." in page
    queue = client.get("/moderation/reports").get_data(as_text=True)
    assert '<p class="report-entry__details" dir="auto">line one\n\tשורה שתיים</p>' in queue


def test_usernames_stay_ascii_and_a_trailing_newline_does_not_slip_through():
    """Usernames already refuse every character above; `$` would also let "name\\n" match (the CLI takes names as typed)."""
    assert USERNAME_PATTERN.match("film_fan-2")
    for name in ("admin\n", "admin\u202e", "ad\u200bmin", "admin\x1b", "مدير"):
        assert not USERNAME_PATTERN.match(name), repr(name)
