"""Equality monitoring: the questions in the ONS Census 2021 harmonised categories, and the comparators.

Every question has "Prefer not to say". Answers are stored in EqualityRecord, apart from any response or
name, and only ever read back as counts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from ..config import ROOT

PREFER_NOT = "prefer_not_to_say"
CONSENT_WORDING = "2026-11"  # bump when the consent text on the start page changes
CENSUS_FILE = ROOT / "data" / "census" / "gm_census_2021.csv"


@dataclass(frozen=True)
class Category:
    key: str
    question: str
    hint: str
    options: tuple[tuple[str, str], ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (group label, option values) for long lists

    @property
    def all_options(self) -> tuple[tuple[str, str], ...]:
        return self.options + ((PREFER_NOT, "Prefer not to say"),)

    def label(self, value: str | None) -> str:
        return dict(self.all_options).get(value or "", "Not answered")


ETHNIC_GROUPS = (
    ("White", ("white_british", "white_irish", "white_gypsy_traveller", "white_roma", "white_other")),
    (
        "Mixed or multiple ethnic groups",
        ("mixed_white_black_caribbean", "mixed_white_black_african", "mixed_white_asian", "mixed_other"),
    ),
    (
        "Asian, Asian British or Asian Welsh",
        ("asian_indian", "asian_pakistani", "asian_bangladeshi", "asian_chinese", "asian_other"),
    ),
    ("Black, Black British, Black Welsh, Caribbean or African", ("black_african", "black_caribbean", "black_other")),
    ("Other ethnic group", ("other_arab", "other_any")),
)

RELIGIONS = ("no_religion", "christian", "buddhist", "hindu", "jewish", "muslim", "sikh", "other")

CATEGORIES = (
    Category(
        "age_band",
        "What is your age?",
        "",
        (
            ("under_16", "Under 16"),
            ("16_24", "16 to 24"),
            ("25_34", "25 to 34"),
            ("35_44", "35 to 44"),
            ("45_54", "45 to 54"),
            ("55_64", "55 to 64"),
            ("65_74", "65 to 74"),
            ("75_plus", "75 or over"),
        ),
    ),
    Category("sex", "What is your sex?", "", (("female", "Female"), ("male", "Male"))),
    Category(
        "gender_identity",
        "Is the gender you identify with the same as your sex registered at birth?",
        "",
        (("yes", "Yes"), ("no", "No")),
    ),
    Category(
        "sexual_orientation",
        "Which of the following best describes your sexual orientation?",
        "",
        (
            ("straight", "Straight or heterosexual"),
            ("gay_lesbian", "Gay or lesbian"),
            ("bisexual", "Bisexual"),
            ("other", "Other sexual orientation"),
        ),
    ),
    Category(
        "ethnic_group",
        "What is your ethnic group?",
        "Choose the one option that best describes you.",
        (
            ("white_british", "White: English, Welsh, Scottish, Northern Irish or British"),
            ("white_irish", "White: Irish"),
            ("white_gypsy_traveller", "White: Gypsy or Irish Traveller"),
            ("white_roma", "White: Roma"),
            ("white_other", "White: any other White background"),
            ("mixed_white_black_caribbean", "Mixed: White and Black Caribbean"),
            ("mixed_white_black_african", "Mixed: White and Black African"),
            ("mixed_white_asian", "Mixed: White and Asian"),
            ("mixed_other", "Mixed: any other mixed or multiple ethnic background"),
            ("asian_indian", "Asian: Indian"),
            ("asian_pakistani", "Asian: Pakistani"),
            ("asian_bangladeshi", "Asian: Bangladeshi"),
            ("asian_chinese", "Asian: Chinese"),
            ("asian_other", "Asian: any other Asian background"),
            ("black_african", "Black: African"),
            ("black_caribbean", "Black: Caribbean"),
            ("black_other", "Black: any other Black, Black British or Caribbean background"),
            ("other_arab", "Other: Arab"),
            ("other_any", "Other: any other ethnic group"),
        ),
        ETHNIC_GROUPS,
    ),
    Category(
        "religion",
        "What is your religion?",
        "",
        (
            ("no_religion", "No religion"),
            ("christian", "Christian"),
            ("buddhist", "Buddhist"),
            ("hindu", "Hindu"),
            ("jewish", "Jewish"),
            ("muslim", "Muslim"),
            ("sikh", "Sikh"),
            ("other", "Any other religion"),
        ),
    ),
    Category(
        "long_term_condition",
        "Do you have any physical or mental health conditions or illnesses lasting or expected to last "
        "12 months or more?",
        "",
        (("yes", "Yes"), ("no", "No")),
    ),
    Category(
        "disability",
        "Do any conditions or illnesses you have reduce your ability to carry out day-to-day activities?",
        "This is how the Equality Act 2010 defines being disabled.",
        (("yes_a_lot", "Yes, a lot"), ("yes_a_little", "Yes, a little"), ("no", "No, not at all")),
    ),
    Category(
        "carer",
        "Do you look after, or give any help or support to, anyone because they have long-term physical or "
        "mental health conditions or illnesses, or problems related to old age?",
        "Do not count anything you do as part of your paid work.",
        (
            ("no", "No"),
            ("up_to_9", "Yes, 9 hours a week or less"),
            ("10_19", "Yes, 10 to 19 hours a week"),
            ("20_34", "Yes, 20 to 34 hours a week"),
            ("35_49", "Yes, 35 to 49 hours a week"),
            ("50_plus", "Yes, 50 or more hours a week"),
        ),
    ),
    Category(
        "borough",
        "Which borough do you live in?",
        "",
        (
            ("E08000001", "Bolton"),
            ("E08000002", "Bury"),
            ("E08000003", "Manchester"),
            ("E08000004", "Oldham"),
            ("E08000005", "Rochdale"),
            ("E08000006", "Salford"),
            ("E08000007", "Stockport"),
            ("E08000008", "Tameside"),
            ("E08000009", "Trafford"),
            ("E08000010", "Wigan"),
            ("outside", "Outside Greater Manchester"),
        ),
    ),
)
BY_KEY = {category.key: category for category in CATEGORIES}


def ethnic_broad_group(value: str | None) -> str | None:
    """The census broad group key (white, mixed, asian, black, other) of a detailed ethnic group."""
    if not value or value == PREFER_NOT:
        return None
    return value.split("_", 1)[0]


@dataclass(frozen=True)
class Measure:
    """A headline equality figure: which answers count, which answers are the denominator, its comparator."""

    key: str
    label: str
    category: str
    counts: frozenset
    census: tuple[str, str, tuple[str, ...], bool] | None = None  # (measure, label, categories, complement)


_NON_WHITE = frozenset(v for label, values in ETHNIC_GROUPS[1:] for v in values)
MEASURES = (
    Measure(
        "long_term_condition",
        "Living with a long-term condition",
        "long_term_condition",
        frozenset({"yes"}),
        (
            "long_term_condition",
            "Has a long-term physical or mental health condition, all ages, not age-standardised",
            ("yes",),
            False,
        ),
    ),
    Measure(
        "disabled",
        "Disabled (Equality Act)",
        "disability",
        frozenset({"yes_a_lot", "yes_a_little"}),
        ("disability", "Disabled under the Equality Act (age-standardised)", ("yes_a_lot", "yes_a_little"), False),
    ),
    Measure(
        "carers",
        "Unpaid carers",
        "carer",
        frozenset({"up_to_9", "10_19", "20_34", "35_49", "50_plus"}),
        ("carer", "Provide unpaid care (age-standardised, aged 5 and over)", ("none",), True),
    ),
    Measure(
        "ethnic_minority",
        "From Asian, Black, mixed or other ethnic groups",
        "ethnic_group",
        _NON_WHITE,
        ("ethnic_group", "Asian, Black, mixed or other ethnic groups", ("white",), True),
    ),
    Measure("women", "Women", "sex", frozenset({"female"}), ("sex", "Female, all ages", ("female",), False)),
    Measure(
        "lgb_plus",
        "Gay, lesbian, bisexual or another sexual orientation (LGB+)",
        "sexual_orientation",
        frozenset({"gay_lesbian", "bisexual", "other"}),
        ("sexual_orientation", "LGB+ (aged 16 and over)", ("lgb_plus",), False),
    ),
    Measure(
        "trans",
        "Gender identity differs from sex registered at birth",
        "gender_identity",
        frozenset({"no"}),
        (
            "gender_identity",
            "Gender identity differs from sex registered at birth (aged 16 and over)",
            ("trans",),
            False,
        ),
    ),
)

# How each shipped census row maps onto the questions' harmonised answers: (census measure, census category) →
# (question, the answers that make up that census category). Every row of data/census/gm_census_2021.csv is here,
# so a census figure is only ever set beside the answers it describes.
CENSUS_MAP: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("ethnic_group", "white"): ("ethnic_group", ETHNIC_GROUPS[0][1]),
    ("ethnic_group", "mixed"): ("ethnic_group", ETHNIC_GROUPS[1][1]),
    ("ethnic_group", "asian"): ("ethnic_group", ETHNIC_GROUPS[2][1]),
    ("ethnic_group", "black"): ("ethnic_group", ETHNIC_GROUPS[3][1]),
    ("ethnic_group", "other"): ("ethnic_group", ETHNIC_GROUPS[4][1]),
    **{("religion", value): ("religion", (value,)) for value in RELIGIONS},
    ("disability", "yes_a_lot"): ("disability", ("yes_a_lot",)),
    ("disability", "yes_a_little"): ("disability", ("yes_a_little",)),
    ("disability", "no"): ("disability", ("no",)),
    ("carer", "none"): ("carer", ("no",)),
    ("sexual_orientation", "lgb_plus"): ("sexual_orientation", ("gay_lesbian", "bisexual", "other")),
    ("gender_identity", "trans"): ("gender_identity", ("no",)),
    ("sex", "female"): ("sex", ("female",)),
    ("sex", "male"): ("sex", ("male",)),
    **{("age_band", value): ("age_band", (value,)) for value, _ in BY_KEY["age_band"].options},
    ("long_term_condition", "yes"): ("long_term_condition", ("yes",)),
    ("long_term_condition", "no"): ("long_term_condition", ("no",)),
}
# Questions with no Greater Manchester Census 2021 comparator shipped (none found that could be cited). Sex, age
# band and long-term condition are now worked out from the ten boroughs' published counts (data/census/README.md).
NO_CENSUS_FIGURE: tuple[str, ...] = ()
NO_COMPARATOR_TEXT = "No comparator published"


@lru_cache(maxsize=1)
def census_rows() -> tuple[dict, ...]:
    """The shipped Greater Manchester Census 2021 rows (data/census/gm_census_2021.csv)."""
    with open(CENSUS_FILE, newline="", encoding="utf-8") as handle:
        return tuple({**row, "percent": float(row["percent"])} for row in csv.DictReader(handle))


def census_comparator(measure: Measure) -> dict | None:
    """{'name', 'percent', 'source_url', 'basis'} for a headline measure, derived from the shipped rows."""
    if measure.census is None:
        return None
    census_measure, name, categories, complement = measure.census
    rows = [row for row in census_rows() if row["measure"] == census_measure and row["category"] in categories]
    if len(rows) != len(categories):
        return None
    total = round(sum(row["percent"] for row in rows), 2)
    table = f" ({rows[0]['table']})" if rows[0].get("table") else ""
    return {
        "name": f"Greater Manchester, Census 2021{table}: {name}",
        "percent": round(100 - total, 2) if complement else total,
        "source_url": rows[0]["source_url"],
        "basis": rows[0]["basis"],
        "table": rows[0].get("table") or "",
        "licence": rows[0].get("licence") or "",
        "derived": complement or len(rows) > 1 or bool(rows[0].get("derived_from")),
        "derivation": derivation(rows, complement),
    }


def derivation(rows: list[dict], complement: bool = False) -> str:
    """How a comparator was worked out from the shipped rows, in words ('' when it is one published figure)."""
    steps = []
    if any(row.get("derived_from") for row in rows):
        steps.append("the ten boroughs' published counts added up")
    if complement or len(rows) > 1:
        steps.append("worked out from the census rows")
    return "; ".join(steps)


def _breakdown_rows(category_key: str):
    """The shipped rows shown in one question's breakdown table: (row, the answer or broad group it is set beside).
    Only rows that map onto exactly one answer or one broad ethnic group; the rest stay with the headline."""
    for row in census_rows():
        question, values = CENSUS_MAP.get((row["measure"], row["category"]), (None, ()))
        if question != category_key:
            continue
        if category_key == "ethnic_group":
            yield row, row["category"]
        elif len(values) == 1:
            yield row, values[0]


def census_sources(category_key: str) -> list[dict]:
    """The distinct tables, bases and sources of the census figures in one question's breakdown table."""
    found: dict[tuple, dict] = {}
    for row, _ in _breakdown_rows(category_key):
        found.setdefault(
            (row["table"], row["basis"], row["source_url"]),
            {
                "table": row["table"],
                "universe": row["universe"],
                "basis": row["basis"],
                "source_url": row["source_url"],
                "derivation": derivation([row]),
            },
        )
    return list(found.values())


def census_breakdown(category_key: str) -> dict[str, float]:
    """Census percentages for the breakdown tables, keyed by the answer they describe: one answer (religion, the
    disability answers, gender identity 'no', sex, age band, long-term condition) or, for ethnic group, the broad
    group key (white, mixed, ...)."""
    return {answer: row["percent"] for row, answer in _breakdown_rows(category_key)}
