"""The load balancers' health check, and the benchmark's hello-world ceiling: no database, no session."""
from flask import Blueprint, Response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 "ok" while this process serves requests; it touches neither the database nor the session.

    A database outage is not reported here on purpose: a balancer would take every server out at once.
    """
    return Response("ok", mimetype="text/plain", headers={"Cache-Control": "no-store"})
