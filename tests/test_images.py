"""Uploaded pictures are re-encoded by Pillow (board/images.py): hostile and broken files are refused with a reason."""
import io
import struct
import zlib

import pytest
from PIL import Image

from board.images import Picture, PictureRefused, picture_response, reencode

AVATAR = {"box": (256, 256), "max_pixels": 40_000_000, "crop": True}


def picture_bytes(size=(640, 480), mode="RGB", color=(200, 30, 30), format="PNG", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=format, **save)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header that says width × height, with one tiny compressed row: a decompression bomb's shape."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def decoded(picture: Picture) -> Image.Image:
    image = Image.open(io.BytesIO(picture.data))
    image.load()
    return image


@pytest.mark.parametrize("format", ["PNG", "JPEG", "GIF", "WEBP"])
def test_every_readable_format_comes_out_as_webp_cropped_to_the_box(format):
    picture = reencode(picture_bytes(format=format), **AVATAR)
    image = decoded(picture)
    assert image.format == "WEBP"
    assert (picture.width, picture.height) == image.size == (256, 256)
    assert len(picture.digest) == 16


def test_without_crop_the_picture_keeps_its_shape_and_is_never_enlarged():
    poster = reencode(picture_bytes(size=(1000, 1500)), box=(400, 600), max_pixels=40_000_000)
    assert (poster.width, poster.height) == (400, 600)
    small = reencode(picture_bytes(size=(120, 90)), box=(400, 600), max_pixels=40_000_000)
    assert (small.width, small.height) == (120, 90)


def test_metadata_is_not_carried_over():
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPSInfo: a latitude
    source = picture_bytes(format="JPEG", exif=exif.tobytes(), comment=b"hidden comment")
    assert b"secret description" in source
    picture = reencode(source, **AVATAR)
    assert b"secret description" not in picture.data and b"hidden comment" not in picture.data
    image = decoded(picture)
    assert not image.getexif() and "icc_profile" not in image.info and "exif" not in image.info


def test_an_exif_orientation_is_applied_so_the_picture_stands_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    source = picture_bytes(size=(300, 100), format="JPEG", exif=exif.tobytes())
    picture = reencode(source, box=(1000, 1000), max_pixels=40_000_000)
    assert (picture.width, picture.height) == (100, 300)


def test_transparency_is_kept():
    picture = reencode(picture_bytes(mode="RGBA", color=(0, 0, 0, 0)), **AVATAR)
    assert decoded(picture).getpixel((10, 10))[3] == 0


def test_only_the_first_frame_of_an_animation_is_kept():
    frames = [Image.new("RGB", (64, 64), color) for color in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = decoded(reencode(out.getvalue(), box=(64, 64), max_pixels=10_000))
    assert getattr(image, "n_frames", 1) == 1
    red, green, blue = image.convert("RGB").getpixel((5, 5))
    assert red > 200 and blue < 50


def test_a_picture_claiming_30000_by_30000_pixels_is_refused_before_decoding():
    with pytest.raises(PictureRefused, match="at most 40,000,000 pixels in all"):
        reencode(png_claiming(30_000, 30_000), **AVATAR)
    with pytest.raises(PictureRefused, match="is 9,000 × 9,000 pixels; at most 40,000,000"):
        reencode(png_claiming(9_000, 9_000), **AVATAR)


def test_a_picture_over_the_pixel_limit_is_refused():
    with pytest.raises(PictureRefused, match="at most 10,000 pixels"):
        reencode(picture_bytes(size=(101, 100)), box=(50, 50), max_pixels=10_000)


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"hello, this is text pretending to be a picture", "not a picture the board can read"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not a picture the board can read"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "not a picture the board can read"),
])
def test_what_is_not_a_readable_picture_is_refused(data, reason):
    with pytest.raises(PictureRefused, match=reason):
        reencode(data, **AVATAR)


def test_a_picture_cut_short_is_refused():
    whole = picture_bytes(size=(400, 400), format="JPEG")
    with pytest.raises(PictureRefused, match="damaged or cut short"):
        reencode(whole[: len(whole) // 3], **AVATAR)


def test_a_file_over_the_byte_limit_is_refused_with_both_sizes():
    with pytest.raises(PictureRefused, match=r"The file is 0\.1 MB; pictures may be at most 0\.0 MB"):
        reencode(b"\0" * 100_000, **AVATAR, max_bytes=50_000)


def test_a_picture_is_served_for_a_year_and_revalidates_by_its_digest(app):
    picture = reencode(picture_bytes(), **AVATAR)
    with app.test_request_context("/"):
        response = picture_response(picture.data, picture.digest)
        assert response.status_code == 200 and response.mimetype == "image/webp"
        assert response.get_data() == picture.data
        assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.immutable
    with app.test_request_context("/", headers={"If-None-Match": f'"{picture.digest}"'}):
        assert picture_response(picture.data, picture.digest).status_code == 304
