"""How members appear (issue #12 item 5): a display name beside the username, an avatar (uploaded, or initials)."""
import io
import os
import re

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from board.extensions import db
from board.models import AVATAR_PALETTE, DISPLAY_NAME_MAX, MemberAvatar, Role, User

from .conftest import statements_for
from .factories import make_reply, make_thread, make_user
from .test_images import picture_bytes, png_claiming


@pytest.fixture
def member(app, client):
    member = make_user(app, "cleo")
    client.log_in(member)
    return member


def set_name(client, name: str):
    return client.submit("/account/profile/name", {"display_name": name})


def upload(client, data: bytes, filename: str = "me.png", **fields):
    """POST the avatar form as a browser does: multipart, with the page's CSRF token. The body is built in memory (the
    test client would spool a large one to a file it never closes)."""
    return post_multipart(client, "/account/profile/avatar",
                          {"csrf_token": client.csrf_token(), **fields,
                           "avatar": FileStorage(io.BytesIO(data), filename=filename, content_type="application/octet-stream")})


def post_multipart(client, url: str, fields: dict):
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def stored(app, member_id: int) -> tuple:
    """What the database holds of a member's look: (display name, avatar digest, avatar rows)."""
    with app.app_context():
        user = db.session.get(User, member_id)
        rows = db.session.scalar(db.select(db.func.count()).select_from(MemberAvatar))
        return user.display_name, user.avatar_digest, rows


# The display name ------------------------------------------------------------------------------------------------------

def test_the_profile_page_works_without_javascript_and_a_display_name_shows_beside_the_username(app, client, member):
    page = client.get("/account/profile").get_data(as_text=True)
    assert 'action="/account/profile/name"' in page and 'enctype="multipart/form-data"' in page
    assert f'data-limit="{DISPLAY_NAME_MAX}"' in page  # the limit, shown before submit
    response = set_name(client, "  Cléo   de 5 à 7 ")
    assert response.status_code == 303 and response.headers["Location"] == "/account/profile"
    assert stored(app, member.id)[0] == "Cléo de 5 à 7"
    profile = client.get("/u/cleo").get_data(as_text=True)
    assert '<bdi>Cléo de 5 à 7</bdi> <span class="profile-head__handle">@cleo</span>' in profile
    assert "<title>Cléo de 5 à 7 (@cleo) — Reelboard</title>" in profile
    assert set_name(client, "").status_code == 303  # emptied: the username shows alone
    assert stored(app, member.id)[0] is None


def test_right_to_left_and_joined_names_are_kept_and_isolated(app, client, member):
    assert set_name(client, "کلئو می‌خواهد 👩‍👩‍👧").status_code == 303  # a Persian ZWNJ and emoji ZWJs inside
    assert stored(app, member.id)[0] == "کلئو می‌خواهد 👩‍👩‍👧"
    thread = make_thread(app, member, "Varda")
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert '<bdi class="member-name__display">کلئو می‌خواهد 👩‍👩‍👧</bdi>' in page


@pytest.mark.parametrize("name, reason", [
    ("admin\u202egnp.exe", "right-to-left override (U+202E)"),
    ("Cl\u200beo", "zero-width space (U+200B)"),
    ("Cleo\x1b[31m", "control character ESC (U+001B)"),
    ("Cleo\u2066x", "left-to-right isolate"),
    ("e" + "\u0301" * 6, "combining marks"),
])
def test_invisible_and_control_characters_are_refused_with_the_text_kept(app, client, member, name, reason):
    response = set_name(client, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert reason in page and 'aria-invalid="true"' in page
    assert stored(app, member.id)[0] is None


def test_a_name_over_the_limit_comes_back_in_the_form_with_how_much_to_cut(app, client, member):
    name = "Agnès " * 10  # 60 characters, 59 once folded
    response = set_name(client, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"At most {DISPLAY_NAME_MAX} characters; this has 59. Shorten it by 9." in page
    assert f'value="{name.strip()}"' in page  # kept, as folded to one line
    assert stored(app, member.id)[0] is None


def test_a_nul_byte_in_the_display_name_is_a_400_and_changes_nothing(app, client, member):
    response = client.post("/account/profile/name", data=f"display_name=Cl%00eo&csrf_token={client.csrf_token()}",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert upload(client, picture_bytes(), note="a\x00b").status_code == 400  # and in an upload's form
    assert stored(app, member.id) == (None, None, 0)


@pytest.mark.parametrize("name", ["Varda", "VARDA", "ｖａｒｄａ", "varda"])
def test_another_members_username_is_refused_in_any_case_or_width(app, client, member, name):
    make_user(app, "varda")
    response = set_name(client, name)
    assert response.status_code == 422
    assert "That is the username of another member (varda)" in response.get_data(as_text=True)
    assert stored(app, member.id)[0] is None


def test_a_moderators_display_name_is_refused_and_a_members_own_username_is_not(app, client, member):
    moderator = make_user(app, "mod1", role=Role.MODERATOR)
    with app.app_context():
        db.session.get(User, moderator.id).set_display_name("The Projectionist")
        db.session.commit()
    response = set_name(client, "the ＰＲＯＪＥＣＴＩＯＮＩＳＴ")
    assert response.status_code == 422
    assert "A moderator or admin shows that name" in response.get_data(as_text=True)
    assert set_name(client, "CLEO").status_code == 303  # their own username, in capitals: nobody else's


def test_a_display_name_shows_in_bylines_listings_suggestions_and_the_inbox(app, client, member, other_client):
    other = make_user(app, "agnes")
    other_client.log_in(other)
    thread = make_thread(app, other, "Cléo from 5 to 7")
    assert client.submit(f"/posts/{thread.opening_post.id}/reply", {"body": "Hello @agnes"}).status_code == 303
    assert set_name(client, "Cléo V.").status_code == 303
    named = '<bdi class="member-name__display">Cléo V.</bdi> <span class="member-name__handle">@cleo</span>'
    assert named in client.get(f"/threads/{thread.id}").get_data(as_text=True)  # the byline
    own = make_thread(app, member, "My own thread")
    assert named in client.get("/?sort=new").get_data(as_text=True)  # the thread list
    assert named in client.get(f"/threads/{own.id}").get_data(as_text=True)  # the thread's head
    suggestions = client.get("/members/suggest?q=cl").get_data(as_text=True)
    assert 'data-title="cleo">@cleo <bdi class="member-name__display">Cléo V.</bdi></li>' in suggestions
    inbox = other_client.get("/inbox").get_data(as_text=True)
    assert "Cléo V. (@cleo)" in inbox
    feed = client.get(f"/threads/{thread.id}/feed.atom").get_data(as_text=True)
    assert "<name>cleo</name>" in feed  # feeds name the username


def test_a_changed_name_shows_at_once_on_the_kept_pages_of_the_threads_the_member_posted_in(app, client, member):
    other = make_user(app, "agnes")
    replied_in = make_thread(app, other, "Replied in", film=("Cléo from 5 to 7", 1962))
    make_reply(app, replied_in.opening_post, member, "A reply")
    elsewhere = make_thread(app, other, "Not posted in")
    visitor = app.test_client()
    make_thread(app, member, "Started", film=("Cléo from 5 to 7", 1962))
    urls = [f"/threads/{replied_in.id}", "/u/cleo", "/films/cleo-from-5-to-7-1962", f"/threads/{elsewhere.id}"]
    for url in urls:
        assert visitor.get(url).status_code == 200  # kept
    assert set_name(client, "Cléo V.").status_code == 303
    for url in urls[:3]:
        assert "Cléo V." in visitor.get(url).get_data(as_text=True), url
    # The thread the member never posted in is still the kept copy (no statement): only their pages were renewed.
    with app.app_context():
        engine = db.engine
    statements = []
    from sqlalchemy import event
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert visitor.get(urls[3]).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements == []


def test_bylines_with_names_and_avatars_cost_no_more_statements(app, client, count_queries):
    author = make_user(app, "opener")
    thread = make_thread(app, author, "Many voices")
    repliers = [make_user(app, f"voice{number}") for number in range(12)]
    for replier in repliers:
        make_reply(app, thread.opening_post, replier)
    plain = statements_for(client, count_queries, f"/threads/{thread.id}")
    digest = picture_bytes()
    with app.app_context():
        from board.images import reencode
        picture = reencode(digest, box=(256, 256), max_pixels=40_000_000, crop=True)
        for replier in repliers:
            user = db.session.get(User, replier.id)
            user.set_display_name(f"Voice {replier.id}")
            user.set_avatar(picture)
        db.session.commit()
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert page.count(f'/{picture.digest}.webp" width="24" height="24" alt="" loading="lazy">') == 12
    assert statements_for(client, count_queries, f"/threads/{thread.id}") == plain


# The avatar ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("format", ["PNG", "JPEG", "GIF", "WEBP"])
def test_an_uploaded_picture_is_served_as_a_square_webp_that_caches_for_a_year(app, client, member, format):
    response = upload(client, picture_bytes(size=(800, 500), format=format), f"me.{format.lower()}")
    assert response.status_code == 303 and response.headers["Location"] == "/account/profile"
    _, digest, rows = stored(app, member.id)
    assert rows == 1 and re.fullmatch(r"[0-9a-f]{16}", digest)
    url = f"/avatars/{member.id}/{digest}.webp"
    assert url in client.get("/u/cleo").get_data(as_text=True)
    for reader in (client, app.test_client()):  # the member themselves, and a visitor
        served = reader.get(url)
        assert served.status_code == 200 and served.mimetype == "image/webp"
        assert served.headers["Cache-Control"] in ("public, max-age=31536000, immutable",
                                                   "immutable, public, max-age=31536000")
        assert served.headers["ETag"] == f'"{digest}"'
        image = Image.open(io.BytesIO(served.data))
        assert image.format == "WEBP" and image.size == (256, 256)
        assert reader.get(url, headers={"If-None-Match": f'"{digest}"'}).status_code == 304


def test_camera_details_never_reach_the_served_avatar(app, client, member):
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    exif[0x8825] = {2: (48.0, 51.0, 24.0), 1: "N"}  # a GPS position
    source = picture_bytes(format="JPEG", exif=exif.tobytes(), comment=b"hidden comment")
    assert b"secret description" in source
    assert upload(client, source, "holiday.jpg").status_code == 303
    served = client.get(f"/avatars/{member.id}/{stored(app, member.id)[1]}.webp")
    assert b"secret description" not in served.data and b"hidden comment" not in served.data
    image = Image.open(io.BytesIO(served.data))
    assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info


HOSTILE = {
    "text": (b"hello, this is text pretending to be a picture", "not a picture the board can read"),
    "svg with script": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                        "not a picture the board can read"),
    "truncated": (picture_bytes(size=(400, 400), format="PNG")[:300], "damaged or cut short"),
    "30000 x 30000 bomb": (png_claiming(30_000, 30_000), "pixels"),
    "over 3 MB": (os.urandom(3_200_000), "pictures may be at most 3.0 MB"),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_file_is_a_422_with_its_reason_and_nothing_is_stored(app, client, member, kind):
    data, reason = HOSTILE[kind]
    response = upload(client, data, "me.png")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert reason in page and 'class="field-error"' in page
    assert stored(app, member.id) == (None, None, 0)


def test_a_50_mb_upload_gets_the_413_page_and_nothing_is_stored(app, client, member):
    response = upload(client, b"\0" * (50 * 1024 * 1024))
    assert response.status_code == 413
    assert "<html" in response.get_data(as_text=True)
    assert stored(app, member.id) == (None, None, 0)


def test_no_file_chosen_is_a_form_error(app, client, member):
    response = post_multipart(client, "/account/profile/avatar", {"csrf_token": client.csrf_token()})
    assert response.status_code == 422 and "Choose a picture to upload." in response.get_data(as_text=True)


def test_a_new_avatar_replaces_the_old_whose_url_is_gone_and_removing_it_brings_back_the_initials(app, client, member):
    assert upload(client, picture_bytes(color=(10, 200, 10))).status_code == 303
    first = stored(app, member.id)[1]
    assert upload(client, picture_bytes(color=(10, 10, 200))).status_code == 303
    _, second, rows = stored(app, member.id)
    assert second != first and rows == 1
    assert client.get(f"/avatars/{member.id}/{first}.webp").status_code == 404  # a former digest: 404
    assert client.get(f"/avatars/{member.id + 1}/{second}.webp").status_code == 404  # another member's id
    response = client.submit("/account/profile/avatar/remove", {})
    assert response.status_code == 303 and stored(app, member.id) == (None, None, 0)
    assert client.get(f"/avatars/{member.id}/{second}.webp").status_code == 404
    profile = client.get("/u/cleo").get_data(as_text=True)
    assert f'avatar--initials avatar--{member.id % AVATAR_PALETTE}" aria-hidden="true">C</span>' in profile


def test_members_without_an_avatar_get_their_initials_on_a_colour_of_their_own(app, client, member):
    assert set_name(client, "Agnès Varda").status_code == 303
    thread = make_thread(app, make_user(app, "other"), "Beaches")
    make_reply(app, thread.opening_post, member, "Hi")
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'<span class="avatar avatar--small avatar--initials avatar--{member.id % AVATAR_PALETTE}" aria-hidden="true">AV</span>' in page
    assert 'style="' not in page  # the CSP allows no inline styles: colours are classes


def test_the_profile_settings_are_for_members(app, client):
    response = client.get("/account/profile")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?next=")


def test_a_changed_avatar_renews_the_kept_thread_page_and_the_post_html(app, client, member):
    thread = make_thread(app, make_user(app, "other"), "Faces")
    make_reply(app, thread.opening_post, member, "Me")
    visitor = app.test_client()
    assert "avatar--initials" in visitor.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert upload(client, picture_bytes()).status_code == 303
    digest = stored(app, member.id)[1]
    assert f"/avatars/{member.id}/{digest}.webp" in visitor.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert client.submit("/account/profile/avatar/remove", {}).status_code == 303
    assert f"/avatars/{member.id}/" not in visitor.get(f"/threads/{thread.id}").get_data(as_text=True)


def test_uploads_are_rate_limited(app, client, member):
    app.config["RATE_LIMITS"] = {"profile_changes": "2 per hour"}
    assert upload(client, picture_bytes()).status_code == 303
    assert set_name(client, "One").status_code == 303
    response = upload(client, picture_bytes())
    assert response.status_code == 429
    assert stored(app, member.id)[0] == "One"
