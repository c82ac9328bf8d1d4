"""Home page per role and the health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from .extensions import db
from .navigation import items_for

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in"))
    return render_template("home/index.html", tasks=items_for(current_user.role))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # the point of a health check is to report, not raise
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify({"status": "ok" if status == 200 else "error", "database": database}), status


@bp.get("/accessibility")
def accessibility():
    return render_template("home/accessibility.html")


@bp.get("/privacy")
def privacy():
    return render_template("home/privacy.html")
