"""Claim forms. Amounts are never form fields: the service prices every line."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)

from ..forms import Length, Required, StrippedForm
from .models import LineKind, PaymentPreference
from .pricing import SETTINGS

DATE_FORMAT = "%d %m %Y"


class UKDateField(DateField):
    """A GOV.UK three-part date with a plain-English message when it is not a real date."""

    def __init__(self, label, message="Enter a real date, like 27 3 2026", **kwargs):
        super().__init__(label, format=DATE_FORMAT, widget=GovDateInput(), **kwargs)
        self.bad_date_message = message

    def process_formdata(self, valuelist):
        # The GOV.UK widget needs exactly day, month and year back, even when the browser sent none.
        valuelist = (list(valuelist or []) + ["", "", ""])[:3]
        self.raw_data = valuelist
        if not any(v.strip() for v in valuelist):
            self.data = None
            self.raw_data = valuelist
            return
        try:
            super().process_formdata([" ".join(v.strip() for v in valuelist)] if valuelist else valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.bad_date_message) from None


class ProfileForm(StrippedForm):
    payment_preference = RadioField(
        "How do you want to be paid?",
        choices=PaymentPreference.choices(),
        validators=[Required("Choose how you want to be paid")],
        widget=GovRadioInput(),
    )
    payee_reference = StringField(
        "Your payee reference (if finance gave you one)",
        validators=[Length("Payee reference", max=60)],
        widget=GovTextInput(),
    )
    access_needs = TextAreaField(
        "Anything that helps you take part (optional)", validators=[Length("This", max=2000)], widget=GovTextArea()
    )
    submit = SubmitField("Save my details", widget=GovSubmitInput())


class ActivityForm(StrippedForm):
    activity_description = StringField(
        "What was the activity?", validators=[Length("The activity", max=300)], widget=GovTextInput()
    )
    activity_date = UKDateField("When was it?", validators=[])


class StartClaimForm(ActivityForm):
    """Starting a claim: an event from the communities list, or a description of the activity, and a date.
    No claim is created until these are valid."""

    event = SelectField("Which event was it?", widget=GovSelect(), default="", validate_choice=False)

    def validate_activity_description(self, field):
        if not (field.data or "").strip() and not self.event.data:
            raise ValidationError("Enter what the activity was, or choose the event")

    def validate_activity_date(self, field):
        from datetime import date

        if field.data is None and not field.errors and not self.event.data:
            raise ValidationError("Enter the date of the activity")
        if field.data is not None and field.data > date.today():
            raise ValidationError("The date of the activity must be today or in the past")

    def __init__(self, *args, event_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.event.choices = [("", "Something else (describe it below)")] + [(str(i), t) for i, t in event_choices]

    def validate_event(self, field):
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError("That event is no longer in the list. Choose another, or describe the activity")

    @property
    def event_id(self) -> int | None:
        return int(self.event.data) if self.event.data else None


class NewClaimForm(StartClaimForm):
    submit = SubmitField("Start my claim", widget=GovSubmitInput())


class OnBehalfForm(StartClaimForm):
    claimant = SelectField(
        "Who is the claim for?", validators=[Required("Choose the person the claim is for")], widget=GovSelect()
    )
    submit = SubmitField("Start the claim for them", widget=GovSubmitInput())

    def __init__(self, *args, contributor_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.claimant.choices = [("", "Choose a person")] + list(contributor_choices)


ITEM_FIELDS = ("kind", "miles", "hours", "passengers", "cost", "agreed_by", "agreed_on", "description")


class EditClaimForm(ActivityForm):
    """The whole draft on one page: the activity, one new item and one receipt; every submit saves."""

    kind = SelectField(
        "What do you want to add?",
        choices=[("", "Choose one")] + LineKind.choices(),
        widget=GovSelect(),
        validate_choice=False,
    )
    hours = StringField("Hours (for the hourly fee)", widget=GovTextInput())
    miles = StringField("Miles (for car, motorbike or bicycle)", widget=GovTextInput())
    passengers = StringField("Passengers in the car (if any)", widget=GovTextInput())
    cost = StringField("Cost in pounds (for tickets, taxi, care and the rest)", widget=GovTextInput())
    agreed_by = StringField(
        "Who agreed this cost before the activity?", widget=GovTextInput(), validators=[Length("Name", max=120)]
    )
    agreed_on = UKDateField("When did they agree it?")
    description = StringField(
        "Anything else about this item (optional)", widget=GovTextInput(), validators=[Length("This", max=300)]
    )
    receipt = FileField("Add a receipt or ticket (photo or PDF, up to 10 MB)", widget=GovFileInput())
    receipt_for = SelectField(
        "Which item is the receipt for?",
        widget=GovSelect(),
        default="",
        choices=[("", "The item I am adding now, or the only one that needs it")],
        validate_choice=False,
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class SendForm(StrippedForm):
    answer = TextAreaField(
        "Your answer to the question", validators=[Length("Your answer", max=2000)], widget=GovTextArea()
    )
    declaration = BooleanField(
        "I confirm this claim is true and I have not claimed for these things anywhere else", widget=GovCheckboxInput()
    )
    submit = SubmitField("Send my claim", widget=GovSubmitInput())


class DecisionForm(StrippedForm):
    decision = RadioField(
        "What do you want to do?",
        choices=[("approve", "Approve it"), ("query", "Ask the contributor a question"), ("reject", "Reject it")],
        validators=[Required("Choose what to do with the claim")],
        widget=GovRadioInput(),
        validate_choice=False,
    )
    text = TextAreaField(
        "Your question, or the reason for rejecting (the contributor will see this)",
        validators=[Length("This", max=2000)],
        widget=GovTextArea(),
    )
    acknowledge = BooleanField("I have checked the warnings above and the claim is right", widget=GovCheckboxInput())
    submit = SubmitField("Confirm", widget=GovSubmitInput())


def _policy_form():
    """The policy form, built from the one table of settings (labels, units and bounds live in SETTINGS)."""

    class PolicyForm(StrippedForm):
        effective_from = UKDateField("These rates apply to activities from")
        submit = SubmitField("Save the policy", widget=GovSubmitInput())

        def fill(self, policy) -> None:
            """Prefill every setting from a policy version, as it would be typed."""
            for setting in SETTINGS:
                field = getattr(self, setting.name)
                field.data = (
                    bool(getattr(policy, setting.name))
                    if setting.unit == "flag"
                    else setting.display(getattr(policy, setting.name))
                )

        def money_values(self) -> dict:
            """The typed settings as integers (pence for £ amounts) and yes/no flags."""
            return {
                setting.name: (
                    bool(getattr(self, setting.name).data)
                    if setting.unit == "flag"
                    else setting.parse(getattr(self, setting.name).data)
                )
                for setting in SETTINGS
            }

    def check(setting):
        def validator(form, field):
            try:
                setting.parse(field.data)
            except ValueError as error:
                raise ValidationError(str(error)) from None

        return validator

    for setting in SETTINGS:
        if setting.unit == "flag":
            field = BooleanField(setting.label, widget=GovCheckboxInput())
        else:
            field = StringField(
                setting.label,
                validators=[Required(f"Enter the {setting.short_label.lower()}"), check(setting)],
                widget=GovTextInput(),
            )
        setattr(PolicyForm, setting.name, field)
    return PolicyForm


PolicyForm = _policy_form()
POLICY_FIELDS = tuple(setting.name for setting in SETTINGS if setting.unit != "flag")
FLAG_FIELDS = tuple(setting.name for setting in SETTINGS if setting.unit == "flag")


class PersonProfileForm(StrippedForm):
    payment_preference = RadioField(
        "How do they want to be paid?",
        choices=PaymentPreference.choices(),
        validators=[Required("Choose how they want to be paid")],
        widget=GovRadioInput(),
    )
    payee_reference = StringField(
        "Their payee reference (from finance)", validators=[Length("Payee reference", max=60)], widget=GovTextInput()
    )
    access_needs = TextAreaField(
        "Anything that helps them take part (optional)", validators=[Length("This", max=2000)], widget=GovTextArea()
    )
    submit = SubmitField("Save their payment details", widget=GovSubmitInput())


class InviteForm(StrippedForm):
    email = StringField(
        "Their email address",
        validators=[Required("Enter their email address"), Length("Email address", max=254)],
        widget=GovTextInput(),
    )
    submit = SubmitField("Invite them to an account", widget=GovSubmitInput())

    def validate_email(self, field):
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(field.data or "", check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError("Enter an email address in the correct format, like name@example.org") from None
