"""Help pages: the guides list with a search box, and one guide with its contents."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from ..permissions import Role, roles_required
from ..terminology.search import expand_query
from .guides import LIBRARY, search

bp = Blueprint("help", __name__, url_prefix="/help")


def guide_url(slug: str) -> str:
    return url_for("help.guide", slug=slug)


def _operators() -> bool:
    """Guides for the people running the service (settings, servers) are shown to coordinators only."""
    return current_user.role == Role.COORDINATOR


@bp.get("")
@roles_required()
def index():
    q = " ".join(request.args.get("q", "").split())[:200]
    guides = LIBRARY.guides(guide_url, _operators())
    hits, also = [], []
    if q:
        phrases, _, also = expand_query(q)
        hits = search(guides, phrases, q)
    return render_template("help/index.html", guides=guides, q=q, hits=hits, also=also)


@bp.get("/<slug>")
@roles_required()
def guide(slug: str):
    found = LIBRARY.guide(slug, guide_url)
    if found is None or (found.operators and not _operators()):
        abort(404)
    return render_template("help/guide.html", guide=found)


@bp.app_template_global("help_url")
def help_url(slug: str, section: str = "") -> str:
    """A guide's Help page, at one of its sections, for any template: help_url("engagement", "the-gap-index")."""
    return url_for("help.guide", slug=slug) + (f"#{section}" if section else "")
