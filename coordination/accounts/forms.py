"""Account forms."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, PasswordField, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Email, EqualTo

from ..forms import Length, Required, StrippedForm
from ..permissions import Role


class SignInForm(StrippedForm):
    email = EmailField("Email address", validators=[Required("Enter your email address")], widget=GovTextInput())
    password = PasswordField("Password", validators=[Required("Enter your password")], widget=GovPasswordInput())
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class SetPasswordForm(StrippedForm):
    password = PasswordField("New password", validators=[Required("Enter a new password")], widget=GovPasswordInput())
    confirm = PasswordField(
        "Type the new password again",
        validators=[
            Required("Type the new password again"),
            EqualTo("password", message="The two passwords do not match"),
        ],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Save password", widget=GovSubmitInput())


class RequestResetForm(StrippedForm):
    email = EmailField(
        "Email address",
        validators=[
            Required("Enter your email address"),
            Email(message="Enter an email address in the correct format, like name@example.org"),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField("Send me a link", widget=GovSubmitInput())


class AccountForm(StrippedForm):
    """Create or edit an account; borough choices come from the geography facts."""

    name = StringField(
        "Full name", validators=[Required("Enter the person's name"), Length("Name", max=120)], widget=GovTextInput()
    )
    role = RadioField("Role", choices=Role.choices(), validators=[Required("Choose a role")], widget=GovRadioInput())
    boroughs = SelectMultipleField(
        "Boroughs this partner speaks for", widget=GovCheckboxesInput(), description="Only for local partners."
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

    def __init__(self, *args, borough_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.boroughs.choices = list(borough_choices)

    def validate_boroughs(self, field):
        from wtforms import ValidationError

        if self.role.data == "partner" and not field.data:
            raise ValidationError("Choose at least one borough for a local partner")


class CreateAccountForm(AccountForm):
    email = EmailField(
        "Email address",
        validators=[
            Required("Enter the person's email address"),
            Email(message="Enter an email address in the correct format, like name@example.org"),
            Length("Email address", max=254),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField("Create account", widget=GovSubmitInput())
