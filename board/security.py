"""Response headers every page carries, and the guard that turns malformed input into a 400."""
from urllib.parse import unquote_to_bytes, urlsplit

from flask import abort, current_app, g, request, session
from flask_login import COOKIE_NAME, current_user
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from .htmx import add_vary_header

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
FORM_MIMETYPE = "application/x-www-form-urlencoded"
MULTIPART_MIMETYPE = "multipart/form-data"
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app) -> None:
    app.before_request(reject_malformed_input)
    app.before_request(note_signed_in)
    app.after_request(add_security_headers)
    app.after_request(keep_private_pages_out_of_caches)
    app.after_request(add_vary_header)


def add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def is_signed_in() -> bool:
    """A session with a member in it, or a remember-me cookie that will restore one (read without the database)."""
    return "_user_id" in session or current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies


def note_signed_in() -> None:
    g.signed_in = is_signed_in()  # before a ban or a logout ends the session: their answer is private too


def keep_private_pages_out_of_caches(response):
    """A signed-in member's responses are never stored by a browser or a proxy (ASVS 14.3.2).

    Their pages carry their name, their session's CSRF token, their inbox or the reports queue, which the next
    person at a shared computer must not read from the disk cache. And a browser going Back reuses a stored
    page without asking, so a thread the member has since replied to or voted on in place would come back
    without that reply or vote; a page that was never stored is fetched again and shows them. (The page
    cache still keeps a member's copy on the server, so the fetch costs a lookup, not a render.)
    """
    if response.cache_control.immutable:
        return response  # a picture under its digest's URL (board/images.py): nothing of the member's, never stale
    if request.endpoint != "static" and (g.get("signed_in") or current_user.is_authenticated):
        response.headers["Cache-Control"] = "no-store"
    return response


def reject_malformed_input() -> None:
    """400 for a NUL character or invalid UTF-8 anywhere in the query string or form body (NUL only in a multipart
    form's text fields, which Werkzeug decodes itself).

    Werkzeug would quietly replace bad bytes with U+FFFD; a post must never be stored altered. A multipart body (a
    poster upload, or any form sent that way) is checked field by field: its text parts as raw bytes, files aside.
    """
    if request.mimetype == MULTIPART_MIMETYPE:
        reject_malformed_parts()
    blobs = [request.query_string]
    if request.mimetype == FORM_MIMETYPE:
        blobs.append(request.get_data(cache=True))
    for blob in blobs:
        for field in blob.split(b"&"):
            checked_text(unquote_to_bytes(field.replace(b"+", b" ")))


def reject_malformed_parts() -> None:
    """A multipart body's text fields, as the raw bytes Werkzeug's parser would decode with replacement; files aside.

    The body is read (and cached for the form parser) once: MAX_CONTENT_LENGTH bounds it.
    """
    boundary = request.mimetype_params.get("boundary")
    if not boundary:
        return  # no parts: Werkzeug reads no form from it either
    decoder = MultipartDecoder(boundary.encode("latin-1"))
    decoder.receive_data(request.get_data(cache=True))
    decoder.receive_data(None)
    in_text_field = False
    try:
        while not isinstance(event := decoder.next_event(), (Epilogue, NeedData)):
            if isinstance(event, (Field, File)):
                in_text_field = isinstance(event, Field)
                if "\x00" in event.name:
                    abort(400, "The request contains a NUL character.")
            elif isinstance(event, Data) and in_text_field:
                checked_text(event.data)
    except ValueError:
        abort(400, "The form's multipart body is malformed.")


def checked_text(blob: bytes) -> None:
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError:
        abort(400, "The request contains text that is not valid UTF-8.")
    if "\x00" in text:
        abort(400, "The request contains a NUL character.")


def safe_next(target: str | None) -> str | None:
    """A redirect target only if it is a path on this site (no scheme, host, or protocol-relative tricks)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
