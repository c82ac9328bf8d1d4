"""Sign-in, sign-out, passwords and the coordinator's account pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from ..boroughs import borough_choices, borough_name
from ..errors import flash_errors
from ..extensions import db
from ..forms import errors_onto
from ..mail import mail_configured, send_email
from ..permissions import Role, roles_required
from ..throttle import client_network, configured, email_in_form, limiter
from . import operations, queries
from .forms import AccountForm, CreateAccountForm, RequestResetForm, SetPasswordForm, SignInForm

bp = Blueprint("accounts", __name__)


@bp.errorhandler(operations.TooManyAttempts)
def throttled(error):
    """Sign-in is throttled: a page saying how long to wait (and Retry-After)."""
    response = make_response(render_template("accounts/throttled.html", wait=_wait_words(error.wait_seconds)), 429)
    response.headers["Retry-After"] = str(error.wait_seconds)
    return response


def _safe_next(target: str | None) -> str:
    """Only follow same-site relative redirects after sign-in."""
    # Browsers drop tabs and newlines from addresses ("/\t/evil" becomes "//evil", another site), so any
    # control character or space refuses the link, as do backslashes (read as slashes).
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(ch <= " " or ch in "\\\x7f" for ch in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(configured("SIGNIN_RATE_LIMIT"), methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    if form.validate_on_submit():
        with errors_onto(form, "password"):
            operations.sign_in(form.email.data, form.password.data, request.remote_addr or "unknown")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/sign-in.html", form=form)


def _wait_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@bp.post("/sign-out")
def sign_out():
    operations.end_session()
    flash("You have signed out.", "success")
    return redirect(url_for("accounts.sign_in"))


LINK_KEY = "account_link"


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(configured("LINK_RATE_LIMIT"))
def set_password(token: str):
    """Exchange the link's token for this browser's session, then continue at a token-free address.

    The token then never reaches access logs (beyond this first request, which the log filter in
    coordination/logs.py redacts), browser history or a Referer header.
    """
    link = operations.find_link(token)
    if link is None:
        return render_template("accounts/link-expired.html"), 410
    session[LINK_KEY] = link.token_hash
    if request.method == "POST":  # a form posted straight to the link (older pages, scripts)
        return choose_password()
    return redirect(url_for("accounts.choose_password"))


@bp.route("/set-password", methods=["GET", "POST"])
@limiter.limit(configured("LINK_RATE_LIMIT"))
def choose_password():
    link = operations.find_link_by_hash(session.get(LINK_KEY, ""))
    if link is None:
        session.pop(LINK_KEY, None)
        return render_template("accounts/link-expired.html"), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        with errors_onto(form, "password"):
            user = operations.set_password_with_link("", form.password.data, token_hash=link.token_hash)
            operations.start_session(user)  # a fresh session: the link's hash goes with the old one
            db.session.commit()
            flash("Your password is saved and you are signed in.", "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/set-password.html", form=form, link=link)


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(configured("RESET_RATE_LIMIT_NETWORK"), key_func=client_network, methods=["POST"])
@limiter.limit(configured("RESET_RATE_LIMIT_EMAIL"), key_func=email_in_form, methods=["POST"])
def request_reset():
    form = RequestResetForm()
    if form.validate_on_submit():
        user = queries.find_by_email(form.email.data)
        if user is not None and user.is_enabled:
            token = operations.issue_link(user, "reset")
            send_email(
                user.email,
                "Reset your password",
                f"Use this link within {current_app.config['RESET_LINK_HOURS']} hours to choose a new "
                f"password:\n\n{url_for('accounts.set_password', token=token, _external=True)}\n",
            )
        # Same answer whether or not the account exists.
        return render_template("accounts/reset-sent.html", mail_on=mail_configured())
    return render_template("accounts/request-reset.html", form=form)


@bp.get("/accounts")
@roles_required(Role.COORDINATOR)
def list_accounts():
    return render_template("accounts/list.html", users=queries.list_users(), borough_name=borough_name)


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def create_account():
    form = CreateAccountForm(borough_choices=borough_choices())
    if form.validate_on_submit():
        with errors_onto(form, "email"):
            user = operations.create_user(
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                boroughs=form.boroughs.data,
                actor=current_user,
            )
            return _issue_and_show(user, "setup")
    return render_template("accounts/create.html", form=form)


def _issue_and_show(user, purpose: str):
    token = operations.issue_link(user, purpose, actor=current_user)
    link = url_for("accounts.set_password", token=token, _external=True)
    emailed = send_email(
        user.email,
        "Your account" if purpose == "setup" else "Reset your password",
        f"Hello {user.name},\n\nUse this link to choose your password:\n\n{link}\n",
    )
    return render_template("accounts/link-issued.html", user=user, link=link, emailed=emailed, purpose=purpose)


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def edit_account(user_id: int):
    user = queries.get_user_or_404(user_id)
    form = AccountForm(obj=user, borough_choices=borough_choices())
    if request.method == "GET":
        form.role.data = user.role.value
        form.boroughs.data = user.borough_codes
    if form.validate_on_submit():
        with errors_onto(form, "role"):
            operations.update_user(
                user, name=form.name.data, role=form.role.data, boroughs=form.boroughs.data, actor=current_user
            )
            flash(f"Saved {user.name}'s account.", "success")
            return redirect(url_for("accounts.list_accounts"))
    return render_template("accounts/edit.html", form=form, user=user)


@bp.post("/accounts/<int:user_id>/link")
@roles_required(Role.COORDINATOR)
def issue_link(user_id: int):
    user = queries.get_user_or_404(user_id)
    if not user.is_enabled:
        abort(409)
    return _issue_and_show(user, "reset" if user.has_password else "setup")


@bp.post("/accounts/<int:user_id>/disable")
@roles_required(Role.COORDINATOR)
def disable_account(user_id: int):
    return _set_enabled(user_id, False)


@bp.post("/accounts/<int:user_id>/enable")
@roles_required(Role.COORDINATOR)
def enable_account(user_id: int):
    return _set_enabled(user_id, True)


def _set_enabled(user_id: int, enabled: bool):
    user = queries.get_user_or_404(user_id)
    with flash_errors():
        operations.set_enabled(user, enabled, actor=current_user)
        flash(f"{user.name}'s account is {'enabled' if enabled else 'disabled and signed out everywhere'}.", "success")
    return redirect(url_for("accounts.edit_account", user_id=user.id))
