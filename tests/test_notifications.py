"""Notifications: replies and @mentions reach the inbox once, spoiler-safe; the header counts the unread; mark read."""
import re

import pytest

from board.extensions import db
from board.models import MAX_DEPTH, Notification, Post, User, utcnow
from board.notifications import mentioned_names
from board.spoilers import WITHHELD_NOTICE

from .factories import fetch, make_reply, make_thread, make_user

INBOX_BUDGET = 3  # session user (with the unread count), count of notifications, the page of them


@pytest.fixture
def board(app):
    """An author's thread; a replier and a reader logged in elsewhere as needed."""
    author, replier, reader = make_user(app, "author"), make_user(app, "replier"), make_user(app, "reader")
    thread = make_thread(app, author, "Past Lives and In-yun", film=("Past Lives", 2023))
    return {"author": author, "replier": replier, "reader": reader, "thread": thread}


def notifications_of(app, member) -> list[tuple[str, int, int]]:
    """(kind, actor id, post id) of a member's notifications, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            db.select(Notification.kind, Notification.actor_id, Notification.post_id)
            .where(Notification.recipient_id == member.id)
            .order_by(Notification.id)
        )
        return [tuple(row) for row in rows]


def reply_through_the_form(client, post_id: int, body: str, htmx: bool = False):
    response = client.submit(f"/posts/{post_id}/reply", {"body": body}, htmx=htmx)
    assert response.status_code == (200 if htmx else 303), response.get_data(as_text=True)
    return response


def newest_post_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.max(Post.id)))


def header_of(page: str) -> str:
    return page[page.index("<header"):page.index("</header>")]


# Creating notifications ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_a_reply_notifies_the_author_of_the_post_replied_to(app, client, board, htmx):
    client.log_in(board["replier"])
    reply_through_the_form(client, board["thread"].opening_post.id, "I cried at the bar scene.", htmx=htmx)
    assert notifications_of(app, board["author"]) == [("reply", board["replier"].id, newest_post_id(app))]
    assert notifications_of(app, board["replier"]) == []


def test_replying_to_yourself_notifies_nobody(app, client, board):
    client.log_in(board["author"])
    reply_through_the_form(client, board["thread"].opening_post.id, "Adding a footnote to my own essay, @author.")
    assert notifications_of(app, board["author"]) == []


def test_a_mention_notifies_each_member_named_once_and_ignores_unknown_names(app, client, board):
    make_user(app, "Nora_Moon")
    client.log_in(board["replier"])
    reply_through_the_form(
        client, board["thread"].opening_post.id,
        "@reader and @READER, see this. Also @nora_moon, @nobody-here and mail@example.com.",
    )
    post_id = newest_post_id(app)
    assert notifications_of(app, board["reader"]) == [("mention", board["replier"].id, post_id)]
    with app.app_context():
        nora = User.by_username("nora_moon")
    assert notifications_of(app, nora) == [("mention", board["replier"].id, post_id)]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Notification.id))) == 3  # + the author's reply notification


def test_a_reply_that_also_mentions_the_author_notifies_once_as_a_reply(app, client, board):
    client.log_in(board["replier"])
    reply_through_the_form(client, board["thread"].opening_post.id, "@author you are right.")
    assert [kind for kind, *_ in notifications_of(app, board["author"])] == ["reply"]


def test_a_new_thread_notifies_members_it_mentions(app, client, board):
    client.log_in(board["author"])
    response = client.submit("/threads/new", {"title": "For @reader", "film_title": "Aftersun", "film_year": "2022",
                                              "body": "@reader you asked for this one. @author is me."})
    assert response.status_code == 303
    assert [kind for kind, *_ in notifications_of(app, board["reader"])] == ["mention"]
    assert notifications_of(app, board["author"]) == []


def test_mentions_inside_code_or_spoilers_notify_nobody(app, client, board):
    client.log_in(board["replier"])
    body = ("Inline `@reader` code.\n\n```\n@reader in a block\n```\n\n    @reader indented\n\nAnd ||@reader hidden||.\n\n"
            "```spoiler\nA block spoiler for @reader\n```\n")
    reply_through_the_form(client, board["thread"].opening_post.id, body)
    assert notifications_of(app, board["reader"]) == []


def test_mention_parsing_rules():
    html = "<p>@ab too short, @abc ok, x@abd not, (@Abe) ok, @abe again, @" + "a" * 31 + " too long</p>"
    assert mentioned_names(html) == ["abc", "abe"]
    many = "<p>" + " ".join(f"@name{n:02d}" for n in range(15)) + "</p>"
    assert len(mentioned_names(many)) == 10


def test_an_edit_does_not_notify_again(app, client, board):
    client.log_in(board["replier"])
    reply_through_the_form(client, board["thread"].opening_post.id, "First version.")
    post_id = newest_post_id(app)
    response = client.submit(f"/posts/{post_id}/edit", {"body": "Second version, now naming @reader."})
    assert response.status_code == 303
    assert len(notifications_of(app, board["author"])) == 1
    assert notifications_of(app, board["reader"]) == []


def test_a_resubmitted_reply_notifies_once(app, client, board):
    client.log_in(board["replier"])
    for _ in range(2):
        reply_through_the_form(client, board["thread"].opening_post.id, "Double click, @reader.")
    assert len(notifications_of(app, board["author"])) == 1
    assert len(notifications_of(app, board["reader"])) == 1


def test_a_reply_past_max_depth_notifies_the_author_of_the_post_replied_to(app, client, board):
    authors = [make_user(app, f"deep{n}") for n in range(MAX_DEPTH)]
    post = board["thread"].opening_post
    for member in authors:
        post = make_reply(app, post, member)
    assert post.depth == MAX_DEPTH
    client.log_in(board["replier"])
    reply_through_the_form(client, post.id, "Deepest reply.")
    new = fetch(app, Post, newest_post_id(app))
    assert new.parent_id != post.id  # attached one level up...
    assert notifications_of(app, authors[-1]) == [("reply", board["replier"].id, new.id)]  # ...but it answers this one
    assert notifications_of(app, authors[-2]) == []


# The header badge and the inbox --------------------------------------------------------------------------------------

def notify(app, recipient, actor, thread, body: str, count: int = 1, topic: str | None = None) -> list[int]:
    """`count` replies by `actor` to the opening post, each notifying `recipient`; their notification ids.

    Each is its own inbox item unless a `topic` groups them."""
    ids = []
    with app.app_context():
        opening = db.session.get(Post, thread.opening_post.id)
        for number in range(count):
            reply = opening.add_reply(db.session.get(User, actor.id), f"{body} ({number})")
            notification = Notification(recipient_id=recipient.id, actor_id=actor.id, post_id=reply.id, kind="reply",
                                        topic=topic or f"post:{reply.id}")
            db.session.add(notification)
            db.session.flush()
            ids.append(notification.id)
        db.session.commit()
    return ids


def test_the_header_shows_the_unread_count_to_members_only(app, client, board):
    notify(app, board["author"], board["replier"], board["thread"], "Hello", count=3)
    assert "Inbox" not in header_of(client.get("/").get_data(as_text=True))
    client.log_in(board["author"])
    header = header_of(client.get("/").get_data(as_text=True))
    assert re.search(r'<a id="inbox-link" class="inbox-link" href="/inbox" aria-label="Inbox, 3 unread items"[^>]*>Inbox '
                     r'<span class="badge badge--count">3</span></a>', header)
    other = app.test_client()
    other.log_in(board["reader"])
    header = header_of(other.get("/").get_data(as_text=True))
    assert 'id="inbox-link"' in header and "badge--count" not in header


def test_the_inbox_needs_a_login(client):
    response = client.get("/inbox")
    assert response.status_code == 302 or response.status_code == 303
    assert "/login" in response.headers["Location"]


def test_the_inbox_lists_newest_first_links_to_the_post_and_marks_unread(app, client, board):
    first, second = notify(app, board["author"], board["replier"], board["thread"], "A reply", count=2)
    client.log_in(board["author"])
    page = client.get("/inbox").get_data(as_text=True)
    assert page.index(f'id="notification-{second}"') < page.index(f'id="notification-{first}"')
    assert page.count("<bdi>replier</bdi> replied to your post in “<bdi>Past Lives and In-yun</bdi>”") >= 2
    with app.app_context():
        post_id = db.session.get(Notification, first).post_id
    assert f'href="/posts/{post_id}"' in page
    assert page.count('class="notification is-unread"') == 2
    assert "A reply (0)" in page


def test_the_inbox_paginates_with_the_same_statements_for_3_and_40(app, client, board, count_queries):
    client.log_in(board["author"])
    counts = []
    for total in (3, 40):
        notify(app, board["author"], board["replier"], board["thread"], f"Batch {total}", count=total - len(counts) * 3)
        with count_queries() as counter:
            page = client.get("/inbox")
        assert page.status_code == 200
        counts.append(counter.count)
    assert counts == [INBOX_BUDGET, INBOX_BUDGET]
    second = client.get("/inbox?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and second.count('<li class="notification') == 15


def test_notification_text_never_shows_spoilers(app, client, board):
    client.log_in(board["replier"])
    reply_through_the_form(client, board["thread"].opening_post.id, "The ending: ||secret words|| and then @author.")
    spoiler_thread = make_thread(app, board["author"], "Aftersun ending", body="The opening post's own ending",
                                 film=("Aftersun", 2022), has_spoilers=True)
    reply_through_the_form(client, spoiler_thread.opening_post.id, "Plain words in a spoiler thread, ||and a twist||")
    other = app.test_client()
    other.log_in(board["author"])
    page = other.get("/inbox").get_data(as_text=True)
    assert "secret words" not in page and "and a twist" not in page
    assert "The ending: [spoiler] and then @author." in page
    # The thread's "contains spoilers" flag is about its opening post: a reply is excerpted from its own safe text.
    assert "Plain words in a spoiler thread, [spoiler]" in page and WITHHELD_NOTICE not in page
    assert "The opening post's own ending" not in page


def test_notification_text_never_shows_a_title_spoiler(app, client, board):
    thread = make_thread(app, board["author"], "The ||sled is Rosebud|| twist", film=("Citizen Kane", 1941))
    client.log_in(board["replier"])
    reply_through_the_form(client, thread.opening_post.id, "Great title.")
    other = app.test_client()
    other.log_in(board["author"])
    page = other.get("/inbox").get_data(as_text=True)
    assert "sled is Rosebud" not in page and "<bdi>replier</bdi> replied to your post in “<bdi>The [spoiler] twist</bdi>”" in page


def test_notifications_of_hidden_or_deleted_posts_are_not_shown_or_counted(app, client, board):
    kept, hidden, deleted = notify(app, board["author"], board["replier"], board["thread"], "Reply", count=3)
    with app.app_context():
        db.session.get(Post, db.session.get(Notification, hidden).post_id).hidden = True
        db.session.get(Post, db.session.get(Notification, deleted).post_id).deleted = True
        db.session.commit()
    client.log_in(board["author"])
    page = client.get("/inbox").get_data(as_text=True)
    assert f'id="notification-{kept}"' in page
    assert f'id="notification-{hidden}"' not in page and f'id="notification-{deleted}"' not in page
    assert '<span class="badge badge--count">1<' in header_of(page)
    assert client.submit(f"/inbox/{hidden}/read").status_code == 404


# Marking read --------------------------------------------------------------------------------------------------------

def read_at(app, notification_id):
    return fetch(app, Notification, notification_id).read_at


def test_mark_one_read_without_js(app, client, board):
    first, second = notify(app, board["author"], board["replier"], board["thread"], "Reply", count=2)
    client.log_in(board["author"])
    response = client.submit(f"/inbox/{first}/read", {"page": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/inbox?page=1#notification-{first}"
    assert read_at(app, first) is not None and read_at(app, second) is None
    page = client.get("/inbox").get_data(as_text=True)
    assert '<span class="badge badge--count">1<' in header_of(page)


def test_mark_one_read_with_htmx_returns_the_item_and_the_badge_out_of_band(app, client, board):
    first, second = notify(app, board["author"], board["replier"], board["thread"], "Reply", count=2)
    client.log_in(board["author"])
    response = client.submit(f"/inbox/{first}/read", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'<li class="notification" id="notification-{first}" tabindex="-1" autofocus>' in body
    assert "Mark read" not in body
    assert re.search(r'<a id="inbox-link"[^>]*hx-swap-oob="true"[^>]*>Inbox.*badge--count">1</span>', body, re.S)
    assert 'aria-label="Inbox, 1 unread item"' in body
    assert read_at(app, first) is not None


def test_marking_the_last_unread_clears_the_badge(app, client, board):
    (only,) = notify(app, board["author"], board["replier"], board["thread"], "Reply")
    client.log_in(board["author"])
    body = client.submit(f"/inbox/{only}/read", htmx=True).get_data(as_text=True)
    assert 'hx-swap-oob="true">Inbox\n</a>' in body or 'hx-swap-oob="true">Inbox</a>' in body


def test_marking_twice_keeps_the_first_time(app, client, board):
    (only,) = notify(app, board["author"], board["replier"], board["thread"], "Reply")
    client.log_in(board["author"])
    client.submit(f"/inbox/{only}/read")
    first_time = read_at(app, only)
    assert client.submit(f"/inbox/{only}/read").status_code == 303
    assert read_at(app, only) == first_time


@pytest.mark.parametrize("htmx", [False, True])
def test_another_members_notification_is_a_404(app, client, board, htmx):
    (theirs,) = notify(app, board["author"], board["replier"], board["thread"], "Reply")
    client.log_in(board["reader"])
    assert client.submit(f"/inbox/{theirs}/read", htmx=htmx).status_code == 404
    assert client.submit("/inbox/99999/read", htmx=htmx).status_code == 404
    assert read_at(app, theirs) is None


def test_marking_read_needs_a_login(app, client, board):
    (theirs,) = notify(app, board["author"], board["replier"], board["thread"], "Reply")
    assert client.submit(f"/inbox/{theirs}/read").status_code in (302, 303)
    assert client.submit(f"/inbox/{theirs}/read", htmx=True).status_code == 401
    assert read_at(app, theirs) is None


def test_mark_all_read_without_js(app, client, board):
    ids = notify(app, board["author"], board["replier"], board["thread"], "Reply", count=3)
    (others,) = notify(app, board["reader"], board["replier"], board["thread"], "To the reader")
    client.log_in(board["author"])
    response = client.submit("/inbox/read-all")
    assert response.status_code == 303 and response.headers["Location"] == "/inbox"
    assert all(read_at(app, ident) is not None for ident in ids)
    assert read_at(app, others) is None  # only your own
    page = client.get("/inbox").get_data(as_text=True)
    assert "All notifications marked read." in page and "badge--count" not in header_of(page)
    assert "is-unread" not in page and "Mark all read" not in page


def test_mark_all_read_with_htmx_returns_the_list_and_the_badge(app, client, board):
    ids = notify(app, board["author"], board["replier"], board["thread"], "Reply", count=3)
    client.log_in(board["author"])
    response = client.submit("/inbox/read-all", {"page": "1"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div class="inbox" id="inbox">')
    assert "All notifications marked read." in body and "is-unread" not in body
    assert body.count('hx-swap-oob="true"') == 1 and "badge--count" not in body
    assert all(read_at(app, ident) is not None for ident in ids)


def test_the_unread_count_does_not_add_a_statement_to_member_pages(app, client, board, count_queries):
    notify(app, board["author"], board["replier"], board["thread"], "Reply", count=2)
    client.log_in(board["author"])
    with count_queries() as counter:
        page = client.get("/").get_data(as_text=True)
    assert "badge--count\">2<" in page
    assert counter.count == 3  # FRONT_PAGE_BUDGET["member"] in test_query_budget.py: the count rides on the session user


def test_old_read_notifications_stay_listed_but_not_counted(app, client, board):
    first, second = notify(app, board["author"], board["replier"], board["thread"], "Reply", count=2)
    with app.app_context():
        db.session.get(Notification, first).read_at = utcnow()
        db.session.commit()
    client.log_in(board["author"])
    page = client.get("/inbox").get_data(as_text=True)
    assert f'<li class="notification" id="notification-{first}">' in page
    assert f'<li class="notification is-unread" id="notification-{second}">' in page
    assert '<span class="badge badge--count">1<' in header_of(page)


def test_a_thread_whose_opening_post_is_hidden_drops_out_of_the_inbox(app, client, board):
    (ident,) = notify(app, board["author"], board["replier"], board["thread"], "Reply")
    with app.app_context():
        db.session.get(Post, board["thread"].opening_post.id).hidden = True
        db.session.commit()
    client.log_in(board["author"])
    page = client.get("/inbox").get_data(as_text=True)
    assert f'id="notification-{ident}"' not in page and "badge--count" not in header_of(page)
