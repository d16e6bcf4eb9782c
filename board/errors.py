"""Error pages: a whole page for browsers, a short fragment for HTMX requests, never a stack trace."""
from math import ceil

from flask import current_app, render_template
from werkzeug.exceptions import HTTPException, SecurityError, TooManyRequests

from .extensions import db
from .htmx import is_htmx
from .limits import seconds_until_retry
from .logs import refused_request

FRIENDLY_MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in to do that.",
    403: "You are not allowed to do that.",
    404: "There is nothing here. The link may be old, or the thread may have moved.",
    405: "That action cannot be done this way.",
    413: "That is too large to send: posts are limited to 100,000 characters and pictures to 3 MB.",
    429: "Too many requests.",
    500: "Something went wrong on our side. Nothing you typed was lost; please try again.",
}


def init_app(app) -> None:
    # Unhandled exceptions reach this handler as InternalServerError, after Flask has logged them.
    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(SecurityError, refuse_other_host)


def refuse_other_host(error: SecurityError):
    """A request naming a host other than BASE_URL's: no URL can be built for it, so a plain-text 400."""
    return f"This board answers only at {current_app.config['BASE_URL']}.", 400, {"Content-Type": "text/plain; charset=utf-8"}


def render_http_error(error: HTTPException):
    code = error.code or 500
    refused_request(error)
    if code >= 500:
        db.session.rollback()  # a failed transaction must not break the error page's own queries
    # Werkzeug's default descriptions are generic; ours or the one a view passed to abort() are clearer.
    generic = type(error).description
    message = error.description if error.description != generic else FRIENDLY_MESSAGES.get(code, error.name)
    headers = error.get_headers() if code == 405 else {}
    if isinstance(error, TooManyRequests):
        message, headers = too_many_requests(message)
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    response = render_template(template, code=code, title=error.name, message=message)
    return response, code, headers


def too_many_requests(message: str) -> tuple[str, dict]:
    """A refused request says what was limited and when to try again, in words and in Retry-After."""
    seconds = seconds_until_retry()
    if seconds is None:
        return f"{message} Please wait a moment and try again.", {}
    return f"{message} Please try again in {wait_in_words(seconds)}.", {"Retry-After": str(seconds)}


def wait_in_words(seconds: int) -> str:
    """'45 seconds', '1 minute', '90 minutes', '3 hours': rounded up, so that trying again then works."""
    if seconds < 60:
        count, unit = seconds, "second"
    elif seconds <= 2 * 3600:
        count, unit = ceil(seconds / 60), "minute"
    else:
        count, unit = ceil(seconds / 3600), "hour"
    return f"{count} {unit}{'' if count == 1 else 's'}"

