"""Email notices (board/notices.py): at once or as a daily digest, spoiler-safe, stopped by a one-click link — with the
board's real mail worker and a real SMTP server in this process (tests/mailbox.py)."""
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer

from board.extensions import db
from board.mail import OutgoingMail
from board.models import Block, EmailNotices, Notification, Post, Role, ThreadSubscription, User, utcnow
from board.notices import queue_due_digests

from .conftest import dispose, make_test_app, reset_database
from .factories import make_thread, make_user
from .mailbox import deliver_all
from .test_email_accounts import made_ago, path_of, token_of
from .test_page_cache import renders_of, visit

ALICE_MAIL = "alice@example.com"


@pytest.fixture
def app(database_url):
    """A board with its public address set, as `make run` and production have: the worker's digests link to it."""
    app = make_test_app(database_url, BASE_URL="http://localhost")
    reset_database(app)
    yield app
    dispose(app)


@pytest.fixture
def alice(app):
    """A member with a confirmed address (notices still off: they are opt-in)."""
    member = make_user(app, "alice")
    with app.app_context():
        db.session.get(User, member.id).email = ALICE_MAIL
        db.session.commit()
    return member


@pytest.fixture
def bob(app):
    return make_user(app, "bob")


def choose(app, member, mode):
    with app.app_context():
        EmailNotices.set(db.session.get(User, member.id), mode)
        db.session.commit()


def mode_of(app, member) -> str:
    with app.app_context():
        return EmailNotices.mode_of(db.session.get(User, member.id))


def reply(client, post_id: int, body: str) -> None:
    response = client.submit(f"/posts/{post_id}/reply", {"body": body})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def queued(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(OutgoingMail.id)))


def a_day_passes(app, member):
    """The member's last digest was sent more than DIGEST_INTERVAL ago."""
    with app.app_context():
        choice = db.session.get(EmailNotices, member.id)
        choice.last_digest_at = utcnow() - EmailNotices.DIGEST_INTERVAL - timedelta(minutes=1)
        db.session.commit()


def header(message, name: str) -> str:
    """A header as a mail client reads it (Flask-Mailman folds long ones onto a continuation line)."""
    return message[name].strip()


def whole(message) -> str:
    """Subject, headers and body: everything a reader (or their mail provider) sees."""
    return message.as_string()


# At once ----------------------------------------------------------------------------------------------------------

def test_an_immediate_notice_arrives_with_one_click_unsubscribe_headers(app, client, mailbox, alice, bob):
    thread = make_thread(app, alice, title="Her, the ending")
    choose(app, alice, EmailNotices.IMMEDIATE)
    client.log_in(bob)
    reply(client, thread.opening_post.id, "The ending made me call my mother.")
    assert queued(app) == 1  # queued with the reply, in its transaction: nothing waited on a mail server
    deliver_all(app)
    [message] = mailbox.to(ALICE_MAIL)
    assert header(message, "Subject") == "bob replied to your post in “Her, the ending”"
    body = mailbox.body(message)
    assert "The ending made me call my mother." in body
    with app.app_context():
        new_reply = db.session.scalar(db.select(Post).where(Post.author_id == bob.id))
    assert f"http://localhost/p/{new_reply.id}" in body or f"http://localhost/posts/{new_reply.id}" in body
    unsubscribe = header(message, "List-Unsubscribe")
    assert unsubscribe.startswith("<http://localhost/notices/unsubscribe?token=") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in body  # the same link in the body, for readers whose mail client hides the header
    assert "http://localhost/account/notices" in body
    assert queued(app) == 0


def test_a_burst_of_replies_is_one_mail_until_the_member_reads_it(app, client, mailbox, alice, bob):
    thread = make_thread(app, alice)
    choose(app, alice, EmailNotices.IMMEDIATE)
    client.log_in(bob)
    for number in range(4):
        reply(client, thread.opening_post.id, f"Thought number {number}.")
    deliver_all(app)
    assert len(mailbox.to(ALICE_MAIL)) == 1
    alice_client = app.test_client()
    alice_client.log_in(alice)
    with app.app_context():
        latest = db.session.scalar(db.select(db.func.max(Notification.id)))
    assert alice_client.submit(f"/inbox/{latest}/read").status_code == 303
    reply(client, thread.opening_post.id, "One more, after she read the others.")
    deliver_all(app)
    assert len(mailbox.to(ALICE_MAIL)) == 2
    assert "One more, after she read the others." in mailbox.body(mailbox.to(ALICE_MAIL)[1])


def test_a_reply_hidden_by_moderators_does_not_hold_back_the_next_mail(app, client, mailbox, alice, bob):
    thread = make_thread(app, alice)
    moderator = make_user(app, "moddy", role=Role.MODERATOR)
    choose(app, alice, EmailNotices.IMMEDIATE)
    client.log_in(bob)
    reply(client, thread.opening_post.id, "Spam that moderators hide.")
    with app.app_context():
        spam = db.session.scalar(db.select(Post).where(Post.author_id == bob.id))
        spam.hide(db.session.get(User, moderator.id), "Spam")
        db.session.commit()
    reply(client, thread.opening_post.id, "A real reply: her inbox shows nothing else unread here.")
    deliver_all(app)
    assert len(mailbox.to(ALICE_MAIL)) == 2


def test_each_conversation_gets_its_own_mail(app, client, mailbox, alice, bob):
    first, second = make_thread(app, alice, title="First"), make_thread(app, alice, title="Second")
    choose(app, alice, EmailNotices.IMMEDIATE)
    client.log_in(bob)
    reply(client, first.opening_post.id, "On the first.")
    reply(client, second.opening_post.id, "On the second.")
    reply(client, second.opening_post.id, "Hey @alice, again.")
    deliver_all(app)
    assert sorted(header(message, "Subject") for message in mailbox.to(ALICE_MAIL)) == [
        "bob replied to your post in “First”", "bob replied to your post in “Second”"]


def test_no_mail_with_notices_off_or_without_a_confirmed_address(app, client, mailbox, alice, bob):
    thread = make_thread(app, alice)
    waiting = make_user(app, "carol")
    with app.app_context():
        db.session.get(User, waiting.id).unconfirmed_email = "carol@example.com"  # asked for, never confirmed
        db.session.execute(db.insert(EmailNotices).values(member_id=waiting.id, mode=EmailNotices.IMMEDIATE,
                                                          chosen_at=utcnow(), digest_since=utcnow()))
        db.session.commit()
    carols = make_thread(app, waiting)
    client.log_in(bob)
    reply(client, thread.opening_post.id, "Alice never chose notices.")  # off by default
    reply(client, carols.opening_post.id, "Carol has no confirmed address.")
    deliver_all(app)
    assert mailbox.messages == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Notification.id))) == 2  # the inbox still has both


def test_a_notice_queued_before_unsubscribing_is_not_delivered(app, client, mailbox, alice, bob):
    thread = make_thread(app, alice)
    choose(app, alice, EmailNotices.IMMEDIATE)
    client.log_in(bob)
    reply(client, thread.opening_post.id, "Queued, then she changed her mind.")
    assert queued(app) == 1
    choose(app, alice, EmailNotices.OFF)
    deliver_all(app)
    assert mailbox.messages == [] and queued(app) == 0


# Blocked and muted ------------------------------------------------------------------------------------------------

def test_a_blocked_member_or_a_muted_thread_never_mails(app, client, mailbox, alice, bob):
    blocked_on, muted = make_thread(app, alice, title="Blocked"), make_thread(app, alice, title="Muted")
    choose(app, alice, EmailNotices.IMMEDIATE)
    with app.app_context():
        member = db.session.get(User, alice.id)
        Block.set(member, db.session.get(User, bob.id), True)
        ThreadSubscription.set(member, muted, ThreadSubscription.MUTE)
        db.session.commit()
    client.log_in(bob)
    reply(client, blocked_on.opening_post.id, "From a blocked member, @alice.")
    carol = make_user(app, "carol")
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.log_in(carol)
    reply(client, muted.opening_post.id, "In a muted thread, @alice.")
    deliver_all(app)
    assert mailbox.messages == [] and queued(app) == 0


def test_a_digest_leaves_out_what_was_blocked_or_muted_after_it_came_in(app, client, mailbox, alice, bob):
    muted, kept = make_thread(app, alice, title="Muted later"), make_thread(app, alice, title="Kept")
    carol = make_user(app, "carol")
    choose(app, alice, EmailNotices.DIGEST)
    client.log_in(bob)
    reply(client, muted.opening_post.id, "Bob in the thread she mutes later.")
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.log_in(carol)
    reply(client, kept.opening_post.id, "Carol, whom she blocks later.")
    with app.app_context():
        member = db.session.get(User, alice.id)
        ThreadSubscription.set(member, db.session.get(type(muted), muted.id), ThreadSubscription.MUTE)
        Block.set(member, db.session.get(User, carol.id), True)
        db.session.commit()
    deliver_all(app)
    assert mailbox.messages == []
    with app.app_context():
        assert db.session.get(EmailNotices, alice.id).last_digest_at is None  # nothing was sent: no day used up


# Daily digest -----------------------------------------------------------------------------------------------------

def test_a_digest_groups_what_came_in_is_sent_once_and_not_again_within_a_day(app, client, mailbox, alice, bob):
    thread = make_thread(app, alice, title="Her")
    other = make_thread(app, bob, title="Lost in Translation")
    choose(app, alice, EmailNotices.DIGEST)
    client.log_in(bob)
    reply(client, thread.opening_post.id, "First reply.")
    reply(client, thread.opening_post.id, "Second reply.")
    reply(client, other.opening_post.id, "What would @alice say?")
    assert queued(app) == 0  # nothing at once for a digest reader
    deliver_all(app)  # the worker composes due digests, then delivers
    [digest] = mailbox.to(ALICE_MAIL)
    assert header(digest, "Subject") == "Your Reelboard digest: 3 new notices"
    body = mailbox.body(digest)
    for line in ("bob replied to your post in “Her”", "First reply.", "Second reply.",
                 "bob mentioned you in “Lost in Translation”", "What would @alice say?"):
        assert line in body
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    deliver_all(app)
    assert len(mailbox.to(ALICE_MAIL)) == 1  # sent once
    reply(client, thread.opening_post.id, "Third reply, the same day.")
    deliver_all(app)
    assert len(mailbox.to(ALICE_MAIL)) == 1  # not again within 24 hours
    a_day_passes(app, alice)
    deliver_all(app)
    [_, second] = mailbox.to(ALICE_MAIL)
    assert header(second, "Subject") == "Your Reelboard digest: 1 new notice"
    assert "Third reply, the same day." in mailbox.body(second) and "First reply." not in mailbox.body(second)
    a_day_passes(app, alice)
    deliver_all(app)
    assert len(mailbox.to(ALICE_MAIL)) == 2  # nothing new: no digest


def test_the_send_digests_command_queues_due_digests_once(app, runner, client, mailbox, alice, bob):
    thread = make_thread(app, alice)
    choose(app, alice, EmailNotices.DIGEST)
    client.log_in(bob)
    reply(client, thread.opening_post.id, "For the cron digest.")
    result = runner.invoke(args=["send-digests"])
    assert result.exit_code == 0 and "Queued 1 digest(s)." in result.output
    assert runner.invoke(args=["send-digests"]).output.strip() == "Queued 0 digest(s)."
    assert queued(app) == 1
    deliver_all(app)
    assert len(mailbox.to(ALICE_MAIL)) == 1


def test_read_notifications_are_not_in_the_digest(app, client, mailbox, alice, bob):
    thread = make_thread(app, alice)
    choose(app, alice, EmailNotices.DIGEST)
    client.log_in(bob)
    reply(client, thread.opening_post.id, "Read on the site already.")
    with app.app_context():
        db.session.execute(db.update(Notification).values(read_at=utcnow()))
        db.session.commit()
    with app.app_context():
        assert queue_due_digests() == 0
    deliver_all(app)
    assert mailbox.messages == []


# Spoilers ---------------------------------------------------------------------------------------------------------

SECRETS = ("Rosebud", "was his sled", "Tyler", "dead all along", "Keyser")


def assert_spoiler_free(message) -> None:
    for secret in SECRETS:
        assert secret not in whole(message), secret


def start_spoiler_thread_mentioning_alice(client, title: str) -> None:
    """A thread marked "contains spoilers" whose opening post mentions @alice and gives the twist away."""
    response = client.submit("/threads/new", {"title": title, "film_title": "The Usual Suspects", "film_year": "1995",
                                              "has_spoilers": "y", "body": "@alice Keyser is the cripple, plain as day."})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def test_no_spoiler_reaches_a_notice_subject_or_body(app, client, mailbox, alice, bob):
    thread = make_thread(app, alice, title="The ||Rosebud|| question")
    choose(app, alice, EmailNotices.IMMEDIATE)
    client.log_in(bob)
    reply(client, thread.opening_post.id,
          "So ||it was his sled||, and then:\n\n```spoiler\nTyler was dead all along\n```\n\nWow.")
    deliver_all(app)
    [message] = mailbox.to(ALICE_MAIL)
    assert header(message, "Subject") == "bob replied to your post in “The [spoiler] question”"
    assert "[spoiler]" in mailbox.body(message) and "Wow." in mailbox.body(message)
    assert_spoiler_free(message)


def test_a_thread_marked_spoiler_or_a_post_marked_spoiler_shows_no_excerpt(app, client, mailbox, alice, bob):
    choose(app, alice, EmailNotices.DIGEST)
    client.log_in(bob)
    start_spoiler_thread_mentioning_alice(client, "Usual Suspects talk")
    mine = make_thread(app, alice, title="Fight Club")
    reply(client, mine.opening_post.id, "Tyler was never there; you were dead all along, in a way.")
    with app.app_context():
        marked = db.session.scalar(db.select(Post).where(Post.thread_id == mine.id, Post.parent_id.is_not(None)))
        marked.marked_spoiler = True  # moderators marked it after the notification came in
        db.session.commit()
    deliver_all(app)
    [digest] = mailbox.to(ALICE_MAIL)
    body = mailbox.body(digest)
    assert "bob mentioned you in “Usual Suspects talk”" in body
    assert body.count("Contains spoilers — excerpt hidden.") == 2
    assert_spoiler_free(digest)


def test_a_mention_opening_a_thread_marked_spoiler_is_mailed_at_once_without_its_text(app, client, mailbox, alice, bob):
    choose(app, alice, EmailNotices.IMMEDIATE)
    client.log_in(bob)
    start_spoiler_thread_mentioning_alice(client, "The ||Keyser|| reveal")
    deliver_all(app)
    [message] = mailbox.to(ALICE_MAIL)
    assert header(message, "Subject") == "bob mentioned you in “The [spoiler] reveal”"
    assert "Contains spoilers — excerpt hidden." in mailbox.body(message)
    assert_spoiler_free(message)


# Unsubscribing ----------------------------------------------------------------------------------------------------

def unsubscribe_link(app, client, mailbox, alice, bob) -> str:
    thread = make_thread(app, alice)
    choose(app, alice, EmailNotices.IMMEDIATE)
    client.log_in(bob)
    reply(client, thread.opening_post.id, "A reply to unsubscribe from.")
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    deliver_all(app)
    [message] = mailbox.to(ALICE_MAIL)
    return path_of(header(message, "List-Unsubscribe")[1:-1])


def test_one_click_unsubscribe_works_without_a_session_or_csrf_token(app, mailbox, alice, bob):
    link = unsubscribe_link(app, app.test_client(), mailbox, alice, bob)
    mail_client = app.test_client()  # a mail provider's server: no cookies, no page, no CSRF token
    response = mail_client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert mode_of(app, alice) == EmailNotices.OFF


def test_unsubscribe_shows_a_button_then_stops_notices(app, client, mailbox, alice, bob):
    link = unsubscribe_link(app, client, mailbox, alice, bob)
    page = client.get(link)  # a link scanner opening it changes nothing
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Stop every email notice to alice?" in page.get_data(as_text=True)
    assert mode_of(app, alice) == EmailNotices.IMMEDIATE
    response = client.post(link)
    assert response.status_code == 303 and response.headers["Location"] == link
    assert mode_of(app, alice) == EmailNotices.OFF
    assert "Email notices are off for alice" in client.get(link).get_data(as_text=True)


def test_the_member_themself_may_unsubscribe_while_logged_in(app, client, mailbox, alice, bob):
    link = unsubscribe_link(app, client, mailbox, alice, bob)
    client.log_in(alice)
    assert client.post(link).status_code == 303
    assert mode_of(app, alice) == EmailNotices.OFF


def forged(app, salt: str, payload: dict, age: int = 0) -> str:
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt, signer=made_ago(age))
    return signer.dumps(payload)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_tampered_expired_or_stale_unsubscribe_link_is_a_clear_400_and_changes_nothing(app, client, mailbox, alice,
                                                                                           bob, method):
    link = unsubscribe_link(app, client, mailbox, alice, bob)
    token = token_of("http://localhost" + link)
    with app.app_context():
        state = parse_qs(urlsplit(link).query)["token"][0]
        member = db.session.get(User, alice.id)
        from board.tokens import address_state
        live_state = address_state(member)
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    bad_tokens = [
        tampered,
        "",
        "x" * 600,
        forged(app, "unsubscribe", {"member": alice.id, "to": live_state}, age=61 * 24 * 3600),  # expired
        forged(app, "confirm-email", {"member": alice.id, "to": live_state}),  # another kind of link
        forged(app, "unsubscribe", {"member": alice.id, "to": "0" * 16}),  # sent to another address
        forged(app, "unsubscribe", {"member": 99999, "to": live_state}),  # nobody
        forged(app, "unsubscribe", ["not", "a", "dict"]),
    ]
    assert state == token
    for bad in bad_tokens:
        response = client.open("/notices/unsubscribe", method=method, query_string={"token": bad},
                               data={"List-Unsubscribe": "One-Click"} if method == "POST" else None)
        assert response.status_code == 400, (bad, response.status_code)
    assert mode_of(app, alice) == EmailNotices.IMMEDIATE


def test_a_link_sent_to_an_old_address_stops_working_when_the_address_changes(app, client, mailbox, alice, bob):
    link = unsubscribe_link(app, client, mailbox, alice, bob)
    with app.app_context():
        db.session.get(User, alice.id).email = "alice.new@example.com"
        db.session.commit()
    assert client.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert mode_of(app, alice) == EmailNotices.IMMEDIATE


def test_another_members_link_is_refused_to_a_logged_in_member(app, client, mailbox, alice, bob):
    link = unsubscribe_link(app, client, mailbox, alice, bob)
    client.log_in(bob)
    for method in ("GET", "POST"):
        response = client.open(link, method=method)
        assert response.status_code == 403 and "for another account" in response.get_data(as_text=True)
    assert mode_of(app, alice) == EmailNotices.IMMEDIATE


# The settings page ------------------------------------------------------------------------------------------------

def test_the_notices_page_needs_a_login(client):
    response = client.get("/account/notices")
    assert response.status_code in (302, 303) and response.headers["Location"].startswith("/login?next=")


def test_choosing_notices_on_the_settings_page(app, client, alice):
    client.log_in(alice)
    page = client.get("/account/notices")
    assert page.status_code == 200
    assert 'value="off" required checked' in page.get_data(as_text=True)  # off until chosen
    response = client.submit("/account/notices", {"notices": "digest"})
    assert response.status_code == 303 and response.headers["Location"] == "/account/notices"
    assert mode_of(app, alice) == EmailNotices.DIGEST
    assert 'value="digest" required checked' in client.get("/account/notices").get_data(as_text=True)
    assert client.submit("/account/notices", {"notices": "off"}).status_code == 303
    assert mode_of(app, alice) == EmailNotices.OFF


@pytest.mark.parametrize("form", [{"notices": "hourly"}, {"notices": ""}, {}, {"notices": "x" * 5000},
                                  {"notices": "Digest"}])
def test_bad_choices_are_a_422_and_change_nothing(app, client, alice, form):
    client.log_in(alice)
    response = client.submit("/account/notices", form)
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert mode_of(app, alice) == EmailNotices.OFF


def test_a_malformed_choice_is_refused_before_the_form_reads_it(app, client, alice):
    client.log_in(alice)
    assert client.submit("/account/notices", {"notices": "digest\x00"}).status_code == 400  # board/security.py
    assert mode_of(app, alice) == EmailNotices.OFF


def test_notices_need_a_confirmed_address(app, client, bob):
    client.log_in(bob)
    assert "no confirmed email address" in client.get("/account/notices").get_data(as_text=True)
    response = client.submit("/account/notices", {"notices": "immediate"})
    assert response.status_code == 422 and "Confirm an email address first" in response.get_data(as_text=True)
    assert mode_of(app, bob) == EmailNotices.OFF
    assert client.submit("/account/notices", {"notices": "off"}).status_code == 303


def test_the_settings_form_needs_its_csrf_token(app, client, alice):
    client.log_in(alice)
    assert client.post("/account/notices", data={"notices": "digest"}).status_code == 400
    assert mode_of(app, alice) == EmailNotices.OFF


# The page cache ---------------------------------------------------------------------------------------------------

def test_a_notice_and_its_delivery_leave_other_threads_kept_pages_a_hit(app, client, mailbox, alice, bob):
    here = make_thread(app, alice, title="Here")
    elsewhere = make_thread(app, bob, title="Elsewhere", film=("Stalker", 1979))
    choose(app, alice, EmailNotices.IMMEDIATE)
    visitor = app.test_client()
    for url in (f"/threads/{here.id}", f"/threads/{elsewhere.id}"):
        visit(visitor, url)
    client.log_in(bob)
    reply(client, here.opening_post.id, "A reply that mails its notice.")
    deliver_all(app)
    assert len(mailbox.to(ALICE_MAIL)) == 1
    with renders_of("threads/show.html", app) as renders:
        assert "Elsewhere" in visit(visitor, f"/threads/{elsewhere.id}").get_data(as_text=True)
    assert renders == []  # the outbox is on no page: queuing and delivering renewed nothing else
    assert "A reply that mails its notice." in visit(visitor, f"/threads/{here.id}").get_data(as_text=True)


# Statements -------------------------------------------------------------------------------------------------------

def test_a_reply_queues_its_notices_in_the_same_few_statements_for_2_or_10_followers(app, client, count_queries, bob):
    """Followers who want notices at once: the reply's statements do not grow with them (no query per recipient)."""
    counts = []
    for followers in (2, 10):
        thread = make_thread(app, bob, title=f"Followed by {followers}")
        with app.app_context():
            for number in range(followers):
                member = User.register(f"fan{followers}x{number}", "a long enough password")
                db.session.flush()
                member.email = f"fan{followers}x{number}@example.com"
                EmailNotices.set(member, EmailNotices.IMMEDIATE)
                ThreadSubscription.set(member, db.session.get(type(thread), thread.id), ThreadSubscription.FOLLOW)
            db.session.commit()
        client.log_in(bob)
        token = client.csrf_token()
        before = queued(app)
        with count_queries() as counter:
            response = client.post(f"/posts/{thread.opening_post.id}/reply", data={"body": "To all.", "csrf_token": token})
        assert response.status_code == 303
        assert queued(app) - before == followers
        # Each notification is its own INSERT (board/notifications.py, before notices); the notices add none per member.
        counts.append(len([sql for sql in counter.statements if not sql.startswith("INSERT INTO notifications")]))
    assert counts[0] == counts[1], counts


# Workers side by side, and a board without BASE_URL ---------------------------------------------------------------

def test_two_workers_composing_digests_at_once_queue_one(app, client, alice, bob):
    thread = make_thread(app, alice)
    choose(app, alice, EmailNotices.DIGEST)
    client.log_in(bob)
    reply(client, thread.opening_post.id, "One digest, however many workers.")
    start, counts = threading.Barrier(2), []

    def worker():
        with app.app_context():
            start.wait()
            counts.append(queue_due_digests())
            db.session.remove()

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for each in workers:
        each.start()
    for each in workers:
        each.join()
    assert sorted(counts) == [0, 1] and queued(app) == 1


def test_without_base_url_the_worker_queues_no_digest_and_says_why(app_factory, caplog):
    board = app_factory()  # no BASE_URL: no address to build a digest's links on
    alice = make_user(board, "alice")
    with board.app_context():
        member = db.session.get(User, alice.id)
        member.email = ALICE_MAIL
        EmailNotices.set(member, EmailNotices.DIGEST)
        db.session.commit()
    deliver_all(board)  # the worker carries on
    assert queued(board) == 0
    assert "Digests need BASE_URL" in caplog.text
