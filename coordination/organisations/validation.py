"""Clean and check the fields of an organisation record (shared by the form, the import and the demo).

Each `clean_<field>(text)` returns the stored form (or None when blank) and raises `FieldError`
with a plain-English message when the value cannot be right.
"""
from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from geo.boroughs import BOROUGH_CODES, borough_name

from .models import OrganisationStatus, OrganisationType


class FieldError(ValueError):
    """A value that cannot be stored, with a message for the person who typed or uploaded it."""


_SPACES = re.compile(r"\s+")
# Charity Commission for England and Wales numbers are 6 to 8 digits; a linked charity adds "-1" to "-99".
# Scottish (OSCR) numbers are SC plus 6 digits: organisations registered there can work in GM.
_CHARITY = re.compile(r"(?:\d{6,8}(?:-\d{1,2})?|SC\d{6})")
# Companies House: 8 digits, or 2 letters (SC, NI, OC, SO, …) and 6 digits.
_COMPANY = re.compile(r"(?:\d{8}|[A-Z]{2}\d{6})")
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}")


def blank(value) -> bool:
    """True for None, empty or white space only."""
    return value is None or (isinstance(value, str) and not value.strip())


def tidy(value) -> str | None:
    """Collapse white space; None when blank."""
    if blank(value):
        return None
    return _SPACES.sub(" ", str(value)).strip()


def normalise_name(name: str) -> str:
    """The name used for matching duplicates: case, accents, punctuation, 'the', 'Ltd', '&' ignored."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"^the ", "", text)
    text = re.sub(r" (?:ltd|limited|cic|cio)$", "", text)
    return _SPACES.sub(" ", text).strip()[:255]


def clean_name(value) -> str:
    name = tidy(value)
    if not name:
        raise FieldError("Enter the organisation's name")
    if len(name) > 255:
        raise FieldError("Name must be 255 characters or fewer")
    return name


def clean_charity_number(value) -> str | None:
    """'1 234 567' -> '1234567'; 'sc012345' -> 'SC012345'; '1234567-1' kept."""
    text = tidy(value)
    if not text:
        return None
    compact = re.sub(r"\s", "", text).upper()
    if compact.endswith(".0") and compact[:-2].isdigit():  # a spreadsheet turned it into a number
        compact = compact[:-2]
    compact = compact.replace(".", "")
    if not _CHARITY.fullmatch(compact):
        raise FieldError(f"Charity number {text} is not in the right format: 6 to 8 digits, like 1123456 "
                         "(add -1 for a linked charity), or SC and 6 digits for Scotland")
    return compact


def clean_company_number(value) -> str | None:
    """8 characters; 6- or 7-digit numbers get their leading zeros back (spreadsheets drop them)."""
    text = tidy(value)
    if not text:
        return None
    compact = re.sub(r"\s", "", text).upper()
    if compact.isdigit() and 6 <= len(compact) <= 7:
        compact = compact.zfill(8)
    if not _COMPANY.fullmatch(compact):
        raise FieldError(f"Company number {text} is not in the right format: 8 digits like 01234567, "
                         "or 2 letters and 6 digits like SC123456")
    return compact


def clean_email(value) -> str | None:
    text = tidy(value)
    if not text:
        return None
    text = text.removeprefix("mailto:")
    try:
        # The same library as every other email field (WTForms' Email validator); no DNS look-up.
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise FieldError(f"Email address {text} is not in the right format, like name@example.org") from None
    return f"{text.rsplit('@', 1)[0]}@{checked.domain.lower()}"  # the local part as typed; only domains ignore case


def clean_phone(value) -> str | None:
    """A UK number: 10 or 11 digits starting 0 (+44 and a lost leading zero are put right)."""
    text = tidy(value)
    if not text:
        return None
    digits = re.sub(r"[\s\-().]", "", text)
    if digits.endswith(".0") and digits[:-2].isdigit():
        digits = digits[:-2]
    if digits.startswith("+44"):
        digits = "0" + digits[3:].removeprefix("0")
    elif digits.startswith("0044"):
        digits = "0" + digits[4:].removeprefix("0")
    elif digits.isdigit() and len(digits) == 10 and not digits.startswith("0"):
        digits = "0" + digits  # a spreadsheet dropped the leading zero
    if not digits.isdigit() or not digits.startswith("0") or len(digits) not in (10, 11):
        raise FieldError(f"Phone number {text} is not a UK phone number, like 0161 496 0000")
    return _format_phone(digits)


def _format_phone(digits: str) -> str:
    if digits.startswith(("011", "0121", "0131", "0141", "0151", "0161", "0171", "0181", "0191")) or \
            digits[:3] in ("011",):
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if digits.startswith("02"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if digits.startswith(("03", "08", "09")):
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    return f"{digits[:5]} {digits[5:]}"


def clean_website(value) -> str | None:
    """Adds https:// when no scheme is given; only http and https addresses are accepted."""
    text = tidy(value)
    if not text:
        return None
    if " " in text:
        raise FieldError(f"Website {text} is not a web address, like www.example.org.uk")
    if re.match(r"^[a-z][a-z0-9+.-]*:", text, re.I) and not re.match(r"^https?://", text, re.I):
        raise FieldError(f"Website {text} must start with http:// or https://")
    if not re.match(r"^https?://", text, re.I):
        text = "https://" + text.lstrip("/")
    host = re.sub(r"^https?://", "", text, flags=re.I).split("/", 1)[0].split(":", 1)[0]
    if not _HOST.fullmatch(host) or len(text) > 500:
        raise FieldError(f"Website {value.strip()} is not a web address, like www.example.org.uk")
    return text


def clean_description(value) -> str | None:
    text = (str(value).strip() if not blank(value) else None)
    if text and len(text) > 5000:
        raise FieldError("Description must be 5,000 characters or fewer")
    return text


def clean_address(value) -> str | None:
    text = tidy(value)
    if text and len(text) > 1000:
        raise FieldError("Address must be 1,000 characters or fewer")
    return text


_TYPE_WORDS = {
    OrganisationType.REGISTERED_CHARITY: (
        "registered charity",
        "charity",
        "cio",
        "charitable incorporated organisation",
        "charitable trust",
        "trust",
        "registered_charity",
    ),
    OrganisationType.CHARITABLE_COMPANY: (
        "charitable company",
        "charitable company limited by guarantee",
        "company limited by guarantee",
        "clg",
        "charitable_company",
    ),
    OrganisationType.CIC: ("cic", "community interest company", "c.i.c."),
    OrganisationType.COMMUNITY_GROUP: (
        "community group",
        "group",
        "voluntary group",
        "community organisation",
        "unincorporated association",
        "community_group",
    ),
    OrganisationType.SOCIAL_ENTERPRISE: (
        "social enterprise",
        "cooperative",
        "co-operative",
        "community benefit society",
        "social_enterprise",
    ),
    OrganisationType.STATUTORY_BODY: (
        "statutory body",
        "statutory",
        "council",
        "local authority",
        "nhs",
        "public body",
        "statutory_body",
    ),
    OrganisationType.OTHER: ("other",),
}
_TYPE_LOOKUP = {word: kind for kind, words in _TYPE_WORDS.items() for word in words}
_TYPE_LOOKUP.update({kind.title.lower(): kind for kind in OrganisationType})


def clean_org_type(value) -> OrganisationType:
    """Blank means 'Other'; common wordings ('CIO', 'Community Interest Company') are understood."""
    text = tidy(value)
    if not text:
        return OrganisationType.OTHER
    kind = _TYPE_LOOKUP.get(text.lower())
    if kind is None:
        names = ", ".join(k.title for k in OrganisationType)
        raise FieldError(f"Type {text} is not one we know: use one of {names}")
    return kind


def clean_status(value) -> OrganisationStatus:
    text = (tidy(value) or "active").lower()
    if text in ("active", "open", "yes", "current"):
        return OrganisationStatus.ACTIVE
    if text in ("closed", "removed", "dissolved", "inactive", "no"):
        return OrganisationStatus.CLOSED
    raise FieldError(f"Status {value} is not one we know: use active or closed")


_BOROUGH_BY_NAME = {}


def borough_lookup() -> dict[str, str]:
    """Lower-case borough names and codes -> code."""
    if not _BOROUGH_BY_NAME:
        for code in BOROUGH_CODES:
            _BOROUGH_BY_NAME[code.lower()] = code
            _BOROUGH_BY_NAME[borough_name(code).lower()] = code
        _BOROUGH_BY_NAME["city of manchester"] = "E08000003"
    return _BOROUGH_BY_NAME


def split_list(value) -> list[str]:
    """'Bolton; Bury | Wigan' -> ['Bolton', 'Bury', 'Wigan'] (commas too when no semicolon is used)."""
    text = tidy(value)
    if not text:
        return []
    separator = ";" if ";" in text else "|" if "|" in text else ","
    return [part.strip() for part in text.replace("|", separator).split(separator) if part.strip()]


def clean_boroughs(value) -> list[str]:
    """Borough names or codes, separated by ; | or , -> sorted codes."""
    lookup = borough_lookup()
    codes, unknown = set(), []
    for part in (value if isinstance(value, list) else split_list(value)):
        code = lookup.get(part.lower())
        if code:
            codes.add(code)
        else:
            unknown.append(part)
    if unknown:
        raise FieldError(f"Borough {', '.join(unknown)} is not one of the ten Greater Manchester boroughs")
    return sorted(codes)
