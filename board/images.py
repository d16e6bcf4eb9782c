"""Uploaded pictures (avatars, film posters): re-encoded by Pillow into one format, never kept as they were sent.

What a member uploads is only ever read by Pillow, and what the board stores and serves is a new WebP file Pillow
wrote from the decoded pixels: no metadata (EXIF with its GPS position, ICC profiles, comments), no second frame, no
bytes of the original. Refused, each with a message the form shows, before anything is stored:

* more than UPLOAD_MAX_BYTES (the request itself is capped lower than a 50 MB upload by MAX_CONTENT_LENGTH: a 413);
* anything Pillow cannot read as JPEG, PNG, GIF or WebP (a renamed text file, an SVG, a truncated file);
* more pixels than the caller allows, judged from the header before a single pixel is decoded, so a small file that
  claims 30,000 × 30,000 pixels (a decompression bomb) costs nothing.

The picture is turned upright (EXIF orientation), then scaled to fit, or cropped to fill, the caller's box.
Pictures are stored in the database (several app servers share them without a file store) and served by
`picture_response` under a URL that names their digest, so they can be cached for a year and never go stale.
"""
import hashlib
import io
import warnings
from dataclasses import dataclass

from flask import Response, request
from PIL import Image, ImageOps, UnidentifiedImageError
from wtforms.validators import ValidationError

UPLOAD_MAX_BYTES = 3 * 1024 * 1024  # below MAX_CONTENT_LENGTH (4 MiB), so an over-large picture gets the form's message
READABLE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
CONTENT_TYPE = "image/webp"
WEBP_QUALITY = 85
YEAR = 365 * 24 * 3600


class PictureRefused(ValueError):
    """The upload is not a picture the board keeps; the message says why, for the member."""


@dataclass(frozen=True)
class Picture:
    """A re-encoded picture, ready to store: WebP bytes, size, and the digest its URL names."""

    data: bytes
    width: int
    height: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:16]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def reencode(data: bytes, *, box: tuple[int, int], max_pixels: int, crop: bool = False,
             max_bytes: int = UPLOAD_MAX_BYTES) -> Picture:
    """The upload as a new WebP picture at most `box` in size (cropped to fill it when `crop`), or PictureRefused."""
    if not data:
        raise PictureRefused("The file is empty.")
    if len(data) > max_bytes:
        raise PictureRefused(f"The file is {_megabytes(len(data))}; pictures may be at most {_megabytes(max_bytes)}.")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; our limit is lower and judged below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=READABLE_FORMATS) as original:
                width, height = original.size
                if width * height > max_pixels or width < 1 or height < 1:
                    raise PictureRefused(
                        f"The picture is {width:,} × {height:,} pixels; at most {max_pixels:,} pixels in all are accepted.")
                original.seek(0)  # the first frame of an animation
                original.load()
                picture = ImageOps.exif_transpose(original)
                picture = picture.convert("RGBA" if _has_transparency(picture) else "RGB")
    except Image.DecompressionBombError:  # beyond twice Pillow's own limit: refused by Image.open from the header
        raise PictureRefused(f"The picture has too many pixels; at most {max_pixels:,} pixels in all are accepted.") from None
    except UnidentifiedImageError:
        raise PictureRefused("That file is not a picture the board can read: use JPEG, PNG, GIF or WebP.") from None
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, PictureRefused):
            raise
        raise PictureRefused("That picture is damaged or cut short; please try another file.") from None
    picture = ImageOps.fit(picture, box, Image.Resampling.LANCZOS) if crop else _shrink_to(picture, box)
    out = io.BytesIO()
    picture.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)  # no exif=, icc_profile=: nothing carried over
    return Picture(out.getvalue(), picture.width, picture.height)


def _has_transparency(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info)


def _shrink_to(picture: Image.Image, box: tuple[int, int]) -> Image.Image:
    picture = picture.copy()
    picture.thumbnail(box, Image.Resampling.LANCZOS)
    return picture


class UploadedPicture:
    """WTForms validator for a FileField: the upload must re-encode (see `reencode`); the result is `field.picture`."""

    def __init__(self, *, box: tuple[int, int], max_pixels: int, crop: bool = False,
                 max_bytes: int = UPLOAD_MAX_BYTES):
        self.limits = {"box": box, "max_pixels": max_pixels, "crop": crop, "max_bytes": max_bytes}

    def __call__(self, form, field) -> None:
        field.picture = None
        upload = field.data
        if not upload or not getattr(upload, "filename", None):
            return  # nothing chosen: the form's own DataRequired/Optional decides
        data = upload.stream.read(self.limits["max_bytes"] + 1)
        try:
            field.picture = reencode(data, **self.limits)
        except PictureRefused as refusal:
            raise ValidationError(str(refusal)) from None


def picture_response(data: bytes, digest: str) -> Response:
    """A stored picture, cacheable for a year: its URL names its digest, so a new picture is a new URL."""
    if request.if_none_match.contains(digest):
        response = Response(status=304)
    else:
        response = Response(data, mimetype=CONTENT_TYPE)
    response.set_etag(digest)
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    return response
