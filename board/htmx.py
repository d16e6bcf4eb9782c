"""The one place that knows how HTMX requests differ from plain form posts."""
from collections.abc import Callable

from flask import flash, make_response, redirect, render_template, request


def is_htmx() -> bool:
    """An HTMX request that wants a fragment (boosted navigations want whole pages)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def fragment_or_redirect(template: str, location: str | Callable[[], str], message: str | None = None, **context):
    """Success: the item's fragment for HTMX, or a 303 back to it (with a flash) for a plain form.

    `location` may be a function giving the URL, called only for the redirect: where a post is read costs a SELECT
    (board/ranking.py reply_url), which a fragment does not need."""
    if is_htmx():
        return render_template(template, **context)
    if message:
        flash(message)
    return redirect(location() if callable(location) else location, 303)


def form_again(template: str, fragment: str, **context):
    """Validation failed: the form with its errors, in place for HTMX (422 swapped by our config), else a page."""
    if is_htmx():
        response = make_response(render_template(fragment, **context), 422)
        response.headers["HX-Retarget"] = "this"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return render_template(template, **context), 422


def add_vary_header(response):
    response.vary.add("HX-Request")
    response.vary.add("HX-Boosted")  # a boosted navigation gets a whole page where a plain htmx request gets a fragment
    return response
