"""What every template can use: the viewer, relative times, and the htmx configuration."""
import copy
import json
from collections import ChainMap
from datetime import datetime, timedelta
from functools import cached_property

from flask import current_app, g, has_request_context, request, url_for
from flask.templating import Environment
from flask_wtf.csrf import generate_csrf
from flask_login import current_user

from .assets import fingerprint
from .forms import BAN_TERMS, LEAVING_CHOICES, ROLE_CHOICES
from .models import MAX_DEPTH, avatar_colour, initials, is_deleted_name, shown_name, utcnow

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
SECOND = timedelta(seconds=1)
UNITS = [("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)]


def init_app(app) -> None:
    app.jinja_env.filters["ago"] = time_ago
    app.jinja_env.filters["shown_name"] = shown_name
    app.jinja_env.tests["deleted_name"] = is_deleted_name
    app.jinja_env.filters["isoformat"] = lambda moment: moment.isoformat(timespec="seconds") + "Z"
    app.jinja_env.globals.update(HTMX_CONFIG=HTMX_CONFIG, MAX_DEPTH=MAX_DEPTH, BAN_TERMS=BAN_TERMS, ROLE_CHOICES=ROLE_CHOICES, LEAVING_CHOICES=LEAVING_CHOICES,
                                 url_for=url_for_by_pattern, absolute_url=absolute_url,
                                 post_links=post_links, initials=initials, avatar_colour=avatar_colour,
                                 avatar_path=avatar_path)
    # The member (or visitor) object itself, not the current_user proxy: a thread page asks it hundreds of questions.
    app.context_processor(lambda: {"viewer": current_user._get_current_object()})


class TemplateGlobals(ChainMap):
    """A template's globals over the environment's, as Jinja keeps them, with keys() a set: on each `{% from … import
    … %}` Jinja takes the set of the page's global names minus these keys, which over a ChainMap's view asks for
    every name in turn through each map (a fiftieth of a thread page's CPU, for its five imports)."""

    def keys(self):
        return set(self)


class BoardEnvironment(Environment):
    """Flask's Jinja environment, its templates' globals TemplateGlobals."""

    def make_globals(self, d):
        return TemplateGlobals({} if d is None else d, self.globals)


ID_SENTINEL = 1_987_654_321  # a valid id whose digits occur in no route's fixed text


def url_for_by_pattern(endpoint: str, **values) -> str:
    """url_for, with the common case of a page listing many posts made cheap: a URL whose only value is an id.

    The route is built once per endpoint (with a sentinel id) and then filled in by string formatting, which
    gives the same URL as url_for for the same id. Other URLs (names, query strings, anchors, external URLs: the
    page's links around the posts) are built once per process for the same values, host and script root
    (`remembered_url`), and so are static files' once their fingerprint is known (board/assets.py reads it once per
    process, but in debug mode); blueprint-relative endpoints go to url_for itself.
    """
    if endpoint.startswith(".") or not has_request_context():
        return url_for(endpoint, **values)
    if endpoint == "static":
        if current_app.debug or fingerprint(values.get("filename", "")) is None:
            return url_for(endpoint, **values)
        return remembered_url(endpoint, values)
    if len(values) != 1:
        return remembered_url(endpoint, values)
    (name, value), = values.items()
    if type(value) is not int or name.startswith("_"):
        return remembered_url(endpoint, values)
    key = (endpoint, name, request.script_root if has_request_context() else None)
    patterns = current_app.extensions.setdefault("url_patterns", {})
    if key not in patterns:
        patterns[key] = id_pattern(endpoint, name)
    return filled(patterns[key], endpoint, name, value)


REMEMBERED_URLS = 4096  # URLs a process keeps (remembered_url); past that it starts again


def remembered_url(endpoint: str, values: dict) -> str:
    """url_for(endpoint, **values), built once per process for the same values and script root, and host for an
    external one: a route builds the same URL for them every time (the board matches no hosts or subdomains)."""
    try:
        key = (endpoint, request.script_root, request.host if values.get("_external") else None, *sorted(values.items()))
        hash(key)
    except TypeError:  # a list of values, or values that do not sort: built each time
        return url_for(endpoint, **values)
    urls = current_app.extensions.setdefault("remembered_urls", {})
    url = urls.get(key)
    if url is None:
        url = url_for(endpoint, **values)
        if len(urls) >= REMEMBERED_URLS:
            urls.clear()  # query strings come from readers: never grow without bound
        urls[key] = url
    return url


def id_pattern(endpoint: str, name: str, **fixed) -> list[str] | None:
    """The route's URL around its id, built once with a sentinel id; None if the sentinel's digits showed up twice
    (never cut corners on such a route)."""
    pattern = url_for(endpoint, **fixed, **{name: ID_SENTINEL}).split(str(ID_SENTINEL))
    return pattern if len(pattern) == 2 else None


def filled(pattern: list[str] | None, endpoint: str, name: str, value: int, **fixed) -> str:
    """The URL for this id: the pattern filled in, the same as url_for gives (which it asks where there is none)."""
    if pattern is None:
        return url_for(endpoint, **fixed, **{name: value})
    return f"{pattern[0]}{int(value)}{pattern[1]}"


def avatar_path(member_id: int, digest: str) -> str:
    """members.avatar's URL, by a string format: a thread page names hundreds of avatars (see its test)."""
    return f"{request.script_root}/avatars/{member_id}/{digest}.webp"


class PostLinks:
    """The links and the CSRF token in posts' HTML (templates/posts/_macros.html), cheap for a page of hundreds.

    Each route's URL is built with url_for once (a sentinel id, then split): per process for a post's own routes
    (url_for_by_pattern), per request for a focused branch; and filled in for every post after that; a member's
    profile URL once per member. The CSRF token is asked for once, and only when a form
    needs it: a visitor's page never starts a session.
    """

    def __init__(self) -> None:
        self._patterns: dict[tuple, list[str] | None] = {}
        self._profiles: dict[str, str] = {}

    def _fill(self, endpoint: str, name: str, value: int, **fixed) -> str:
        key = (endpoint, name, *fixed.values())
        if key not in self._patterns:
            self._patterns[key] = id_pattern(endpoint, name, **fixed)
        return filled(self._patterns[key], endpoint, name, value, **fixed)

    def post(self, endpoint: str, post_id: int) -> str:
        """url_for(endpoint, post_id=post_id), by the pattern url_for_by_pattern keeps for the process (a fragment
        names one post: built per request, its one URL would cost a url_for)."""
        return url_for_by_pattern(endpoint, post_id=post_id)

    def focus(self, thread_id: int, post_id: int) -> str:
        """The focused view of a reply's branch."""
        return self._fill("reading.focus", "post_id", post_id, thread_id=thread_id)

    def profile(self, username: str) -> str:
        url = self._profiles.get(username)
        if url is None:
            url = self._profiles[username] = url_for("members.profile", name=username)
        return url

    @cached_property
    def login(self) -> str:
        return url_for("auth.login")

    @cached_property
    def csrf_token(self) -> str:
        return generate_csrf()

    def with_csrf_token(self, token: str) -> "PostLinks":
        """The same links with another token in the forms (board/post_html.py keeps HTML with a marker there)."""
        links = copy.copy(self)
        links.__dict__["csrf_token"] = token
        return links


def post_links() -> PostLinks:
    """This request's PostLinks."""
    if "post_links" not in g:
        g.post_links = PostLinks()
    return g.post_links


def absolute_url(endpoint: str, **values) -> str:
    """A link that leaves the page (feeds, link previews): on BASE_URL when it is set, else on the host asked for."""
    scheme = current_app.config["PREFERRED_URL_SCHEME"] if current_app.config["BASE_URL"] else None
    return url_for(endpoint, _external=True, _scheme=scheme, **values)


def time_ago(moment: datetime, now: datetime | None = None) -> str:
    """'just now', '1 minute ago', '3 hours ago', '2 years ago'."""
    seconds = max(0, ((now or utcnow()) - moment) // SECOND)  # whole seconds (no float: a page asks for hundreds)
    for unit, size in UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"
