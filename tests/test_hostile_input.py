"""Hostile input through every place a member can type, checked on the HTML the board then serves (security item 4).

A corpus of hostile Markdown/HTML (written for this board from the public catalogues: OWASP's XSS filter evasion
cheat sheet, PortSwigger's XSS cheat sheet, htmx's security notes, bleach's advisories) goes in through the real
routes — thread title and body, film title, a reply by htmx and by a plain form, the bio, the reasons of a hide, a
ban and a report resolution, a report's details, and search — as the role that can use each. Every page that then
shows it (thread, front and film pages, search, profile, moderation log, reports queue, feeds) is parsed with
html5lib, which reads HTML as browsers do, and must hold nothing executable: no script but the board's own, no
event handler, no hx-* attribute but the board's own (and none inside member content), no javascript:/data:/vbscript:
URL, no style, no injected element, and member content still inside its `hx-disable` wrapper. Each request stays
within a budget that does not depend on the machine: SQL statements per request, and a response size bounded by
the input's.

One board serves the whole module (a fresh board per case would cost minutes): every case posts into new threads
or posts of its own, so cases do not lean on each other.
"""
import html
import re
import xml.etree.ElementTree as ElementTree
from urllib.parse import urlencode

import pytest
from bleach._vendor import html5lib

from board.extensions import db
from board.limits import DEFAULT_LIMITS
from board.models import Film, Post, Report, Role, Thread, User
from board.templating import HTMX_CONFIG

from .conftest import TEST_DATABASE_URL, dispose, make_test_app, reset_database
from .factories import make_reply, make_thread, make_user
from .test_markup import _check_element

# Every hostile value carries one of these, so an attribute or element that comes from the corpus can be told
# from the board's own markup (a film slug made from a hostile title is harmless text, and never matches them).
HOSTILE_VALUE = re.compile(r"alert\(|pwn\.example|/pwn-hx|pwn-config", re.IGNORECASE)
BIDI_AND_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

CORPUS = {
    # Script and event handlers, in every spelling (OWASP filter evasion; PortSwigger's event list).
    "script": "<script>alert('pwn')</script>",
    "script-upper-src": "<SCRIPT SRC=https://pwn.example/x.js></SCRIPT>",
    "script-split": "<scr<script>ipt>alert('pwn')</scr</script>ipt>",
    "script-unclosed": "<script>alert('pwn')",
    "img-onerror": "<img src=x onerror=alert('pwn')>",
    "img-onerror-mixed-case": "<IMG SRC=x OnErRoR=alert('pwn')>",
    "img-slashes": "<img/src/onerror=alert('pwn')>",
    "img-entity-handler": '<img src=x onerror="&#97;lert(\'pwn\')">',
    "body-onload": "<body onload=alert('pwn')>",
    "svg-onload": "<svg/onload=alert('pwn')>",
    "details-ontoggle": "<details open ontoggle=alert('pwn')>x</details>",
    "a-onmouseover": "<a href=\"https://ok.example\" onmouseover=alert('pwn')>x</a>",
    "handler-after-newline": "<div\nonclick=alert('pwn')>x</div>",
    "input-autofocus": "<input autofocus onfocus=alert('pwn')>",
    "custom-tag-handler": "<x onclick=alert('pwn')//>x",
    "attribute-breakout-double": "\"><script>alert('pwn')</script>",
    "attribute-breakout-single": "'><img src=x onerror=alert('pwn')>",
    "title-breakout": "</title><script>alert('pwn')</script>",
    "textarea-breakout": "</textarea><script>alert('pwn')</script>",
    "noscript-mxss": "<noscript><p title=\"</noscript><img src=x onerror=alert('pwn')>\">",
    "comment-breakout": "<!-- --!><script>alert('pwn')</script> -->",
    "cdata": "<![CDATA[<script>alert('pwn')</script>]]>",
    "style-element": "<style>@import 'https://pwn.example/x.css';</style>",
    "style-attribute": "<p style=\"background:url(javascript:alert('pwn'))\">x</p>",
    # javascript:/data:/vbscript: in links, images and reference definitions, with entity and whitespace tricks.
    "js-link": "[x](javascript:alert('pwn'))",
    "js-link-mixed-case": "[x](JaVaScRiPt:alert('pwn'))",
    "js-link-decimal-entity": "[x](&#106;avascript:alert('pwn'))",
    "js-link-hex-entities-colon": "[x](&#x6A;&#x61;vascript&colon;alert('pwn'))",
    "js-link-tab-entity": "[x](java&#x09;script:alert('pwn'))",
    "js-link-newline-entity": "[x](java&#10;script:alert('pwn'))",
    "js-link-padded": "[x](   javascript:alert('pwn')   )",
    "js-link-angle": "[x](<javascript:alert('pwn')>)",
    "js-link-control-prefix": "[x](\x01javascript:alert('pwn'))",
    "js-link-percent": "[x](%6A%61vascript:alert('pwn'))",
    "data-link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#alert('pwn'))",
    "vbscript-link": "[x](vbscript:msgbox(\"pwn.example\"))",
    "js-image": "![pwn](javascript:alert('pwn'))",
    "data-svg-image": "![pwn](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+#alert('pwn'))",
    "js-reference": "[x][pwn]\n\n[pwn]: javascript:alert('pwn')",
    "js-reference-entity-angle": "[x][pwn]\n\n[pwn]: <&#106;avascript:alert('pwn')> \"t\"",
    "data-reference-next-line": "[x][pwn]\n\n[pwn]:\n  data:text/html,<script>alert('pwn')</script>",
    "js-autolink": "<javascript:alert('pwn')>",
    "js-raw-anchor-newline": "<a href=\"jav&#x0A;ascript:alert('pwn')\">x</a>",
    "bare-url-quote-breakout": "https://ok.example/\"onmouseover=\"alert('pwn')",
    "link-title-breakout": "[x](https://ok.example \"t\\\" onmouseover=\\\"alert('pwn')\")",
    # SVG and MathML namespace confusion (bleach advisories; DOMPurify's mXSS write-ups).
    "svg-script": "<svg><script>alert('pwn')</script></svg>",
    "math-mglyph-style": "<math><mtext><table><mglyph><style><img src=x onerror=alert('pwn')>",
    "svg-style-img": "<svg><style><img src=x onerror=alert('pwn')></style></svg>",
    "math-xlink": "<math><mi xlink:href=\"javascript:alert('pwn')\">x</mi></math>",
    "svg-a-xlink": "<svg><a xlink:href=\"javascript:alert('pwn')\"><text>x</text></a></svg>",
    "form-math-mxss": "<form><math><mtext></form><form><mglyph><svg><mtext><textarea><path id=\"</textarea>"
                      "<img onerror=alert('pwn') src=1>\">",
    # htmx: hx-* and data-hx-* in every case, hx-on forms, out-of-band swaps, an injected config (htmx security docs).
    "hx-get-load": "<div hx-get=\"/pwn-hx\" hx-trigger=\"load\">x</div>",
    "hx-upper-case": "<div HX-GET=\"/pwn-hx\" Hx-Trigger=\"load\">x</div>",
    "data-hx-mixed-case": "<div data-hx-post=\"/pwn-hx\" DATA-HX-TRIGGER=\"load\">x</div>",
    "hx-on-colon": "<div hx-on:click=\"alert('pwn')\">x</div>",
    "hx-on-forms": "<div hx-on::load=\"alert('pwn')\" hx-on--after-request=\"alert('pwn')\" "
                   "HX-ON:htmx:load=\"alert('pwn')\">x</div>",
    "data-hx-on": "<div data-hx-on:click=\"alert('pwn')\">x</div>",
    "hx-swap-oob": "<div id=\"site-search-q\" hx-swap-oob=\"true\" hx-get=\"/pwn-hx\">x</div>",
    "htmx-config-meta": "<meta name=\"htmx-config\" content='{\"selfRequestsOnly\":false,\"allowEval\":true,\"pwn-config\":1}'>",
    "hx-vals-js": "<div hx-vals='js:{a:alert(\"pwn\")}' hx-post=\"/pwn-hx\">x</div>",
    "hx-in-link-title": "[x](https://ok.example/ \"hx-get=/pwn-hx\")",
    "hx-markdown-attribute-syntax": "[x](https://ok.example/){hx-get=/pwn-hx hx-trigger=load}",
    # Leaving the post's wrapper, or the page's other contexts.
    "close-wrapper": "</div></div></article><div hx-get=\"/pwn-hx\" hx-trigger=\"load\">x</div>",
    "close-wrapper-script": "</div><script>alert('pwn')</script><div>",
    "feed-breakout": "]]></content><script>alert('pwn')</script>",
    "injected-elements": "<base href=\"https://pwn.example/\"><iframe srcdoc=\"<script>alert('pwn')</script>\"></iframe>"
                         "<object data=\"javascript:alert('pwn')\"></object><embed src=\"javascript:alert('pwn')\">",
    "injected-form": "<form action=\"https://pwn.example/\"><button formaction=\"javascript:alert('pwn')\">x</button></form>",
    "meta-refresh": "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('pwn')\">",
    # Spoiler syntax turned against itself.
    "spoiler-img": "||<img src=x onerror=alert('pwn')>||",
    "spoiler-block-info": "```spoiler\" open onclick=\"alert('pwn')\nx\n```",
    "fence-info": "```js\" onclick=\"alert('pwn')\nx\n```",
    # Bidi overrides and zero-width characters (in names they must be refused or neutralized).
    "bidi-override": "pwn \u202egnp.exe\u202c alert('pwn')",
    "bidi-isolates-and-zero-width": "\u2066pwn\u2069 ze\u200bro\u200dwi\ufeffdth alert('pwn')",
    "rtl-mark-embedding": "alert('pwn') \u200f\u202bembedded",
    # Denial-of-service shapes.
    "dos-200k-characters": "alert('pwn') " + "x" * 200_000,
    "dos-deep-blockquotes": "> " * 10_000 + "alert('pwn')",
    "dos-deep-lists": "".join("  " * depth + "- alert('pwn')\n" for depth in range(400)),
    "dos-deep-brackets": "[" * 20_000 + "alert('pwn')" + "]" * 20_000,
    "dos-25k-emphasis-markers": "**" * 6_250 + "alert('pwn')" + "**" * 6_250,
    "dos-25k-stars": "*" * 25_000 + "alert('pwn')",
    "dos-parentheses": "[x](" + "(" * 40_000 + ")" * 40_000 + ") alert('pwn')",
    "dos-angle-brackets": "<" * 30_000 + "alert('pwn')",
}

# What the board itself writes: its own htmx attributes, its own scripts (the CSP allows no inline script).
BOARD_HX_ATTRIBUTES = {
    "hx-disable", "hx-disabled-elt", "hx-get", "hx-headers", "hx-include", "hx-post", "hx-push-url", "hx-select",
    "hx-swap", "hx-swap-oob", "hx-sync", "hx-target", "hx-trigger",
}
NEVER_SERVED = {"iframe", "object", "embed", "base", "frame", "frameset", "svg", "math", "img", "video", "audio",
                "style", "noscript", "applet", "portal"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "ping", "srcset", "cite"}
DANGEROUS_SCHEME = re.compile(r"(javascript|vbscript|data):", re.IGNORECASE)

# The budget of one request, whatever the machine: SQL statements, and bytes served per byte typed.
STATEMENTS_PER_REQUEST = 25
PAGE_BYTES = 160_000  # the largest page here with ordinary text
BYTES_PER_CHARACTER_TYPED = 8  # "<" is served as "&lt;" in the post and again in a form's textarea


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One board for the module (overriding conftest's per-test board); limits raised so hundreds of posts go in."""
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'board.db'}"
    board = make_test_app(url, RATE_LIMITS={name: "100000 per hour" for name in DEFAULT_LIMITS})
    reset_database(board)
    yield board
    reset_database(board, create_tables=False)
    dispose(board)


@pytest.fixture(scope="module")
def people(app):
    """Two members (one writes threads, one only a bio), a moderator and an admin, each logged in; and a visitor."""
    users = {"writer": make_user(app, "writer"), "bio_writer": make_user(app, "biographer"),
             "moderator": make_user(app, "moddy", Role.MODERATOR), "admin": make_user(app, "boss", Role.ADMIN)}
    clients = {"visitor": app.test_client(), "users": users}
    for role, user in users.items():
        clients[role] = app.test_client()
        clients[role].log_in(user)
    return clients


# Checking served HTML ----------------------------------------------------------------------------------------------

def local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()  # html5lib names SVG/MathML elements and xlink attributes {namespace}name


def assert_served_safely(page: str, where: str) -> None:
    """Nothing executable in a served page or fragment, however the hostile text went in.

    Member content (inside the board's `hx-disable` wrappers) must hold only the Markdown allow-list. Text that
    closed a wrapper would put its elements outside it: those are caught by the page-wide rules (no element the
    board never serves, no handler, style or dangerous URL, no hx-* attribute but the board's, none with a hostile
    value).
    """
    document = html5lib.parse(page, namespaceHTMLElements=False)
    in_member_content = set()
    for wrapper in (element for element in document.iter() if "hx-disable" in element.attrib):
        members = list(wrapper.iter())[1:]
        in_member_content.update(members)
        for element in members:  # the Markdown allow-list, exactly as test_markup states it
            _check_element(element)
    htmx_configs = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        tag, attributes = local(element.tag), {local(name): value for name, value in element.attrib.items()}
        context = f"{where}: <{tag} {attributes}>"
        assert tag not in NEVER_SERVED, context
        if tag == "script":
            assert attributes.get("src", "").startswith("/static/") and not (element.text or "").strip(), context
        if tag == "meta" and attributes.get("name") == "htmx-config":
            htmx_configs.append(attributes.get("content"))
        if tag in ("meta", "form", "input", "button", "textarea", "link", "title"):
            assert element not in in_member_content, context
        if tag == "form":  # the board's own forms post to its own paths
            action = attributes.get("action", "/")
            assert action.startswith("/") and not action.startswith("//") and not HOSTILE_VALUE.search(action), context
        if tag == "meta":  # a description or og: tag holds the text as an attribute value: inert; a refresh is not
            assert "http-equiv" not in attributes, context
        for name, value in attributes.items():
            assert not name.startswith("on"), context
            assert name != "style", context
            assert not name.startswith("xmlns"), context
            if name in URL_ATTRIBUTES:
                assert not DANGEROUS_SCHEME.match(re.sub(r"[\x00-\x20]", "", value)), context
            if name.startswith(("hx-", "data-hx-")):
                assert name in BOARD_HX_ATTRIBUTES, context
                assert not HOSTILE_VALUE.search(value), context
                assert element not in in_member_content, context
    assert len(htmx_configs) <= 1 and all(content == HTMX_CONFIG for content in htmx_configs), (where, htmx_configs)


def assert_feed_safe(feed: str, where: str) -> None:
    """A feed is well-formed XML, and the HTML it carries is as safe as a page."""
    root = ElementTree.fromstring(feed)
    for element in root.iter():
        assert element.tag.startswith("{http://www.w3.org/2005/Atom}"), (where, element.tag)
        if element.get("type") == "html":
            assert_served_safely(element.text or "", where)


def assert_names_neutralized(page: str, where: str) -> None:
    """Bidi controls and invisible characters typed into a name never reach the page bare (they may be isolated)."""
    document = html5lib.parse(page, namespaceHTMLElements=False)
    isolating = [element for element in document.iter() if element.tag == "bdi" or "dir" in element.attrib]
    isolated = {id(inner) for element in isolating for inner in element.iter()}
    for element in document.iter():
        for text in (element.text, element.tail):
            if text and BIDI_AND_INVISIBLE.search(text) and id(element) not in isolated:
                pytest.fail(f"{where}: {text!r} reaches the page with its bidi/invisible characters bare")


# Requests within budget ------------------------------------------------------------------------------------------

def within_budget(count_queries, typed: str, request):
    """Send one request; it must answer without a server error, in few statements, at a size bounded by the input."""
    with count_queries() as counter:
        response = request()
    body = response.get_data(as_text=True)
    assert response.status_code < 500, body[-2000:]
    assert counter.count <= STATEMENTS_PER_REQUEST, counter.statements
    assert len(body.encode()) <= PAGE_BYTES + BYTES_PER_CHARACTER_TYPED * len(typed.encode()), len(body)
    return response


def check_pages(people, count_queries, typed: str, pages, names: bool = False) -> None:
    for who, url in pages:
        response = within_budget(count_queries, typed, lambda: people[who].get(url))
        assert response.status_code == 200, (who, url, response.status_code)
        page = response.get_data(as_text=True)
        if url.endswith(".atom"):
            assert_feed_safe(page, url)
            if names:
                assert_names_neutralized(html.unescape(page), url)  # feed readers show the title's characters too
        else:
            assert_served_safely(page, url)
            if names:
                assert_names_neutralized(page, url)


def refused(response) -> bool:
    """Refused with a message (a form error, or a 4xx page saying why), as opposed to taken in."""
    return response.status_code in (400, 413, 422)


# The places a member can type ------------------------------------------------------------------------------------
# Each place sends one hostile text through its route and returns (response, pages of its own, pages shared with
# earlier inputs, whether the place is a name). Pages of its own show this input alone (its thread); shared ones
# (front page, film page, profile, search, feeds, moderation log, reports queue) show it among others.

def start_thread(people, count_queries, source, *, title="A hostile test", film="Vertigo", body="An opening post."):
    data = {"title": title, "film_title": film, "film_year": "1958", "body": body}
    return within_budget(count_queries, source, lambda: people["writer"].submit("/threads/new", data))


def film_page(app, thread_url: str) -> str:
    with app.app_context():
        thread_id = int(thread_url.rsplit("/", 1)[1])
        return "/films/" + db.session.scalar(db.select(Film.slug).join(Thread).where(Thread.id == thread_id))


def place_thread_title(app, people, count_queries, source):
    response = start_thread(people, count_queries, source, title=source)
    if refused(response):
        return response, [], [], True
    url = response.headers["Location"]
    return response, [("visitor", url)], [
        ("writer", "/?sort=new"), ("writer", film_page(app, url)), ("writer", "/u/writer"),
        ("visitor", "/feeds/front.atom")], True


def place_film_title(app, people, count_queries, source):
    response = start_thread(people, count_queries, source, film=source)
    if refused(response):
        return response, [], [], True
    url = response.headers["Location"]
    film = film_page(app, url)
    return response, [("visitor", film)], [
        ("writer", url), ("visitor", f"{film}/feed.atom"), ("writer", "/films"), ("writer", "/?sort=new")], True


def place_thread_body(app, people, count_queries, source):
    response = start_thread(people, count_queries, source, body=source)
    if refused(response):
        return response, [], [], False
    url = response.headers["Location"]
    return response, [("writer", url)], [
        ("visitor", url), ("writer", "/?sort=new"), ("writer", film_page(app, url)), ("writer", "/u/writer"),
        ("writer", "/search?q=alert+pwn"), ("visitor", f"{url}/feed.atom")], False


def _reply(app, people, count_queries, source, htmx: bool):
    thread = make_thread(app, people["users"]["moderator"])
    url = f"/posts/{thread.opening_post.id}/reply"
    response = within_budget(count_queries, source, lambda: people["writer"].submit(url, {"body": source}, htmx=htmx))
    if refused(response):
        return response, [], [], False
    return response, [("writer", f"/threads/{thread.id}")], [
        ("visitor", f"/threads/{thread.id}"), ("writer", "/u/writer?tab=replies"),
        ("visitor", f"/threads/{thread.id}/feed.atom")], False


def place_reply_by_htmx(app, people, count_queries, source):
    return _reply(app, people, count_queries, source, htmx=True)


def place_reply_by_form(app, people, count_queries, source):
    return _reply(app, people, count_queries, source, htmx=False)


def place_bio(app, people, count_queries, source):
    bio_writer = people["bio_writer"]  # a member with no threads: their profile page is the bio and little else
    name = people["users"]["bio_writer"].username
    response = within_budget(count_queries, source, lambda: bio_writer.submit(f"/u/{name}/bio", {"bio": source}))
    return response, [] if refused(response) else [("visitor", f"/u/{name}"), ("bio_writer", f"/u/{name}")], [], False


def _preview(app, people, count_queries, source, htmx: bool):
    """A preview stores nothing: only its own answer (the panel, or the reply page again) is checked."""
    thread = make_thread(app, people["users"]["moderator"])
    url = f"/posts/{thread.opening_post.id}/reply"
    data = {"body": source, "preview": f"reply-body-{thread.opening_post.id}"}
    response = within_budget(count_queries, source, lambda: people["writer"].submit(url, data, htmx=htmx))
    assert response.status_code in (200, 400, 413, 422), response.status_code
    return response, [], [], False


def place_preview_by_htmx(app, people, count_queries, source):
    return _preview(app, people, count_queries, source, htmx=True)


def place_preview_by_form(app, people, count_queries, source):
    return _preview(app, people, count_queries, source, htmx=False)


def _fresh_reply(app, people) -> Post:
    thread = make_thread(app, people["users"]["writer"])
    return make_reply(app, thread.opening_post, people["users"]["writer"])


def place_hide_reason(app, people, count_queries, source):
    post = _fresh_reply(app, people)
    response = within_budget(count_queries, source, lambda: people["moderator"].submit(
        f"/posts/{post.id}/hide", {"reason": source}, htmx=True))
    if refused(response):
        return response, [], [], True
    return response, [("visitor", f"/threads/{post.thread_id}")], [
        ("moderator", f"/threads/{post.thread_id}"), ("visitor", "/moderation/log")], True


def place_ban_reason(app, people, count_queries, source):
    member = make_user(app)
    response = within_budget(count_queries, source, lambda: people["admin"].submit(
        f"/members/{member.id}/ban", {"term": "7", "reason": source}, htmx=True))
    return response, [], [] if refused(response) else [("visitor", "/moderation/log"), ("admin", "/admin/members")], True


def place_report_details(app, people, count_queries, source):
    post = _fresh_reply(app, people)
    reporter = people["moderator"]  # anyone but the author may report; a moderator then reads the queue
    response = within_budget(count_queries, source, lambda: reporter.submit(
        f"/posts/{post.id}/report", {"reason": "other", "details": source}))
    return response, [], [] if refused(response) else [("moderator", "/moderation/reports")], False


def place_resolve_reason(app, people, count_queries, source):
    post = _fresh_reply(app, people)
    with app.app_context():
        Report.file(db.session.get(Post, post.id), db.session.get(User, people["users"]["admin"].id), "spam", None)
        db.session.commit()
    response = within_budget(count_queries, source, lambda: people["moderator"].submit(
        f"/moderation/reports/{post.id}/resolve", {"resolution": "hide", "reason": source}))
    if refused(response):
        return response, [], [], True
    return response, [("visitor", f"/threads/{post.thread_id}")], [("visitor", "/moderation/log")], True


def place_search(app, people, count_queries, source):
    url = "/search?" + urlencode({"q": source})
    response = within_budget(count_queries, source, lambda: people["writer"].get(url))
    return response, [("visitor", url)], [], False


def send(app, people, count_queries, place, source) -> list:
    """Send one input through a place and check what it serves itself; returns the shared pages to check."""
    response, own_pages, shared_pages, is_a_name = place(app, people, count_queries, source)
    if response.status_code != 303:  # a fragment, or the form again with its errors, is served too
        assert_served_safely(response.get_data(as_text=True), f"{place.__name__} response")
    if refused(response):
        return []
    names = is_a_name and place in NAME_PLACES and bool(BIDI_AND_INVISIBLE.search(source))
    check_pages(people, count_queries, source, own_pages, names=names)
    return [(page, names, source) for page in shared_pages]


# Every entry goes in alone through each Markdown place (one of the place's shared pages checked each time, in
# turn); the short fields take every entry that fits them, several entries (each its own request) per case,
# with the shared pages checked once after them.
MARKDOWN_PLACES = [place_thread_body, place_reply_by_htmx, place_reply_by_form, place_bio, place_preview_by_htmx,
                   place_preview_by_form]
SHORT_PLACES = [place_thread_title, place_film_title, place_hide_reason, place_ban_reason, place_report_details,
                place_resolve_reason, place_search]
SHORT = 300  # the longest short field takes 500; the DOS shapes go through the Markdown places
PER_CASE = 8
NAME_PLACES = (place_thread_title, place_film_title)
HIDDEN_CHARACTER_ENTRIES = [name for name, source in CORPUS.items() if BIDI_AND_INVISIBLE.search(source)]


def markdown_cases():
    for place in MARKDOWN_PLACES:
        for turn, (name, source) in enumerate(CORPUS.items()):
            yield pytest.param(place, source, turn, id=f"{place.__name__.removeprefix('place_')}-{name}")


def short_cases():
    fitting = [(name, source) for name, source in CORPUS.items()
               if len(source) <= SHORT and name not in HIDDEN_CHARACTER_ENTRIES]
    for place in SHORT_PLACES:
        for start in range(0, len(fitting), PER_CASE):
            names, sources = zip(*fitting[start:start + PER_CASE])
            yield pytest.param(place, sources, id=f"{place.__name__.removeprefix('place_')}-{names[0]}..{names[-1]}")


@pytest.mark.parametrize(("place", "source", "turn"), list(markdown_cases()))
def test_hostile_markdown_is_served_inert(app, people, count_queries, place, source, turn):
    shared = send(app, people, count_queries, place, source)
    if shared:
        page, names, typed = shared[turn % len(shared)]
        check_pages(people, count_queries, typed, [page], names=names)


@pytest.mark.parametrize(("place", "sources"), list(short_cases()))
def test_hostile_short_fields_are_served_inert(app, people, count_queries, place, sources):
    shared = {}
    for source in sources:
        for page, names, typed in send(app, people, count_queries, place, source):
            shared[page] = (shared.get(page, (False, ""))[0] or names, max(typed, shared.get(page, (0, ""))[1], key=len))
    for page, (names, typed) in shared.items():
        check_pages(people, count_queries, typed, [page], names=names)


# Bidi overrides and invisible characters: text anywhere, but in a name (a thread's or a film's title, shown in
# <title>, headings, lists and feeds, where no element can isolate them) they must be refused or neutralized.
@pytest.mark.parametrize("place", NAME_PLACES)
@pytest.mark.parametrize("entry", HIDDEN_CHARACTER_ENTRIES)
def test_bidi_and_invisible_characters_in_names_are_refused_or_neutralized(app, people, count_queries, place, entry):
    shared = send(app, people, count_queries, place, CORPUS[entry])
    for page, names, typed in shared:
        check_pages(people, count_queries, typed, [page], names=names)


@pytest.mark.parametrize("place", [place for place in SHORT_PLACES if place not in NAME_PLACES])
def test_bidi_and_invisible_characters_elsewhere_are_served_inert(app, people, count_queries, place):
    for entry in HIDDEN_CHARACTER_ENTRIES:
        for page, names, typed in send(app, people, count_queries, place, CORPUS[entry]):
            check_pages(people, count_queries, typed, [page], names=names)
