"""Pin and hide: what moderators see and do, what everyone else sees, and the append-only record."""
import io

import pytest
from PIL import Image

from board.extensions import db
from board.mail import OutgoingMail
from board.images import reencode
from board.models import (Block, Bookmark, EmailNotices, Film, FilmLog, FilmPoster, MemberAvatar, ModAction, Post,
                          RetiredName, Role, Thread, ThreadSubscription, User, utcnow)
from board.tokens import unsubscribe_token

from .factories import DEFAULT_PASSWORD, fetch, make_reply, make_thread, make_user
from .test_images import picture_bytes


@pytest.fixture
def board(app):
    author = make_user(app, "author")
    member = make_user(app, "member")
    moderator = make_user(app, "moddy", role=Role.MODERATOR)
    thread = make_thread(app, author, "Spicy takes", body="The **opening** words.")
    reply = make_reply(app, thread.opening_post, member, "A reply that breaks the rules.")
    child = make_reply(app, reply, author, "An answer to it.")
    target = make_user(app, "target")  # the member others ban, unban or promote
    return {"author": author, "member": member, "moderator": moderator, "thread": thread, "reply": reply, "child": child,
            "target": target}


def records(app):
    with app.app_context():
        return [(entry.moderator_id, entry.action, entry.target_type, entry.target_id, entry.reason)
                for entry in db.session.scalars(db.select(ModAction).order_by(ModAction.id))]


def test_pin_and_unpin_without_js(app, client, board):
    client.log_in(board["moderator"])
    thread_id = board["thread"].id
    response = client.submit(f"/threads/{thread_id}/pin")
    assert response.status_code == 303 and response.headers["Location"] == f"/threads/{thread_id}"
    assert fetch(app, Thread, thread_id).pinned is True
    assert "Thread pinned." in client.get(f"/threads/{thread_id}").get_data(as_text=True)
    client.submit(f"/threads/{thread_id}/unpin")
    assert fetch(app, Thread, thread_id).pinned is False
    moderator_id = board["moderator"].id
    assert records(app) == [(moderator_id, "pin", "thread", thread_id, None), (moderator_id, "unpin", "thread", thread_id, None)]


def test_pin_with_htmx_returns_the_thread_head(app, client, board):
    client.log_in(board["moderator"])
    response = client.submit(f"/threads/{board['thread'].id}/pin", htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<header class="thread-head" id="thread-head">')
    assert '<span class="badge badge--pinned">Pinned</span>' in fragment and "Unpin thread" in fragment


def test_pinning_twice_records_once(app, client, board):
    client.log_in(board["moderator"])
    client.submit(f"/threads/{board['thread'].id}/pin")
    client.submit(f"/threads/{board['thread'].id}/pin")
    assert [row[1] for row in records(app)] == ["pin"]


def test_hide_with_reason_leaves_a_placeholder_for_members(app, client, other_client, board):
    client.log_in(board["moderator"])
    reply_id = board["reply"].id
    response = client.submit(f"/posts/{reply_id}/hide", {"reason": "  personal   attack "}, htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.lstrip().startswith('<article class="post is-hidden"')
    assert f'id="post-{reply_id}"' in fragment.split(">", 1)[0]
    assert "Hidden by moderators</strong>: <bdi>personal attack</bdi>" in fragment and "Unhide" in fragment
    assert "A reply that breaks the rules." in fragment  # moderators still see it
    assert fetch(app, Post, reply_id).hidden_reason == "personal attack"
    assert records(app) == [(board["moderator"].id, "hide", "post", reply_id, "personal attack")]

    other_client.log_in(board["author"])  # not the reply's author
    page = other_client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert "A reply that breaks the rules." not in page
    assert '<p class="post__placeholder">Hidden by moderators: <bdi>personal attack</bdi>.</p>' in page
    assert "An answer to it." in page  # replies keep their place under the placeholder
    assert page.index(f'id="post-{reply_id}"') < page.index(f'id="post-{board["child"].id}"')


def test_the_author_still_sees_their_hidden_post_with_the_reason(app, client, other_client, board):
    client.log_in(board["moderator"])
    client.submit(f"/posts/{board['reply'].id}/hide", {"reason": "off-topic"})
    other_client.log_in(board["member"])
    page = other_client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert "A reply that breaks the rules." in page
    assert "<strong>Hidden by moderators</strong>: <bdi>off-topic</bdi>." in page and "Only you and the moderators can see this." in page
    assert other_client.get("/").status_code == 200


def test_hide_without_js_and_unhide(app, client, board):
    client.log_in(board["moderator"])
    reply_id = board["reply"].id
    response = client.submit(f"/posts/{reply_id}/hide", {"reason": ""})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/threads/{board['thread'].id}#post-{reply_id}"
    assert fetch(app, Post, reply_id).hidden is True
    response = client.submit(f"/posts/{reply_id}/unhide", htmx=True)
    assert response.status_code == 200 and "A reply that breaks the rules." in response.get_data(as_text=True)
    assert fetch(app, Post, reply_id).hidden is False
    assert [row[1:] for row in records(app)] == [("hide", "post", reply_id, None), ("unhide", "post", reply_id, None)]


def test_over_long_hide_reason_is_a_form_error(app, client, board):
    client.log_in(board["moderator"])
    response = client.submit(f"/posts/{board['reply'].id}/hide", {"reason": "x" * 301}, htmx=True)
    assert response.status_code == 422 and "At most 300 characters; this has 301. Shorten it by 1." in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "this"
    plain = client.submit(f"/posts/{board['reply'].id}/hide", {"reason": "x" * 301})
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    assert fetch(app, Post, board["reply"].id).hidden is False and records(app) == []


def test_hiding_the_opening_post_takes_the_thread_off_the_front_page_for_members(app, client, other_client, board):
    client.log_in(board["moderator"])
    client.submit(f"/posts/{board['thread'].opening_post.id}/hide", {"reason": "spam"})
    other_client.log_in(board["member"])
    assert "Spicy takes" not in other_client.get("/").get_data(as_text=True)
    moderator_view = client.get("/").get_data(as_text=True)
    assert "Spicy takes" in moderator_view and '<span class="badge badge--hidden">Hidden</span>' in moderator_view
    thread_page = other_client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert "Thread hidden by moderators" in thread_page and "Spicy takes" not in thread_page
    assert "The <strong>opening</strong> words." not in thread_page


def test_hidden_posts_cannot_be_voted_or_replied_to_by_members(app, client, other_client, board):
    client.log_in(board["moderator"])
    client.submit(f"/posts/{board['reply'].id}/hide")
    other_client.log_in(board["author"])
    assert other_client.submit(f"/posts/{board['reply'].id}/vote", {"direction": "up"}).status_code == 403
    assert other_client.submit(f"/posts/{board['reply'].id}/reply", {"body": "psst"}).status_code == 403


def test_moderation_records_are_append_only(app, client, board):
    client.log_in(board["moderator"])
    client.submit(f"/threads/{board['thread'].id}/pin")
    with app.app_context():
        entry = db.session.scalar(db.select(ModAction))
        entry.reason = "rewritten later"
        with pytest.raises(PermissionError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalar(db.select(ModAction)))
        with pytest.raises(PermissionError):
            db.session.commit()


# The authorization matrix: every state-changing route × who asks → status and effect ----------------------------------

ROLES = ["anonymous", "member", "author", "banned", "moderator", "admin"]


def act_as(app, client, board, role) -> str | None:
    """Log the client in as `role` and return the page's CSRF token (a banned member is banned after loading it)."""
    if role == "anonymous":
        return client.csrf_token()
    users = {
        "member": board["member"],
        "author": board["author"],
        "banned": make_user(app, "banned1"),
        "moderator": board["moderator"],
        "admin": make_user(app, "boss", role=Role.ADMIN),
    }
    client.log_in(users[role])
    token = client.csrf_token()
    if role == "banned":
        with app.app_context():
            member = db.session.get(User, users["banned"].id)
            member.banned_at, member.ban_reason = utcnow(), "matrix"
            db.session.commit()
    return token


def pinned(app, board):
    return fetch(app, Thread, board["thread"].id).pinned


def locked(app, board):
    return fetch(app, Thread, board["thread"].id).locked


def opening_hidden(app, board):
    return fetch(app, Post, board["thread"].opening_post.id).hidden


def opening_spoiler(app, board):
    return fetch(app, Post, board["thread"].opening_post.id).marked_spoiler


def opening_score(app, board):
    return fetch(app, Post, board["thread"].opening_post.id).score


def post_count(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Post.id)))


def thread_count(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Thread.id)))


def mail_queued(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(OutgoingMail.id)))


def target_banned(app, board):
    return fetch(app, User, board["target"].id).is_banned()


def target_role(app, board):
    return fetch(app, User, board["target"].id).role


def change(field, model_key, value):
    def setup(app, board):
        with app.app_context():
            model = {"thread": Thread, "opening": Post}[model_key]
            ident = board["thread"].opening_post.id if model_key == "opening" else board[model_key].id
            record = db.session.get(model, ident)
            setattr(record, field, value)
            db.session.commit()
    return setup


def ban_target(app, board):
    with app.app_context():
        db.session.get(User, board["target"].id).banned_at = utcnow()
        db.session.commit()


def mutes(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(ThreadSubscription).where(
            ThreadSubscription.thread_id == board["thread"].id, ThreadSubscription.level == "mute"))


def blocks_of_target(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Block).where(Block.blocked_id == board["target"].id))


def bookmarks(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Bookmark))


def notice_choices(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(EmailNotices))


def target_wants_notices(app, board):
    """The target has a confirmed address and notices at once: the unsubscribe link in their mail speaks for them."""
    with app.app_context():
        target = db.session.get(User, board["target"].id)
        target.email = "target@example.com"
        EmailNotices.set(target, EmailNotices.IMMEDIATE)
        db.session.commit()
        board["target_unsubscribe"] = unsubscribe_token(target)


def target_notices(app, board):
    return fetch(app, EmailNotices, board["target"].id).mode


def deleted_accounts(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(RetiredName))


def target_deleted(app, board):
    return fetch(app, User, board["target"].id).is_deleted


def snapshot_sessions(app, board):
    with app.app_context():
        board["tokens"] = dict(db.session.execute(db.select(User.id, User.session_token)).all())


def sessions_ended(app, board):
    """Members (of those there before the request's client logged in) whose sessions were all ended."""
    with app.app_context():
        now = dict(db.session.execute(db.select(User.id, User.session_token)).all())
    return sum(now[member] != token for member, token in board["tokens"].items())


def film_runtime(app, board):
    with app.app_context():
        return db.session.scalar(db.select(Film.runtime).where(Film.id == board["thread"].film_id))


def film_posters(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(FilmPoster))


def add_poster(app, board):
    with app.app_context():
        db.session.add(FilmPoster(film_id=board["thread"].film_id, digest="0" * 16, data=b"x", width=1, height=1,
                                  small_data=b"x", small_width=1, small_height=1))
        db.session.commit()


def poster_upload() -> dict:
    """A fresh file each time (a stream is read once)."""
    out = io.BytesIO()
    Image.new("RGB", (30, 45), (10, 20, 30)).save(out, format="PNG")
    return {"poster": (io.BytesIO(out.getvalue()), "poster.png")}


def film_logs(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(FilmLog))


def authors_log(app, board):
    """The author logged the thread's film, with a review (what the log routes below change)."""
    with app.app_context():
        log = FilmLog(member_id=board["author"].id, film_id=board["thread"].film_id, rating=7, watched_on=utcnow().date())
        log.set_review("Matrix review", False)
        db.session.add(log)
        db.session.commit()
        board["log"] = log.id


def hidden_authors_log(app, board):
    authors_log(app, board)
    with app.app_context():
        db.session.get(FilmLog, board["log"]).hidden = True
        db.session.commit()


def log_review(app, board):
    with app.app_context():
        log = db.session.get(FilmLog, board["log"])
        return log.review_source if log else None


def log_hidden(app, board):
    return fetch(app, FilmLog, board["log"]).hidden


def author_reveals_spoilers(app, board):
    with app.app_context():
        return db.session.scalar(db.select(User.reveal_seen_spoilers).where(User.id == board["author"].id))


def display_names(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(User).where(User.display_name.is_not(None)))


def avatars(app, board):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(MemberAvatar))


def give_avatars(app, board):
    """An avatar each for the member, the author and the moderator (not the admin, whose removal changes nothing)."""
    picture = reencode(picture_bytes(size=(64, 64)), box=(256, 256), max_pixels=40_000_000, crop=True)
    with app.app_context():
        for key in ("member", "author", "moderator"):
            db.session.get(User, board[key].id).set_avatar(picture)
        db.session.commit()


def an_upload() -> dict:
    return {"avatar": (io.BytesIO(picture_bytes(size=(64, 64))), "me.png")}


MEMBERS = {"anonymous": 303, "member": 303, "author": 303, "banned": 403, "moderator": 303, "admin": 303}
MODERATORS_ONLY = {"anonymous": 303, "member": 403, "author": 403, "banned": 403, "moderator": 303, "admin": 303}
ADMINS_ONLY = {"anonymous": 303, "member": 403, "author": 403, "banned": 403, "moderator": 403, "admin": 303}
AUTHOR_ONLY = {"anonymous": 303, "member": 403, "author": 303, "banned": 403, "moderator": 403, "admin": 403}


def expect(statuses, before, after):
    """Each role's status, and the measured value after: `after` where the action succeeded, else `before`."""
    return {role: (status, after if status == 303 and role != "anonymous" else before) for role, status in statuses.items()}


# route, form, setup, measure, {role: (status, measured value after)}
MATRIX = {
    "pin": ("/threads/{thread}/pin", {}, None, pinned, expect(MODERATORS_ONLY, False, True)),
    "unpin": ("/threads/{thread}/unpin", {}, change("pinned", "thread", True), pinned, expect(MODERATORS_ONLY, True, False)),
    "lock": ("/threads/{thread}/lock", {}, None, locked, expect(MODERATORS_ONLY, False, True)),
    "unlock": ("/threads/{thread}/unlock", {}, change("locked", "thread", True), locked, expect(MODERATORS_ONLY, True, False)),
    "hide": ("/posts/{opening}/hide", {"reason": "r"}, None, opening_hidden, expect(MODERATORS_ONLY, False, True)),
    "unhide": ("/posts/{opening}/unhide", {}, change("hidden", "opening", True), opening_hidden,
               expect(MODERATORS_ONLY, True, False)),
    "mark spoiler": ("/posts/{opening}/spoiler", {}, None, opening_spoiler, expect(MODERATORS_ONLY, False, True)),
    "unmark spoiler": ("/posts/{opening}/unspoiler", {}, change("marked_spoiler", "opening", True), opening_spoiler,
                       expect(MODERATORS_ONLY, True, False)),
    "ban": ("/members/{target}/ban", {"term": "1", "reason": "r"}, None, target_banned, expect(MODERATORS_ONLY, False, True)),
    "unban": ("/members/{target}/unban", {}, ban_target, target_banned, expect(MODERATORS_ONLY, True, False)),
    "role": ("/admin/members/{target}/role", {"role": "moderator"}, None, target_role, expect(ADMINS_ONLY, "member", "moderator")),
    "vote": ("/posts/{opening}/vote", {"direction": "up"}, None, opening_score,
             {"anonymous": (303, 0), "member": (303, 1), "author": (403, 0), "banned": (403, 0), "moderator": (303, 1),
              "admin": (303, 1)}),
    "reply": ("/posts/{opening}/reply", {"body": "Matrix reply"}, None, post_count,
              {"anonymous": (303, 3), "member": (303, 4), "author": (303, 4), "banned": (403, 3), "moderator": (303, 4),
               "admin": (303, 4)}),
    # Previews (board/previews.py): a member's POST with CSRF, answered 200 (the page or the panel); nothing stored.
    "preview reply": ("/posts/{opening}/reply", {"body": "Matrix reply", "preview": "reply-body"}, None, post_count,
                      {"anonymous": (303, 3), "member": (200, 3), "author": (200, 3), "banned": (403, 3),
                       "moderator": (200, 3), "admin": (200, 3)}),
    "preview new thread": ("/threads/new", {"body": "B", "preview": "body"}, None, thread_count,
                           {"anonymous": (303, 1), "member": (200, 1), "author": (200, 1), "banned": (403, 1),
                            "moderator": (200, 1), "admin": (200, 1)}),
    "new thread": ("/threads/new", {"title": "T", "film_title": "F", "body": "B"}, None, thread_count,
                   {"anonymous": (303, 1), "member": (303, 2), "author": (303, 2), "banned": (403, 1), "moderator": (303, 2),
                    "admin": (303, 2)}),
    # A member's own choices (board/following.py): every member may, for themselves; a banned member may not.
    "mute thread": ("/threads/{thread}/follow", {"level": "mute"}, None, mutes, expect(MEMBERS, 0, 1)),
    "block": ("/members/{target_name}/block", {"block": "1"}, None, blocks_of_target, expect(MEMBERS, 0, 1)),
    "bookmark": ("/posts/{opening}/bookmark", {"saved": "1"}, None, bookmarks, expect(MEMBERS, 0, 1)),
    # A film's details and poster (board/films.py): moderators only, like rename and merge.
    "film details": ("/films/{film}/details", {"runtime": "90"}, None, film_runtime, expect(MODERATORS_ONLY, None, 90)),
    "film poster": ("/films/{film}/poster", poster_upload, None, film_posters, expect(MODERATORS_ONLY, 0, 1)),
    "remove film poster": ("/films/{film}/poster/remove", {}, add_poster, film_posters, expect(MODERATORS_ONLY, 1, 0)),
    # Members only, their own address (the password is the acting member's): a confirmation link is queued.
    "email change": ("/account/email", {"email": "matrix@example.com", "current": DEFAULT_PASSWORD}, None, mail_queued,
                     expect(MEMBERS, 0, 1)),
    # Members only, for themselves ("off" needs no address; the other choices a confirmed one: tests/test_notices.py).
    "email notices": ("/account/notices", {"notices": "off"}, None, notice_choices, expect(MEMBERS, 0, 1)),
    # Whoever holds the link, without a login (a mail client's one-click POST); a member logged in as someone else is
    # refused (403) and a banned member's session ends first. The CSRF token is sent and not needed (test_notices.py).
    "unsubscribe": ("/notices/unsubscribe?token={target_unsubscribe}", {}, target_wants_notices, target_notices,
                    {role: (303, "off") if role == "anonymous" else (403, "immediate") for role in ROLES}),
    # Leaving (board/account.py, board/admin.py): the acting member's own account, with their own password.
    "delete account": ("/account/delete", {"posts": "keep", "current": DEFAULT_PASSWORD}, None, deleted_accounts,
                       expect(MEMBERS, 0, 1)),
    "delete member": ("/admin/members/{target}/delete", {"posts": "remove", "current": DEFAULT_PASSWORD}, None,
                      target_deleted, expect(ADMINS_ONLY, False, True)),
    # The acting member's sessions end (this one starts again). "admin" and "banned" are members made after the
    # snapshot, so they count 0 here; test_leaving checks the effect for a second session of every member.
    "log out elsewhere": ("/account/sessions", {}, snapshot_sessions, sessions_ended,
                          {"anonymous": (303, 0), "member": (303, 1), "author": (303, 1), "banned": (403, 0),
                           "moderator": (303, 1), "admin": (303, 0)}),
    # Film logs (board/film_logs.py): any member logs a film; only its member edits or deletes a log (moderators
    # neither: they hide a review, which the log keeps); each member's spoiler setting is their own.
    "log film": ("/films/her-2013/log", {"rating": "7", "watched_on": "2026-01-02", "review": "Matrix"}, None, film_logs,
                 expect(MEMBERS, 0, 1)),
    "edit log": ("/logs/{log}/edit", {"rating": "6", "watched_on": "2026-01-02", "review": "Edited"}, authors_log,
                 log_review, expect(AUTHOR_ONLY, "Matrix review", "Edited")),
    "delete log": ("/logs/{log}/delete", {}, authors_log, log_review, expect(AUTHOR_ONLY, "Matrix review", None)),
    "hide review": ("/logs/{log}/hide", {"reason": "r"}, authors_log, log_hidden, expect(MODERATORS_ONLY, False, True)),
    "unhide review": ("/logs/{log}/unhide", {}, hidden_authors_log, log_hidden, expect(MODERATORS_ONLY, True, False)),
    "spoiler setting": ("/u/author/spoilers", {}, None, author_reveals_spoilers, expect(AUTHOR_ONLY, True, False)),
    # How a member appears (board/account.py): each member for themselves only; the form is built per case (a file).
    "display name": ("/account/profile/name", {"display_name": "Matrix Name"}, None, display_names, expect(MEMBERS, 0, 1)),
    "avatar": ("/account/profile/avatar", an_upload, None, avatars, expect(MEMBERS, 0, 1)),
    "remove avatar": ("/account/profile/avatar/remove", {}, give_avatars, avatars,
                      {"anonymous": (303, 3), "member": (303, 2), "author": (303, 2), "banned": (403, 3),
                       "moderator": (303, 2), "admin": (303, 3)}),
    # Anyone may ask; a banned member's session ends first (403), as for every action.
    "forgot password": ("/forgot-password", {"email": "matrix@example.com"}, None, mail_queued,
                        {role: (403, 0) if role == "banned" else (303, 1) for role in ROLES}),
}
# Forms on their own pages: a 303 with htmx too.
PLAIN_FORMS = {"new thread", "email change", "forgot password", "email notices", "unsubscribe", "delete account",
               "delete member", "log out elsewhere", "display name", "avatar", "remove avatar"}
TO_THE_LOGIN_PAGE = {"forgot password"}  # visitors may do it, and are sent to log in with the new password
NO_LOGIN_NEEDED = {"unsubscribe"}  # visitors may do it, and stay on its page
CASES = [(action, role) for action in MATRIX for role in ROLES]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action, role", CASES, ids=[f"{a}-{r}" for a, r in CASES])
def test_authorization_matrix(app, client, board, action, role, htmx):
    url, form, setup, measure, expected = MATRIX[action]
    form = form() if callable(form) else form
    if setup:
        setup(app, board)
    token = act_as(app, client, board, role)
    url = url.format(thread=board["thread"].id, opening=board["thread"].opening_post.id, target=board["target"].id,
                     target_name=board["target"].username, target_unsubscribe=board.get("target_unsubscribe"),
                     film="her-2013", log=board.get("log"))
    headers = {"HX-Request": "true", "X-CSRFToken": token, "HX-Current-URL": "http://localhost/"} if htmx else {}
    response = client.post(url, data=form if htmx else form | {"csrf_token": token}, headers=headers)
    status, effect = expected[role]
    if htmx and status == 303:
        status = 401 if role == "anonymous" else 200
        if action in PLAIN_FORMS and (role != "anonymous" or action in TO_THE_LOGIN_PAGE | NO_LOGIN_NEEDED):
            status = 303
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if action in TO_THE_LOGIN_PAGE and status == 303:
        assert response.headers["Location"] == "/login"
    elif action in NO_LOGIN_NEEDED and status == 303:
        assert response.headers["Location"] == url
    elif role == "anonymous":
        assert (response.headers.get("HX-Redirect") if htmx else response.headers["Location"]).startswith("/login?next=")
    if role == "banned":
        assert "Your account is banned permanently. Reason: matrix" in response.get_data(as_text=True)
    # What a signed-in member is sent (their page, their ban notice, a redirect) is never stored (ASVS 14.3.2).
    assert response.headers.get("Cache-Control") == (None if role == "anonymous" else "no-store")
    assert measure(app, board) == effect
