"""Static files that browsers keep for a year, and compressed responses.

Fingerprints: every `url_for('static', filename=…)` carries `?v=` and the first 12 hex digits of the
file's SHA-256, read on that file's first url_for and kept for the life of the app (in debug mode the
file's size and mtime are checked on each url_for, so an edited file gets a new fingerprint without a
restart). A static file asked for with its current fingerprint may be kept for a year without asking
again; without one, or with an old one (a page rendered before a deploy), the browser revalidates it
each time through the ETag and Last-Modified that Flask sends, so old content is never pinned.

Compression: Flask-Compress, gzip at level 6, for text responses of 500 bytes or more.
A static file is compressed once per fingerprint and encoding and kept in this process's memory; pages
are compressed per response and never kept. Responses that are already encoded (the shared page cache
stores its pages gzipped), streamed, partial (206) or not 2xx are sent as they are.
"""
import hashlib
import os
import stat

from flask import current_app, request, session
from flask_compress import Compress
from werkzeug.security import safe_join

STATIC_ENDPOINT = "static"
FINGERPRINT_ARG = "v"
FINGERPRINT_LENGTH = 12
IMMUTABLE = "max-age=31536000, immutable"  # one year: the URL changes whenever the content does
REVALIDATE = "no-cache"  # keep it, but ask (a 304 when unchanged) before every use

COMPRESS_DEFAULTS = {
    # gzip only: Brotli at a per-request level (4) is 5-12% smaller on pages but 3-6% larger on app.css
    # and htmx, at a similar CPU cost; and the shared page cache stores its pages gzipped.
    "COMPRESS_ALGORITHM": ["gzip"],
    "COMPRESS_LEVEL": 6,  # gzip: a 24 KB page in ~0.1 ms
    "COMPRESS_MIN_SIZE": 500,  # smaller bodies gain less than the encoding costs
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/atom+xml",
        "image/svg+xml",
    ],
    # A streamed body would be held back by the compressor until it fills a block: never compress one.
    # Static files are streamed by Flask; finish_response reads them into memory first (they are small).
    "COMPRESS_STREAMS": False,
    "COMPRESS_REGISTER": False,  # finish_response calls it, after the static files' cache policy
}


class StaticFileCache:
    """Flask-Compress's cache of compressed bodies, for static files only.

    Flask-Compress asks its cache about every response it compresses; a key without a static file in it
    (a page) is never kept. Static keys name the file and its fingerprint: at most one entry per file,
    fingerprint and encoding.
    """

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.partition(";")[2]:  # Flask-Compress's key is "<encoding>;<static_cache_key()>"
            self.data[key] = value


def init_app(app) -> None:
    for name, value in COMPRESS_DEFAULTS.items():
        app.config.setdefault(name, value)
    app.config.setdefault("COMPRESS_CACHE_KEY", static_cache_key)
    app.config.setdefault("COMPRESS_CACHE_BACKEND", StaticFileCache)
    compress = Compress()
    compress.init_app(app)  # its mimetypes, encodings and cache belong to this app alone
    app.extensions["assets"] = {"fingerprints": {}, "compress": compress}
    app.url_defaults(add_fingerprint)
    app.after_request(finish_response)


def fingerprint(filename: str) -> str | None:
    """The static file's fingerprint, None if there is no such file. Read once, then memoised."""
    app = current_app
    memo = app.extensions["assets"]["fingerprints"]
    known = memo.get(filename)
    if known is not None and not app.debug:
        return known[2]
    path = safe_join(app.static_folder, filename) if app.static_folder else None
    if path is None:
        return None
    try:
        status = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    if known is not None and known[:2] == (status.st_size, status.st_mtime_ns):
        return known[2]
    with open(path, "rb") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()[:FINGERPRINT_LENGTH]
    memo[filename] = (status.st_size, status.st_mtime_ns, digest)
    return digest


def add_fingerprint(endpoint: str, values: dict) -> None:
    """url_defaults: `url_for('static', filename='app.css')` → /static/app.css?v=<fingerprint>."""
    if endpoint != STATIC_ENDPOINT or FINGERPRINT_ARG in values or "filename" not in values:
        return
    version = fingerprint(values["filename"])
    if version is not None:
        values[FINGERPRINT_ARG] = version


def requested_static_file() -> str | None:
    if request.endpoint != STATIC_ENDPOINT:
        return None
    return (request.view_args or {}).get("filename")


def static_cache_key(_request=None) -> str:
    """Flask-Compress's cache key: the static file and its current fingerprint; "" (never kept) for pages."""
    filename = requested_static_file()
    version = fingerprint(filename) if filename else None
    return f"{STATIC_ENDPOINT}:{filename}?{FINGERPRINT_ARG}={version}" if version else ""


def finish_response(response):
    """after_request, run after every hook registered later: cache policy for static files, then compression."""
    filename = requested_static_file()
    if filename is not None and response.status_code in (200, 206, 304):
        set_static_cache_policy(response, filename)
    response.vary.add("Accept-Encoding")
    compress = current_app.extensions["assets"]["compress"]
    if response.status_code == 206 or "Content-Range" in response.headers or not accepts_encoding(compress):
        return response  # a byte range of the file as it is on disk, or a client that takes it unencoded
    if filename is not None and response.status_code == 200 and response.is_streamed and is_compressible(response):
        # Flask streams files, and Flask-Compress only compresses (and caches) a body it holds: read it now.
        response.direct_passthrough = False
        response.make_sequence()
    already_encoded = "Content-Encoding" in response.headers
    response = compress.after_request(response)
    if not already_encoded and "Content-Encoding" in response.headers:
        response.headers.pop("Accept-Ranges", None)  # ranges of the encoded body are not offered
    return response


def accepts_encoding(compress) -> bool:
    """Whether the client accepts one of our encodings. Flask-Compress 1.25 reads `gzip;q=0` as a yes."""
    return any(request.accept_encodings[name] > 0 for name in compress.enabled_algorithms)


def set_static_cache_policy(response, filename: str) -> None:
    response.headers.pop("Expires", None)  # Cache-Control alone decides
    current = fingerprint(filename)
    if current is not None and request.args.get(FINGERPRINT_ARG) == current:
        # Public unless this response sets a cookie (the session one is added after this hook).
        sets_cookie = "Set-Cookie" in response.headers or session.modified
        response.headers["Cache-Control"] = ("private, " if sets_cookie else "public, ") + IMMUTABLE
    else:
        response.headers["Cache-Control"] = REVALIDATE


def is_compressible(response) -> bool:
    return (
        response.mimetype in current_app.config["COMPRESS_MIMETYPES"]
        and "Content-Encoding" not in response.headers
        and (response.content_length or 0) >= current_app.config["COMPRESS_MIN_SIZE"]
    )
