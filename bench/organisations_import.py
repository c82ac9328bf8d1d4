"""Benchmark: import 17,500 messy rows (with geocoding) in one transaction, against row-by-row saving.

Run: .venv/bin/python bench/organisations_import.py [ROWS]
"""

from __future__ import annotations

import csv
import io
import random
import sys
import time

from _organisations_setup import fresh_app


def messy_csv(count: int) -> bytes:
    """A Windows-1252 CSV like a council or CVS export: lower-case postcodes, blanks, outsiders, duplicates."""
    from coordination.organisations.demo import generate_gm

    rng = random.Random(4)
    records = generate_gm(count)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Organisation Name",
            "Charity No",
            "Company No",
            "Type",
            "Address",
            "Post Code",
            "Telephone",
            "Web",
            "Email",
            "Areas served",
            "Description",
        ]
    )
    types = {
        "registered_charity": "Registered charity",
        "charitable_company": "Charitable company",
        "cic": "CIC",
        "community_group": "community group",
        "social_enterprise": "Social Enterprise",
        "other": "",
    }
    for index, record in enumerate(records):
        postcode = record["postcode_text"]
        roll = rng.random()
        if roll < 0.03:
            postcode = ""
        elif roll < 0.05:
            postcode = rng.choice(["WA1 1UH", "PR1 2HE", "SK17 6AN", "HX1 1BE"])
        elif roll < 0.5:
            postcode = postcode.lower().replace(" ", "")
        name = record["name"] + (" Café" if index % 50 == 0 else "")
        writer.writerow(
            [
                name if roll > 0.002 else "",
                record.get("charity_number") or "",
                (record.get("company_number") or "").lstrip("0"),
                types[record["org_type"].value],
                f"{rng.randint(1, 200)} High Street",
                postcode,
                record.get("phone") or "",
                (record.get("website") or "").replace("https://", ""),
                record.get("email") or "",
                "; ".join(record["operates_in"]),
                record["description"],
            ]
        )
    return out.getvalue().encode("cp1252", errors="replace")


def main(rows: int = 17500, naive_rows: int = 300) -> None:
    app, db = fresh_app()
    from sqlalchemy import func, select

    from coordination.organisations import importer, operations
    from coordination.organisations.models import Organisation
    from geo.postcodes import directory_frame

    raw = messy_csv(rows)
    # The postcode directory is read once per process; time it apart from the import itself.
    started = time.perf_counter()
    directory_frame(["B", "M", "O", "S", "W", "P", "H"])
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    upload = importer.read_csv(raw)
    summary = importer.import_organisations(upload, importer.guess_mapping(upload.headers))
    import_seconds = time.perf_counter() - started
    assert summary.created + summary.updated + summary.unchanged + summary.refused == summary.rows
    stored = db.session.scalar(select(func.count()).select_from(Organisation))

    # Naive: one postcode lookup, one record and one commit per row (a subset, scaled up).
    db.session.execute(Organisation.__table__.delete())
    db.session.commit()
    sample = upload.rows[:naive_rows]
    mapping = importer.guess_mapping(upload.headers)
    started = time.perf_counter()
    for _, cells in sample:
        try:
            operations.create_organisation(
                {
                    "name": cells[mapping["name"]],
                    "postcode": cells[mapping["postcode"]],
                    "description": cells[mapping["description"]],
                }
            )
        except operations.OrganisationError:
            db.session.rollback()
    naive_seconds = (time.perf_counter() - started) * rows / len(sample)

    print(
        f"rows: {summary.rows:,}  created: {summary.created:,}  updated: {summary.updated:,}  "
        f"unchanged: {summary.unchanged:,}  refused: {summary.refused:,}  warnings: {summary.warnings:,}  "
        f"stored: {stored:,}"
    )
    print(f"postcode directory load (once per process): {load_seconds:.2f} s")
    print(
        f"bulk import incl. decoding, validation, geocoding, matching, FTS index: {import_seconds:.2f} s "
        f"(goal < 10 s; with directory load {import_seconds + load_seconds:.2f} s)"
    )
    print(f"naive row-by-row import (measured on {len(sample)} rows, scaled): {naive_seconds:.1f} s")
    print(f"ratio naive / bulk: {naive_seconds / import_seconds:.0f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 17500)
