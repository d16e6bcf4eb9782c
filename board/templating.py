"""What every template can use: the viewer, relative times, and the htmx configuration."""
import json
from datetime import datetime

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
    app.jinja_env.globals.update(HTMX_CONFIG=HTMX_CONFIG, MAX_DEPTH=MAX_DEPTH, BAN_TERMS=BAN_TERMS, ROLE_CHOICES=ROLE_CHOICES)
    app.context_processor(lambda: {"viewer": current_user})


def time_ago(moment: datetime, now: datetime | None = None) -> str:
    """'just now', '1 minute ago', '3 hours ago', '2 years ago'."""
    seconds = max(0, int(((now or utcnow()) - moment).total_seconds()))
    for unit, size in UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"
