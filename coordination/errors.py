"""The one error path: operations raise OperationError; views and the app turn it into a page.

* `OperationError(message, field=None)` – a change that cannot be made. Views that show a form put the
  message back onto it with `coordination.forms.errors_onto(form, default_field)`; views that only post
  and redirect use `flash_errors()`; pages without a form class use `caught()`. All three are one
  mechanism (`caught`). One that escapes them is answered app-wide with its status.
* `NotAllowed` → 403, `Conflict` → 409, `NotFound` → 404, anything else → its `status` (400).
* Friendly pages for HTTP errors: plain English, no stack traces or SQL; JSON for `/api/`.
"""

from __future__ import annotations

from contextlib import contextmanager

from flask import Flask, current_app, flash, g, jsonify, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db


class OperationError(ValueError):
    """A change that cannot be made, with a message for the person; `field` names the form field it is about."""

    status = 400
    on_form = True  # errors_onto() puts it back on the form; False: answered app-wide with `status`

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(OperationError):
    """This person may not make this change (403)."""

    status = 403
    on_form = False


class Conflict(OperationError):
    """Someone else changed the record first (409): reload and try again."""

    status = 409


class NotFound(OperationError):
    """The thing to change does not exist (404)."""

    status = 404
    on_form = False


class Outcome:
    """What `caught` (and so `errors_onto`, `flash_errors`) caught: `error` is None when the block went through."""

    error: OperationError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


@contextmanager
def caught(*, refusals: bool = False):
    """The one place an OperationError is caught: the session is rolled back and the error kept.

    `with caught() as outcome:` – the block stops at the error and `outcome.error` holds it for the page to
    show. Errors that are not about the change itself (`on_form` False: NotAllowed 403, NotFound 404) go on
    to the app-wide handler, unless `refusals=True` (a refusal the person should read on the page, such as
    separation of duties). `errors_onto` (coordination.forms) and `flash_errors` are built on it.
    """
    outcome = Outcome()
    try:
        yield outcome
    except OperationError as error:
        if not (error.on_form or refusals):
            raise
        db.session.rollback()
        outcome.error = error


@contextmanager
def flash_errors(category: str = "error", *, refusals: bool = False):
    """For post-and-redirect views: an OperationError inside the block becomes a flashed message.

    The block stops at the error; the view carries on after it (usually to its redirect). `refusals` as
    for `caught`.
    """
    with caught(refusals=refusals) as outcome:
        yield outcome
    if outcome.failed:
        flash(str(outcome.error), category)


MESSAGES = {
    400: (
        "Something was wrong with that request",
        "Go back and try again. If it keeps happening, contact your coordinator.",
    ),
    403: (
        "You do not have permission to see this page",
        "If you think you should, ask your coordinator to check your account.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted it, check you copied all of it.",
    ),
    405: ("That action is not available here", "Go back and use the buttons on the page."),
    409: (
        "That change has already been made",
        "Someone (perhaps you, in another tab) got there first. Reload the page to see the latest.",
    ),
    410: ("This link is no longer available", "Ask your coordinator for a new one."),
    413: ("The file is too big", "Choose a smaller file and try again."),
    429: ("Too many attempts", "If you need help now, contact your coordinator."),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you saved has been lost."),
    503: (
        "Sorry, the service is unavailable just now",
        "Try again in a few minutes. If you were saving something, check it was saved when the service is back.",
    ),
}


def _render(status: int, description: str | None = None):
    title, advice = MESSAGES.get(status, MESSAGES[500])
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        body = {"error": title, "status": status}
        if description:
            body["detail"] = description
        return jsonify(body), status
    return render_template(
        "errors/error.html", status=status, title=title, advice=advice, description=description
    ), status


def _too_many():
    """A rate limit's 429: how long to wait, in words and in Retry-After."""
    import math
    import time

    from .throttle import limiter

    limit = limiter.current_limit
    seconds = max(1, math.ceil(limit.reset_at - time.time())) if limit else 15 * 60
    minutes = -(-seconds // 60)
    wait = f"{seconds} seconds" if seconds < 60 else f"{minutes} minute{'s' if minutes != 1 else ''}"
    response, status = _render(429, f"Too many requests came from here in a short time. Wait {wait}, then try again.")
    if not isinstance(response, tuple):
        response = current_app.make_response((response, status))
    response.headers["Retry-After"] = str(seconds)
    return response, status


def init_app(app: Flask) -> None:
    """Register handlers for operation errors, HTTP errors and unexpected exceptions."""

    @app.errorhandler(OperationError)
    def handle_operation(error: OperationError):
        db.session.rollback()
        return _render(error.status, str(error))

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if error.code == 400 and "CSRF" in (error.description or ""):
            return _render(
                400, "The form expired or was sent from somewhere else. Go back, reload the page and try again."
            )
        if error.code == 429:
            return _too_many()
        return _render(error.code)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - a dead connection cannot even roll back
            db.session.remove()
        if app.testing and not app.config.get("FRIENDLY_ERRORS_IN_TESTS"):
            raise error
        if isinstance(error, (OperationalError, InterfaceError)) or getattr(error, "connection_invalidated", False):
            # The database is out of reach: the page cannot know who is signed in, so it does not say.
            g.account_unknown = True
            g._login_user = app.login_manager.anonymous_user()  # so no template tries to load it again
            app.logger.error("Database unavailable on %s: %s", request.path, error)
            response, status = _render(503)
            if not isinstance(response, tuple):
                response = app.make_response((response, status))
            response.headers["Retry-After"] = "30"
            return response, status
        app.logger.exception("Unhandled error on %s", request.path)
        return _render(500)


def being_prepared(what: str, guide: str, section: str, retry_after: int = 30):
    """503 with a page saying `what` (such as "Engagement figures") is still being checked for small
    numbers in the background, a Try again button and a link to the guide's section on why."""
    page = render_template("preparing.html", what=what, guide=guide, section=section)
    return page, 503, {"Retry-After": str(retry_after)}
