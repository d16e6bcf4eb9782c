"""Editing a post (in place and without JS), deleting your own, and reading a post's edit history."""
import random
import time

import pytest

from board.diffs import collapse, has_changes, tokenize, word_diff
from board.extensions import db
from board.models import ModAction, Post, PostRevision, Role, Thread, User

from .factories import fetch, make_reply, make_thread, make_user


@pytest.fixture
def conversation(app):
    """An author's thread with a reply from a second member; a third member and a moderator to act."""
    author, replier, reader = make_user(app, "author"), make_user(app, "replier"), make_user(app, "reader")
    moderator = make_user(app, "moderator", role=Role.MODERATOR)
    thread = make_thread(app, author, "A thread", body="The opening essay.")
    reply = make_reply(app, thread.opening_post, replier, "A first reply")
    return {"author": author, "replier": replier, "reader": reader, "moderator": moderator,
            "thread": thread, "opening": thread.opening_post, "reply": reply}


def revisions_of(app, post) -> list[PostRevision]:
    with app.app_context():
        return db.session.scalars(db.select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id)).all()


def mod_actions(app) -> list[tuple[str, str, int, int]]:
    with app.app_context():
        return [(a.action, a.target_type, a.target_id, a.moderator_id) for a in db.session.scalars(db.select(ModAction))]


def edit(client, post, body, title=None, htmx=False):
    data = {"body": body} | ({"title": title} if title is not None else {})
    return client.submit(f"/posts/{post.id}/edit", data, htmx=htmx)


def edit_directly(app, post, editor, *bodies):
    """Edits made straight through the model, for building a history quickly."""
    with app.app_context():
        record, who = db.session.get(Post, post.id), db.session.get(User, editor.id)
        for body in bodies:
            record.edit(who, body)
        db.session.commit()


# Editing: the form -----------------------------------------------------------------------------------------------------

def test_edit_form_opens_in_place_with_htmx_and_as_a_page_without(app, client, conversation):
    client.log_in(conversation["replier"])
    reply_id = conversation["reply"].id
    fragment = client.htmx_get(f"/posts/{reply_id}/edit").get_data(as_text=True)
    assert fragment.lstrip().startswith(f'<form class="edit-form stack" id="edit-form-{reply_id}"')
    assert "<html" not in fragment
    assert f'hx-post="/posts/{reply_id}/edit" hx-target="#post-{reply_id}" hx-swap="outerHTML"' in fragment
    assert f'<label for="edit-body-{reply_id}">' in fragment and "A first reply</textarea>" in fragment
    assert f'aria-describedby="edit-body-{reply_id}-hint edit-body-{reply_id}-count"' in fragment and "autofocus" in fragment
    assert 'name="title"' not in fragment  # a reply has no title
    assert f'href="/posts/{reply_id}" data-cancel-reply>Cancel</a>' in fragment
    page = client.get(f"/posts/{reply_id}/edit").get_data(as_text=True)
    assert "<html" in page and "Edit your post" in page and "A first reply</textarea>" in page
    form_tag = page.split('<form class="edit-form', 1)[1].split(">", 1)[0]
    assert "hx-post" not in form_tag  # the page's form is a plain form (only its Preview button swaps in place)
    assert f'action="/posts/{reply_id}/edit"' in page


def test_edit_form_for_an_opening_post_has_the_title_prefilled(app, client, conversation):
    client.log_in(conversation["author"])
    page = client.get(f"/posts/{conversation['opening'].id}/edit").get_data(as_text=True)
    opening_id = conversation["opening"].id
    assert f'<label for="edit-title-{opening_id}">Title</label>' in page
    assert 'name="title"' in page and 'value="A thread"' in page
    assert "The opening essay.</textarea>" in page


def test_the_edit_link_shows_only_for_those_who_may_edit(app, client, conversation):
    thread_url = f"/threads/{conversation['thread'].id}"
    reply_id = conversation["reply"].id
    edit_link = f'hx-get="/posts/{reply_id}/edit" hx-target="#reply-slot-{reply_id}"'
    client.log_in(conversation["reader"])
    assert edit_link not in client.get(thread_url).get_data(as_text=True)
    client.log_in(conversation["replier"])
    assert edit_link in client.get(thread_url).get_data(as_text=True)


# Editing: saving -------------------------------------------------------------------------------------------------------

def test_edit_without_js_redirects_to_the_post_and_keeps_the_old_version(app, client, conversation):
    client.log_in(conversation["replier"])
    reply = conversation["reply"]
    response = edit(client, reply, "A *better* reply")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/threads/{conversation['thread'].id}#post-{reply.id}"
    stored = fetch(app, Post, reply.id)
    assert (stored.body_source, stored.body_html) == ("A *better* reply", "<p>A <em>better</em> reply</p>\n")
    assert stored.edited_at is not None and not stored.edited_by_moderator
    [revision] = revisions_of(app, reply)
    assert (revision.body_source, revision.body_html) == ("A first reply", "<p>A first reply</p>\n")
    assert (revision.editor_id, revision.replaced_by_moderator, revision.title) == (conversation["replier"].id, False, None)
    assert mod_actions(app) == []  # an author's own edit is not a moderation action
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Post updated." in page and "<em>better</em>" in page


def test_edit_with_htmx_returns_the_post_as_it_now_reads(app, client, conversation):
    client.log_in(conversation["replier"])
    reply = conversation["reply"]
    response = edit(client, reply, "Edited in place", htmx=True)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<article class="post"')
    assert f'id="post-{reply.id}"' in fragment and "<p>Edited in place</p>" in fragment
    assert f'<a class="post__edited" href="/posts/{reply.id}/history">edited</a>' in fragment  # marker → history
    assert "thread-title" not in fragment  # a reply's edit leaves the thread's heading alone
    assert "HX-Request" in response.headers["Vary"]
    assert fetch(app, Post, reply.id).body_source == "Edited in place"


def test_the_edited_marker_on_the_thread_page_links_to_the_history(app, client, conversation):
    client.log_in(conversation["author"])
    edit(client, conversation["opening"], "The opening essay, revised.", title="A thread")
    page = client.get(f"/threads/{conversation['thread'].id}").get_data(as_text=True)
    assert f'<a class="post__edited" href="/posts/{conversation["opening"].id}/history">edited <time' in page


def test_title_edit_on_an_opening_post_updates_the_thread_and_its_heading(app, client, conversation):
    client.log_in(conversation["author"])
    opening = conversation["opening"]
    response = edit(client, opening, "The opening essay.", title="  A  better\ntitle ", htmx=True)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert '<h1 id="thread-title" dir="auto" hx-swap-oob="true">A better title</h1>' in fragment
    assert fetch(app, Thread, conversation["thread"].id).title == "A better title"
    [revision] = revisions_of(app, opening)
    assert (revision.title, revision.body_source) == ("A thread", "The opening essay.")
    plain = edit(client, opening, "The opening essay.", title="A thread")
    assert plain.status_code == 303 and fetch(app, Thread, conversation["thread"].id).title == "A thread"


def test_an_unchanged_submission_stores_no_revision(app, client, conversation):
    client.log_in(conversation["replier"])
    response = edit(client, conversation["reply"], "A first reply")
    assert response.status_code == 303
    assert revisions_of(app, conversation["reply"]) == []
    assert fetch(app, Post, conversation["reply"].id).edited_at is None
    assert "Nothing changed." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_browser_newlines_do_not_count_as_a_change(app, client, conversation):
    client.log_in(conversation["replier"])
    edit(client, conversation["reply"], "Two\nlines")
    edit(client, conversation["reply"], "Two\r\nlines")
    assert len(revisions_of(app, conversation["reply"])) == 1


def test_moderator_edit_is_marked_and_logged(app, client, conversation):
    client.log_in(conversation["moderator"])
    reply = conversation["reply"]
    form = client.htmx_get(f"/posts/{reply.id}/edit").get_data(as_text=True)
    assert "editing replier’s post as a moderator" in form
    response = edit(client, reply, "Spoiler removed by the moderators.", htmx=True)
    assert response.status_code == 200
    assert "edited by a moderator</a>" in response.get_data(as_text=True)
    stored = fetch(app, Post, reply.id)
    assert stored.edited_by_moderator and stored.body_source == "Spoiler removed by the moderators."
    [revision] = revisions_of(app, reply)
    assert revision.replaced_by_moderator and revision.editor_id == conversation["moderator"].id
    assert mod_actions(app) == [("edit", "post", reply.id, conversation["moderator"].id)]
    history = client.get(f"/posts/{reply.id}/history").get_data(as_text=True)
    assert "replaced" in history and "by moderator" in history
    assert '<span class="badge badge--mod-edit">Edited by a moderator</span>' in history


@pytest.mark.parametrize("htmx", [False, True])
def test_a_member_cannot_edit_someone_elses_post(app, client, conversation, htmx):
    client.log_in(conversation["reader"])
    reply = conversation["reply"]
    get = client.htmx_get(f"/posts/{reply.id}/edit") if htmx else client.get(f"/posts/{reply.id}/edit")
    assert get.status_code == 403
    assert edit(client, reply, "Vandalised", htmx=htmx).status_code == 403
    assert fetch(app, Post, reply.id).body_source == "A first reply"
    assert revisions_of(app, reply) == []


def test_an_author_cannot_edit_a_post_once_hidden_but_a_moderator_can(app, client, other_client, conversation):
    reply = conversation["reply"]
    with app.app_context():
        db.session.get(Post, reply.id).hide(db.session.get(User, conversation["moderator"].id), "off-topic")
        db.session.commit()
    client.log_in(conversation["replier"])
    assert edit(client, reply, "Sneaky").status_code == 403
    other_client.log_in(conversation["moderator"])
    assert edit(other_client, reply, "Tidied").status_code == 303
    assert fetch(app, Post, reply.id).body_source == "Tidied"


def test_anonymous_edit_goes_to_login(app, client, conversation):
    reply = conversation["reply"]
    thread_url = f"/threads/{conversation['thread'].id}"
    page = client.get(f"/posts/{reply.id}/edit")
    assert page.status_code == 303 and page.headers["Location"] == f"/login?next=/posts/{reply.id}/edit"
    plain = client.submit(f"/posts/{reply.id}/edit", {"body": "x"}, headers={"Referer": f"http://localhost{thread_url}"})
    assert plain.status_code == 303 and plain.headers["Location"] == f"/login?next={thread_url}"
    htmx = client.submit(f"/posts/{reply.id}/edit", {"body": "x"}, htmx=True,
                         headers={"HX-Current-URL": f"http://localhost{thread_url}"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == f"/login?next={thread_url}"
    assert htmx.get_data() == b""
    assert fetch(app, Post, reply.id).body_source == "A first reply"


def test_unknown_post_is_404_for_edit_delete_and_history(app, client, conversation):
    client.log_in(conversation["author"])
    assert client.get("/posts/9999/edit").status_code == 404
    assert client.htmx_get("/posts/9999/edit").status_code == 404
    assert client.submit("/posts/9999/edit", {"body": "x"}).status_code == 404
    assert client.submit("/posts/9999/delete").status_code == 404
    assert client.get("/posts/9999/history").status_code == 404


@pytest.mark.parametrize(
    "body, message",
    [("", "This can&#39;t be empty."), (" \n\t ", "This can&#39;t be empty."),
     ("é" * 100_001, "At most 100,000 characters; this has 100,001. Shorten it by 1.")],
)
def test_a_bad_body_shows_the_error_next_to_the_field_and_stores_nothing(app, client, conversation, body, message):
    client.log_in(conversation["replier"])
    reply = conversation["reply"]
    htmx = edit(client, reply, body, htmx=True)
    assert htmx.status_code == 422
    assert htmx.headers["HX-Retarget"] == "this" and htmx.headers["HX-Reswap"] == "outerHTML"
    fragment = htmx.get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<form class="edit-form stack"')
    assert f'hx-post="/posts/{reply.id}/edit"' in fragment  # still submits in place
    assert f'<p class="field-error" id="edit-body-{reply.id}-error">{message}</p>' in fragment
    assert f'aria-describedby="edit-body-{reply.id}-hint edit-body-{reply.id}-count edit-body-{reply.id}-error"' in fragment
    assert 'aria-invalid="true"' in fragment
    plain = edit(client, reply, body)
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True) and message in plain.get_data(as_text=True)
    assert fetch(app, Post, reply.id).body_source == "A first reply"
    assert revisions_of(app, reply) == []


def test_an_over_long_edit_keeps_what_was_typed(app, client, conversation):
    client.log_in(conversation["replier"])
    body = "word " * 20_001
    response = edit(client, conversation["reply"], body, htmx=True)
    assert response.status_code == 422 and body.strip() in response.get_data(as_text=True)


@pytest.mark.parametrize("title, message", [("", "Give the thread a title."), ("x" * 201, "At most 200 characters; this has 201. Shorten it by 1.")])
def test_a_bad_title_is_refused_with_its_message(app, client, conversation, title, message):
    client.log_in(conversation["author"])
    opening = conversation["opening"]
    response = edit(client, opening, "New text", title=title, htmx=True)
    assert response.status_code == 422
    assert f'<p class="field-error" id="edit-title-{opening.id}-error">{message}</p>' in response.get_data(as_text=True)
    assert fetch(app, Post, opening.id).body_source == "The opening essay."
    assert fetch(app, Thread, conversation["thread"].id).title == "A thread"


# Deleting your own post ------------------------------------------------------------------------------------------------

def test_delete_without_js_redirects_and_leaves_a_placeholder_for_others(app, client, other_client, conversation):
    reply = conversation["reply"]
    answer = make_reply(app, reply, conversation["author"], "An answer to the first reply")
    client.log_in(conversation["replier"])
    response = client.submit(f"/posts/{reply.id}/delete")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/threads/{conversation['thread'].id}#post-{reply.id}"
    stored = fetch(app, Post, reply.id)
    assert stored.deleted and stored.deleted_at is not None and stored.body_source == "A first reply"
    assert mod_actions(app) == []  # deleting your own post is not a moderation action
    other_client.log_in(conversation["reader"])
    page = other_client.get(f"/threads/{conversation['thread'].id}").get_data(as_text=True)
    assert '<p class="post__placeholder">[deleted]</p>' in page and "A first reply" not in page
    # the reply to it keeps its place, under the placeholder
    assert page.index(f'id="post-{reply.id}"') < page.index(f'id="post-{answer.id}"')
    assert "An answer to the first reply" in page


def test_delete_with_htmx_returns_the_placeholder_even_to_the_author(app, client, conversation):
    client.log_in(conversation["replier"])
    reply = conversation["reply"]
    response = client.submit(f"/posts/{reply.id}/delete", htmx=True)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and f'id="post-{reply.id}"' in fragment and "is-deleted" in fragment
    assert '<p class="post__placeholder">[deleted]</p>' in fragment and "A first reply" not in fragment


def test_moderators_still_see_a_deleted_posts_source(app, client, conversation):
    client.log_in(conversation["replier"])
    client.submit(f"/posts/{conversation['reply'].id}/delete")
    client.log_in(conversation["moderator"])
    page = client.get(f"/threads/{conversation['thread'].id}").get_data(as_text=True)
    assert "A first reply" in page and "Deleted by its author." in page
    assert "A first reply" in client.get(f"/posts/{conversation['reply'].id}/history").get_data(as_text=True)


@pytest.mark.parametrize("who", ["reader", "moderator"])
def test_deleting_someone_elses_post_is_403(app, client, conversation, who):
    client.log_in(conversation[who])
    reply = conversation["reply"]
    assert client.submit(f"/posts/{reply.id}/delete").status_code == 403
    assert client.submit(f"/posts/{reply.id}/delete", htmx=True).status_code == 403
    assert not fetch(app, Post, reply.id).deleted


def test_anonymous_delete_goes_to_login(app, client, conversation):
    reply = conversation["reply"]
    assert client.submit(f"/posts/{reply.id}/delete").status_code == 303
    htmx = client.submit(f"/posts/{reply.id}/delete", htmx=True)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login?next=")
    assert not fetch(app, Post, reply.id).deleted


def test_a_deleted_post_can_no_longer_be_edited_by_its_author(app, client, conversation):
    client.log_in(conversation["replier"])
    client.submit(f"/posts/{conversation['reply'].id}/delete")
    assert client.get(f"/posts/{conversation['reply'].id}/edit").status_code == 403
    assert client.submit(f"/posts/{conversation['reply'].id}/delete").status_code == 403  # already gone


# The edit history ------------------------------------------------------------------------------------------------------

def test_history_lists_every_version_newest_first_with_diffs(app, client, conversation):
    reply = conversation["reply"]
    edit_directly(app, reply, conversation["replier"], "A first reply, expanded", "A second reply, expanded")
    page = client.get(f"/posts/{reply.id}/history").get_data(as_text=True)
    current, second, original = (page.index(f'id="version-{n}"') for n in (3, 2, 1))
    assert current < second < original
    assert "Current version" in page and "Version 1 (the original)" in page
    assert "<p>A second reply, expanded</p>" in page and "<p>A first reply</p>" in page
    assert '<div class="diff">A <del>first</del><ins>second</ins> reply, expanded</div>' in page
    assert '<div class="diff">A first reply<ins>, expanded</ins></div>' in page
    assert page.count("replaced <time") == 2 and "by replier" in page
    assert f'href="/posts/{reply.id}">← Back to the post</a>' in page
    assert "badge--mod-edit" not in page


def test_history_of_an_unedited_post_is_just_the_current_version(app, client, conversation):
    page = client.get(f"/posts/{conversation['reply'].id}/history")
    assert page.status_code == 200
    assert "1 version, newest first" in page.get_data(as_text=True) and 'class="diff"' not in page.get_data(as_text=True)


def test_history_shows_title_changes_of_an_opening_post(app, client, conversation):
    client.log_in(conversation["author"])
    edit(client, conversation["opening"], "The opening essay.", title="A much better thread")
    page = client.get(f"/posts/{conversation['opening'].id}/history").get_data(as_text=True)
    assert '<div class="diff diff--title">A <ins>much better </ins>thread</div>' in page
    assert "The text stayed the same; only the title changed." in page
    assert page.index("A much better thread</bdi></p>") < page.index('<span class="visually-hidden">Thread title: </span><bdi>A thread</bdi></p>')


def test_history_escapes_html_typed_into_posts(app, client, conversation):
    reply = conversation["reply"]
    edit_directly(app, reply, conversation["replier"], 'A first reply <script>alert("x")</script> <b>bold</b>')
    page = client.get(f"/posts/{reply.id}/history").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "<ins> &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;</ins>" in page


def test_history_collapses_long_unchanged_stretches(app, client, conversation):
    reply = conversation["reply"]
    words = [f"word{n}" for n in range(60)]
    edit_directly(app, reply, conversation["replier"], " ".join(words))
    edit_directly(app, reply, conversation["replier"], " ".join(words[:30] + ["CHANGED"] + words[31:]))
    page = client.get(f"/posts/{reply.id}/history").get_data(as_text=True)
    diff = page.split('id="version-2"')[1].split('<div class="diff">')[1].split("</div>")[0]
    assert "word24 word25 word26 word27 word28 word29 <del>word30</del><ins>CHANGED</ins> word31 word32" in diff
    assert diff.count("(unchanged text left out)") == 2 and "word10" not in diff and "word50" not in diff


def test_history_keeps_spoilers_behind_a_click(app, client, conversation):
    reply = conversation["reply"]
    edit_directly(app, reply, conversation["replier"], "A first reply: ||he dies||")
    page = client.get(f"/posts/{reply.id}/history").get_data(as_text=True)
    changes = page.split('class="version__changes"')[1]
    assert changes.index('<details class="spoiler-block">') < changes.index("<ins>: ||he dies||</ins>")


@pytest.mark.parametrize("removal", ["hidden", "deleted"])
def test_history_of_a_removed_post_is_404_for_members_and_visitors(app, client, conversation, removal):
    reply = conversation["reply"]
    edit_directly(app, reply, conversation["replier"], "Something regrettable")
    with app.app_context():
        setattr(db.session.get(Post, reply.id), removal, True)
        db.session.commit()
    assert client.get(f"/posts/{reply.id}/history").status_code == 404
    client.log_in(conversation["reader"])
    response = client.get(f"/posts/{reply.id}/history")
    assert response.status_code == 404 and "regrettable" not in response.get_data(as_text=True)
    client.log_in(conversation["moderator"])
    assert "Something regrettable" in client.get(f"/posts/{reply.id}/history").get_data(as_text=True)


def test_the_author_still_sees_the_history_of_their_hidden_post(app, client, conversation):
    reply = conversation["reply"]
    with app.app_context():
        db.session.get(Post, reply.id).hide(db.session.get(User, conversation["moderator"].id), "off-topic")
        db.session.commit()
    client.log_in(conversation["replier"])
    page = client.get(f"/posts/{reply.id}/history").get_data(as_text=True)
    assert "A first reply" in page and "Only you and the moderators can see this." in page


HISTORY_BUDGET = {"anonymous": 2, "member": 3}  # the post (with author and thread), its revisions (+ session user)


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_history_page_runs_the_same_few_statements_for_2_and_20_revisions(app, client, count_queries, conversation, viewer):
    if viewer == "member":
        client.log_in(conversation["reader"])
    counts = []
    for edits in (2, 20):
        thread = make_thread(app, conversation["author"], f"Budget {edits}")
        post = thread.opening_post
        edit_directly(app, post, conversation["author"], *(f"Version {n} of the essay." for n in range(edits - 1)))
        edit_directly(app, post, conversation["moderator"], "The moderators' version.")
        with count_queries() as counter:
            page = client.get(f"/posts/{post.id}/history")
        assert page.status_code == 200 and page.get_data(as_text=True).count('class="version"') == edits + 1
        counts.append(counter.count)
    assert counts == [HISTORY_BUDGET[viewer]] * 2


# Who may do what: each route × who asks → status and effect ------------------------------------------------------------

EDIT_ROLES = ["anonymous", "member", "author", "banned author", "moderator", "admin"]
LOGIN = "login"  # sent to log in: a 303 to the login page, or for htmx a 401 with HX-Redirect
DONE = "done"  # a 303 back to the post, or for htmx a 200 fragment


def act_as(app, client, conversation, role) -> str | None:
    """Log in as `role`, returning a CSRF token; the banned author is banned after logging in, mid-session."""
    if role == "anonymous":
        return None
    users = {"member": conversation["reader"], "author": conversation["replier"], "banned author": conversation["replier"],
             "moderator": conversation["moderator"], "admin": make_user(app, "boss", role=Role.ADMIN)}
    client.log_in(users[role])
    token = client.csrf_token()
    if role == "banned author":
        with app.app_context():
            db.session.get(User, users[role].id).ban(db.session.get(User, conversation["moderator"].id), 3, "flooding")
            db.session.commit()
    return token


def reply_body(app, conversation):
    return fetch(app, Post, conversation["reply"].id).body_source


def reply_deleted(app, conversation):
    return fetch(app, Post, conversation["reply"].id).deleted


def hide_reply(app, conversation):
    with app.app_context():
        db.session.get(Post, conversation["reply"].id).hidden = True
        db.session.commit()


# route, method, form, setup, measure, {role: (status, measured value after)}.
# A banned member's session ends at their next request: a read goes on as a visitor's, an action is refused (403).
UNCHANGED, EDITED = "A first reply", "Matrix edit"
EDIT_MATRIX = {
    "edit form": ("/posts/{reply}/edit", "GET", None, None, reply_body, {
        "anonymous": (LOGIN, UNCHANGED), "member": (403, UNCHANGED), "author": (200, UNCHANGED),
        "banned author": (LOGIN, UNCHANGED), "moderator": (200, UNCHANGED), "admin": (200, UNCHANGED)}),
    "edit": ("/posts/{reply}/edit", "POST", {"body": EDITED}, None, reply_body, {
        "anonymous": (LOGIN, UNCHANGED), "member": (403, UNCHANGED), "author": (DONE, EDITED),
        "banned author": (403, UNCHANGED), "moderator": (DONE, EDITED), "admin": (DONE, EDITED)}),
    # A preview (board/previews.py) is asked like an edit and changes nothing.
    "preview edit": ("/posts/{reply}/edit", "POST", {"body": EDITED, "preview": "edit-body"}, None, reply_body, {
        "anonymous": (LOGIN, UNCHANGED), "member": (403, UNCHANGED), "author": (200, UNCHANGED),
        "banned author": (403, UNCHANGED), "moderator": (200, UNCHANGED), "admin": (200, UNCHANGED)}),
    "quote form": ("/posts/{reply}/reply?quote=1", "GET", None, None, reply_body, {
        "anonymous": (LOGIN, UNCHANGED), "member": (200, UNCHANGED), "author": (200, UNCHANGED),
        "banned author": (LOGIN, UNCHANGED), "moderator": (200, UNCHANGED), "admin": (200, UNCHANGED)}),
    "delete": ("/posts/{reply}/delete", "POST", {}, None, reply_deleted, {
        "anonymous": (LOGIN, False), "member": (403, False), "author": (DONE, True),
        "banned author": (403, False), "moderator": (403, False), "admin": (403, False)}),
    "history": ("/posts/{reply}/history", "GET", None, None, reply_body, {
        "anonymous": (200, UNCHANGED), "member": (200, UNCHANGED), "author": (200, UNCHANGED),
        "banned author": (200, UNCHANGED), "moderator": (200, UNCHANGED), "admin": (200, UNCHANGED)}),
    "history of a hidden post": ("/posts/{reply}/history", "GET", None, hide_reply, reply_body, {
        "anonymous": (404, UNCHANGED), "member": (404, UNCHANGED), "author": (200, UNCHANGED),
        "banned author": (404, UNCHANGED), "moderator": (200, UNCHANGED), "admin": (200, UNCHANGED)}),
}
EDIT_CASES = [(action, role) for action in EDIT_MATRIX for role in EDIT_ROLES]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action, role", EDIT_CASES, ids=[f"{a}-{r}" for a, r in EDIT_CASES])
def test_authorization_matrix_for_editing_deleting_and_history(app, client, conversation, action, role, htmx):
    url, method, form, setup, measure, expected = EDIT_MATRIX[action]
    if setup:
        setup(app, conversation)
    token = act_as(app, client, conversation, role)
    url = url.format(reply=conversation["reply"].id)
    headers = {"HX-Request": "true"} if htmx else {}
    if method == "GET":
        response = client.get(url, headers=headers)
    elif token is None:
        response = client.submit(url, form, htmx=htmx)
    else:  # with the token fetched before any ban, so a banned member's request arrives as they sent it
        response = client.post(url, data=form if htmx else {**form, "csrf_token": token},
                               headers={**headers, "X-CSRFToken": token} if htmx else {})
    status, effect = expected[role]
    if status == LOGIN:
        assert response.status_code == (401 if htmx else 303)
        assert (response.headers["HX-Redirect"] if htmx else response.headers["Location"]).startswith("/login?next=")
    elif status == DONE:
        assert response.status_code == (200 if htmx else 303)
        assert htmx or response.headers["Location"] == f"/threads/{conversation['thread'].id}#post-{conversation['reply'].id}"
    else:
        assert response.status_code == status
    assert response.headers.get("Cache-Control") == (None if role == "anonymous" else "no-store")  # ASVS 14.3.2
    assert measure(app, conversation) == effect


# board/diffs.py --------------------------------------------------------------------------------------------------------

def reassemble(segments):
    old = "".join(text for kind, text in segments if kind != "added")
    new = "".join(text for kind, text in segments if kind != "removed")
    return old, new


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("same words", "same words", [("same", "same words")]),
        ("", "new", [("added", "new")]),
        ("old", "", [("removed", "old")]),
        ("I loved it.", "I hated it.", [("same", "I "), ("removed", "loved"), ("added", "hated"), ("same", " it.")]),
        # neighbouring changed words become one change, not words interleaved with shared spaces
        ("one two three four", "one TWO THREE four",
         [("same", "one "), ("removed", "two three"), ("added", "TWO THREE"), ("same", " four")]),
        # ...but a paragraph break keeps changes in two paragraphs apart
        ("a b\n\nc d", "x y\n\nz w",
         [("removed", "a b"), ("added", "x y"), ("same", "\n\n"), ("removed", "c d"), ("added", "z w")]),
        ("The end.\n\nGreat film.", "The end.\n\nGreat film.\n\nP.S. the score!",
         [("same", "The end.\n\nGreat film."), ("added", "\n\nP.S. the score!")]),
        ("a <b> c", "a <i> c", [("same", "a <"), ("removed", "b"), ("added", "i"), ("same", "> c")]),
        # words and Markdown marks are tokens of their own
        ("says *nothing*, and", "says *everything*, and",
         [("same", "says *"), ("removed", "nothing"), ("added", "everything"), ("same", "*, and")]),
    ],
)
def test_word_diff(old, new, expected):
    assert word_diff(old, new) == expected
    assert reassemble(expected) == (old, new)


def test_word_diff_always_reassembles_both_versions():
    rng = random.Random(3)
    pieces = ["film", "scene", "the", "||spoiler||", "*", "\n", "\n\n", " ", "  ", "end."]
    for _ in range(500):
        old, new = ("".join(rng.choice(pieces) for _ in range(rng.randrange(20))) for _ in range(2))
        segments = word_diff(old, new)
        assert reassemble(segments) == (old, new)
        assert all(kind in ("same", "added", "removed") and text for kind, text in segments)
        assert all(a[0] != b[0] for a, b in zip(segments, segments[1:]))  # neighbours of one kind are merged


def test_word_diff_of_a_long_post_with_a_small_edit_is_quick_and_small():
    paragraphs = [" ".join(f"p{p}w{w}" for w in range(80)) for p in range(60)]  # ~36,000 characters
    old = "\n\n".join(paragraphs)
    new = old.replace("p30w40", "EDITED")
    started = time.perf_counter()
    segments = word_diff(old, new)
    assert time.perf_counter() - started < 1
    assert [s for s in segments if s[0] != "same"] == [("removed", "p30w40"), ("added", "EDITED")]


def test_collapse_keeps_a_few_words_around_each_change():
    words = [f"w{n}" for n in range(40)]
    segments = word_diff(" ".join(words), " ".join(words[:20] + ["X"] + words[21:]))
    assert collapse(segments, context=3) == [
        ("gap", "…"), ("same", "w17 w18 w19 "), ("removed", "w20"), ("added", "X"), ("same", " w21 w22 w23"), ("gap", "…"),
    ]


def test_collapse_leaves_short_stretches_and_whole_texts_without_changes():
    short = word_diff("a b c d", "a B c d")
    assert collapse(short, context=3) == short
    unchanged = word_diff("one two three", "one two three")
    assert collapse(unchanged, context=3) == [("gap", "…")] and not has_changes(unchanged)
    assert has_changes(short)


def test_tokenize_splits_words_marks_and_whitespace():
    assert tokenize("Hello,  *world*!\n||Bye||") == ["Hello", ",", "  ", "*", "world", "*!", "\n", "||", "Bye", "||"]


def test_collapse_never_cuts_inside_a_word_or_repeats_text():
    marked = word_diff(" ".join(f"*w{n}*," for n in range(30)), " ".join(f"*w{n}*," if n != 15 else "X" for n in range(30)))
    assert collapse(marked, context=2) == [
        ("gap", "…"), ("same", "*w13*, *w14*, "), ("removed", "*w15*,"), ("added", "X"), ("same", " *w16*, *w17*,"), ("gap", "…"),
    ]
    run_together = word_diff("a,b,c,d,e,f,g,h,i,j", "a,b,c,d,e,f,g,h,i,J")
    assert "".join(text for kind, text in collapse(run_together, context=1) if kind != "added") == "a,b,c,d,e,f,g,h,i,j"
