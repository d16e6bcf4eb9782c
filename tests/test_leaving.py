"""Leaving (issue #12 item 6) and the account page (item 7): a member's data as a JSON file, deleting an account
(their own or, by an admin, a member's), what every page shows afterwards, and "log out everywhere else"."""
import json
import threading
from datetime import date

import pytest

from board.extensions import db
from board.mail import OutgoingMail
from board.models import (Bookmark, EmailNotices, FilmLog, ModAction, Notification, Post, PostRevision, RetiredName,
                          Role, ThreadSubscription, User, Vote)

from .factories import DEFAULT_PASSWORD, fetch, make_reply, make_thread, make_user

ADDRESS = "alice.leaves@example.com"


@pytest.fixture
def board(app, client):
    """alice (a confirmed address, a bio) started a thread, replied to bob, voted and saved; bob answered her reply."""
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    bobs_thread = make_thread(app, bob, "Bob asks about Stalker", body="What is the Zone?", film=("Stalker", 1979))
    thread = make_thread(app, alice, "Alice on Persona", body="The **opening** essay by alice.", film=("Persona", 1966))
    reply = make_reply(app, bobs_thread.opening_post, alice, "Alice answers: the Zone is a *room*.")
    child = make_reply(app, reply, bob, "Bob answers alice back.")
    with app.app_context():
        member = db.session.get(User, alice.id)
        member.email, member.bio_source = ADDRESS, "I write about **Bergman**."
        db.session.add(Bookmark(member_id=alice.id, post_id=bobs_thread.opening_post.id))
        db.session.get(Post, bobs_thread.opening_post.id).vote(member, 1)
        EmailNotices.set(member, EmailNotices.DIGEST)
        member.display_name = "Alice Ø."
        log = FilmLog(member_id=alice.id, film_id=bobs_thread.film_id, rating=9, watched_on=date(2026, 11, 1))
        log.set_review("The *Zone* answers.", False)
        db.session.add(log)
        db.session.get(Post, child.id).edit(db.session.get(User, bob.id), "Bob answers alice back, edited.")
        db.session.get(Post, reply.id).edit(member, "Alice answers: the Zone is a *room*, really.")
        db.session.commit()
    return {"alice": alice, "bob": bob, "thread": thread, "bobs_thread": bobs_thread, "reply": reply, "child": child}


def export_of(client, url="/account/data"):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response, json.loads(response.get_data(as_text=True))


def delete(client, password=DEFAULT_PASSWORD, posts="keep", url="/account/delete"):
    return client.submit(url, {"posts": posts, "current": password})


def test_export_then_delete_round_trip(app, client, other_client, board):
    client.log_in(board["alice"])
    response, data = export_of(client)
    assert response.headers["Content-Disposition"].startswith('attachment; filename="reelboard-alice-')
    assert response.headers["Content-Disposition"].endswith('.json"') and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert data["member"] | {"joined_at": None, "profile": None} == {
        "username": "alice", "email": ADDRESS, "email_waiting_for_confirmation": None, "bio_markdown": "I write about **Bergman**.",
        "role": "member", "joined_at": None, "profile": None, "display_name": "Alice Ø."}
    [log] = data["film_logs"]
    assert (log["film"], log["watched_on"], log["rating_out_of_5"], log["review_markdown"]) == (
        {"title": "Stalker", "year": 1979}, "2026-11-01", 4.5, "The *Zone* answers.")
    [thread] = data["threads"]
    assert (thread["title"], thread["film"], thread["body_markdown"]) == (
        "Alice on Persona", {"title": "Persona", "year": 1966}, "The **opening** essay by alice.")
    [reply] = data["replies"]
    assert reply["body_markdown"] == "Alice answers: the Zone is a *room*, really."
    assert (reply["id"], reply["parent_id"], reply["thread_id"]) == (
        board["reply"].id, board["bobs_thread"].opening_post.id, board["bobs_thread"].id)
    assert [(vote["post_id"], vote["value"]) for vote in data["votes"]] == [(board["bobs_thread"].opening_post.id, 1)]
    assert [saved["post_id"] for saved in data["settings"]["saved_posts"]] == [board["bobs_thread"].opening_post.id]
    assert {(row["thread_id"], row["choice"]) for row in data["settings"]["threads"]} == {(board["thread"].id, "follow")}
    assert data["settings"]["email_notices"] == "digest"
    assert "Bob answers" not in response.get_data(as_text=True)  # nobody else's words

    wrong = delete(client, "not my password")
    assert wrong.status_code == 422 and "That is not your current password." in wrong.get_data(as_text=True)
    assert fetch(app, User, board["alice"].id).username == "alice"

    response = delete(client)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/account").status_code == 303  # logged out
    with app.app_context():
        gone = db.session.get(User, board["alice"].id)
        assert gone.is_deleted and gone.email is None and gone.bio_source == "" and not gone.check_password(DEFAULT_PASSWORD)
        assert db.session.scalar(db.select(db.func.count()).select_from(Vote).where(Vote.user_id == gone.id)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Bookmark).where(Bookmark.member_id == gone.id)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(ThreadSubscription)
                                 .where(ThreadSubscription.member_id == gone.id)) == 0
        assert db.session.get(Post, board["bobs_thread"].opening_post.id).score == 1  # the vote stays as a count
        assert db.session.get(EmailNotices, gone.id) is None and gone.display_name is None

    page = other_client.get(f"/threads/{board['bobs_thread'].id}").get_data(as_text=True)
    assert ">alice<" not in page and "/u/alice" not in page and "by alice" not in page
    assert '<span class="post__author deleted-member">[deleted member]</span>' in page
    assert "Alice answers: the Zone is a <em>room</em>, really." in page  # kept, as she chose
    assert page.index(f'id="post-{board["reply"].id}"') < page.index(f'id="post-{board["child"].id}"')
    assert "Bob answers alice back, edited." in page
    listing = other_client.get("/").get_data(as_text=True)
    assert "Alice on Persona" in listing and '<span class="deleted-member">[deleted member]</span>' in listing
    assert "/u/alice" not in listing
    assert other_client.get("/u/alice").status_code == 410
    assert other_client.get("/u/ALICE").status_code == 410

    assert other_client.submit("/login", {"username": "alice", "password": DEFAULT_PASSWORD}).status_code == 422
    taken = other_client.submit("/register", {"username": "Alice", "password": "another long password",
                                              "confirm": "another long password"})
    assert taken.status_code == 422 and "That username is taken." in taken.get_data(as_text=True)
    again = other_client.submit("/register", {"username": "alice2", "password": "another long password",
                                              "confirm": "another long password", "email": ADDRESS})
    assert again.status_code == 303, again.get_data(as_text=True)[:500]
    with app.app_context():
        assert User.by_username("alice2").unconfirmed_email == ADDRESS


def test_remove_posts_variant_keeps_the_tree(app, client, other_client, board):
    client.log_in(board["alice"])
    assert delete(client, posts="remove").status_code == 303
    with app.app_context():
        for post_id in (board["reply"].id, board["thread"].opening_post.id):
            post = db.session.get(Post, post_id)
            assert (post.body_source, post.body_html, post.plain_text, post.deleted) == ("", "", "", True)
        assert db.session.scalar(db.select(db.func.count()).select_from(PostRevision)
                                 .where(PostRevision.post_id == board["reply"].id)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(PostRevision)
                                 .where(PostRevision.post_id == board["child"].id)) == 1  # bob's history is his
        [log] = db.session.scalars(db.select(FilmLog).where(FilmLog.member_id == board["alice"].id))
        assert (log.rating, log.review_source, log.review_html) == (9, "", "")  # her rating stays, her words go
    page = other_client.get(f"/threads/{board['bobs_thread'].id}").get_data(as_text=True)
    assert "the Zone is a" not in page and '<p class="post__placeholder">[deleted]</p>' in page
    assert page.index(f'id="post-{board["reply"].id}"') < page.index(f'id="post-{board["child"].id}"')
    assert "Bob answers alice back, edited." in page
    assert "Zone is a" not in other_client.get("/search?q=room").get_data(as_text=True)
    assert other_client.get(f"/threads/{board['thread'].id}").status_code == 200


def test_an_admin_exports_and_deletes_a_member_with_their_own_password(app, client, other_client, board):
    admin = make_user(app, "boss", role=Role.ADMIN, password="the admin's own password")
    client.log_in(admin, password="the admin's own password")
    response, data = export_of(client, f"/admin/members/{board['alice'].id}/data")
    assert data["member"]["email"] == ADDRESS and response.headers["Cache-Control"] == "no-store"
    assert "reelboard-alice-" in response.headers["Content-Disposition"]
    members_page = client.get("/admin/members").get_data(as_text=True)
    assert f'/admin/members/{board["alice"].id}/delete' in members_page
    url = f"/admin/members/{board['alice'].id}/delete"
    assert client.get(url).status_code == 200
    assert delete(client, DEFAULT_PASSWORD, url=url).status_code == 422  # alice's password is not the admin's
    assert not fetch(app, User, board["alice"].id).is_deleted
    other_client.log_in(board["alice"])
    response = delete(client, "the admin's own password", posts="remove", url=url)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/members"
    assert fetch(app, User, board["alice"].id).is_deleted
    assert other_client.get("/account").status_code == 303  # her session is over
    assert "alice" not in client.get("/admin/members").get_data(as_text=True)
    assert delete(client, "the admin's own password", url=url).status_code == 410  # twice: nothing more happens
    with app.app_context():
        [entry] = db.session.scalars(db.select(ModAction)).all()
        assert (entry.moderator_id, entry.action, entry.reason) == (admin.id, "delete_account", "posts removed")


def test_admins_cannot_delete_other_admins_or_themselves_here(app, client, board):
    admin, other = make_user(app, "boss", role=Role.ADMIN), make_user(app, "chief", role=Role.ADMIN)
    client.log_in(admin)
    assert delete(client, url=f"/admin/members/{other.id}/delete").status_code == 403
    assert delete(client, url=f"/admin/members/{admin.id}/delete").status_code == 403
    assert not fetch(app, User, other.id).is_deleted and not fetch(app, User, admin.id).is_deleted


def test_the_log_entry_names_no_one(app, client, other_client, board):
    client.log_in(board["alice"])
    assert delete(client).status_code == 303
    with app.app_context():
        [entry] = db.session.scalars(db.select(ModAction)).all()
        assert (entry.action, entry.reason) == ("leave", "posts kept as [deleted member]")
    log = other_client.get("/moderation/log").get_data(as_text=True)
    assert "[deleted member]</span></td>" in log and "deleted their account" in log
    assert "alice" not in log.lower() and ADDRESS not in log and "Bergman" not in log
    assert other_client.get("/moderation/log?moderator=alice").status_code == 200


def test_every_other_name_place_shows_deleted_member(app, client, other_client, board):
    """Bob's inbox, the thread feed, search hits and the "replying to" line: "[deleted member]", never alice."""
    client.log_in(board["alice"])
    assert client.submit(f"/posts/{board['child'].id}/reply", {"body": "Alice again, under bob."}).status_code == 303
    assert delete(client).status_code == 303
    other_client.log_in(board["bob"])
    inbox = other_client.get("/inbox").get_data(as_text=True)
    assert "<bdi>[deleted member]</bdi> replied" in inbox and "alice</bdi>" not in inbox and "alice replied" not in inbox
    feed = other_client.get(f"/threads/{board['bobs_thread'].id}/feed.atom").get_data(as_text=True)
    assert "[deleted member] replied in" in feed and "<name>alice</name>" not in feed
    hits = other_client.get("/search?q=Zone").get_data(as_text=True)
    assert "Reply by [deleted member]" in hits
    assert other_client.get("/search?q=Zone&author=alice").status_code in (200, 422)
    page = other_client.get(f"/threads/{board['bobs_thread'].id}").get_data(as_text=True)
    assert "Alice again, under bob." in page and "/u/alice" not in page


def test_a_kept_page_shows_the_deleted_member_at_once(app, client, other_client, board):
    url = f"/threads/{board['bobs_thread'].id}"
    first = other_client.get(url)
    assert first.status_code == 200 and "@alice</span></a>" in first.get_data(as_text=True)  # her display name and handle
    again = other_client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304  # kept
    client.log_in(board["alice"])
    assert delete(client).status_code == 303
    page = other_client.get(url).get_data(as_text=True)
    assert "@alice" not in page and "Alice Ø." not in page and "[deleted member]" in page


def test_a_double_submitted_delete_is_harmless(app, client, board):
    client.log_in(board["alice"])
    token = client.csrf_token()
    form = {"posts": "keep", "current": DEFAULT_PASSWORD, "csrf_token": token}
    assert client.post("/account/delete", data=form).status_code == 303
    second = client.post("/account/delete", data=form)
    assert second.status_code in (303, 400)  # logged out (or its session's token gone): nothing to act on
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ModAction)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(RetiredName)) == 1


def test_two_sessions_deleting_at_once_delete_once(app, board):
    clients = [app.test_client() for _ in range(2)]
    forms = []
    for each in clients:
        each.log_in(board["alice"])
        forms.append({"posts": "remove", "current": DEFAULT_PASSWORD, "csrf_token": each.csrf_token()})
    statuses, start = [], threading.Barrier(2)

    def submit(each, form):
        start.wait()
        statuses.append(each.post("/account/delete", data=form).status_code)

    workers = [threading.Thread(target=submit, args=pair) for pair in zip(clients, forms)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert len(statuses) == 2 and 303 in statuses and all(status in (303, 400) for status in statuses), statuses
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ModAction)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(RetiredName)) == 1


def test_unsent_mail_to_the_member_goes_with_them(app, client, board):
    with app.app_context():
        from board import mail
        mail.send(ADDRESS, "password_reset", member=db.session.get(User, board["alice"].id), link="http://x/")
        db.session.commit()
    client.log_in(board["alice"])
    assert delete(client).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(OutgoingMail)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                                 .where(Notification.recipient_id == board["alice"].id)) == 0


@pytest.mark.parametrize("who, status", [("visitor", 303), ("member", 403), ("moderator", 403)])
def test_only_the_member_or_an_admin_gets_the_data(app, client, board, who, status):
    if who != "visitor":
        client.log_in(make_user(app, "other", role=Role.MODERATOR if who == "moderator" else Role.MEMBER))
    response = client.get(f"/admin/members/{board['alice'].id}/data")
    assert response.status_code == status and ADDRESS not in response.get_data(as_text=True)
    if who == "visitor":
        assert client.get("/account/data").status_code == 303


def test_exports_are_rate_limited(app, client, board):
    app.config["RATE_LIMITS"] = {"data_exports": "2 per hour"}
    client.log_in(board["alice"])
    assert [client.get("/account/data").status_code for _ in range(3)] == [200, 200, 429]


def test_deletion_attempts_are_rate_limited(app, client, board):
    app.config["RATE_LIMITS"] = {"account_deletions": "2 per hour"}
    client.log_in(board["alice"])
    assert [delete(client, "wrong password").status_code for _ in range(3)] == [422, 422, 429]
    assert not fetch(app, User, board["alice"].id).is_deleted


@pytest.mark.parametrize("bad", [{"posts": "everything", "current": DEFAULT_PASSWORD}, {"posts": "keep", "current": ""},
                                 {"posts": "keep"}, {"current": DEFAULT_PASSWORD, "posts": "x" * 5000}])
def test_bad_delete_forms_are_422_and_change_nothing(app, client, board, bad):
    client.log_in(board["alice"])
    assert client.submit("/account/delete", bad).status_code == 422
    assert not fetch(app, User, board["alice"].id).is_deleted


def test_log_out_everywhere_else_keeps_this_session(app, client, other_client, board):
    client.log_in(board["alice"], remember=True)
    other_client.log_in(board["alice"])
    assert other_client.get("/account").status_code == 200
    response = client.submit("/account/sessions")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    kept = client.get("/account")
    assert kept.status_code == 200 and "You are logged out everywhere else." in kept.get_data(as_text=True)
    gone = other_client.get("/account")
    assert gone.status_code == 303 and gone.headers["Location"].startswith("/login")


def test_the_account_page_gathers_it_all(app, client, board):
    assert client.get("/account").headers["Location"].startswith("/login?next=")
    client.log_in(board["alice"])
    page = client.get("/account").get_data(as_text=True)
    for link in ("/account/email", "/account/notices", "/account/profile", "/account/password", "/account/sessions",
                 "/account/data", "/account/delete", "/u/alice"):
        assert link in page
    assert ADDRESS in page
    assert '<a href="/account" title="Your account' in client.get("/").get_data(as_text=True)


def test_mentions_of_the_member_stay_as_written_without_a_link(app, client, other_client, board):
    mention = make_reply(app, board["thread"].opening_post, board["bob"], "Thanks @alice, and @bob too.")
    assert 'href="/u/alice" class="mention"' in fetch(app, Post, mention.id).body_html
    client.log_in(board["alice"])
    assert delete(client).status_code == 303
    post = fetch(app, Post, mention.id)
    assert post.body_source == "Thanks @alice, and @bob too."  # bob's words are his
    assert "/u/alice" not in post.body_html and 'href="/u/bob" class="mention">@bob</a>' in post.body_html
    page = other_client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert "/u/alice" not in page


def test_moderators_see_no_name_and_no_ban_form_for_a_deleted_member(app, client, other_client, board):
    client.log_in(board["alice"])
    assert delete(client).status_code == 303
    other_client.log_in(make_user(app, "moddy", role=Role.MODERATOR))
    page = other_client.get(f"/threads/{board['bobs_thread'].id}").get_data(as_text=True)
    assert "[deleted member]" in page and "[deleted " + str(board["alice"].id) not in page
    assert "Ban [deleted" not in page and "Ban bob" in page
    assert other_client.submit(f"/members/{board['alice'].id}/ban", {"term": "1", "reason": "r"}).status_code == 410
