"""Preview: a Markdown box's text rendered exactly as it would be stored (by the one sanitizer), and not stored.

Every Markdown box (new thread, reply, edit, bio) has a Preview button (name="preview") that submits the box's own
form to its own route, which hands the form here before anything is saved. With htmx the answer is the preview
panel's content alone (templates/_preview.html, swapped in place); without JavaScript, the page again with the text
kept and the preview shown under it. Only the Markdown field is checked, with its own validators (a new thread's
preview needs no title yet), so too long a text is refused with the message posting gives. A preview is a POST:
CSRF-checked like every write, counted by the `previews` limit (board/limits.py) instead of the route's write limit,
never kept by the page cache (it keeps GETs only), and, being a member's, sent `no-store` (board/security.py).
"""
from collections.abc import Callable

from flask import render_template, request
from flask_wtf import FlaskForm
from wtforms import Field

from .htmx import is_htmx

PREVIEW = "preview"  # the Preview button's name


def wants_preview() -> bool:
    """This POST is a Preview button's, not a Save's."""
    return request.method == "POST" and PREVIEW in request.form


def preview_response(form: FlaskForm, field: Field, render: Callable[[str], str], page: str, **context):
    """The field's text rendered by `render` (the very function that renders it for storing), or the field's error.

    htmx gets the preview panel's content; a plain form gets `page` with the form, its text and the preview.
    """
    html = render(field.data or "") if field.validate(form) else None
    status = 422 if field.errors else 200
    if is_htmx():
        return render_template("_preview.html", preview=html, errors=field.errors), status
    return render_template(page, form=form, preview=html, **context), status
