"""Identifiers, contact details and names are cleaned or refused with a specific message."""

import pytest

from coordination.organisations import validation as v


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("1123456", "1123456"),
        (" 1 123 456 ", "1123456"),
        ("503717", "503717"),
        ("1123456-1", "1123456-1"),
        ("sc012345", "SC012345"),
        ("1123456.0", "1123456"),
        ("", None),
        (None, None),
        ("SC 12345", "SC012345"),
        ("NIC100002", "NIC100002"),
        ("nic 100002", "NIC100002"),
        ("1123456/1", "1123456-1"),
        ("GB-CHC-1123456", "1123456"),
        ("GB-SC-SC012345", "SC012345"),
        ("GB-NIC-100002", "NIC100002"),
        ("NA", None),
        ("n/a", None),
        ("--", None),
        ("0", None),
        ("null", None),
        ("None", None),
        (".", None),
    ],
)
def test_charity_numbers_are_tidied(typed, stored):
    assert v.clean_charity_number(typed) == stored


@pytest.mark.parametrize("typed", ["12", "123456789", "11234a6", "1123456-123", "SC12", "NIC12"])
def test_malformed_charity_numbers_are_refused_with_the_expected_format(typed):
    with pytest.raises(v.FieldError, match="6 to 8 digits"):
        v.clean_charity_number(typed)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("01234567", "01234567"),
        ("1234567", "01234567"),
        ("123456", "00123456"),
        ("sc123456", "SC123456"),
        ("OC 123456", "OC123456"),
        ("CE00571", "CE000571"),
        ("CE000571", "CE000571"),
        ("cs 012345", "CS012345"),
        ("NI012345", "NI012345"),
        ("SO301234", "SO301234"),
        ("R0000123", "R0000123"),
        ("IP28329R", "IP28329R"),
        ("IP028329", "IP028329"),
        ("RS007346", "RS007346"),
        ("GB-COH-01234567", "01234567"),
        ("NA", None),
        ("N/A", None),
        ("0", None),
        ("00000000", None),
        ("-", None),
        ("1234567.0", "01234567"),
    ],
)
def test_company_numbers_get_their_leading_zeros_back(typed, stored):
    assert v.clean_company_number(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "123456789", "S1234567", "ABC12345", "XY123456", "CE12"])
def test_malformed_company_numbers_are_refused(typed):
    with pytest.raises(v.FieldError, match="8 digits"):
        v.clean_company_number(typed)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("0161 496 0000", "0161 496 0000"),
        ("+44 161 496 0000", "0161 496 0000"),
        ("1614960000", "0161 496 0000"),
        ("(01706) 123456", "01706 123456"),
        ("07700 900123", "07700 900123"),
        ("020 7946 0000", "020 7946 0000"),
    ],
)
def test_uk_phone_numbers_are_accepted_and_tidied(typed, stored):
    assert v.clean_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "call us", "+1 555 123 4567", "0161 496 00000 0"])
def test_other_phone_numbers_are_refused(typed):
    with pytest.raises(v.FieldError, match="UK phone number"):
        v.clean_phone(typed)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("www.example.org.uk", "https://www.example.org.uk"),
        ("http://example.org/about", "http://example.org/about"),
        ("HTTPS://Example.org", "HTTPS://Example.org"),
    ],
)
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


@pytest.mark.parametrize("placeholder", ["NA", "N/A", "n/a", "null", "None", "-", "--", ".", "", "  ", None])
def test_missing_like_placeholders_count_as_blank_in_every_optional_field(placeholder):
    for cleaner in (
        v.clean_email,
        v.clean_phone,
        v.clean_website,
        v.clean_description,
        v.clean_address,
        v.clean_charity_number,
        v.clean_company_number,
    ):
        assert cleaner(placeholder) is None


def test_a_zero_phone_number_is_missing_not_wrong():
    assert v.clean_phone("0") is None


@pytest.mark.parametrize(
    "written, kind, kept",
    [
        ("Previously excepted", "registered_charity", "Previously excepted"),
        ("CIO", "registered_charity", "CIO"),
        ("Charitable company", "charitable_company", None),
        ("Community Interest Company", "cic", "Community Interest Company"),
        ("NHS Foundation Trust", "statutory_body", "NHS Foundation Trust"),
        ("Tenants and residents association", "community_group", "Tenants and residents association"),
        ("Co-operative society", "social_enterprise", "Co-operative society"),
        ("Sole trader", "other", "Sole trader"),
        ("NA", "other", None),
    ],
)
def test_unknown_types_are_kept_as_written_and_mapped_to_the_nearest_known_type(written, kind, kept):
    found, text = v.interpret_org_type(written)
    assert found.value == kind and text == kept


@pytest.mark.parametrize(
    "charity, company, expected",
    [
        ("1123456", None, "GB-CHC-1123456"),
        ("SC012345", "SC123456", "GB-SC-SC012345"),
        ("NIC100002", None, "GB-NIC-100002"),
        (None, "01234567", "GB-COH-01234567"),
        (None, None, None),
    ],
)
def test_org_ids_are_written_as_360giving_and_open_referral_use_them(charity, company, expected):
    assert v.org_id(charity, company) == expected
    if expected:
        field, value = v.parse_org_id(expected)
        assert value == (charity or company)


def test_the_register_s_borough_names_and_greater_manchester_are_understood():
    assert v.boroughs_named("Manchester City") == {"E08000003"}
    assert v.boroughs_named("Salford City") == {"E08000006"}
    assert len(v.boroughs_named("Greater Manchester")) == 10
    assert v.boroughs_named("Throughout England And Wales") is None


@pytest.mark.parametrize("typed", ["jo@localhost", "jo@@example.org", "Jo Bloggs@example.org", "jo@example"])
def test_emails_are_checked_by_the_same_library_as_every_other_email_field(typed):
    with pytest.raises(v.FieldError, match="right format"):
        v.clean_email(typed)
    assert v.clean_email("mailto:Jo.Bloggs+cvs@Bolton.GOV.uk") == "Jo.Bloggs+cvs@bolton.gov.uk"
