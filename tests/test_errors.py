"""The one error path: OperationError and its family, handled app-wide, on forms and as flashed messages."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from wtforms import StringField

from coordination import create_app
from coordination.errors import Conflict, NotAllowed, NotFound, OperationError, flash_errors
from coordination.forms import StrippedForm, add_error, errors_onto


@pytest.fixture(scope="module")
def fresh():
    """An app of its own, so the routes added here never reach the route-permission table."""
    app = create_app("test")

    @app.get("/_raise/<kind>")
    def raise_kind(kind):
        kinds = {"plain": OperationError, "not-allowed": NotAllowed, "conflict": Conflict, "not-found": NotFound}
        raise kinds[kind]("The reason, in plain English")

    @app.get("/api/_raise")
    def raise_api():
        raise Conflict("Someone got there first")

    return app


@pytest.mark.parametrize("kind, status", [("plain", 400), ("not-allowed", 403), ("conflict", 409), ("not-found", 404)])
def test_an_operation_error_that_escapes_the_view_gets_its_status_and_message(fresh, kind, status):
    with fresh.app_context():
        response = fresh.test_client().get(f"/_raise/{kind}")
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert "The reason, in plain English" in body and "Traceback" not in body


def test_api_callers_get_the_message_as_json(fresh):
    with fresh.app_context():
        response = fresh.test_client().get("/api/_raise")
    assert response.status_code == 409
    assert response.get_json() == {
        "error": "That change has already been made",
        "status": 409,
        "detail": "Someone got there first",
    }


class _Form(StrippedForm):
    class Meta:
        csrf = False

    name = StringField("Name")
    email = StringField("Email")


def test_errors_onto_puts_the_message_on_the_field_the_error_names(app):
    with app.test_request_context():
        form = _Form()
        with errors_onto(form, "name"):
            raise OperationError("That email address is taken", field="email")
        assert form.email.errors == ["That email address is taken"]
        assert not form.name.errors


def test_errors_onto_uses_the_default_field_when_the_error_names_none_or_an_unknown_one(app):
    with app.test_request_context():
        form = _Form()
        with errors_onto(form, "email"):
            raise OperationError("Choose at least one borough")
        with errors_onto(form, "email"):
            raise OperationError("Not a field of this form", field="nothing_like_it")
        assert form.email.errors == ["Choose at least one borough", "Not a field of this form"]


def test_errors_onto_stops_the_block_and_lets_the_view_carry_on(app):
    reached = []
    with app.test_request_context():
        form = _Form()
        with errors_onto(form):
            raise OperationError("No")
            reached.append("after")
        reached.append("view carries on")
        assert form.name.errors == ["No"]  # no default: the first field
    assert reached == ["view carries on"]


@pytest.mark.parametrize("error", [NotAllowed("No"), NotFound("Gone")])
def test_errors_not_about_the_form_go_on_to_the_app_wide_handler(app, error):
    with app.test_request_context():
        with pytest.raises(type(error)), errors_onto(_Form()):
            raise error
        with pytest.raises(type(error)), flash_errors():
            raise error


def test_flash_errors_turns_an_operation_error_into_a_flashed_message(app):
    with app.test_request_context():
        with flash_errors():
            raise Conflict("It was already closed")
        assert get_flashed_messages(with_categories=True) == [("error", "It was already closed")]


def test_other_exceptions_are_not_swallowed(app):
    with app.test_request_context(), pytest.raises(KeyError), errors_onto(_Form()):
        raise KeyError("a bug")


def test_add_error_keeps_earlier_messages(app):
    with app.test_request_context():
        form = _Form()
        add_error(form, "First", "name")
        add_error(form, "Second", "name")
        assert form.name.errors == ["First", "Second"]
