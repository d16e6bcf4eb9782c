"""What every template can use: the viewer, relative times, and the htmx configuration."""
import json
from datetime import datetime

from flask import current_app, has_request_context, request, url_for
from flask_login import current_user

from .forms import BAN_TERMS, ROLE_CHOICES
from .models import MAX_DEPTH, utcnow

# Read by htmx from <meta name="htmx-config">: same-origin requests only, nothing in a response can run code.
HTMX_CONFIG = json.dumps(
    {
        "selfRequestsOnly": True,
        "allowScriptTags": False,
        "allowEval": False,
        "historyCacheSize": 0,
        "refreshOnHistoryMiss": True,
        "allowNestedOobSwaps": False,
        "includeIndicatorStyles": False,
        "defaultSwapStyle": "outerHTML",
        # 422 carries a form with its errors and is swapped in place; other errors are announced by app.js.
        "responseHandling": [
            {"code": "204", "swap": False},
            {"code": "[23]..", "swap": True},
            {"code": "422", "swap": True},
            {"code": "[45]..", "swap": False, "error": True},
        ],
    },
    separators=(",", ":"),
)
UNITS = [("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)]


def init_app(app) -> None:
    app.jinja_env.filters["ago"] = time_ago
    app.jinja_env.filters["isoformat"] = lambda moment: moment.isoformat(timespec="seconds") + "Z"
    app.jinja_env.globals.update(HTMX_CONFIG=HTMX_CONFIG, MAX_DEPTH=MAX_DEPTH, BAN_TERMS=BAN_TERMS, ROLE_CHOICES=ROLE_CHOICES,
                                 url_for=url_for_by_pattern, absolute_url=absolute_url)
    # The member (or visitor) object itself, not the current_user proxy: a thread page asks it hundreds of questions.
    app.context_processor(lambda: {"viewer": current_user._get_current_object()})


ID_SENTINEL = 1_987_654_321  # a valid id whose digits occur in no route's fixed text


def url_for_by_pattern(endpoint: str, **values) -> str:
    """url_for, with the common case of a page listing many posts made cheap: a URL whose only value is an id.

    The route is built once per endpoint (with a sentinel id) and then filled in by string formatting, which
    gives the same URL as url_for for the same id; everything else (names, query strings, anchors, external URLs,
    blueprint-relative endpoints) goes to url_for itself.
    """
    if len(values) != 1 or endpoint.startswith("."):
        return url_for(endpoint, **values)
    (name, value), = values.items()
    if type(value) is not int or name.startswith("_"):
        return url_for(endpoint, **values)
    key = (endpoint, name, request.script_root if has_request_context() else None)
    patterns = current_app.extensions.setdefault("url_patterns", {})
    pattern = patterns.get(key)
    if pattern is None:
        pattern = patterns[key] = url_for(endpoint, **{name: ID_SENTINEL}).split(str(ID_SENTINEL))
        if len(pattern) != 2:  # the sentinel's digits showed up twice: never cut corners on such a route
            patterns[key] = pattern = None
    if pattern is None:
        return url_for(endpoint, **values)
    return f"{pattern[0]}{value}{pattern[1]}"


def absolute_url(endpoint: str, **values) -> str:
    """A link that leaves the page (feeds, link previews): on BASE_URL when it is set, else on the host asked for."""
    scheme = current_app.config["PREFERRED_URL_SCHEME"] if current_app.config["BASE_URL"] else None
    return url_for(endpoint, _external=True, _scheme=scheme, **values)


def time_ago(moment: datetime, now: datetime | None = None) -> str:
    """'just now', '1 minute ago', '3 hours ago', '2 years ago'."""
    seconds = max(0, int(((now or utcnow()) - moment).total_seconds()))
    for unit, size in UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"
