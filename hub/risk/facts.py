"""The facts a child's combined risk is scored from, fetched set-based in one query.

One SQL text serves every path — one child after a change, a batch of 20,000 children in the
nightly sweep, every child as things stood on a past date — so the paths cannot disagree.

Two modes:

* live (`as_of=False`): active concerns as they are now. Nothing is filtered on `recorded_at`
  (an application server's clock a little ahead of the database's must never hide a concern
  that was just saved); ages are counted from AT.
* point in time (`as_of=True`): only what had been recorded by AT, withdrawals that had
  happened by AT, amendments undone back to the values that stood at AT (from
  `ConcernAmendment.changes[field]["before"]`), household memberships recorded by AT.

Merges are taken as they stand now: a person merged into a child counts as the child.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
from django.db import connection
from django.utils import timezone

from hub.risk.scoring import Fact

_KIDS = """
    SELECT p.id FROM concerns_person p
    WHERE p.kind = 'child' AND p.merged_into_id IS NULL {as_of_person} {child_filter}
"""

_SQL = """
WITH kids AS NOT MATERIALIZED ({kids}),
members AS NOT MATERIALIZED (
    SELECT m.household_id, m.person_id FROM concerns_householdmember m
    WHERE {membership}
),
rel AS (
    SELECT k.id AS child_id, k.id AS person_id, 0 AS via FROM kids k
    UNION ALL
    SELECT k.id, p.id, 0 FROM kids k JOIN concerns_person p ON p.merged_into_id = k.id
    UNION ALL
    SELECT m1.person_id, m2.person_id, CASE WHEN p2.kind = 'adult' THEN 1 ELSE 2 END
    FROM kids k
    JOIN members m1 ON m1.person_id = k.id
    JOIN members m2 ON m2.household_id = m1.household_id AND m2.person_id <> m1.person_id
    JOIN concerns_person p2 ON p2.id = m2.person_id
){amend_cte},
f AS (
    SELECT r.child_id, c.id, r.via, c.agency_id,
           {category} AS category, {level} AS level, {occurred} AS occurred_at
    FROM rel r
    JOIN concerns_subjectrecord sr ON sr.person_id = r.person_id
    JOIN concerns_concern c ON c.subject_id = sr.id
    {amend_joins}
    WHERE {concern_filter}
)
SELECT child_id, id, via, agency_id, category, level,
       GREATEST(EXTRACT(EPOCH FROM (%(at)s::timestamptz - occurred_at)) / 86400.0, 0)::float8
FROM f
WHERE occurred_at > %(at)s::timestamptz - make_interval(days => %(window)s) {occurred_cap}
"""

_AMEND_CTE = """,
amend AS (
    SELECT DISTINCT ON (a.concern_id, k.key) a.concern_id, k.key,
           a.changes -> k.key ->> 'before' AS before
    FROM concerns_concernamendment a
    CROSS JOIN LATERAL jsonb_object_keys(a.changes) AS k(key)
    WHERE a.amended_at > %(at)s AND k.key IN ('category', 'level', 'occurred_at')
    ORDER BY a.concern_id, k.key, a.amended_at, a.id
)"""

_AMEND_JOINS = """
    LEFT JOIN amend ac ON ac.concern_id = c.id AND ac.key = 'category'
    LEFT JOIN amend al ON al.concern_id = c.id AND al.key = 'level'
    LEFT JOIN amend ao ON ao.concern_id = c.id AND ao.key = 'occurred_at'
"""


def build_sql(*, as_of: bool, child_filter: str) -> str:
    """The facts query. CHILD_FILTER is one of the fixed fragments below, never user input."""
    if as_of:
        kids = _KIDS.format(as_of_person="AND p.created_at <= %(at)s", child_filter=child_filter)
        membership = (
            "m.created_at <= %(at)s"
            " AND (m.joined_on IS NULL OR m.joined_on <= %(at_date)s)"
            " AND (m.left_on IS NULL OR m.left_on > %(at_date)s)"
        )
        return _SQL.format(
            kids=kids,
            membership=membership,
            amend_cte=_AMEND_CTE,
            amend_joins=_AMEND_JOINS,
            category="COALESCE(ac.before, c.category)",
            level="COALESCE(al.before::int, c.level)",
            occurred="COALESCE(ao.before::timestamptz, c.occurred_at)",
            concern_filter=(
                "c.recorded_at <= %(at)s AND (c.withdrawn_at IS NULL OR c.withdrawn_at > %(at)s)"
            ),
            occurred_cap="AND occurred_at <= %(at)s",
        )
    kids = _KIDS.format(as_of_person="", child_filter=child_filter)
    return _SQL.format(
        kids=kids,
        membership="m.left_on IS NULL",
        amend_cte="",
        amend_joins="",
        category="c.category",
        level="c.level",
        occurred="c.occurred_at",
        concern_filter="c.status = 'active'",
        occurred_cap="",
    )


BY_IDS = "AND p.id IN (SELECT unnest(%(ids)s::bigint[]))"
BY_RANGE = "AND p.id BETWEEN %(lo)s AND %(hi)s"


def fetch_facts(
    *,
    at: datetime,
    window_days: int,
    as_of: bool = False,
    child_ids: list[int] | None = None,
    id_range: tuple[int, int] | None = None,
) -> dict[int, list[Fact]]:
    """Facts per child, for the children named by CHILD_IDS or in ID_RANGE (inclusive)."""
    params: dict[str, Any] = {
        "at": at,
        "at_date": timezone.localdate(at),
        "window": int(window_days),
    }
    if child_ids is not None:
        child_filter = BY_IDS
        params["ids"] = list(child_ids)
    elif id_range is not None:
        child_filter = BY_RANGE
        params["lo"], params["hi"] = id_range
    else:
        child_filter = ""
    out: dict[int, list[Fact]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(build_sql(as_of=as_of, child_filter=child_filter), params)
        while True:
            rows = cursor.fetchmany(50_000)
            if not rows:
                break
            for child_id, cid, via, agency_id, category, level, age in rows:
                out[child_id].append((cid, via, agency_id, category, level, age))
    return out


def child_ids(*, at: datetime | None = None, as_of: bool = False) -> list[int]:
    """Every child assessed (as of AT in point-in-time mode), in id order."""
    sql = _KIDS.format(as_of_person="AND p.created_at <= %(at)s" if as_of else "", child_filter="")
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY p.id", {"at": at})
        return [row[0] for row in cursor.fetchall()]


def stream_facts(
    *, at: datetime, window_days: int, as_of: bool = False, itersize: int = 20_000
) -> Iterator[tuple[int, list[Fact]]]:
    """(child id, facts) for every child with any, in child-id order, from ONE query.

    The whole estate in one pass (hash joins, one sort) instead of a scan per batch. It reads
    on a connection of its own through a server-side cursor, so memory stays flat and the
    caller can commit its writes batch by batch on Django's connection meanwhile.
    """
    params: dict[str, Any] = {
        "at": at,
        "at_date": timezone.localdate(at),
        "window": int(window_days),
    }
    sql = build_sql(as_of=as_of, child_filter="") + " ORDER BY 1"
    if connection.in_atomic_block:
        # Inside the caller's transaction (a test, a rolled-back benchmark): read there, so
        # what the transaction wrote is seen; the cursor lives as long as the transaction.
        connection.ensure_connection()
        yield from _stream(connection.connection, sql, params, itersize)
        return
    conn = psycopg.connect(**connection.get_connection_params())
    try:
        with conn.transaction():
            conn.execute("SET LOCAL work_mem = '128MB'")
            yield from _stream(conn, sql, params, itersize)
    finally:
        conn.close()


def _stream(conn, sql: str, params: dict[str, Any], itersize: int):
    with conn.cursor(name="risk_facts", binary=True) as cursor:
        cursor.itersize = itersize
        cursor.execute(sql, params)
        current: int | None = None
        facts: list[Fact] = []
        for child_id, cid, via, agency_id, category, level, age in cursor:
            if child_id != current:
                if current is not None:
                    yield current, facts
                current, facts = child_id, []
            facts.append((cid, via, agency_id, category, level, age))
        if current is not None:
            yield current, facts


def facts_by_child_stream(
    ids: list[int], *, at: datetime, window_days: int, as_of: bool = False
) -> Iterator[tuple[int, list[Fact]]]:
    """(child id, facts) for every id in IDS (ascending), [] for a child without facts."""
    stream = stream_facts(at=at, window_days=window_days, as_of=as_of)
    pending = next(stream, None)
    for child_id in ids:
        while pending is not None and pending[0] < child_id:
            pending = next(stream, None)
        if pending is not None and pending[0] == child_id:
            yield child_id, pending[1]
            pending = next(stream, None)
        else:
            yield child_id, []
    stream.close()  # closes the cursor and its connection
