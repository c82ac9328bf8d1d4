"""Identifiers, contact details and names are cleaned or refused with a specific message."""
import pytest

from coordination.organisations import validation as v


@pytest.mark.parametrize("typed, stored", [
    ("1123456", "1123456"), (" 1 123 456 ", "1123456"), ("503717", "503717"), ("1123456-1", "1123456-1"),
    ("sc012345", "SC012345"), ("1123456.0", "1123456"), ("", None), (None, None),
])
def test_charity_numbers_are_tidied(typed, stored):
    assert v.clean_charity_number(typed) == stored


@pytest.mark.parametrize("typed", ["12", "123456789", "11234a6", "1123456-123", "SC12"])
def test_malformed_charity_numbers_are_refused_with_the_expected_format(typed):
    with pytest.raises(v.FieldError, match="6 to 8 digits"):
        v.clean_charity_number(typed)


@pytest.mark.parametrize("typed, stored", [
    ("01234567", "01234567"), ("1234567", "01234567"), ("123456", "00123456"), ("sc123456", "SC123456"),
    ("OC 123456", "OC123456"),
])
def test_company_numbers_get_their_leading_zeros_back(typed, stored):
    assert v.clean_company_number(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "123456789", "S1234567", "ABC12345"])
def test_malformed_company_numbers_are_refused(typed):
    with pytest.raises(v.FieldError, match="8 digits"):
        v.clean_company_number(typed)


@pytest.mark.parametrize("typed, stored", [
    ("0161 496 0000", "0161 496 0000"), ("+44 161 496 0000", "0161 496 0000"), ("1614960000", "0161 496 0000"),
    ("(01706) 123456", "01706 123456"), ("07700 900123", "07700 900123"), ("020 7946 0000", "020 7946 0000"),
])
def test_uk_phone_numbers_are_accepted_and_tidied(typed, stored):
    assert v.clean_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "call us", "+1 555 123 4567", "0161 496 00000 0"])
def test_other_phone_numbers_are_refused(typed):
    with pytest.raises(v.FieldError, match="UK phone number"):
        v.clean_phone(typed)


@pytest.mark.parametrize("typed, stored", [
    ("www.example.org.uk", "https://www.example.org.uk"), ("http://example.org/about", "http://example.org/about"),
    ("HTTPS://Example.org", "HTTPS://Example.org"),
])
def test_websites_get_https_when_no_scheme_is_given(typed, stored):
    assert v.clean_website(typed) == stored


@pytest.mark.parametrize("typed", ["javascript:alert(1)", "not a site", "ftp://example.org", "localhost"])
def test_unsafe_or_malformed_websites_are_refused(typed):
    with pytest.raises(v.FieldError):
        v.clean_website(typed)


def test_emails_are_checked_and_their_domain_lower_cased():
    assert v.clean_email("Info@Example.ORG") == "Info@example.org"
    with pytest.raises(v.FieldError, match="right format"):
        v.clean_email("info at example.org")


def test_names_match_whatever_their_case_punctuation_or_legal_suffix():
    assert v.normalise_name("The Bolton Food Bank Ltd.") == v.normalise_name("bolton  food-bank")
    assert v.normalise_name("Carers & Friends") == "carers and friends"


def test_boroughs_are_understood_by_name_or_code():
    assert v.clean_boroughs("Bolton; e08000010 | Trafford") == ["E08000001", "E08000009", "E08000010"]
    with pytest.raises(v.FieldError, match="Cheshire"):
        v.clean_boroughs("Cheshire")


@pytest.mark.parametrize("typed", ["jo@localhost", "jo@@example.org", "Jo Bloggs@example.org", "jo@example"])
def test_emails_are_checked_by_the_same_library_as_every_other_email_field(typed):
    with pytest.raises(v.FieldError, match="right format"):
        v.clean_email(typed)
    assert v.clean_email("mailto:Jo.Bloggs+cvs@Bolton.GOV.uk") == "Jo.Bloggs+cvs@bolton.gov.uk"
