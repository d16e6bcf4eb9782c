"""Joining a conversation (issue #11): the reply box after the last reply, quoting a post, previewing Markdown."""
import html
import re

import pytest

from board import limits
from board.extensions import db
from board.markup import quote_markdown, render_markdown
from board.models import BIO_MAX, BODY_MAX, Post, Thread, User

from .factories import fetch, make_thread, make_user
from .test_edits import conversation  # noqa: F401 (author, replier, reader, moderator; a thread with one reply)


@pytest.fixture
def twist(app, conversation):
    """The conversation's reply, in two paragraphs with a spoiler."""
    with app.app_context():
        db.session.get(Post, conversation["reply"].id).set_body("A first reply,\n\nwith a ||twist|| in it.")
        db.session.commit()
    return conversation["reply"].id


def count_posts(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Post.id)))


def textarea(page: str, field_id: str) -> str:
    """The text a page's text box holds (its source, unescaped; the parser drops one leading newline)."""
    match = re.search(rf'<textarea[^>]* id="{field_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no #{field_id} in the page"
    return html.unescape(match.group(1)).removeprefix("\r\n").removeprefix("\n")


def panel(page: str, field_id: str) -> str:
    """The preview panel's member content: the sanitized HTML inside its hx-disable wrapper."""
    match = re.search(rf'id="{field_id}-preview".*?<div class="post__body prose" hx-disable>(.*?)</div>\s*</div>', page, re.S)
    assert match, f"no preview shown for #{field_id}"
    return match.group(1)


def fragment_preview(fragment: str) -> str:
    match = re.search(r'<div class="post__body prose" hx-disable>(.*?)</div>', fragment, re.S)
    assert match, fragment
    return match.group(1)


# The reply box where a reader finishes ---------------------------------------------------------------------------------

def test_the_thread_page_puts_the_reply_box_after_the_last_reply_with_a_way_back_up(app, client, conversation):
    client.log_in(conversation["reader"])
    thread, opening_id = conversation["thread"], conversation["thread"].opening_post.id
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    last_reply = page.index(f'id="post-{conversation["reply"].id}"')
    form = page.index(f'<form class="reply-form stack" id="reply-form-{opening_id}"')
    assert last_reply < form < page.index('<p class="back-to-top"><a href="#main">Back to top')
    head = page[page.index('<header class="thread-head"'):page.index("</header>", page.index('<header class="thread-head"'))]
    assert '<span id="head-reply-count">1 reply</span>' in head
    assert '<a class="thread-head__replies" href="#replies">Jump to replies <span aria-hidden="true">↓</span></a>' in head
    # The opening post's Reply jumps to that box, at the bottom.
    assert f'<a class="action" href="#reply-form-{opening_id}">Reply</a>' in page


def test_a_visitor_finds_the_join_prompt_after_the_replies_too(app, client, conversation):
    page = client.get(f"/threads/{conversation['thread'].id}").get_data(as_text=True)
    assert page.index(f'id="post-{conversation["reply"].id}"') < page.index('class="join-prompt"')
    assert 'id="head-reply-count"' in page


def test_replying_from_the_bottom_box_without_js_is_a_303_and_with_htmx_counts_in_the_header(app, client, conversation):
    client.log_in(conversation["reader"])
    opening_id = conversation["thread"].opening_post.id
    response = client.submit(f"/posts/{opening_id}/reply", {"body": "From the bottom."})
    assert response.status_code == 303 and response.headers["Location"].startswith(f"/threads/{conversation['thread'].id}#post-")
    fragment = client.submit(f"/posts/{opening_id}/reply", {"body": "In place."}, htmx=True).get_data(as_text=True)
    assert '<span id="head-reply-count" hx-swap-oob="true">3 replies</span>' in fragment
    assert '<span id="reply-count" hx-swap-oob="true">3 replies</span>' in fragment


# Quote ------------------------------------------------------------------------------------------------------------------

def test_a_member_sees_a_quote_link_on_each_post_a_visitor_does_not(app, client, conversation):
    thread_url = f"/threads/{conversation['thread'].id}"
    reply_id, opening_id = conversation["reply"].id, conversation["thread"].opening_post.id
    assert "data-quote=" not in client.get(thread_url).get_data(as_text=True)
    client.log_in(conversation["reader"])
    page = client.get(thread_url).get_data(as_text=True)
    for post_id, author in ((reply_id, "replier"), (opening_id, "author")):
        assert (f'<a class="action" href="/posts/{post_id}/reply?quote=1" data-quote="{post_id}"\n'
                f'       data-quote-author="{author}" data-quote-source="/posts/{post_id}">Quote</a>') in page


def test_quote_without_js_opens_the_reply_form_with_the_whole_post_quoted_and_its_source_named(app, client, conversation,
                                                                                              twist):
    client.log_in(conversation["reader"])
    reply_id = twist
    page = client.get(f"/posts/{reply_id}/reply?quote=1").get_data(as_text=True)
    expected = (f"> **@replier** [wrote](http://localhost/posts/{reply_id}):\n>\n"
                "> A first reply,\n>\n> with a ||twist|| in it.\n\n")
    assert textarea(page, f"reply-body-{reply_id}") == expected
    # With htmx the same form comes into the post's reply slot.
    fragment = client.htmx_get(f"/posts/{reply_id}/reply?quote=1").get_data(as_text=True)
    assert "<html" not in fragment and textarea(fragment, f"reply-body-{reply_id}") == expected
    # Posted, it is a quote that names its author (a mention: a link to their profile) and links its source, through
    # the one sanitizer, the spoiler still hidden.
    assert client.submit(f"/posts/{reply_id}/reply", {"body": expected + "Agreed."}).status_code == 303
    with app.app_context():
        stored = db.session.scalar(db.select(Post).order_by(Post.id.desc()).limit(1)).body_html
    assert stored.startswith('<blockquote>\n<p><strong><a href="/u/replier" class="mention">@replier</a></strong> '
                             f'<a href="http://localhost/posts/{reply_id}" rel="nofollow ugc noopener">wrote</a>:</p>')
    assert '<span class="spoiler-text">twist</span>' in stored and stored.endswith("<p>Agreed.</p>\n")


def test_quoting_a_post_marked_as_a_spoiler_keeps_it_behind_a_spoiler_block(app, client, conversation, twist):
    with app.app_context():
        db.session.get(Post, conversation["reply"].id).marked_spoiler = True
        db.session.commit()
    client.log_in(conversation["reader"])
    reply_id = conversation["reply"].id
    quote = textarea(client.get(f"/posts/{reply_id}/reply?quote=1").get_data(as_text=True), f"reply-body-{reply_id}")
    assert "\n> ```spoiler\n> A first reply,\n" in quote and "\n> ```\n\n" in quote
    rendered = render_markdown(quote)
    assert '<details class="spoiler-block"><summary>Spoiler</summary>\n<p>A first reply,</p>' in rendered


def test_a_hidden_post_cannot_be_quoted_even_by_a_moderator(app, client, conversation):
    client.log_in(conversation["moderator"])
    reply_id = conversation["reply"].id
    assert f'data-quote="{reply_id}"' in client.get(f"/threads/{conversation['thread'].id}").get_data(as_text=True)
    with app.app_context():
        db.session.get(Post, conversation["reply"].id).hidden = True
        db.session.commit()
    page = client.get(f"/posts/{reply_id}/reply?quote=1").get_data(as_text=True)
    assert textarea(page, f"reply-body-{reply_id}") == ""  # the reply form, empty: a moderator may still reply
    assert f'data-quote="{reply_id}"' not in client.get(f"/threads/{conversation['thread'].id}").get_data(as_text=True)


def test_a_quote_names_a_member_whose_name_would_be_emphasis_as_it_is():
    quote = quote_markdown("_film_buff_", "https://example.com/posts/1", "Hello")
    assert render_markdown(quote).startswith(
        '<blockquote>\n<p><strong>@_film_buff_</strong> <a href="https://example.com/posts/1"')


# Preview ----------------------------------------------------------------------------------------------------------------

PREVIEWED = "A *bold* claim with ||the ending|| and <script>alert(1)</script> [a link](javascript:alert(1))."


def test_a_preview_without_js_comes_back_with_the_text_kept_and_the_stored_html_shown(app, client, conversation):
    client.log_in(conversation["reader"])
    opening_id = conversation["thread"].opening_post.id
    field = f"reply-body-{opening_id}"
    response = client.submit(f"/posts/{opening_id}/reply", {"body": PREVIEWED, "preview": field})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert textarea(page, field) == PREVIEWED
    assert count_posts(app) == 2  # nothing stored
    preview = panel(page, field)
    # Exactly what posting stores: the same text posted renders to the same HTML.
    client.submit(f"/posts/{opening_id}/reply", {"body": PREVIEWED})
    with app.app_context():
        stored = db.session.scalar(db.select(Post).order_by(Post.id.desc()).limit(1)).body_html
    assert preview == stored
    assert "<script" not in preview and 'href="javascript' not in preview and '<span class="spoiler-text">the ending</span>' in preview


def test_a_preview_with_htmx_is_the_panel_alone(app, client, conversation):
    client.log_in(conversation["reader"])
    reply_id = conversation["reply"].id
    response = client.submit(f"/posts/{reply_id}/reply", {"body": "Just *this*.", "preview": "x"}, htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment and "<form" not in fragment
    assert fragment_preview(fragment) == "<p>Just <em>this</em>.</p>\n"
    assert count_posts(app) == 2


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_preview_of_too_long_a_text_is_refused_with_the_posting_message(app, client, conversation, htmx):
    client.log_in(conversation["reader"])
    url = f"/posts/{conversation['reply'].id}/reply"
    too_long = "x" * (BODY_MAX + 5)
    posted = client.submit(url, {"body": too_long}, htmx=htmx).get_data(as_text=True)
    message = f"At most {BODY_MAX:,} characters; this has {BODY_MAX + 5:,}. Shorten it by 5."
    assert message in posted
    response = client.submit(url, {"body": too_long, "preview": "x"}, htmx=htmx)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    if htmx:  # the panel says why, the form stays as it is
        assert "<form" not in response.get_data(as_text=True) and 'role="alert"' in response.get_data(as_text=True)
    else:  # the form again with the text kept, and its Preview button
        page = response.get_data(as_text=True)
        assert textarea(page, f"reply-body-{conversation['reply'].id}") == too_long
        assert f'name="preview" value="reply-body-{conversation["reply"].id}"' in page


def test_an_empty_preview_says_so(app, client, conversation):
    client.log_in(conversation["author"])
    response = client.submit("/u/author/bio", {"bio": "   ", "preview": "bio-source"}, htmx=True)
    assert response.status_code == 200 and "Nothing to preview yet." in response.get_data(as_text=True)


def test_a_new_thread_previews_its_post_before_it_has_a_title(app, client, conversation):
    client.log_in(conversation["reader"])
    response = client.submit("/threads/new", {"body": "Opening **words**.", "preview": "body"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Give the thread a title." not in page
    assert panel(page, "body") == "<p>Opening <strong>words</strong>.</p>\n"
    assert textarea(page, "body") == "Opening **words**."
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Thread.id))) == 1


def test_an_edit_previews_without_saving(app, client, conversation):
    client.log_in(conversation["replier"])
    reply_id = conversation["reply"].id
    response = client.submit(f"/posts/{reply_id}/edit", {"body": "Changed *mind*.", "preview": "x"})
    assert response.status_code == 200
    assert panel(response.get_data(as_text=True), f"edit-body-{reply_id}") == "<p>Changed <em>mind</em>.</p>\n"
    assert fetch(app, Post, reply_id).body_source == "A first reply"


def test_a_bio_previews_as_set_bio_stores_it(app, client, conversation):
    client.log_in(conversation["author"])
    source = "  Loves *long takes*. <img src=x onerror=alert(1)>\n"
    fragment = client.submit("/u/author/bio", {"bio": source, "preview": "bio-source"}, htmx=True).get_data(as_text=True)
    client.submit("/u/author/bio", {"bio": source})
    assert fragment_preview(fragment) == fetch(app, User, conversation["author"].id).bio_html


def test_every_markdown_box_has_its_preview_switch_after_its_submit_button(app, client, conversation):
    client.log_in(conversation["replier"])
    reply_id = conversation["reply"].id
    pages = {
        "body": ("/threads/new", "Post thread"),
        f"reply-body-{reply_id}": (f"/posts/{reply_id}/reply", "Post reply"),
        f"edit-body-{reply_id}": (f"/posts/{reply_id}/edit", "Save changes"),
        "bio-source": ("/u/replier/bio", "Save bio"),
    }
    for field, (url, save) in pages.items():
        page = client.get(url).get_data(as_text=True)
        preview_button = page.index(f'name="preview" value="{field}" formnovalidate')
        # Enter in a title field submits with the first submit button: Post, never Preview.
        assert page.index(f'<button type="submit" class="button">{save}</button>') < preview_button, url
        assert f'hx-target="#{field}-preview" hx-swap="innerHTML">Preview</button>' in page
        assert f'data-write="{field}" aria-pressed="true" hidden>Write</button>' in page
        assert re.search(rf'<div class="preview" id="{field}-preview" role="region" aria-label="Preview" tabindex="-1" hidden>', page)
        assert f'data-character-count="{field}"' in page  # the live count stays


# Previews are limited on their own, and do not use up the writes they check -------------------------------------------

@pytest.fixture
def limited(app_factory):
    return app_factory(RATE_LIMITS={"previews": "3 per minute", "replies": "2 per minute", "replies_new_account": "2 per minute"})


def test_previews_count_on_their_own_limit_across_every_markdown_box(limited):
    client = limited.test_client()
    member = make_user(limited, "member")
    thread = make_thread(limited, make_user(limited, "host"))
    client.log_in(member)
    url = f"/posts/{thread.opening_post.id}/reply"
    for _ in range(2):
        assert client.submit(url, {"body": "Draft.", "preview": "x"}).status_code == 200
    assert client.submit(url, {"body": "Posted."}).status_code == 303  # previews used none of the 2 replies
    assert client.submit("/threads/new", {"body": "Draft.", "preview": "body"}).status_code == 200  # one count for all
    refused = client.submit("/u/member/bio", {"bio": "Draft.", "preview": "bio-source"})
    assert refused.status_code == 429 and "You are previewing too quickly." in refused.get_data(as_text=True)
    assert client.submit(url, {"body": "Posted again."}).status_code == 303  # writing is not held back by previews


def test_the_previews_limit_is_documented_and_configurable():
    assert limits.DEFAULT_LIMITS["previews"] == limits.PREVIEWS
    assert "`previews`" in limits.__doc__


def test_bio_limit_message_is_the_same_for_a_preview(app, client, conversation):
    client.log_in(conversation["author"])
    too_long = "y" * (BIO_MAX + 1)
    saved = client.submit("/u/author/bio", {"bio": too_long}).get_data(as_text=True)
    previewed = client.submit("/u/author/bio", {"bio": too_long, "preview": "bio-source"}, htmx=True)
    message = f"At most {BIO_MAX:,} characters; this has {BIO_MAX + 1:,}. Shorten it by 1."
    assert message in saved and previewed.status_code == 422 and message in previewed.get_data(as_text=True)
    assert "<form" not in previewed.get_data(as_text=True)  # the panel's content, not the form
