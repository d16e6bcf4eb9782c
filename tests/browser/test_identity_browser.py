"""A display name and an avatar set in a real browser with JavaScript off: plain forms, a multipart upload, 303s."""
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from ..factories import make_reply, make_thread, make_user
from ..test_images import picture_bytes
from .conftest import log_in

pytestmark = pytest.mark.browser


def test_a_member_without_javascript_sets_a_display_name_and_uploads_an_avatar(live_server, open_page, tmp_path):
    app = live_server.app
    member = make_user(app, "cleo")
    thread = make_thread(app, make_user(app, "agnes"), "Cléo from 5 to 7")
    make_reply(app, thread.opening_post, member, "Two hours in real time.")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(picture_bytes(size=(900, 600), color=(30, 90, 160), format="JPEG"))
    page = open_page(java_script_enabled=False)
    log_in(page, "cleo")
    page.goto("/u/cleo")
    page.get_by_role("link", name="Display name and avatar").click()
    page.get_by_role("textbox", name="Display name").fill("Cléo Victoire")
    page.get_by_role("button", name="Save display name").click()
    expect(page.get_by_text("Display name saved.")).to_be_visible()
    page.get_by_label("Picture").set_input_files(str(photo))
    page.get_by_role("button", name="Upload avatar").click()
    expect(page.get_by_text("Avatar saved.")).to_be_visible()
    page.goto(f"/threads/{thread.id}")
    byline = page.locator(".post__byline", has_text="@cleo")
    expect(byline.locator(".member-name__display")).to_have_text("Cléo Victoire")
    avatar = byline.locator("img.avatar")
    expect(avatar).to_have_attribute("alt", "")
    avatar.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=avatar.element_handle())
    assert avatar.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [256, 256]
    served = page.request.get(avatar.get_attribute("src"))
    assert served.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(served.body())).size == (256, 256)
    page.goto("/account/profile")
    page.get_by_role("button", name="Remove avatar").click()
    expect(page.get_by_text("Avatar removed")).to_be_visible()
    expect(page.locator(".avatar-current .avatar--initials")).to_have_text("CV")
