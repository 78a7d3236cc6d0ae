"""The online benchmark: one arriving record matched against N people already in PostgreSQL.

Loads N synthetic agency records (and their people) with COPY inside a transaction, analyses
the table, times `online.match` for fresh records, and rolls everything back. Used by
`bench_matching --online N`; never by a request.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from concerns.validators import normalise_address, normalise_name
from hub.matching import bench, online
from hub.matching.comparisons import prepare

_COLUMNS = (
    "agency_id",
    "person_id",
    "external_reference",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "nhs_number",
    "upn",
    "address",
    "postcode",
    "school",
    "given_name_norm",
    "family_name_norm",
    "address_norm",
    "created_at",
)


class _Rollback(Exception):
    pass


def run_online(people: int, queries: int, out: Any) -> dict[str, float]:
    figures: dict[str, float] = {}
    try:
        with transaction.atomic():
            figures = _run(people, queries, out)
            raise _Rollback
    except _Rollback:
        pass
    return figures


def _run(people: int, queries: int, out: Any) -> dict[str, float]:
    from agencies.models import Agency

    started = time.perf_counter()
    agency = Agency.objects.create(code="bench-online", name="Benchmark", kind="other")
    now = timezone.now()
    rows = bench.iter_synthetic_rows(people + queries, seed=11)
    held: list[dict[str, Any]] = []
    rng = random.Random(5)
    person_of: dict[str, int] = {}
    with connection.cursor() as cursor:
        # One person per synthetic child (at most one per record), ids from the sequence.
        cursor.execute(
            "INSERT INTO concerns_person (kind, created_at) "
            "SELECT 'child', now() FROM generate_series(1, %s) RETURNING id",
            [people],
        )
        person_ids = [row[0] for row in cursor.fetchall()]
        copy_sql = f"COPY concerns_subjectrecord ({', '.join(_COLUMNS)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            loaded = 0
            for row in rows:
                # About one record in (people/queries) is held back as an arrival to match.
                if len(held) < queries and rng.random() < queries / (people + queries):
                    held.append(row)
                    continue
                if loaded >= people:
                    held.append(row)
                    if len(held) >= queries:
                        break
                    continue
                cluster = row["cluster_id"]
                if cluster not in person_of:
                    person_of[cluster] = person_ids[len(person_of)]
                dob = bench.parse_dob(row["dob"])
                copy.write_row(
                    (
                        agency.pk,
                        person_of[cluster],
                        "",
                        row["forename"],
                        row["surname"],
                        "",
                        dob,
                        row["sex"] or "U",
                        row["nhs_number"],
                        row["upn"],
                        row["address"],
                        row["postcode"],
                        row["school"],
                        normalise_name(row["forename"]),
                        normalise_name(row["surname"]),
                        normalise_address(row["address"]),
                        now,
                    )
                )
                loaded += 1
        cursor.execute("ANALYZE concerns_subjectrecord")
    load_s = time.perf_counter() - started
    out.write(f"online: loaded {loaded:,} records in {load_s:.0f} s; matching {len(held)}")
    online.active_scorer()  # parameters loaded once per process, as in a worker
    today = date(2026, 11, 1)
    queries_prepared = [
        prepare(
            ("q", index),
            forename=row["forename"],
            surname=row["surname"],
            dob=bench.parse_dob(row["dob"]),
            sex=row["sex"],
            postcode=row["postcode"],
            address=row["address"],
            school=row["school"],
            upn=row["upn"],
            nhs=row["nhs_number"],
            today=today,
        )
        for index, row in enumerate(held[:queries])
    ]
    # Count each record's candidates once, untimed; then time only the match itself.
    candidates = [len(online.candidate_records(rec)) for rec in queries_prepared]
    timings = []
    for rec in queries_prepared:
        t0 = time.perf_counter()
        online.match(rec)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    return {
        "people": loaded,
        "queries": len(timings),
        "median_ms": statistics.median(timings),
        "p95_ms": timings[int(len(timings) * 0.95) - 1],
        "max_ms": timings[-1],
        "candidates": statistics.mean(candidates),
        "load_s": load_s,
    }
