"""Forms for questionnaires, rounds, personal links, comparators and themes (answers are checked in questions.py)."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import URL, NumberRange, Optional

from ..forms import Length, Required, StrippedForm
from .equality import MEASURES
from .models import QuestionnaireKind, QuestionType, ThemeKind
from .questions import ROLES


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class QuestionnaireForm(StrippedForm):
    name = StringField(
        "Name", validators=[Required("Enter the questionnaire's name"), Length("Name", max=200)], widget=GovTextInput()
    )
    kind = RadioField(
        "What it is for",
        choices=QuestionnaireKind.choices(),
        default="other",
        validators=[Required("Choose what it is for")],
        widget=GovRadioInput(),
    )
    description = TextAreaField(
        "Description (for coordinators)", validators=[Length("Description", max=2000)], widget=GovTextArea()
    )
    intro = TextAreaField(
        "Introduction (shown to people before the first question)",
        validators=[Length("Introduction", max=2000)],
        widget=GovTextArea(),
    )
    submit = SubmitField("Create questionnaire", widget=GovSubmitInput())


class QuestionForm(StrippedForm):
    text = StringField(
        "Question", validators=[Required("Enter the question"), Length("Question", max=300)], widget=GovTextInput()
    )
    hint = StringField("Hint (optional)", validators=[Length("Hint", max=300)], widget=GovTextInput())
    kind = RadioField(
        "Type of answer", choices=QuestionType.choices(), validators=[Required("Choose a type")], widget=GovRadioInput()
    )
    options = TextAreaField(
        "Options (for 'choose one' and 'choose any'): one on each line",
        validators=[Length("Options", max=6000)],
        widget=GovTextArea(),
    )
    required = BooleanField("People must answer this question", widget=GovCheckboxInput())
    role = SelectField("Counts in the impact report as", choices=list(ROLES.items()), widget=GovSelect())
    submit = SubmitField("Save question", widget=GovSubmitInput())


class RoundForm(StrippedForm):
    questionnaire_id = SelectField(
        "Questionnaire", coerce=_int_or_none, validators=[Required("Choose a questionnaire")], widget=GovSelect()
    )
    title = StringField(
        "Title people see",
        validators=[Required("Enter a title"), Length("Title", max=200)],
        widget=GovTextInput(),
        description="For example 'Peer support masterclass, March 2027'.",
    )
    programme = StringField(
        "Programme (optional)",
        validators=[Length("Programme", max=120)],
        widget=GovTextInput(),
        description="Rounds with the same programme are reported together.",
    )
    event_id = SelectField("Event (optional)", coerce=_int_or_none, widget=GovSelect())
    community_id = SelectField("Community (optional)", coerce=_int_or_none, widget=GovSelect())
    borough_code = SelectField("Borough (optional)", default="", widget=GovSelect())
    expected_count = IntegerField(
        "How many people are you asking? (optional)",
        validators=[Optional(), NumberRange(min=1, max=100000, message="Enter a number between 1 and 100,000")],
        widget=GovTextInput(),
        description="For the response rate. Left empty, the event's attendance is used.",
    )
    personal_only = BooleanField(
        "Only people with a personal link can answer (one response each)", widget=GovCheckboxInput()
    )
    ask_equality = BooleanField(
        "Offer the voluntary equality monitoring questions", default=True, widget=GovCheckboxInput()
    )
    submit = SubmitField("Open the link", widget=GovSubmitInput())

    def __init__(self, *args, questionnaires=(), events=(), communities=(), boroughs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire_id.choices = [(None, "Choose a questionnaire")] + list(questionnaires)
        self.event_id.choices = [(None, "No event")] + list(events)
        self.community_id.choices = [(None, "No community")] + list(communities)
        self.borough_code.choices = [("", "No borough")] + list(boroughs)


class InvitationsForm(StrippedForm):
    labels = TextAreaField(
        "Who the links are for: one name or label on each line",
        validators=[Required("Enter at least one name or label"), Length("The list", max=60000)],
        widget=GovTextArea(),
        description="Only you see these labels. Answers are not linked back to them.",
    )
    submit = SubmitField("Create personal links", widget=GovSubmitInput())


class ComparatorForm(StrippedForm):
    measure = SelectField("Compares with", choices=[(m.key, m.label) for m in MEASURES], widget=GovSelect())
    name = StringField(
        "Name",
        validators=[Required("Enter the comparator's name"), Length("Name", max=200)],
        widget=GovTextInput(),
        description="For example 'VCSE workforce in Greater Manchester'.",
    )
    percent = StringField(
        "Percentage", validators=[Required("Enter the percentage"), Length("Percentage", max=10)], widget=GovTextInput()
    )
    source = StringField(
        "Source",
        validators=[Required("Enter where the figure comes from"), Length("Source", max=300)],
        widget=GovTextInput(),
    )
    source_url = StringField(
        "Source web address (optional)",
        validators=[
            Optional(),
            URL(message="Enter a full web address, like https://example.org/report"),
            Length("Web address", max=500),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField("Add comparator", widget=GovSubmitInput())


class ThemeForm(StrippedForm):
    name = StringField(
        "Theme", validators=[Required("Enter the theme"), Length("Theme", max=120)], widget=GovTextInput()
    )
    kind = RadioField("Kind", choices=ThemeKind.choices(), default="either", widget=GovRadioInput())
    words = StringField(
        "Other words for it (optional, separated by commas)",
        validators=[Length("Words", max=500)],
        widget=GovTextInput(),
        description="Answers using these words, or the theme's own words and "
        "their synonyms in Terms, are suggested for it.",
    )
    submit = SubmitField("Save theme", widget=GovSubmitInput())
