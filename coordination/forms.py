"""Form building blocks shared by every area: stripping base form, small validators, errors onto forms."""

from __future__ import annotations

from contextlib import contextmanager

from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.validators import StopValidation

from .errors import caught
from .text import problem as text_problem


def add_error(form, message: str, field: str | None = None, default: str | None = None) -> None:
    """Put a message on the named field (else `default`, else the form's first field)."""
    target = form._fields.get(field or "") or form._fields.get(default or "") or next(iter(form))
    target.errors = [*(target.errors or []), message]


@contextmanager
def errors_onto(form, default: str | None = None, *, rename: dict | None = None, refusals: bool = False):
    """Run a form's operation: an OperationError puts its message back onto the form instead of failing.

    ```
    if form.validate_on_submit():
        with errors_onto(form, "name"):
            org = operations.create_organisation(...)
            return redirect(...)
    return render_template(..., form=form)
    ```
    The message goes on the field the error names (`rename` maps an operation's name to the form's:
    `{"quantity": "miles"}`), else on `default`. NotAllowed and NotFound are not about the form (`on_form`
    False): they go on to the app-wide handler (403, 404), unless `refusals=True` (a refusal the person
    should read beside the form, such as separation of duties). `with ... as outcome` tells the view
    whether it failed (`outcome.failed`, `outcome.error`).
    """
    with caught(refusals=refusals) as outcome:
        yield outcome
    if outcome.failed:
        field = (rename or {}).get(outcome.error.field, outcome.error.field)
        add_error(form, str(outcome.error), field, default)


def form_page(form, save, template: str, **context):
    """A page with one form (create or edit): when it is sent and valid, `save()` runs – the operation under
    `errors_onto`, returning the redirect, or None when the form now shows the operation's message – else
    (or then) the page is shown with the form and its errors."""
    if form.validate_on_submit() and (done := save()):
        return done
    from flask import render_template

    return render_template(template, form=form, **context)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class StrippedForm(FlaskForm):
    """Every string field loses surrounding white space before validation (passwords are kept exact)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            from wtforms import PasswordField

            filters = list(unbound_field.kwargs.get("filters", []))
            if _strip not in filters and not issubclass(unbound_field.field_class, PasswordField):
                filters.insert(0, _strip)
            return unbound_field.bind(form=form, filters=filters, **options)

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)
        from govuk_frontend_wtf.wtforms_widgets import GovDateInput

        # The date widget shows exactly three boxes (day, month, year) and fails on any other number of
        # values; a tampered or scripted post can send one or four, so show what came in three boxes.
        for field in self:
            if isinstance(field.widget, GovDateInput) and field.raw_data is not None and len(field.raw_data) != 3:
                field.raw_data = (list(field.raw_data) + ["", "", ""])[:3]

    def validate(self, extra_validators=None) -> bool:
        """The field checks, then the one input policy (coordination/text.py) over every text the form took."""
        valid = super().validate(extra_validators)
        from wtforms import PasswordField

        for field in self:
            if isinstance(field, PasswordField) or field.type in ("CSRFTokenField", "FileField", "MultipleFileField"):
                continue  # passwords are hashed, never stored; files have their own checks
            values = field.raw_data or []
            message = next(filter(None, (text_problem(_label(field), v) for v in values if isinstance(v, str))), None)
            if message:
                field.errors = [message, *[e for e in field.errors if e != message]]
                valid = False
        return valid


def _label(field) -> str:
    text = field.label.text if field.label else field.name
    return text.rstrip("?:. ") or field.name


class Length:
    """Length check with the house message style ('Name must be 120 characters or fewer')."""

    def __init__(self, label: str, max: int | None = None, min: int | None = None):
        self.label, self.max, self.min = label, max, min

    def __call__(self, form, field):
        value = field.data or ""
        if self.min is not None and len(value) < self.min:
            raise ValidationError(f"{self.label} must be {self.min} characters or more")
        if self.max is not None and len(value) > self.max:
            raise ValidationError(f"{self.label} must be {self.max:,} characters or fewer")


class Required:
    """Presence check with a specific message ('Enter your email address')."""

    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        data = field.data
        if data is None or (isinstance(data, str) and not data.strip()) or data == []:
            field.errors[:] = []
            from wtforms.validators import StopValidation

            raise StopValidation(self.message)


class DateMessages:
    """DateField's own message is not plain English; replace it with ours."""

    def __init__(self, label: str):
        self.label = label

    def __call__(self, form, field):
        if field.raw_data and any(part.strip() for part in field.raw_data) and field.data is None:
            field.errors[:] = []
            raise StopValidation(f"{self.label} must be a real date, like 27 3 2026")
