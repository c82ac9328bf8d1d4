"""Claim forms. Amounts are never form fields: the service prices every line."""
from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (GovCheckboxInput, GovDateInput, GovFileInput, GovRadioInput,
                                                GovSelect, GovSubmitInput, GovTextArea, GovTextInput)
from wtforms import (BooleanField, DateField, FileField, RadioField, SelectField, StringField, SubmitField,
                     TextAreaField, ValidationError)

from ..forms import Length, Required, StrippedForm
from ..money import to_pence
from .models import LINE_TITLES, PREFERENCE_TITLES
from .pricing import DEFAULT_RATES

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
    payment_preference = RadioField("How do you want to be paid?", choices=[(p.value, t) for p, t in PREFERENCE_TITLES.items()],
                                    validators=[Required("Choose how you want to be paid")], widget=GovRadioInput())
    payee_reference = StringField("Your payee reference (if finance gave you one)",
                                  validators=[Length("Payee reference", max=60)], widget=GovTextInput())
    access_needs = TextAreaField("Anything that helps you take part (optional)",
                                 validators=[Length("This", max=2000)], widget=GovTextArea())
    submit = SubmitField("Save my details", widget=GovSubmitInput())


class ActivityForm(StrippedForm):
    activity_description = StringField("What was the activity?",
                                       validators=[Length("The activity", max=300)], widget=GovTextInput())
    activity_date = UKDateField("When was it?", validators=[])


class StartClaimForm(ActivityForm):
    """Starting a claim: an event from the communities list, or a description of the activity."""

    event = SelectField("Which event was it?", widget=GovSelect(), default="", validate_choice=False)

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
    claimant = SelectField("Who is the claim for?", validators=[Required("Choose the contributor")],
                           widget=GovSelect())
    submit = SubmitField("Start the claim for them", widget=GovSubmitInput())

    def __init__(self, *args, contributor_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.claimant.choices = [("", "Choose a person")] + list(contributor_choices)


ITEM_FIELDS = ("kind", "miles", "hours", "passengers", "cost", "agreed_by", "agreed_on", "description")


class EditClaimForm(ActivityForm):
    """The whole draft on one page: the activity, one new item and one receipt; every submit saves."""

    kind = SelectField("What do you want to add?", choices=[("", "Choose one")] + [(k.value, t) for k, t in LINE_TITLES.items()],
                       widget=GovSelect(), validate_choice=False)
    hours = StringField("Hours (for the hourly fee)", widget=GovTextInput())
    miles = StringField("Miles (for car, motorbike or bicycle)", widget=GovTextInput())
    passengers = StringField("Passengers in the car (if any)", widget=GovTextInput())
    cost = StringField("Cost in pounds (for tickets, taxi, care and the rest)", widget=GovTextInput())
    agreed_by = StringField("Who agreed this cost before the activity?", widget=GovTextInput(),
                            validators=[Length("Name", max=120)])
    agreed_on = UKDateField("When did they agree it?")
    description = StringField("Anything else about this item (optional)", widget=GovTextInput(),
                              validators=[Length("This", max=300)])
    receipt = FileField("Add a receipt or ticket (photo or PDF, up to 10 MB)", widget=GovFileInput())
    submit = SubmitField("Save", widget=GovSubmitInput())


class SendForm(StrippedForm):
    answer = TextAreaField("Your answer to the question", validators=[Length("Your answer", max=2000)],
                           widget=GovTextArea())
    declaration = BooleanField("I confirm this claim is true and I have not claimed for these things anywhere else",
                               widget=GovCheckboxInput())
    submit = SubmitField("Send my claim", widget=GovSubmitInput())


class DecisionForm(StrippedForm):
    decision = RadioField("What do you want to do?", choices=[("approve", "Approve it"),
                                                              ("query", "Ask the contributor a question"),
                                                              ("reject", "Reject it")],
                          validators=[Required("Choose what to do with the claim")], widget=GovRadioInput(),
                          validate_choice=False)
    text = TextAreaField("Your question, or the reason for rejecting (the contributor will see this)",
                         validators=[Length("This", max=2000)], widget=GovTextArea())
    submit = SubmitField("Confirm", widget=GovSubmitInput())


POLICY_LABELS = {
    "half_day_fee_pence": "Involvement fee for half a day (£)",
    "full_day_fee_pence": "Involvement fee for a full day (£)",
    "hourly_fee_pence": "Involvement fee per hour (£)",
    "car_pence_per_mile": "Car or van: pence a mile up to the threshold",
    "car_pence_per_mile_after": "Car or van: pence a mile after the threshold",
    "car_threshold_miles": "Car or van threshold (miles a tax year)",
    "motorcycle_pence_per_mile": "Motorbike: pence a mile",
    "bicycle_pence_per_mile": "Bicycle: pence a mile",
    "passenger_pence_per_mile": "Each passenger: pence a mile",
    "taxi_cap_pence": "Taxi limit per item (£)",
    "accommodation_cap_pence": "Overnight stay limit per item (£)",
    "replacement_care_cap_pence": "Replacement care limit per item (£)",
    "support_worker_cap_pence": "Support worker limit per item (£)",
    "interpreter_cap_pence": "Interpreter limit per item (£)",
    "subsistence_cap_pence": "Food and drink limit per item (£)",
    "benefits_threshold_pence": "Remind contributors about benefits when paid more than this in a tax year (£)",
    "target_working_days": "Prompt payment target (working days from sending to payment)",
}


def _policy_form():
    class PolicyForm(StrippedForm):
        effective_from = UKDateField("These rates apply to activities from")
        approver_may_pay = BooleanField("Allow the person who approved a claim to also mark it paid",
                                        widget=GovCheckboxInput())
        submit = SubmitField("Save the policy", widget=GovSubmitInput())

        def money_values(self) -> dict:
            """The typed settings as integers (pence for £ amounts)."""
            values = {}
            for name in POLICY_LABELS:
                raw = (getattr(self, name).data or "").strip()
                values[name] = to_pence(raw) if name.endswith("_pence") and "per_mile" not in name else int(raw)
            values["approver_may_pay"] = bool(self.approver_may_pay.data)
            return values

    def check(label, money):
        def validator(form, field):
            raw = (field.data or "").strip()
            try:
                value = to_pence(raw) if money else int(raw)
            except (ValueError, ArithmeticError):
                raise ValidationError(f"{label} must be a number" + (", like 50.00" if money else ", like 45")) from None
            if value < 0:
                raise ValidationError(f"{label} must be 0 or more")
        return validator

    for name, label in POLICY_LABELS.items():
        money = name.endswith("_pence") and "per_mile" not in name
        setattr(PolicyForm, name, StringField(label, validators=[Required(f"Enter the {label.split(' (')[0].lower()}"),
                                                                 check(label.split(' (')[0], money)],
                                              widget=GovTextInput()))
    return PolicyForm


PolicyForm = _policy_form()
assert set(POLICY_LABELS) | {"approver_may_pay"} == set(DEFAULT_RATES)
