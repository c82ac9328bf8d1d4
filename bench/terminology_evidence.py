"""Evidence report and search expansion over 17,500 organisations (Greater Manchester scale).

Run: .venv/bin/python bench/terminology_evidence.py
Compares the report's approach (split each description into words once, look every run of words up
in one set of label keys) with the naive one (test every label against every description), and
times the reference search for a few typed queries.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-terminology-"))

ORGANISATIONS = 17_500
FILLER = [
    "we",
    "are",
    "a",
    "friendly",
    "community",
    "group",
    "based",
    "in",
    "the",
    "heart",
    "of",
    "the",
    "borough",
    "offering",
    "drop",
    "in",
    "sessions",
    "for",
    "families",
    "carers",
    "older",
    "people",
    "young",
    "people",
    "and",
    "anyone",
    "who",
    "needs",
    "a",
    "listening",
    "ear",
    "volunteers",
    "welcome",
    "tea",
    "and",
    "cake",
    "every",
    "week",
    "our",
    "centre",
    "is",
    "open",
    "monday",
    "to",
    "friday",
]


def build(app) -> None:
    from coordination.extensions import db
    from coordination.organisations.models import Organisation, OrganisationBorough
    from coordination.terminology import demo
    from coordination.terminology.models import Concept
    from geo.boroughs import BOROUGH_CODES

    db.drop_all()
    db.create_all()
    demo.seed(None)
    labels = []
    for concept in db.session.scalars(db.select(Concept)):
        labels += [concept.pref_label] + [label.text for label in concept.labels]
    rng = random.Random(5)
    codes = list(BOROUGH_CODES)
    rows, links = [], []
    for n in range(1, ORGANISATIONS + 1):
        words = rng.sample(FILLER, 25)
        for _ in range(rng.randint(0, 3)):
            words.insert(rng.randrange(len(words)), rng.choice(labels))
        rows.append(
            {
                "id": n,
                "name": f"Organisation {n}",
                "normalised_name": f"organisation {n}",
                "description": " ".join(words).capitalize() + ".",
                "borough_code": rng.choice(codes),
                "org_type": "other",
                "location_status": "located",
                "status": "active",
            }
        )
        if n % 4 == 0:
            links.append({"organisation_id": n, "borough_code": rng.choice(codes)})
    db.session.execute(db.insert(Organisation), rows)
    db.session.execute(db.insert(OrganisationBorough), links)
    db.session.commit()


def naive_report():
    """Every label against every description with contains_phrase (re-tokenising each time)."""
    from coordination.terminology.matching import contains_phrase
    from coordination.terminology.queries import _labels_for_evidence, list_concepts, organisation_texts

    concepts = list_concepts()
    counts = {}
    for codes, description in organisation_texts():
        for concept in concepts:
            for text, _, key in _labels_for_evidence(concept):
                if contains_phrase(description, text):
                    for code in codes:
                        counts[code, key] = counts.get((code, key), 0) + 1
    return counts


def timed(label: str, function, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<60} {best * 1000:9.1f} ms")
    return best, result


def main() -> None:
    from coordination import create_app
    from coordination.terminology.queries import evidence_report, list_concepts
    from coordination.terminology.search import expand_query, find_organisation_ids

    app = create_app("test")
    with app.app_context():
        build(app)
        print(f"{ORGANISATIONS:,} organisations, 7 concepts, {sum(len(c.labels) + 1 for c in list_concepts())} labels")
        fast, report = timed("evidence report (words once, set lookups)", evidence_report, repeat=3)
        slow, naive = timed("naive (every label against every description)", naive_report)
        agree = all(
            usage.organisations
            == naive.get(
                (code, __import__("coordination.terminology.matching", fromlist=["x"]).normalise(usage.text)), 0
            )
            for code, rows in report.items()
            for row in rows
            for usage in row.usage
        )
        print(f"{'speed-up':<60} {slow / fast:9.1f} x   (same counts: {agree})")
        for query in (
            "self care",
            "Self-Care",
            "supported self-management",
            "peer-led groups in Rochdale",
            "allotments",
        ):
            timed(f"expand_query({query!r})", lambda query=query: expand_query(query), repeat=5)
            _, ids = timed(f"reference search {query!r}", lambda query=query: find_organisation_ids(query), repeat=3)
            print(f"{'':<60} {len(ids):>9,} organisations found")


if __name__ == "__main__":
    main()
