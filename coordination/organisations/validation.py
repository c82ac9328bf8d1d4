"""Clean and check the fields of an organisation record (shared by the form, the import and the demo).

Each `clean_<field>(text)` returns the stored form (or None when blank) and raises `FieldError`
with a plain-English message when the value cannot be right.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from geo.boroughs import BOROUGH_CODES, borough_name

from .models import OrganisationStatus, OrganisationType


class FieldError(ValueError):
    """A value that cannot be stored, with a message for the person who typed or uploaded it."""


_SPACES = re.compile(r"\s+")
# Charity Commission for England and Wales numbers are 6 to 8 digits; a linked charity adds "-1" to "-99".
# Scottish (OSCR) numbers are SC plus 6 digits, Northern Irish (CCNI) NIC plus 6 digits: charities
# registered there can work in GM.
_CHARITY = re.compile(r"(?:\d{6,8}(?:-\d{1,2})?|SC\d{6}|NIC\d{6})")
# Companies House prefixes (2 letters, or R for old Northern Irish numbers), with 6 digits; CE and CS are
# charitable incorporated organisations (England and Wales, Scotland); IP, RS, SP, NP, … are societies.
COMPANY_PREFIXES = frozenset(
    (
        "AC",
        "BR",
        "CE",
        "CS",
        "FC",
        "FE",
        "GE",
        "GN",
        "GS",
        "IC",
        "IP",
        "LP",
        "NA",
        "NC",
        "NF",
        "NI",
        "NL",
        "NO",
        "NP",
        "NR",
        "NV",
        "NZ",
        "OC",
        "OE",
        "RC",
        "RS",
        "SA",
        "SC",
        "SE",
        "SF",
        "SG",
        "SI",
        "SL",
        "SO",
        "SP",
        "SR",
        "SZ",
        "ZC",
        "R",
    )
)
_COMPANY_PARTS = re.compile(r"([A-Z]{1,2})?(\d{1,8})([A-Z])?")
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}")
# What spreadsheets, R, pandas and databases write for "no value".
MISSING = frozenset(
    (
        "na",
        "n/a",
        "n.a.",
        "n.a",
        "#n/a",
        "nan",
        "null",
        "none",
        "nil",
        "-",
        "--",
        "---",
        ".",
        "\u2013",
        "\u2014",
        "?",
        "not known",
        "unknown",
        "n/k",
        "#value!",
        "#ref!",
    )
)
_ZERO = re.compile(r"0+(?:\.0+)?")
# org-id (http://org-id.guide), as 360Giving and Open Referral write identifiers.
_ORG_ID = re.compile(r"GB-(CHC|SC|NIC|COH)-?(.+)", re.I)


def blank(value) -> bool:
    """True for None, empty or white space only."""
    return value is None or (isinstance(value, str) and not value.strip())


def missing(value) -> bool:
    """Blank, or a placeholder that means 'no value' (NA, N/A, null, None, -, --, …)."""
    return blank(value) or str(value).strip().lower() in MISSING


def missing_number(value) -> bool:
    """Missing, or zero where a zero cannot be a real number (charity, company, phone)."""
    return missing(value) or bool(_ZERO.fullmatch(re.sub(r"\s", "", str(value))))


def tidy(value) -> str | None:
    """Collapse white space; None when blank."""
    if blank(value):
        return None
    return _SPACES.sub(" ", str(value)).strip()


@lru_cache(maxsize=65536)  # an import asks for each name several times (matching, indexing, writing)
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
    if not name or name.lower() in MISSING:
        raise FieldError("Enter the organisation's name")
    if len(name) > 255:
        raise FieldError("Name must be 255 characters or fewer")
    return name


def parse_org_id(value) -> tuple[str, str] | None:
    """'GB-CHC-1123456' -> ('charity_number', '1123456'); 'GB-COH-01234567' -> ('company_number', …); else None."""
    text = tidy(value)
    match = _ORG_ID.fullmatch(re.sub(r"\s", "", text or ""))
    if not match:
        return None
    scheme, rest = match.group(1).upper(), match.group(2).upper()
    if scheme == "COH":
        return "company_number", rest
    if scheme == "SC":
        return "charity_number", rest if rest.startswith("SC") else "SC" + rest
    if scheme == "NIC":
        return "charity_number", rest if rest.startswith("NIC") else "NIC" + rest
    return "charity_number", rest


def org_id(charity_number: str | None, company_number: str | None) -> str | None:
    """The org-id of a record: its charity number's scheme first, else its company number's."""
    if charity_number:
        if charity_number.startswith("SC"):
            return f"GB-SC-{charity_number}"
        if charity_number.startswith("NIC"):
            return f"GB-NIC-{charity_number[3:]}"
        return f"GB-CHC-{charity_number}"
    if company_number:
        return f"GB-COH-{company_number}"
    return None


def org_id_scheme(charity_number: str) -> str:
    """GB-CHC, GB-SC or GB-NIC for a stored charity number."""
    return "GB-SC" if charity_number.startswith("SC") else "GB-NIC" if charity_number.startswith("NIC") else "GB-CHC"


def clean_charity_number(value) -> str | None:
    """'1 234 567' -> '1234567'; 'sc12345' -> 'SC012345'; 'NIC 100002'; '1234567-1' and 'GB-CHC-1234567'."""
    if missing_number(value):
        return None
    text = tidy(value)
    compact = re.sub(r"\s", "", text).upper()
    parsed = parse_org_id(compact)
    if parsed:
        if parsed[0] != "charity_number":
            raise FieldError(f"Charity number {text} is a company's identifier, not a charity number")
        compact = parsed[1]
    if compact.endswith(".0") and compact[:-2].isdigit():  # a spreadsheet turned it into a number
        compact = compact[:-2]
    compact = compact.replace(".", "").replace("/", "-")
    compact = re.sub(r"-0+$", "", compact)  # "-0" is the main charity itself
    # One lost leading zero is put back (a spreadsheet that once held it as a number); more is a typing slip.
    scottish = re.fullmatch(r"SC(\d{5,6})", compact)
    if scottish:
        compact = "SC" + scottish.group(1).zfill(6)
    irish = re.fullmatch(r"NIC?(\d{5,6})", compact)
    if irish:
        compact = "NIC" + irish.group(1).zfill(6)
    if not _CHARITY.fullmatch(compact):
        raise FieldError(
            f"Charity number {text} is not in the right format: 6 to 8 digits, like 1123456 "
            "(add -1 for a linked charity), SC and 6 digits for Scotland, or NIC and 6 digits "
            "for Northern Ireland"
        )
    return compact


def clean_company_number(value) -> str | None:
    """8 characters; lost leading zeros come back (01234567, CE000571); 'GB-COH-01234567' is understood."""
    if missing_number(value):
        return None
    text = tidy(value)
    compact = re.sub(r"[\s.]", "", text).upper() if not re.fullmatch(r"\d+\.0", text) else text[:-2]
    parsed = parse_org_id(compact)
    if parsed:
        if parsed[0] != "company_number":
            raise FieldError(f"Company number {text} is a charity's identifier, not a company number")
        compact = parsed[1]
    parts = _COMPANY_PARTS.fullmatch(compact)
    if parts:
        prefix, digits, suffix = parts.group(1) or "", parts.group(2), parts.group(3) or ""
        width = 8 - len(prefix) - len(suffix)
        unknown_prefix = bool(prefix) and prefix not in COMPANY_PREFIXES
        # A plain number this short is more likely a typing slip than lost zeros; a prefixed one may lose two.
        too_short = len(digits) < width - 2 if prefix else (not suffix and not 6 <= len(digits) <= 8)
        misfit = len(digits) > width or bool(suffix and prefix not in ("IP", "RS", "SP", "NP"))
        if unknown_prefix or too_short or misfit:
            parts = None
        else:
            compact = prefix + digits.zfill(width) + suffix
    if not parts:
        raise FieldError(
            f"Company number {text} is not in the right format: 8 digits like 01234567, "
            "or a Companies House prefix and 6 digits like SC123456 or CE000571"
        )
    return compact


def clean_email(value) -> str | None:
    if missing(value):
        return None
    text = tidy(value)
    text = text.removeprefix("mailto:")
    try:
        # The same library as every other email field (WTForms' Email validator); no DNS look-up.
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise FieldError(f"Email address {text} is not in the right format, like name@example.org") from None
    return f"{text.rsplit('@', 1)[0]}@{checked.domain.lower()}"  # the local part as typed; only domains ignore case


def clean_phone(value) -> str | None:
    """A UK number: 10 or 11 digits starting 0 (+44 and a lost leading zero are put right)."""
    if missing_number(value):
        return None
    text = tidy(value)
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
    if digits.startswith(("011", "0121", "0131", "0141", "0151", "0161", "0171", "0181", "0191")) or digits[:3] in (
        "011",
    ):
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if digits.startswith("02"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if digits.startswith(("03", "08", "09")):
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    return f"{digits[:5]} {digits[5:]}"


def clean_website(value) -> str | None:
    """Adds https:// when no scheme is given; only http and https addresses are accepted."""
    if missing(value):
        return None
    text = tidy(value)
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
    text = str(value).strip() if not missing(value) else None
    if text and len(text) > 5000:
        raise FieldError("Description must be 5,000 characters or fewer")
    return text


def clean_address(value) -> str | None:
    text = None if missing(value) else tidy(value)
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
        "previously excepted",
        "scio",
        "scottish charitable incorporated organisation",
        "charitable incorporated organisation foundation",
        "cio foundation",
        "royal charter",
        "charity (trust)",
        "unincorporated charity",
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
_OUR_WORDINGS = {kind.title.lower() for kind in OrganisationType} | {kind.value for kind in OrganisationType}
# Words that make the nearest type obvious when the whole wording is not one we know (first match wins).
_TYPE_HINTS = (
    (re.compile(r"community interest|\bcic\b"), OrganisationType.CIC),
    (
        re.compile(r"nhs|council|authority|statutory|government|public body|police|fire and rescue"),
        OrganisationType.STATUTORY_BODY,
    ),
    (re.compile(r"charitable compan|limited by guarantee|\bclg\b"), OrganisationType.CHARITABLE_COMPANY),
    (re.compile(r"charit|\bcio\b|\bscio\b|excepted|exempt|trust\b|foundation"), OrganisationType.REGISTERED_CHARITY),
    (
        re.compile(r"co-?operative|benefit society|mutual|social enterprise|industrial and provident"),
        OrganisationType.SOCIAL_ENTERPRISE,
    ),
    (
        re.compile(r"association|group|club|network|forum|society|residents|tenants|friends of|volunteer"),
        OrganisationType.COMMUNITY_GROUP,
    ),
)


def interpret_org_type(value) -> tuple[OrganisationType, str | None]:
    """(type, the wording as the source wrote it when it is not one of ours); never raises.

    Known wordings ('CIO', 'Community Interest Company') map directly; others map to the nearest type
    when a word makes it obvious ('Previously excepted' is a charity) and to Other when nothing does.
    """
    if missing(value):
        return OrganisationType.OTHER, None
    text = tidy(value)[:120]
    key = text.lower()
    kind = _TYPE_LOOKUP.get(key)
    if kind is not None:
        exact = key in _OUR_WORDINGS
        return kind, None if exact else text
    for pattern, hinted in _TYPE_HINTS:
        if pattern.search(key):
            return hinted, text
    return OrganisationType.OTHER, text


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
    text = ("active" if missing(value) else tidy(value)).lower()
    if text in ("active", "open", "yes", "current", "registered", "live", "trading"):
        return OrganisationStatus.ACTIVE
    if text in ("closed", "removed", "dissolved", "inactive", "no", "ceased", "wound up"):
        return OrganisationStatus.CLOSED
    raise FieldError(f"Status {value} is not one we know: use active or closed")


_BOROUGH_BY_NAME = {}


def borough_lookup() -> dict[str, str]:
    """Lower-case borough names and codes -> code."""
    if not _BOROUGH_BY_NAME:
        for code in BOROUGH_CODES:
            _BOROUGH_BY_NAME[code.lower()] = code
            _BOROUGH_BY_NAME[borough_name(code).lower()] = code
        # As the Charity Commission's areas of operation and other registers write them.
        _BOROUGH_BY_NAME.update(
            {
                "city of manchester": "E08000003",
                "manchester city": "E08000003",
                "salford city": "E08000006",
                "city of salford": "E08000006",
                "wigan borough": "E08000010",
                "trafford borough": "E08000009",
            }
        )
    return _BOROUGH_BY_NAME


GREATER_MANCHESTER = (
    "greater manchester",
    "all",
    "gm",
    "all boroughs",
    "all of greater manchester",
    "throughout greater manchester",
    "greater manchester county",
)


def boroughs_named(text) -> set[str] | None:
    """Borough codes a place name means: one borough, all ten for Greater Manchester, None when not here."""
    key = _SPACES.sub(" ", str(text or "")).strip().lower()
    if key in GREATER_MANCHESTER:
        return set(BOROUGH_CODES)
    code = borough_lookup().get(key)
    return {code} if code else None


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
    for part in value if isinstance(value, list) else split_list(value):
        code = lookup.get(part.lower())
        if code:
            codes.add(code)
        else:
            unknown.append(part)
    if unknown:
        raise FieldError(f"Borough {', '.join(unknown)} is not one of the ten Greater Manchester boroughs")
    return sorted(codes)
