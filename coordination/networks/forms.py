"""Forms for recording introductions and first meetings, and for leaving people out of network views."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovDateInput, GovRadioInput, GovSelect, GovSubmitInput
from wtforms import DateField, RadioField, SelectField, SubmitField, TextAreaField

from ..forms import DateMessages, Length, Required, StrippedForm
from .models import RECORDED_SOURCES


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class TieForm(StrippedForm):
    source = RadioField(
        "How did they connect?",
        validators=[Required("Choose how they connected")],
        choices=[
            (s.value, s.title if s.value != "introduction" else "Someone introduced them") for s in RECORDED_SOURCES
        ],
        widget=GovRadioInput(),
    )
    person_a_id = SelectField(
        "First person", coerce=_int_or_none, validators=[Required("Choose the first person")], widget=GovSelect()
    )
    person_b_id = SelectField(
        "Second person", coerce=_int_or_none, validators=[Required("Choose the second person")], widget=GovSelect()
    )
    introduced_by_id = SelectField("Who introduced them (optional)", coerce=_int_or_none, widget=GovSelect())
    event_id = SelectField("Event where they met (optional)", coerce=_int_or_none, widget=GovSelect())
    made_on = DateField(
        "Date", format="%d %m %Y", validators=[DateMessages("Date"), Required("Enter the date")], widget=GovDateInput()
    )
    note = TextAreaField(
        "Why, or what came of it (optional)", validators=[Length("The note", max=1000)], widget=GovCharacterCount()
    )
    submit = SubmitField("Record the connection", widget=GovSubmitInput())

    def __init__(self, *args, person_choices=(), event_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        people = list(person_choices)
        self.person_a_id.choices = [(None, "Choose a person")] + people
        self.person_b_id.choices = [(None, "Choose a person")] + people
        self.introduced_by_id.choices = [(None, "Nobody recorded")] + people
        self.event_id.choices = [(None, "No event")] + list(event_choices)


class LeaveOutForm(StrippedForm):
    note = TextAreaField(
        "How they asked (optional)", validators=[Length("The note", max=280)], widget=GovCharacterCount()
    )
    submit = SubmitField("Leave them out of network views", widget=GovSubmitInput())


class IncludeAgainForm(StrippedForm):
    submit = SubmitField("Show them in network views again", widget=GovSubmitInput())
