"""Forms for communities, people, memberships, events, attendance and pledges."""

from __future__ import annotations

import re
from datetime import time

from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import Email, NumberRange, Optional

from ..forms import DateMessages, Length, Required, StrippedForm
from .models import CommunityScope, CommunityStatus, EventType, PledgeStatus

DATE_HINT = "For example, 27 3 2026"


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class CommunityForm(StrippedForm):
    name = StringField(
        "Name", validators=[Required("Enter the community's name"), Length("Name", max=200)], widget=GovTextInput()
    )
    practice_area_id = SelectField("Practice area", coerce=_int_or_none, widget=GovSelect())
    scope = RadioField(
        "Scope", choices=CommunityScope.choices(), validators=[Required("Choose the scope")], widget=GovRadioInput()
    )
    boroughs = SelectMultipleField(
        "Boroughs it covers", widget=GovCheckboxesInput(), description="Only when the scope is one or more boroughs."
    )
    purpose = TextAreaField("Purpose", validators=[Length("Purpose", max=2000)], widget=GovTextArea())
    status = RadioField(
        "Status", choices=CommunityStatus.choices(), validators=[Required("Choose a status")], widget=GovRadioInput()
    )
    submit = SubmitField("Save community", widget=GovSubmitInput())

    def __init__(self, *args, concept_choices=(), borough_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.practice_area_id.choices = [(None, "No practice area")] + list(concept_choices)
        self.boroughs.choices = list(borough_choices)

    def validate_boroughs(self, field):
        if self.scope.data == CommunityScope.BOROUGHS.value and not field.data:
            raise ValidationError("Choose at least one borough for a place-based community")


class PersonForm(StrippedForm):
    name = StringField(
        "Full name", validators=[Required("Enter the person's name"), Length("Name", max=120)], widget=GovTextInput()
    )
    email = EmailField(
        "Email address (optional)",
        validators=[
            Optional(),
            Email(message="Enter an email address in the correct format, like name@example.org"),
            Length("Email address", max=254),
        ],
        widget=GovTextInput(),
    )
    organisation_id = SelectField("Organisation", coerce=_int_or_none, widget=GovSelect())
    borough_code = SelectField("Borough", widget=GovSelect())
    lived_experience = BooleanField("Takes part with lived experience", widget=GovCheckboxInput())
    carer = BooleanField("Takes part as a carer", widget=GovCheckboxInput())
    user_id = SelectField("Contributor account (optional)", coerce=_int_or_none, widget=GovSelect())
    submit = SubmitField("Save person", widget=GovSubmitInput())

    def __init__(self, *args, organisation_choices=(), borough_choices=(), account_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [(None, "No organisation")] + list(organisation_choices)
        self.borough_code.choices = [("", "Not known")] + list(borough_choices)
        self.user_id.choices = [(None, "Not linked")] + list(account_choices)


class MembershipForm(StrippedForm):
    person_id = SelectField("Person", coerce=_int_or_none, validators=[Required("Choose a person")], widget=GovSelect())
    role = StringField(
        "Role in the community",
        default="Member",
        validators=[Required("Enter their role, for example Member or Chair"), Length("Role", max=80)],
        widget=GovTextInput(),
    )
    joined_on = DateField(
        "Date they joined",
        format="%d %m %Y",
        validators=[DateMessages("Date they joined"), Required("Enter the date they joined")],
        widget=GovDateInput(),
    )
    submit = SubmitField("Add member", widget=GovSubmitInput())

    def __init__(self, *args, person_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.person_id.choices = [(None, "Choose a person")] + list(person_choices)


class EndMembershipForm(StrippedForm):
    left_on = DateField(
        "Date they left",
        format="%d %m %Y",
        validators=[DateMessages("Date they left"), Required("Enter the date they left")],
        widget=GovDateInput(),
    )
    submit = SubmitField("Record that they left", widget=GovSubmitInput())


_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


class EventForm(StrippedForm):
    title = StringField(
        "Title", validators=[Required("Enter the event's title"), Length("Title", max=200)], widget=GovTextInput()
    )
    event_type = RadioField(
        "Type of event",
        choices=EventType.choices(),
        validators=[Required("Choose the type of event")],
        widget=GovRadioInput(),
    )
    date = DateField(
        "Date", format="%d %m %Y", validators=[DateMessages("Date"), Required("Enter the date")], widget=GovDateInput()
    )
    start_time = StringField(
        "Start time (24-hour clock)",
        default="10:00",
        validators=[Required("Enter the start time, like 14:30")],
        widget=GovTextInput(),
    )
    community_id = SelectField("Community", coerce=_int_or_none, widget=GovSelect())
    venue_borough_code = SelectField("Venue borough", widget=GovSelect())
    online = BooleanField("Online (or hybrid)", widget=GovCheckboxInput())
    capacity = IntegerField(
        "Capacity (optional)",
        validators=[Optional(), NumberRange(min=1, max=100000, message="Capacity must be a whole number of 1 or more")],
        widget=GovTextInput(),
    )
    description = TextAreaField("Description", validators=[Length("Description", max=4000)], widget=GovTextArea())
    submit = SubmitField("Save event", widget=GovSubmitInput())

    def __init__(self, *args, community_choices=(), borough_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.community_id.choices = [(None, "Not part of a community")] + list(community_choices)
        self.venue_borough_code.choices = [("", "No venue (online only)")] + list(borough_choices)

    def validate_start_time(self, field):
        if field.data and not _TIME.match(field.data):
            raise ValidationError("Enter the start time in 24-hour format, like 14:30")

    def validate_online(self, field):
        if not field.data and not self.venue_borough_code.data:
            raise ValidationError("Choose a venue borough or tick online")

    @property
    def start_time_value(self) -> time:
        hours, minutes = _TIME.match(self.start_time.data).groups()
        return time(int(hours), int(minutes))


class PledgeForm(StrippedForm):
    person_id = SelectField("Who made it", coerce=_int_or_none, widget=GovSelect())
    text = TextAreaField(
        "One thing I will change",
        validators=[Required("Enter the pledge"), Length("The pledge", max=280)],
        widget=GovCharacterCount(),
    )
    submit = SubmitField("Record pledge", widget=GovSubmitInput())

    def __init__(self, *args, person_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.person_id.choices = [(None, "Not recorded")] + list(person_choices)


class PledgeFollowUpForm(StrippedForm):
    status = RadioField(
        "Follow-up", choices=PledgeStatus.choices(), validators=[Required("Choose a status")], widget=GovRadioInput()
    )
    note = TextAreaField("What happened (optional)", validators=[Length("The note", max=2000)], widget=GovTextArea())
    submit = SubmitField("Save follow-up", widget=GovSubmitInput())
