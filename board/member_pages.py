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

from flask import current_app, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .models import ViewerState

BLOCKED_OPEN = Markup('<details class="blocked-post"><summary>Post by a member you blocked — show</summary>')
BLOCKED_CLOSE = Markup("</details>")


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
    """(opening, closing) of a marker in this app."""
    return current_app.extensions["member_marks"]


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


def slot(name: str) -> Markup:
    return mark(f"slot:{name}")


def parse(html: str, csrf_token: str) -> list:
    """The shared copy as [text, (kind, argument), text, …]: what `fill` walks for each member."""
    opening, closing = marks()
    html = html.replace(csrf_token, f"{opening}csrf:{closing}")
    parts = re.split(f"{re.escape(opening)}([^{re.escape(closing)}]*){re.escape(closing)}", html)
    for index in range(1, len(parts), 2):
        kind, _, argument = parts[index].partition(":")
        if kind == "if":  # "if:own:<author>", "if:other:<author>", "if:subscription:<level>"
            condition, _, value = argument.partition(":")
            argument = (condition, int(value) if condition in ("own", "other") else value)
        parts[index] = (kind, int(argument) if isinstance(argument, str) and argument.isdigit() else argument)
    return parts


def fill(parts: list, viewer, choices: ViewerState) -> str:
    """The page for one member: each marker replaced by theirs, each alternative kept only if it is theirs."""
    votes, saved, blocked = choices, choices.bookmarked, choices.blocked
    subscription, me, token = choices.subscription or "", viewer.id, None
    out, keep = [], True
    append = out.append
    for index, part in enumerate(parts):
        if not index & 1:
            if keep:
                append(part)
            continue
        kind, argument = part
        if kind == "end":
            keep = True
        elif not keep:
            continue
        elif kind == "if":
            condition, value = argument
            keep = me == value if condition == "own" else me != value if condition == "other" else subscription == value
        elif kind == "csrf":
            if token is None:
                token = generate_csrf()
            append(token)
        elif kind == "up":
            append("true" if votes.get(argument) == 1 else "false")
        elif kind == "down":
            append("true" if votes.get(argument) == -1 else "false")
        elif kind == "saved":
            append("true" if argument in saved else "false")
        elif kind == "save-value":
            append("0" if argument in saved else "1")
        elif kind == "save-label":
            append("Saved" if argument in saved else "Save")
        elif kind == "blocked-open":
            append(BLOCKED_OPEN if argument in blocked else "")
        elif kind == "blocked-close":
            append(BLOCKED_CLOSE if argument in blocked else "")
        elif kind == "slot":
            append(render_template(f"_{argument}.html"))
    return "".join(out)


def init_app(app) -> None:
    digest = hmac.new(app.config["SECRET_KEY"].encode(), b"member page marks", hashlib.sha256).hexdigest()[:16]
    app.extensions["member_marks"] = (f"\x02{digest}", "\x03")
    app.jinja_env.globals.update(by_viewer=by_viewer, alternatives=alternatives, readers_of=readers_of,
                                 member_slot=slot, BLOCKED_OPEN=BLOCKED_OPEN, BLOCKED_CLOSE=BLOCKED_CLOSE)
