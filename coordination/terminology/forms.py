"""Forms for concepts, labels and links."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField

from ..forms import Length, Required, StrippedForm


class ThreePartDateField(DateField):
    """An optional GOV.UK day/month/year date; blank means 'not given', nonsense gets a plain message."""

    def __init__(self, label, **kwargs):
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), **kwargs)

    def process_formdata(self, valuelist):
        # The widget needs three parts back to redisplay, even when the browser sent none.
        parts = (list(valuelist or []) + ["", "", ""])[:3]
        self.raw_data = parts
        if not any(part.strip() for part in parts):
            self.data = None
            return
        try:
            super().process_formdata([" ".join(part.strip() for part in parts)])
        except ValueError:
            self.data = None
            raise ValueError("Enter a real date, like 27 3 2026, or leave it blank") from None


class ConceptForm(StrippedForm):
    pref_label = StringField(
        "National name",
        validators=[Required("Enter the national name"), Length("The national name", max=200)],
        widget=GovTextInput(),
        description="The term used nationally, for example ‘Supported self-management’.",
    )
    definition = TextAreaField(
        "What it covers",
        validators=[Length("What it covers", max=4000)],
        widget=GovTextArea(),
        description="A sentence or two so people know what belongs here.",
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class LabelForm(StrippedForm):
    kind = RadioField(
        "Kind of name",
        choices=[
            ("alt", "Another name people use"),
            ("hidden", "A misspelling or abbreviation (found by search, never shown)"),
            ("local", "The name preferred in a borough or across Greater Manchester"),
        ],
        validators=[Required("Choose the kind of name")],
        widget=GovRadioInput(),
        default="alt",
    )
    text = StringField(
        "Name", validators=[Required("Enter the name"), Length("The name", max=200)], widget=GovTextInput()
    )
    area = SelectField(
        "Where it is preferred", widget=GovSelect(), default="GM", description="Only for local preferred names."
    )
    status = RadioField(
        "Status",
        choices=[("proposed", "Proposed"), ("agreed", "Agreed")],
        default="proposed",
        widget=GovRadioInput(),
        description="Only for local preferred names.",
    )
    proposed_by = StringField(
        "Who proposed it",
        validators=[Length("Who proposed it", max=200)],
        widget=GovTextInput(),
        description="A person or organisation.",
    )
    evidence = TextAreaField(
        "Evidence",
        validators=[Length("The evidence", max=4000)],
        widget=GovTextArea(),
        description="For example the evidence report, a survey or a partner meeting.",
    )
    proposed_on = ThreePartDateField("Date proposed", description="For example, 27 3 2026. Leave blank for today.")
    submit = SubmitField("Add name", widget=GovSubmitInput())

    def __init__(self, *args, area_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.area.choices = [("GM", "Greater Manchester as a whole")] + list(area_choices)

    def validate_proposed_by(self, field):
        from wtforms import ValidationError

        if self.kind.data == "local" and not field.data:
            raise ValidationError("Enter who proposed this local name")


class RelationForm(StrippedForm):
    kind = RadioField(
        "How they are linked",
        choices=[
            ("broader", "The other practice area is broader (this one is part of it)"),
            ("narrower", "The other practice area is narrower (it is part of this one)"),
            ("related", "Related"),
        ],
        validators=[Required("Choose how the practice areas are linked")],
        widget=GovRadioInput(),
    )
    other = SelectField(
        "Other practice area", validators=[Required("Choose the other practice area")], widget=GovSelect()
    )
    submit = SubmitField("Add link", widget=GovSubmitInput())

    def __init__(self, *args, concept_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.other.choices = [("", "Choose a practice area")] + list(concept_choices)


class SkosUploadForm(StrippedForm):
    file = FileField(
        "SKOS file",
        widget=GovFileInput(),
        description="Turtle (.ttl), JSON-LD (.jsonld or .json), RDF/XML (.rdf) or N-Triples (.nt), in UTF-8.",
        validators=[
            FileRequired("Choose a SKOS file to upload"),
            FileAllowed(
                ["ttl", "jsonld", "json", "rdf", "xml", "nt"],
                "The file must be Turtle, JSON-LD, RDF/XML or N-Triples "
                "(ending .ttl, .jsonld, .json, .rdf, .xml or .nt)",
            ),
        ],
    )
    submit = SubmitField("Upload and preview", widget=GovSubmitInput())
