"""A member's thread page: one copy shared by every member, and what is theirs filled in, in one pass.

A thread page differs between members in small places only: the account links in the header (name, inbox count),
their session's CSRF token, their follow or mute of the thread, and on each post their vote (the arrows'
aria-pressed), whether they saved it, whether they blocked its author, and whether they wrote it (the "you" badge,
Edit and Delete instead of voting and Report, their own hidden post shown to them). So the page is rendered once for
"any member" (`AnyMember`, votes `MarkedChoices`) with a marker in each of those places — a value (`by_viewer`), a
slot (the header's account links), or alternatives of which a member gets one (each post as its author sees it and
as everyone else does; the follow form in its three states) — and kept by the page cache for every member
(board/page_cache.py). Each member's request then loads their choices on the page (models.ViewerState: one SELECT)
and fills the markers: no render, no per-member copy. The HTML is the same as a full render for that member
(tests/test_member_pages.py). Moderators (whose tools depend on each author's role and ban) and pages of a hidden
thread are rendered in full, as before.

A marker is an HMAC of SECRET_KEY framed by control characters: stable across the workers sharing the cache, and
no post or title can contain one.
"""
import hashlib
import hmac
import re

from flask import current_app, g, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .models import ViewerState

BLOCKED_OPEN = Markup('<details class="blocked-post"><summary>Post by a member you blocked — show</summary>')
BLOCKED_CLOSE = Markup("</details>")
YOU_BADGE = Markup(' <span class="badge badge--you">you</span>')  # beside the viewer's own name on their posts


class AnyMember:
    """Who the shared copy is rendered for: a member in good standing who moderates nothing. `id`: a post's author,
    for that post as its author sees it; None, for everyone else."""

    is_authenticated, is_active, is_anonymous, shared = True, True, False, True

    def __init__(self, id: int | None = None) -> None:
        self.id = id

    def get_id(self) -> None:
        return None

    def is_banned(self, now=None) -> bool:
        return False

    def can_moderate(self) -> bool:
        return False

    def can_administer(self) -> bool:
        return False


class MarkedChoices(ViewerState):
    """The votes, saved posts, blocks and follow of "any member": none, with markers where each member's go."""


def marks() -> tuple[str, str]:
    """(opening, closing) of a marker in this app: from its SECRET_KEY, set by the time a page is rendered (not yet
    when `flask setup` builds the app that writes it)."""
    found = current_app.extensions.get("member_marks")
    if found is None:
        key = current_app.config["SECRET_KEY"]
        digest = hmac.new(key.encode(), b"member page marks", hashlib.sha256).hexdigest()[:16]
        found = current_app.extensions["member_marks"] = (f"\x02{digest}", "\x03")
    return found


def mark(code: str) -> Markup:
    opening, closing = marks()
    return Markup(f"{opening}{code}{closing}")


def marking(votes) -> bool:
    return isinstance(votes, MarkedChoices)


def by_viewer(votes, kind: str, ident: int, value):
    """`value` (what this viewer gets), or in the shared copy a marker that `fill` turns into each member's."""
    return mark(f"{kind}:{ident}") if type(votes) is MarkedChoices else value


def alternatives(votes, kind: str, options, current):
    """[(option, start, end)]: the one `current` option with empty markers; in the shared copy, every option, each
    between markers that keep it for the members it is for ("if:kind:option" … "end")."""
    if type(votes) is not MarkedChoices:
        return [(current, "", "")]
    return [(option, mark(f"if:{kind}:{'' if option is None else option}"), mark("end")) for option in options]


def readers_of(post, viewer, votes):
    """[(viewer, start, end)] to render a post for: this viewer; in the shared copy its author and everyone else."""
    if type(votes) is not MarkedChoices:
        return [(viewer, "", "")]
    author = post.author_id
    return [(AnyMember(author), mark(f"if:own:{author}"), mark("end")),
            (AnyMember(), mark(f"if:other:{author}"), mark("end"))]


def alternatives_of(author: int, own: str, others: str) -> str:
    """A post as its author sees it and as everyone else does, for the shared copy: what the two have in common
    once, around the two ways the middle reads (never cutting through a marker)."""
    opening, closing = marks()
    start = common_prefix(own, others)
    cut = own.rfind(opening[0], 0, start)
    if cut > own.rfind(closing, 0, start):
        start = cut
    end = common_suffix(own, others, start)
    closes, opens = own.find(closing, len(own) - end), own.find(opening[0], len(own) - end)
    if closes != -1 and (opens == -1 or closes < opens):
        end = len(own) - closes - 1
    own_middle, others_middle = own[start:len(own) - end], others[start:len(others) - end]
    return (f"{own[:start]}{mark(f'if:own:{author}')}{own_middle}{mark('end')}"
            f"{mark(f'if:other:{author}')}{others_middle}{mark('end')}{own[len(own) - end:]}")


def common_prefix(first: str, second: str) -> int:
    """The length of what the two strings start with alike (by halving: each comparison runs in C)."""
    low, high = 0, min(len(first), len(second))
    while low < high:
        middle = (low + high + 1) // 2
        if first[:middle] == second[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def common_suffix(first: str, second: str, prefix: int) -> int:
    """The length of what the two strings end with alike, not reaching into their common prefix."""
    low, high = 0, min(len(first), len(second)) - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if first[len(first) - middle:] == second[len(second) - middle:]:
            low = middle
        else:
            high = middle - 1
    return low


def slot(name: str) -> Markup:
    """Where a template of SLOTS goes, rendered for each member."""
    return mark(f"slot:{name}")


# What each marker holds in the copy as kept: what a member who chose nothing there gets (the arrows not pressed, the
# post not saved, its author not blocked), and nothing in a slot; the CSRF token is always filled in.
DEFAULTS = {"up": b"false", "down": b"false", "saved": b"false", "save-value": b"1", "save-label": b"Save",
            "blocked-open": b"", "blocked-close": b"", "you": b"", "csrf": b"", "slot": b""}
# templates/_<name>.html, rendered for each member where the copy has a slot: unless the member has nothing in it (the
# note on open spoilers, for a member who has not logged the film), where the slot keeps its default, empty.
SLOTS = {"account_nav": lambda: True, "spoilers_note": lambda: bool(g.get("spoilers_film"))}
CHOSEN = {"up": b"true", "down": b"true", "saved": b"true", "save-value": b"0", "save-label": b"Saved",
          "blocked-open": BLOCKED_OPEN.encode(), "blocked-close": BLOCKED_CLOSE.encode(), "you": YOU_BADGE.encode()}


class Copy:
    """A page (or one alternative in it) as kept: its text in segments, each marker a segment of its own holding the
    default; `index` finds the segments of each marker, (kind, argument) → positions. In the page itself, `extra`:
    the alternatives a member gets instead of the default ones, (kind, argument) → [(position, Copy)] — a post as
    its author sees it, the follow form of a follower; `inline`: where the default ones are, (kind, argument) →
    [(start, end)] — the same post as everyone else sees it, the follow form of a member who follows nothing."""

    __slots__ = ("segments", "index", "extra", "inline")

    def __init__(self) -> None:
        self.segments, self.index, self.extra, self.inline = [], {}, {}, {}

    def __getstate__(self):
        return self.segments, self.index, self.extra, self.inline

    def __setstate__(self, state) -> None:
        self.segments, self.index, self.extra, self.inline = state


def parse(html: str, csrf_token: str) -> Copy:
    """The shared copy, rendered with markers, as kept for every member (`fill` makes each member's page of it)."""
    opening, closing = marks()
    html = html.replace(csrf_token, f"{opening}csrf:{closing}")
    pieces = re.split(f"{re.escape(opening)}([^{re.escape(closing)}]*){re.escape(closing)}", html)
    page = current = Copy()
    inline = start = None
    for number, piece in enumerate(pieces):
        if not number & 1:
            current.segments.append(piece.encode())
            continue
        kind, _, argument = piece.partition(":")
        if kind == "if":  # "if:own:<author>", "if:other:<author>", "if:subscription:<level>"
            condition, _, value = argument.partition(":")
            group = (condition, int(value) if condition in ("own", "other") else value)
            if condition == "other" or group == ("subscription", ""):
                inline, start = group, len(page.segments)
            else:
                current = Copy()
                page.extra.setdefault(group, []).append((len(page.segments), current))
                page.segments.append(b"")
        elif kind == "end":
            if current is page:
                page.inline.setdefault(inline, []).append((start, len(page.segments)))
            current = page
        else:
            key = (kind, int(argument) if argument.isdigit() else argument)
            current.index.setdefault(key, []).append(len(current.segments))
            current.segments.append(DEFAULTS[kind])
    return page


def fill(page: Copy, viewer, choices: ViewerState) -> tuple[bytes, str]:
    """One member's page of the shared copy, and a tag of it (for the ETag) made without hashing the page: the
    copy's own parts are in its tag; what is the member's is hashed here."""
    me, subscription = viewer.id, choices.subscription or ""
    chosen = {"csrf": generate_csrf().encode()}
    marked = chosen_markers(choices)
    out = page.segments.copy()
    apply(page, out, me, marked, chosen)
    for group in (("own", me), ("subscription", subscription)):
        for position, alternative in page.extra.get(group, ()):
            segments = alternative.segments.copy()
            apply(alternative, segments, me, marked, chosen)
            out[position] = b"".join(segments)
    for group in (("other", me), *((("subscription", ""),) if subscription else ())):
        for start, end in page.inline.get(group, ()):
            out[start:end] = [b""] * (end - start)
    # The tag holds the session's token, not its signature, which is made afresh each second (in the slots too).
    signed, token = chosen.pop("csrf"), session.get("csrf_token", "").encode()
    filled = sorted((name, value.replace(signed, token)) for name, value in chosen.items())
    mine = (me, subscription, sorted(choices.items()), sorted(choices.bookmarked), sorted(choices.blocked), token,
            filled)
    return b"".join(out), hashlib.blake2b(repr(mine).encode(), digest_size=12).hexdigest()


def chosen_markers(choices: ViewerState) -> dict:
    """The markers whose value this member chose, (kind, argument) → bytes: the arrow of each of their votes, the
    saved state of each post they saved, the fold around each post of a member they blocked."""
    marked = {("up" if value == 1 else "down", post): b"true" for post, value in choices.items()}
    for post in choices.bookmarked:
        marked.update(((kind, post), CHOSEN[kind]) for kind in ("saved", "save-value", "save-label"))
    for author in choices.blocked:
        marked.update(((kind, author), CHOSEN[kind]) for kind in ("blocked-open", "blocked-close"))
    return marked


def apply(page: Copy, out: list, me: int, marked: dict, chosen: dict) -> None:
    """Fill in the markers of `page` (a copy of its segments in `out`) that are not the default for this member:
    `marked` (chosen_markers), found where they are in `page` (a set intersection: the page has hundreds of
    markers, one post as its author sees it a few, and a member may have voted on every post)."""
    index = page.index
    for position in index.get(("csrf", ""), ()):
        out[position] = chosen["csrf"]
    for position in index.get(("you", me), ()):
        out[position] = CHOSEN["you"]
    for name, has_content in SLOTS.items():
        positions = index.get(("slot", name), ())
        if positions and has_content():
            if name not in chosen:
                chosen[name] = render_slot(name)
            for position in positions:
                out[position] = chosen[name]
    for key in marked.keys() & index.keys():
        value = marked[key]
        for position in index[key]:
            out[position] = value


def render_slot(name: str) -> bytes:
    """A slot's template for the member of this request, without Flask's render_template: a slot needs the member
    (`viewer`, `current_user`) and the environment's globals (url_for, csrf_token, g, request), not what every context
    processor adds, which costs more than the slot itself. The same bytes (tests/test_member_pages.py)."""
    viewer = current_user._get_current_object()
    return current_app.jinja_env.get_template(f"_{name}.html").render(viewer=viewer, current_user=viewer).encode()


def init_app(app) -> None:
    app.jinja_env.globals.update(by_viewer=by_viewer, alternatives=alternatives, readers_of=readers_of,
                                 member_slot=slot, BLOCKED_OPEN=BLOCKED_OPEN, BLOCKED_CLOSE=BLOCKED_CLOSE,
                                 YOU_BADGE=YOU_BADGE)
