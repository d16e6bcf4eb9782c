"""Issue #3 moderation tools: lock, pin with expiry, spoiler marks, bans, roles and the public log."""
import re
from datetime import timedelta

import pytest

from board.extensions import db
from board.models import ModAction, Post, Role, Thread, User, utcnow

from .factories import fetch, make_reply, make_thread, make_user


@pytest.fixture
def board(app):
    author = make_user(app, "author")
    member = make_user(app, "member")
    moderator = make_user(app, "moddy", role=Role.MODERATOR)
    admin = make_user(app, "boss", role=Role.ADMIN)
    thread = make_thread(app, author, "Release night", body="The ending ||twist|| is great.")
    reply = make_reply(app, thread.opening_post, member, "Hot take with the ending in it.")
    return {"author": author, "member": member, "moderator": moderator, "admin": admin, "thread": thread, "reply": reply}


def actions(app):
    with app.app_context():
        return [(entry.action, entry.target_type, entry.reason) for entry in db.session.scalars(db.select(ModAction).order_by(ModAction.id))]


# Lock ------------------------------------------------------------------------------------------------------------------

def test_lock_without_js_closes_replies_and_votes_for_members(app, client, other_client, board):
    client.log_in(board["moderator"])
    response = client.submit(f"/threads/{board['thread'].id}/lock")
    assert response.status_code == 303 and response.headers["Location"] == f"/threads/{board['thread'].id}"
    assert fetch(app, Thread, board["thread"].id).locked is True
    other_client.log_in(board["member"])
    page = other_client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert "This thread takes no new replies or votes." in page
    assert 'id="reply-form-' not in page and ">Reply</a>" not in page and 'id="vote-up-' not in page
    opening = board["thread"].opening_post
    assert other_client.submit(f"/posts/{opening.id}/reply", {"body": "sneaky"}).status_code == 403
    assert other_client.submit(f"/posts/{opening.id}/vote", {"direction": "up"}).status_code == 403
    assert fetch(app, Post, opening.id).score == 0
    assert actions(app) == [("lock", "thread", None)]


def test_moderators_can_still_reply_in_a_locked_thread(app, client, board):
    client.log_in(board["moderator"])
    client.submit(f"/threads/{board['thread'].id}/lock")
    page = client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert "as a moderator you can still reply" in page and f'id="reply-form-{board["thread"].opening_post.id}"' in page
    assert client.submit(f"/posts/{board['reply'].id}/reply", {"body": "Thread locked: take it to DMs."}).status_code == 303


def test_lock_with_htmx_returns_the_head_and_the_reply_area_out_of_band(app, client, board):
    client.log_in(board["moderator"])
    response = client.submit(f"/threads/{board['thread'].id}/lock", htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<header class="thread-head" id="thread-head">')
    assert '<span class="badge badge--locked">Locked</span>' in fragment and "Unlock thread" in fragment
    assert '<div class="join" id="join" hx-swap-oob="true">' in fragment
    response = client.submit(f"/threads/{board['thread'].id}/unlock", htmx=True)
    assert "Lock thread" in response.get_data(as_text=True)
    assert fetch(app, Thread, board["thread"].id).locked is False
    assert [action for action, *_ in actions(app)] == ["lock", "unlock"]


# Pin with an expiry ----------------------------------------------------------------------------------------------------

def test_pin_until_a_date_then_it_unpins_itself(app, client, board):
    other = make_thread(app, board["author"], "Newer thread")
    client.log_in(board["moderator"])
    until = (utcnow() + timedelta(days=2)).date()
    response = client.submit(f"/threads/{board['thread'].id}/pin", {"until": until.isoformat()})
    assert response.status_code == 303
    assert actions(app) == [("pin", "thread", f"until {until:%-d %B %Y} UTC")]
    front = client.get("/?sort=new").get_data(as_text=True)
    assert front.index("Release night") < front.index("Newer thread")
    with app.app_context():  # the date passes
        db.session.get(Thread, board["thread"].id).pinned_until = utcnow() - timedelta(minutes=1)
        db.session.commit()
    front = client.get("/?sort=new").get_data(as_text=True)
    assert front.index("Newer thread") < front.index("Release night")
    assert '<span class="badge badge--pinned">Pinned</span>' not in front
    assert other.id


@pytest.mark.parametrize("until, message", [("2001-01-01", "Choose a date after today."), ("not a date", "Not a valid date value.")])
def test_pin_with_a_bad_date_is_a_form_error(app, client, board, until, message):
    client.log_in(board["moderator"])
    response = client.submit(f"/threads/{board['thread'].id}/pin", {"until": until}, htmx=True)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert fetch(app, Thread, board["thread"].id).pinned is False and actions(app) == []


# Mark as spoiler -------------------------------------------------------------------------------------------------------

def test_mark_as_spoiler_wraps_the_post_for_everyone(app, client, other_client, board):
    client.log_in(board["moderator"])
    reply_id = board["reply"].id
    response = client.submit(f"/posts/{reply_id}/spoiler", htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and '<details class="spoiler-block">' in fragment and "Unmark spoiler" in fragment
    page = other_client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    block = page.split(f'id="post-{reply_id}"', 1)[1].split("</article>", 1)[0]
    assert '<details class="spoiler-block">' in block
    assert block.index("<summary>") < block.index("Hot take with the ending in it.")
    plain = client.submit(f"/posts/{reply_id}/unspoiler")
    assert plain.status_code == 303 and fetch(app, Post, reply_id).marked_spoiler is False
    assert [action for action, *_ in actions(app)] == ["mark_spoiler", "unmark_spoiler"]


# Bans ------------------------------------------------------------------------------------------------------------------

def ban(client, member, term="7", reason="spoiling release night", htmx=False):
    return client.submit(f"/members/{member.id}/ban", {"term": term, "reason": reason}, htmx=htmx)


def test_ban_ends_the_members_session_at_their_next_request_and_login_says_why(app, client, other_client, board):
    other_client.log_in(board["member"])
    client.log_in(board["moderator"])
    response = ban(client, board["member"], term="3", htmx=True)
    assert response.status_code == 200 and "Unban member" in response.get_data(as_text=True)
    first = other_client.get("/").get_data(as_text=True)
    assert "Your account is banned until" in first and "Reason: spoiling release night" in first and "Log in" in first
    assert "Log in" in other_client.get("/").get_data(as_text=True)  # the session stays ended
    login = other_client.submit("/login", {"username": "member", "password": "correct horse battery"})
    assert login.status_code == 422
    text = login.get_data(as_text=True)
    assert "Your account is banned until" in text and "Reason: spoiling release night" in text
    assert actions(app) == [("ban", "user", "3 days — spoiling release night")]


def test_a_banned_members_next_action_is_refused_with_the_reason(app, client, other_client, board):
    other_client.log_in(board["member"])
    token = other_client.csrf_token()
    client.log_in(board["moderator"])
    ban(client, board["member"], term="permanent", reason="flooding")
    refused = other_client.post(f"/posts/{board['thread'].opening_post.id}/vote", data={"direction": "up"},
                                headers={"HX-Request": "true", "X-CSRFToken": token})
    assert refused.status_code == 403
    assert refused.get_data(as_text=True).strip() == (
        '<p class="error-message" data-status="403">Your account is banned permanently. Reason: flooding</p>')
    assert fetch(app, Post, board["thread"].opening_post.id).score == 0
    assert "Log in" in other_client.get("/").get_data(as_text=True)


def test_a_banned_members_next_request_ends_their_session_and_says_why(app, client, board):
    client.log_in(board["member"])
    token = client.csrf_token()
    with app.app_context():
        member = db.session.get(User, board["member"].id)
        member.banned_at, member.banned_until, member.ban_reason = utcnow(), None, "spam"
        db.session.commit()
    response = client.post(f"/posts/{board['thread'].opening_post.id}/reply", data={"body": "one more", "csrf_token": token})
    assert response.status_code == 403
    assert "Your account is banned permanently. Reason: spam" in response.get_data(as_text=True)
    assert "Log in" in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 2


def test_a_banned_member_reading_is_logged_out_with_the_notice(app, client, board):
    client.log_in(board["member"])
    with app.app_context():
        member = db.session.get(User, board["member"].id)
        member.banned_at, member.banned_until, member.ban_reason = utcnow(), utcnow() + timedelta(days=1), "flooding"
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Your account is banned until" in page and "Reason: flooding" in page and "Log in" in page


def test_an_expired_ban_lets_the_member_back(app, client, board):
    with app.app_context():
        member = db.session.get(User, board["member"].id)
        member.banned_at, member.banned_until, member.ban_reason = utcnow() - timedelta(days=8), utcnow() - timedelta(days=1), "x"
        db.session.commit()
    client.log_in(board["member"])
    assert client.submit(f"/posts/{board['thread'].opening_post.id}/vote", {"direction": "up"}).status_code == 303


def test_unban(app, client, board):
    client.log_in(board["moderator"])
    ban(client, board["member"], term="permanent")
    assert fetch(app, User, board["member"].id).is_banned()
    response = client.submit(f"/members/{board['member'].id}/unban")
    assert response.status_code == 303
    assert not fetch(app, User, board["member"].id).is_banned()
    assert [action for action, *_ in actions(app)] == ["ban", "unban"]
    assert actions(app)[0][2] == "permanent — spoiling release night"


def test_ban_needs_a_reason_and_a_known_term(app, client, board):
    client.log_in(board["moderator"])
    response = ban(client, board["member"], reason="", htmx=True)
    assert response.status_code == 422 and "Say why: the member will see it." in response.get_data(as_text=True)
    assert ban(client, board["member"], term="forever").status_code == 422
    assert not fetch(app, User, board["member"].id).is_banned() and actions(app) == []


@pytest.mark.parametrize(
    "actor, target, status",
    [("moderator", "member", 303), ("moderator", "moderator2", 403), ("moderator", "admin", 403),
     ("admin", "moderator2", 303), ("admin", "admin", 403), ("member", "author", 403)],
)
def test_who_may_ban_whom(app, client, board, actor, target, status):
    board["moderator2"] = make_user(app, "mod2", role=Role.MODERATOR)
    client.log_in(board[actor])
    assert ban(client, board[target]).status_code == status
    assert fetch(app, User, board[target].id).is_banned() is (status == 303)


def test_ban_controls_appear_on_posts_for_moderators_only(app, client, other_client, board):
    client.log_in(board["moderator"])
    page = client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)
    assert f'action="/members/{board["member"].id}/ban"' in page
    other_client.log_in(board["member"])
    assert "/ban" not in other_client.get(f"/threads/{board['thread'].id}").get_data(as_text=True)


# Roles and the members page --------------------------------------------------------------------------------------------

def test_admin_members_page_lists_counts_and_karma_with_filters(app, client, board):
    make_reply(app, board["reply"], board["author"], "Another from the author")
    with app.app_context():
        db.session.get(Post, board["thread"].opening_post.id).score = 5
        db.session.commit()
    client.log_in(board["admin"])
    page = client.get("/admin/members").get_data(as_text=True)
    row = page.split('id="member-%d"' % board["author"].id, 1)[1].split("</tr>", 1)[0]
    assert "<td>2</td>" in row and "<td>5</td>" in row  # two posts, karma 5
    filtered = client.get("/admin/members?q=MOD").get_data(as_text=True)
    assert "moddy" in filtered and ">author<" not in filtered
    by_role = client.get("/admin/members?role=admin").get_data(as_text=True)
    assert "boss" in by_role and "moddy" not in by_role
    assert client.get("/admin/members?q=%25").status_code == 200  # LIKE wildcards are taken literally
    assert "No members match." in client.get("/admin/members?q=%25").get_data(as_text=True)
    assert client.get("/admin/members?role=emperor").status_code == 400


def test_admin_changes_a_role_in_place_and_it_is_logged(app, client, board):
    client.log_in(board["admin"])
    response = client.submit(f"/admin/members/{board['member'].id}/role", {"role": "moderator"}, htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.lstrip().startswith(f'<tr id="member-{board["member"].id}">')
    assert fetch(app, User, board["member"].id).role == "moderator"
    plain = client.submit(f"/admin/members/{board['member'].id}/role", {"role": "member"})
    assert plain.status_code == 303
    assert actions(app) == [("role", "user", "member → moderator"), ("role", "user", "moderator → member")]
    assert client.submit(f"/admin/members/{board['admin'].id}/role", {"role": "member"}).status_code == 403
    assert client.submit(f"/admin/members/{board['member'].id}/role", {"role": "emperor"}).status_code == 400


@pytest.mark.parametrize("who, status", [("anonymous", 303), ("member", 403), ("moderator", 403), ("admin", 200)])
def test_members_page_is_for_admins(app, client, board, who, status):
    if who != "anonymous":
        client.log_in(board[who])
    assert client.get("/admin/members").status_code == status


# The public log --------------------------------------------------------------------------------------------------------

def test_public_log_lists_every_action_without_quoting_hidden_content(app, client, other_client, board):
    client.log_in(board["moderator"])
    client.submit(f"/posts/{board['reply'].id}/hide", {"reason": "spoiler in a reply"})
    client.submit(f"/threads/{board['thread'].id}/lock")
    ban(client, board["member"], term="1", reason="repeat spoilers")
    page = other_client.get("/moderation/log").get_data(as_text=True)
    assert "Hot take with the ending in it." not in page and "twist" not in page
    assert f'<a href="/posts/{board["reply"].id}">a reply by member in “Release night”</a>' in page
    assert f'locked <a href="/threads/{board["thread"].id}">thread “Release night”</a>' in page
    assert 'banned <a href="/u/member">member member</a>' in page and "1 day — repeat spoilers" in page
    name = board["moderator"].username
    assert page.count(f'<td class="log__name"><a href="/u/{name}">{name}</a></td>') == 3  # names link to profiles
    table = page.split("<tbody>", 1)[1]
    assert table.index("banned <a") < table.index("locked <a") < table.index("hid <a")  # newest first
    only_bans = other_client.get("/moderation/log?action=ban").get_data(as_text=True)
    assert "banned <a" in only_bans and "locked <a" not in only_bans
    by_someone_else = other_client.get("/moderation/log?moderator=boss").get_data(as_text=True)
    assert ('No moderation actions match these filters. <a href="/moderation/log">Show every action</a>.'
            in by_someone_else)
    assert other_client.get("/moderation/log?action=explode").status_code == 400
    action_filter = page.split('id="log-action"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="[a-z_]+"[^>]*>([^<]+)</option>', action_filter)
    assert len(options) == len(set(options)) == len(ModAction.LABELS)  # each action once, by a name of its own
    assert "Hid a post" in options and "Hid a film review" in options


def test_public_log_does_not_name_a_hidden_thread(app, client, other_client, board):
    client.log_in(board["moderator"])
    client.submit(f"/posts/{board['thread'].opening_post.id}/hide", {"reason": "doxxing"})
    page = other_client.get("/moderation/log").get_data(as_text=True)
    assert "Release night" not in page and "opening post by author in a hidden thread" in page


def test_public_log_paginates_with_constant_statements(app, client, count_queries, board):
    with app.app_context():
        moderator = db.session.get(User, board["moderator"].id)
        thread = db.session.get(Thread, board["thread"].id)
        for number in range(120):
            ModAction.record(moderator, ModAction.PIN if number % 2 else ModAction.UNPIN, thread)
        db.session.commit()
    counts = []
    for page_number in (1, 3):
        with count_queries() as counter:
            response = client.get(f"/moderation/log?page={page_number}")
        assert response.status_code == 200
        counts.append(counter.count)
    assert "Page 1 of 3" in client.get("/moderation/log").get_data(as_text=True)
    assert counts[0] == counts[1] <= 5
