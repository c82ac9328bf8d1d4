"""Claims pages: contributors' own claims, the coordinator's review and dashboard, finance's batches."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import delete

from ..communities.interface import recent_event_choices
from ..errors import flash_errors
from ..extensions import db
from ..forms import errors_onto
from ..money import format_money, to_pounds
from ..params import whole_number
from ..permissions import Role, roles_required
from ..spreadsheet import csv_download
from ..text import clean, unstorable_characters
from ..throttle import allow
from ..timeutil import utcnow
from ..tokens import hash_token
from . import operations, queries
from .forms import (
    FLAG_FIELDS,
    ITEM_FIELDS,
    POLICY_FIELDS,
    DecisionForm,
    EditClaimForm,
    InviteForm,
    NewClaimForm,
    OnBehalfForm,
    PersonProfileForm,
    PolicyForm,
    ProfileForm,
    SendForm,
)
from .models import (
    AGREED_KINDS,
    FEE_KINDS,
    MILEAGE_KINDS,
    RECEIPT_KINDS,
    TRANSITIONS,
    Claim,
    ClaimState,
    FormStash,
    LineKind,
    PaymentBatch,
)
from .pricing import SETTINGS, tax_year_label

bp = Blueprint("claims", __name__)
C, F, U = Role.COORDINATOR, Role.FINANCE, Role.CONTRIBUTOR
STASH_COOKIE = "claims_stash"


# The operations name a line's amount "quantity"; the claim form asks for it as miles (or hours).
FIELDS = {"quantity": "miles"}


def _claim(claim_id: int):
    return queries.get_claim_for(claim_id, current_user)


# ---------------------------------------------------------------- contributors


@bp.get("/claims")
@roles_required(U)
def my_claims():
    claims = queries.claims_of(current_user)
    totals = queries.tax_year_totals(current_user)
    policy = operations.policy_for(None)
    unread = queries.unread_notifications(current_user)
    # One current notice at a time (the newest); the others wait in the news list.
    notice = unread[0] if unread else None
    if unread:
        operations.mark_read(current_user)
    return render_template(
        "claims/my-claims.html",
        claims=claims,
        total=totals["total"],
        totals=totals,
        notice=notice,
        more_news=len(unread) - 1 if unread else 0,
        threshold=policy.benefits_threshold_pence,
        profile=operations.get_profile(current_user),
        tax_year=tax_year_label(queries._uk_date(queries.utcnow())),
        clock=queries.payment_clock,
    )


@bp.get("/claims/news")
@roles_required(U)
def news():
    return render_template("claims/news.html", notices=queries.all_notifications(current_user))


@bp.post("/claims/news/<int:notice_id>/dismiss")
@roles_required(U)
def dismiss_notice(notice_id: int):
    operations.dismiss_notice(notice_id, user=current_user)
    return redirect(request.form.get("next") == "news" and url_for("claims.news") or url_for("claims.my_claims"))


@bp.route("/claims/my-details", methods=["GET", "POST"])
@roles_required(U)
def edit_profile():
    profile = operations.get_profile(current_user)
    form = ProfileForm(obj=profile)
    if request.method == "GET":
        form.payment_preference.data = profile.payment_preference.value
    if form.validate_on_submit():
        operations.save_profile(
            current_user,
            payment_preference=form.payment_preference.data,
            payee_reference=form.payee_reference.data,
            access_needs=form.access_needs.data,
            actor=current_user,
        )
        flash("Your details are saved.", "success")
        return redirect(url_for("claims.my_claims"))
    return render_template("claims/profile.html", form=form)


@bp.route("/claims/new", methods=["GET", "POST"])
@roles_required(U)
def new_claim():
    form = NewClaimForm(event_choices=recent_event_choices())
    if form.validate_on_submit():
        return _start_claim(form, current_user, "claims/new.html")
    return render_template("claims/new.html", form=form)


def _start_claim(form, claimant, template: str):
    """Start a claim for the claimant (an account or a person record) and go on to its items."""
    with errors_onto(form, refusals=True):
        claim = operations.create_claim(
            claimant,
            actor=current_user,
            activity_description=form.activity_description.data,
            activity_date=form.activity_date.data,
            event_id=form.event_id,
        )
        return redirect(url_for("claims.edit_claim", claim_id=claim.id))
    return render_template(template, form=form)


@bp.route("/claims/on-behalf", methods=["GET", "POST"])
@roles_required(C)
def new_on_behalf():
    form = OnBehalfForm(contributor_choices=queries.claimant_choices(), event_choices=recent_event_choices())
    if request.method == "GET" and request.args.get("person"):
        form.claimant.data = f"person-{whole_number(request.args.get('person'))}"
    if form.validate_on_submit():
        from ..accounts.models import User
        from ..communities.models import Person

        value = form.claimant.data or ""
        if value.startswith("person-"):
            claimant = db.session.get(Person, whole_number(value.removeprefix("person-")) or 0)
        else:
            claimant = db.session.get(User, whole_number(value) or 0)
        if claimant is None:
            form.claimant.errors.append("Choose the person the claim is for from the list")
            return render_template("claims/on-behalf.html", form=form)
        return _start_claim(form, claimant, "claims/on-behalf.html")
    return render_template("claims/on-behalf.html", form=form)


def _restore_stash(claim):
    """After signing in again, apply what was typed when the session ended (same browser, same claim)."""
    token = request.cookies.get(STASH_COOKIE)
    if not token:
        return None
    stash = db.session.query(FormStash).filter_by(token_hash=hash_token(token)).one_or_none()
    if stash is None or stash.claim_id != claim.id:
        return None
    if stash.created_at < utcnow() - timedelta(hours=current_app.config["FORM_STASH_HOURS"]):
        db.session.delete(stash)
        db.session.commit()
        return None
    data = stash.data
    db.session.delete(stash)
    db.session.commit()
    return data


@bp.route("/claims/<int:claim_id>/edit", methods=["GET", "POST"])
@roles_required(U, C)
def edit_claim(claim_id: int):
    claim = _claim(claim_id)
    if not claim.can_edit(current_user):
        if claim.is_editable:
            abort(403)
        flash("This claim has been sent, so it cannot be changed.", "info")
        return redirect(url_for("claims.view_claim", claim_id=claim.id))
    stashed = _restore_stash(claim) if request.method == "GET" else None
    if stashed:
        from werkzeug.datastructures import MultiDict

        form = EditClaimForm(formdata=MultiDict(stashed))
        saved = _save_claim_form(claim, form)
        flash(
            "You were signed out, but we kept what you typed. Check it and press Save."
            if not saved
            else "You were signed out, but we kept what you typed and saved it.",
            "info",
        )
        response = make_response(render_template("claims/edit.html", form=form, claim=claim, **_edit_context(claim)))
        response.delete_cookie(STASH_COOKIE)
        return response
    form = EditClaimForm(obj=claim)
    form.receipt_for.choices = _receipt_choices(claim)
    if request.method == "GET" and claim.draft_item:
        for name in ITEM_FIELDS:
            if name in claim.draft_item and name != "agreed_on":
                getattr(form, name).data = claim.draft_item[name]
    if request.method == "POST" and _save_claim_form(claim, form):
        return redirect(url_for("claims.edit_claim", claim_id=claim.id, _anchor="items"))
    return render_template("claims/edit.html", form=form, claim=claim, **_edit_context(claim))


def _edit_context(claim) -> dict:
    return {
        "fee_kinds": FEE_KINDS,
        "mileage_kinds": MILEAGE_KINDS,
        "agreed_kinds": AGREED_KINDS,
        "policy": operations.policy_for(claim.activity_date),
        "clock": queries.payment_clock(claim),
        "words": _words(claim),
    }


def _words(claim) -> dict:
    """The page speaks to the claimant ('your claim'), or about them to a coordinator entering it ('Jo's claim')."""
    if current_user.id == claim.claimant_id:
        return {"your": "your", "Your": "Your", "you": "you", "name": claim.first_name, "self": True}
    name = claim.first_name
    return {"your": f"{name}'s", "Your": f"{name}'s", "you": name, "name": name, "self": False}


def _receipt_choices(claim) -> list[tuple[str, str]]:
    """The items a receipt can support: tickets, taxis and stays on this claim."""
    return [("", "The item I am adding now, or the only one that needs it")] + [
        (str(line.id), f"{line.kind.title}: {line.pricing_note}") for line in claim.lines if line.kind in RECEIPT_KINDS
    ]


def _save_claim_form(claim, form) -> bool:
    """Save the activity first (so nothing is lost), then add the item and receipt; True when all went well."""
    form.validate()  # runs field checks; all problems are shown together
    ok = not form.errors
    activity_date = form.activity_date.data if not form.activity_date.errors else claim.activity_date
    with errors_onto(form, rename=FIELDS, refusals=True) as saved:
        operations.save_activity(
            claim,
            actor=current_user,
            activity_description=_storable_description(claim, form),
            activity_date=activity_date,
        )
    if saved.failed:
        return False
    added = bool(form.kind.data)
    new_line_id = None
    if added:
        if form.agreed_on.errors:  # the date it was agreed did not parse: say so once, add nothing
            form.agreed_on.errors = form.agreed_on.errors[:1]
            item_failed = True
        else:
            kind = LineKind(form.kind.data) if form.kind.data in {k.value for k in LineKind} else None
            quantity = form.hours.data if kind == LineKind.HOURLY_FEE else form.miles.data
            with errors_onto(form, rename=FIELDS, refusals=True) as item:
                operations.add_line(
                    claim,
                    actor=current_user,
                    kind=form.kind.data,
                    quantity=quantity,
                    passengers=form.passengers.data,
                    cost=form.cost.data,
                    description=form.description.data,
                    agreed_by=form.agreed_by.data,
                    agreed_on=form.agreed_on.data,
                )
            item_failed = item.failed
        if item_failed:
            ok = False
            _keep_draft_item(claim, form)
        else:
            new_line_id = claim.lines[-1].id if claim.lines else None
            flash(f"Added: {LineKind(form.kind.data).title}.", "success")
            for name in ITEM_FIELDS:
                getattr(form, name).data = None
            claim.draft_item = None
            db.session.commit()
    upload = request.files.get("receipt")
    if upload and upload.filename:
        with errors_onto(form, rename=FIELDS, refusals=True) as receipt:
            chosen = whole_number(form.receipt_for.data) if form.receipt_for.data else None
            operations.add_receipt(
                claim,
                actor=current_user,
                data=upload.read(operations.MAX_RECEIPT_BYTES + 1),
                filename=upload.filename,
                line_id=chosen or new_line_id,
            )
            flash("Your receipt is saved.", "success")
        ok = ok and not receipt.failed
    if ok and not added and not (upload and upload.filename):
        flash("Saved.", "success")
    return ok


def _storable_description(claim, form) -> str:
    """What was typed, unless the input policy refused it (then the saved text stays; the form shows the message)."""
    value = form.activity_description.data
    return claim.activity_description if value and unstorable_characters(value) else value


def _keep_draft_item(claim, form) -> None:
    """Keep the half-typed item on the draft so it is still there next time."""
    claim.draft_item = {name: clean(getattr(form, name).data or "") for name in ITEM_FIELDS if name != "agreed_on"}
    db.session.commit()


@bp.post("/claims/<int:claim_id>/autosave")
@roles_required(U, C)
def autosave(claim_id: int):
    claim = _claim(claim_id)
    if not claim.can_edit(current_user):
        return jsonify({"saved": False, "message": "This claim can no longer be changed"}), 409
    form = EditClaimForm()
    form.validate()
    activity_date = form.activity_date.data if not form.activity_date.errors else claim.activity_date
    try:
        operations.save_activity(
            claim,
            actor=current_user,
            activity_description=_storable_description(claim, form),
            activity_date=activity_date,
        )
        _keep_draft_item(claim, form)
    except operations.ClaimError as error:
        return jsonify({"saved": False, "message": str(error)}), 409
    return jsonify({"saved": True, "total": format_money(claim.total_pence)})


STASH_VALUE_LIMIT = 400  # a little over the longest field (300), so "must be 300 characters or fewer" still shows


def _stash_fields() -> frozenset[str]:
    """The names of the fields on the edit-claim form (never the CSRF token)."""
    from wtforms.fields.core import UnboundField

    return frozenset(
        name
        for name in dir(EditClaimForm)
        if isinstance(getattr(EditClaimForm, name), UnboundField) and name not in ("csrf_token", "submit")
    )


def _bounded_stash(form) -> dict:
    """The claim form's own fields, at most three values each, cleaned, and the whole under FORM_STASH_MAX_BYTES."""
    import json

    from ..text import clean

    data = {
        name: [clean(value)[:STASH_VALUE_LIMIT] for value in form.getlist(name)[:3]]
        for name in sorted(form)
        if name in _stash_fields()
    }
    limit = current_app.config["FORM_STASH_MAX_BYTES"]
    while len(json.dumps(data).encode()) > limit:  # only a crafted post gets here: shorten its longest value
        name, index = max(
            ((n, i) for n, values in data.items() for i in range(len(values))),
            key=lambda key: len(data[key[0]][key[1]].encode()),
        )
        value = data[name][index]
        data[name][index] = value[: len(value) // 2]
    return data


@bp.before_request
def _stash_when_signed_out():
    """A no-JavaScript post after the session ended: keep the typed fields until the person signs in again.

    Anyone signed out can post here, so the answer is the same whether or not the claim exists (a cookie,
    a message and the sign-in page), each browser keeps at most one small stash (a new post replaces the
    one its cookie names), stashes expire after FORM_STASH_HOURS (`flask housekeeping` deletes them), and
    the route is rate limited per address (ANONYMOUS_FORM_RATE_LIMIT).
    """
    if request.method == "POST" and request.endpoint == "claims.edit_claim" and not current_user.is_authenticated:
        if not allow("anonymous-claim-form", "ANONYMOUS_FORM_RATE_LIMIT"):
            abort(429)
        claim_id = request.view_args.get("claim_id")
        earlier = request.cookies.get(STASH_COOKIE)
        if earlier:
            db.session.execute(delete(FormStash).where(FormStash.token_hash == hash_token(earlier)))
        token = secrets.token_urlsafe(24)
        if db.session.get(Claim, claim_id) is not None:
            db.session.add(
                FormStash(token_hash=hash_token(token), claim_id=claim_id, data=_bounded_stash(request.form))
            )
        db.session.commit()
        from ..extensions import login_manager

        response = login_manager.unauthorized()
        hours = current_app.config["FORM_STASH_HOURS"]
        response.set_cookie(
            STASH_COOKIE,
            token,
            max_age=hours * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
        flash("You were signed out. Sign in again and we will bring back what you typed.", "info")
        return response
    return None


@bp.post("/claims/<int:claim_id>/items/<int:line_id>/remove")
@roles_required(U, C)
def remove_line(claim_id: int, line_id: int):
    claim = _claim(claim_id)
    with flash_errors():
        operations.remove_line(claim, line_id, actor=current_user)
        flash("Item removed.", "success")
    return redirect(url_for("claims.edit_claim", claim_id=claim.id, _anchor="items"))


@bp.route("/claims/<int:claim_id>/send", methods=["GET", "POST"])
@roles_required(U, C)
def send_claim(claim_id: int):
    claim = _claim(claim_id)
    if not claim.can_edit(current_user):
        if claim.is_editable:
            abort(403)
        return redirect(url_for("claims.view_claim", claim_id=claim.id))
    form = SendForm()
    words = _words(claim)
    if not words["self"]:
        form.declaration.label.text = (
            f"I confirm {claim.claimant_name} told me these details, the claim is true and "
            "they have not claimed for these things anywhere else"
        )
        form.answer.label.text = f"{words['name']}'s answer to the question"
        form.submit.label.text = f"Send {words['your']} claim"
    if form.validate_on_submit():
        # Problems elsewhere on the claim are shown beside the tick box.
        with errors_onto(form, "declaration"):
            operations.submit_claim(claim, actor=current_user, declared=form.declaration.data, answer=form.answer.data)
            flash(
                "Your claim is sent. We will tell you when it is approved and paid."
                if words["self"]
                else f"{words['Your']} claim is sent. Another coordinator must approve it.",
                "success",
            )
            return redirect(url_for("claims.view_claim", claim_id=claim.id))
    return render_template(
        "claims/send.html",
        form=form,
        claim=claim,
        clock=queries.payment_clock(claim),
        policy=operations.policy_for(claim.activity_date),
        words=words,
    )


@bp.route("/claims/<int:claim_id>/withdraw", methods=["GET", "POST"])
@roles_required(U)
def withdraw(claim_id: int):
    claim = _claim(claim_id)
    if request.method == "GET":
        return render_template("claims/withdraw.html", claim=claim)
    with flash_errors():
        operations.withdraw_claim(claim, actor=current_user)
        flash("Your claim is withdrawn.", "success")
    return redirect(url_for("claims.view_claim", claim_id=claim.id))


@bp.get("/claims/<int:claim_id>")
@roles_required(U, C, F)
def view_claim(claim_id: int):
    claim = _claim(claim_id)
    form = _decision_form(claim) if current_user.role == C else None
    return render_template("claims/view.html", **_view_context(claim, form))


def _view_context(claim, form) -> dict:
    from ..audit import history_for

    coordinator = current_user.role == C
    return {
        "claim": claim,
        "clock": queries.payment_clock(claim),
        "decision_form": form,
        "access_needs": _access_needs(claim),
        "words": _words(claim),
        "refusals": _refusals(claim) if coordinator else [],
        "warnings": operations.plausibility_warnings(claim)
        if coordinator and claim.state in (ClaimState.SUBMITTED, ClaimState.QUERIED)
        else [],
        "history": history_for("Claim", claim.id) if current_user.role in (C, F) else None,
    }


def _refusals(claim) -> list[str]:
    """Decisions the state allows but this coordinator may not make, with the reason."""
    return [
        reason
        for value, _ in DecisionForm.decision.kwargs["choices"]
        if claim.state in TRANSITIONS[value].sources and (reason := operations.refusal(claim, value, current_user))
    ]


def _decision_form(claim) -> DecisionForm | None:
    """Only the decisions the transition table allows from the claim's state and this coordinator may make."""
    allowed = [
        (value, title)
        for value, title in DecisionForm.decision.kwargs["choices"]
        if claim.state in TRANSITIONS[value].sources and not operations.refusal(claim, value, current_user)
    ]
    if not allowed:
        return None
    form = DecisionForm()
    form.decision.choices = allowed
    return form


def _access_needs(claim) -> str | None:
    """Coordinators see the contributor's access needs; finance and others do not."""
    if current_user.role != C:
        return None
    return operations.payment_profile(claim).access_needs


@bp.get("/claims/receipts/<int:receipt_id>")
@roles_required(U, C, F)
def download_receipt(receipt_id: int):
    receipt = queries.get_receipt_for(receipt_id, current_user)
    path = operations.receipt_path(receipt)
    if not path.exists():
        abort(404)
    return send_file(
        path, mimetype=receipt.content_type, as_attachment=True, download_name=receipt.original_name, max_age=0
    )


# ---------------------------------------------------------------- coordinators


@bp.get("/claims/review")
@roles_required(C)
def review_queue():
    # Unsent drafts are the contributor's own business: they never appear here.
    recent = queries.claims_in_states((ClaimState.APPROVED, ClaimState.REJECTED, ClaimState.PAID))
    return render_template(
        "claims/review.html", claims=queries.review_queue(), recent=recent[:50], clock=queries.payment_clock
    )


@bp.route("/claims/<int:claim_id>/decide", methods=["POST"])
@roles_required(C)
def decide(claim_id: int):
    claim = _claim(claim_id)
    form = _decision_form(claim) or DecisionForm()
    if form.validate_on_submit():
        # A refusal (separation of duties) is shown beside the decision, like any other problem.
        with errors_onto(form, "decision", refusals=True):
            if form.decision.data == "approve":
                operations.approve_claim(claim, actor=current_user, acknowledged=bool(form.acknowledge.data))
            elif form.decision.data == "query":
                operations.query_claim(claim, actor=current_user, question=form.text.data)
            else:
                operations.reject_claim(claim, actor=current_user, reason=form.text.data)
            flash(f"{claim.reference}: {claim.state.title}.", "success")
            return redirect(url_for("claims.review_queue"))
    return render_template("claims/view.html", form=form, **_view_context(claim, form))


@bp.get("/claims/dashboard")
@roles_required(C, F)
def dashboard():
    return render_template("claims/dashboard.html", data=queries.dashboard(), policy=operations.policy_for(None))


@bp.route("/claims/policy", methods=["GET", "POST"])
@roles_required(C)
def edit_policy():
    current = operations.policy_for(None)
    form = PolicyForm()
    if request.method == "GET":
        form.fill(current)
    if form.validate_on_submit():
        if form.effective_from.data is None:
            form.effective_from.errors.append("Enter the date these rates start")
        else:
            with errors_onto(form, refusals=True):
                operations.save_policy(
                    effective_from=form.effective_from.data, values=form.money_values(), actor=current_user
                )
                flash("The policy is saved. Claims for activities from that date use the new rates.", "success")
                return redirect(url_for("claims.edit_policy"))
    return render_template(
        "claims/policy.html",
        form=form,
        current=current,
        versions=queries.policies(),
        labels=POLICY_FIELDS,
        flags=FLAG_FIELDS,
        settings=SETTINGS,
    )


# ---------------------------------------------------------------- finance


@bp.get("/claims/payments")
@roles_required(F)
def finance_queue():
    return render_template(
        "claims/payments.html",
        claims=queries.approved_unbatched(),
        batches=queries.batches(),
        clock=queries.payment_clock,
    )


@bp.post("/claims/payments/batches")
@roles_required(F)
def create_batch():
    chosen = [whole_number(i) for i in request.form.getlist("claim_id") if whole_number(i)]
    with flash_errors(refusals=True):
        batch = operations.create_batch(actor=current_user, claim_ids=chosen or None)
        flash(f"Batch {batch.reference} is ready. Download it, pay it, then mark it paid.", "success")
        return redirect(url_for("claims.view_batch", batch_id=batch.id))
    return redirect(url_for("claims.finance_queue"))


def _batch(batch_id: int) -> PaymentBatch:
    return db.get_or_404(PaymentBatch, batch_id)


def _payee_reference(claim) -> str | None:
    return operations.payment_profile(claim).payee_reference


@bp.get("/claims/payments/batches/<int:batch_id>")
@roles_required(F)
def view_batch(batch_id: int):
    batch = _batch(batch_id)
    rows = queries.payment_rows(batch.claims, _payee_reference)
    return render_template(
        "claims/batch.html",
        batch=batch,
        rows=rows,
        totals=queries.batch_totals(batch.claims),
        kind_titles=queries.KIND_TITLES,
        references={c.id: _payee_reference(c) for c in batch.claims},
    )


BATCH_CSV_COLUMNS = [
    "payee_reference",
    "payee_name",
    "payment_kind",
    "pay_by",
    "amount",
    "claim_references",
    "payment_preference",
    "batch",
]


@bp.get("/claims/payments/batches/<int:batch_id>.csv")
@roles_required(F)
def batch_csv(batch_id: int):
    batch = _batch(batch_id)
    rows = queries.payment_rows(batch.claims, _payee_reference)
    # One row per payee and kind: fees, expenses and voucher fees never share an amount.
    # Names and payee references are typed by people: csv_download keeps them from running as formulas.
    return csv_download(
        f"{batch.reference}.csv",
        BATCH_CSV_COLUMNS,
        (
            [
                row.payee_reference,
                row.payee_name,
                row.kind,
                row.pay_by,
                f"{to_pounds(row.pence)}",
                " ".join(row.claim_references),
                row.payment_preference,
                batch.reference,
            ]
            for row in rows
        ),
    )


@bp.get("/claims/payments/vouchers")
@roles_required(F)
def vouchers():
    return render_template("claims/vouchers.html", claims=queries.voucher_claims(), references=None)


@bp.post("/claims/payments/batches/<int:batch_id>/paid")
@roles_required(F)
def mark_batch_paid(batch_id: int):
    batch = _batch(batch_id)
    with flash_errors(refusals=True):
        changed = operations.mark_batch_paid(batch, actor=current_user)
        flash(
            f"Batch {batch.reference} is marked paid."
            if changed
            else f"Batch {batch.reference} was already marked paid; nothing changed.",
            "success",
        )
    return redirect(url_for("claims.view_batch", batch_id=batch.id))


# ---------------------------------------------------------------- people without accounts


def _person(person_id: int):
    from ..communities.models import Person

    return db.get_or_404(Person, person_id)


@bp.route("/claims/people/<int:person_id>/payment-details", methods=["GET", "POST"])
@roles_required(C, F)
def person_payment_details(person_id: int):
    person = _person(person_id)
    profile = operations.get_person_profile(person)
    account = operations._account_for(person)
    if account is not None:
        profile = operations.get_profile(account)
    form = PersonProfileForm(obj=profile)
    if request.method == "GET":
        form.payment_preference.data = profile.payment_preference.value
    if form.validate_on_submit():
        with errors_onto(form, refusals=True):
            operations.save_person_profile(
                person,
                payment_preference=form.payment_preference.data,
                payee_reference=form.payee_reference.data,
                access_needs=form.access_needs.data,
                actor=current_user,
            )
            flash(f"{person.name}'s payment details are saved.", "success")
            back = whole_number(request.args.get("claim"))
            return redirect(
                url_for("claims.edit_claim", claim_id=back)
                if back
                else url_for("claims.person_payment_details", person_id=person.id)
            )
    return render_template("claims/person-payment.html", form=form, person=person, account=account)


@bp.route("/claims/people/<int:person_id>/invite", methods=["GET", "POST"])
@roles_required(C)
def invite_claimant(person_id: int):
    person = _person(person_id)
    form = InviteForm(email=person.email)
    if form.validate_on_submit():
        with errors_onto(form, refusals=True):
            user, token = operations.invite_claimant(person, email=form.email.data, actor=current_user)
            from ..mail import send_email

            link = url_for("accounts.set_password", token=token, _external=True)
            emailed = send_email(
                user.email,
                "Your account",
                f"Hello {user.name},\n\nYou now have an account for your claims. "
                f"Use this link to choose your password:\n\n{link}\n",
            )
            return render_template("accounts/link-issued.html", user=user, link=link, emailed=emailed, purpose="setup")
    return render_template("claims/invite.html", form=form, person=person)
