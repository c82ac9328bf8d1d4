"""Directory forms: the organisation record, merge, import upload and column mapping, API tokens."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional

from ..forms import Length, Required, StrippedForm
from .models import OrganisationType


class DayMonthYearField(DateField):
    """GOV.UK date input (day, month, year boxes); a form posted without the boxes counts as blank."""

    def process_formdata(self, valuelist):
        if not valuelist or not any((value or "").strip() for value in valuelist):
            self.raw_data = ["", "", ""]
            self.data = None
            return
        super().process_formdata(valuelist)
        if self.data is None or self.process_errors:
            self.process_errors = ["Enter a real date, like 26 11 2026"]


class OrganisationForm(StrippedForm):
    """Create or edit an organisation; choices for boroughs and practice areas come in through __init__."""

    name = StringField(
        "Name", validators=[Required("Enter the organisation's name"), Length("Name", max=255)], widget=GovTextInput()
    )
    org_type = RadioField(
        "Type",
        choices=OrganisationType.choices(),
        validators=[Required("Choose the type of organisation")],
        widget=GovRadioInput(),
    )
    description = TextAreaField(
        "What the organisation does", validators=[Length("Description", max=5000)], widget=GovTextArea()
    )
    charity_number = StringField("Charity number (optional)", widget=GovTextInput())
    company_number = StringField("Company number (optional)", widget=GovTextInput())
    website = StringField("Website (optional)", widget=GovTextInput())
    email = StringField("Email address (optional)", widget=GovTextInput())
    phone = StringField("Phone number (optional)", widget=GovTextInput())
    address = TextAreaField("Address (optional)", validators=[Length("Address", max=1000)], widget=GovTextArea())
    postcode = StringField("Postcode (optional)", widget=GovTextInput())
    operates_in = SelectMultipleField("Boroughs it works in", widget=GovCheckboxesInput())
    practice_areas = SelectMultipleField("Practice areas", coerce=int, widget=GovCheckboxesInput())
    last_checked_on = DayMonthYearField(
        "Date the details were last checked", validators=[Optional()], widget=GovDateInput(), format="%d %m %Y"
    )
    submit = SubmitField("Save organisation", widget=GovSubmitInput())

    def __init__(self, *args, borough_choices=(), practice_area_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.operates_in.choices = list(borough_choices)
        self.practice_areas.choices = list(practice_area_choices)

    def data_for_operation(self) -> dict:
        fields = (
            "name",
            "org_type",
            "description",
            "charity_number",
            "company_number",
            "website",
            "email",
            "phone",
            "address",
            "postcode",
            "operates_in",
            "practice_areas",
        )
        data = {name: getattr(self, name).data for name in fields}
        if self.last_checked_on.data:
            data["last_checked_on"] = self.last_checked_on.data
        return data


class MergeForm(StrippedForm):
    duplicate_id = IntegerField(
        "Record number of the duplicate",
        widget=GovTextInput(),
        validators=[Required("Enter the record number of the duplicate, like 1234")],
    )
    submit = SubmitField("Merge the duplicate into this record", widget=GovSubmitInput())


IMPORT_EXTENSIONS = ["csv", "txt", "tsv", "xlsx", "json", "zip"]
NOT_A_TABLE = (
    "This is not a CSV file: upload a CSV file (.csv), an Excel workbook (.xlsx), or the Charity "
    "Commission register download (.zip, .txt or .json)"
)


class UploadForm(StrippedForm):
    file = FileField(
        "The file",
        widget=GovFileInput(),
        validators=[FileRequired("Choose a CSV file to upload"), FileAllowed(IMPORT_EXTENSIONS, NOT_A_TABLE)],
    )
    areas_file = FileField(
        "Area of operation table (optional, Charity Commission register only)",
        widget=GovFileInput(),
        validators=[FileAllowed(IMPORT_EXTENSIONS, NOT_A_TABLE)],
    )
    submit = SubmitField("Upload and preview", widget=GovSubmitInput())


class UndoImportForm(StrippedForm):
    submit = SubmitField("Undo this import", widget=GovSubmitInput())


class MappingForm(StrippedForm):
    """One select per target field; the choices are the file's columns."""

    operates_in = SelectMultipleField("Every organisation in this file works in", widget=GovCheckboxesInput())
    only_boroughs = SelectMultipleField("Keep charities based in or working in", widget=GovCheckboxesInput())
    submit = SubmitField("Import organisations", widget=GovSubmitInput())

    def __init__(self, *args, borough_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.operates_in.choices = list(borough_choices)
        self.only_boroughs.choices = list(borough_choices)


def mapping_form_class(headers: list[str]):
    """A MappingForm subclass with a select per target field, offering the file's columns."""
    from .importer import TARGETS  # here: the importer brings pandas, which ordinary pages never need

    choices = [("", "Not in this file")] + [(str(i), h) for i, h in enumerate(headers)]
    attributes = {}
    for target, (label, _) in TARGETS.items():
        validators = [Required("Choose the column that holds the organisation's name")] if target == "name" else []
        attributes[f"col_{target}"] = SelectField(label, choices=choices, validators=validators, widget=GovSelect())
    return type("FileMappingForm", (MappingForm,), attributes)


class TokenForm(StrippedForm):
    name = StringField(
        "Who or what the token is for",
        widget=GovTextInput(),
        validators=[Required("Enter a name for the token, like 'Bolton CVS website'"), Length("Name", max=120)],
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())


class ChoiceField(SelectField):
    """A select that accepts any value (filters are validated in queries)."""

    def pre_validate(self, form):
        pass
