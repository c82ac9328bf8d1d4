"""Home page per role and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user

from . import health
from .navigation import items_for

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in"))
    return render_template("home/index.html", tasks=items_for(current_user.role))


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. It does not touch the database (see /readyz)."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when the database and the receipts folder can both be written, else 503 naming what cannot."""
    checks = health.readiness()
    ready = all(state == "ok" for state in checks.values())
    failing = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    if failing:
        body["failing"] = failing
    return jsonify(body), 200 if ready else 503


@bp.get("/accessibility")
def accessibility():
    return render_template("home/accessibility.html")


@bp.get("/privacy")
def privacy():
    return render_template("home/privacy.html")
