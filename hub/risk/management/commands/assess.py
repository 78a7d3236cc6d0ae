"""What the hub would have shown on a past day: every child's assessment as of DATE.

    python manage.py assess --as-of 2026-06-30 [--format json] [--parameters-version N]

Uses only what had been recorded by the end of DATE (local time): concerns with
`recorded_at` <= then, withdrawals made by then, amendments undone back to the values that
stood then, household memberships recorded by then. Writes nothing; live assessments are not
touched. Output per child: id, its records' agency references, score, band, contributing
concern ids and the rules that fired. Ids and references only: no names, no concern text.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from hub.risk.models import ParameterSet
from hub.risk.services import assess_iter, parameter_set_current


def end_of_day(day: date) -> datetime:
    start = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return start - timedelta(microseconds=1)


def agency_references(child_ids: list[int], at: datetime) -> dict[int, list[str]]:
    """'agency-code:reference' of each child's records (and of records merged into it)."""
    out: dict[int, list[str]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH people AS ("
            " SELECT ids.id AS child_id, ids.id AS person_id FROM unnest(%(ids)s::bigint[]) ids(id)"
            " UNION ALL SELECT p.merged_into_id, p.id FROM concerns_person p"
            " JOIN unnest(%(ids)s::bigint[]) ids(id) ON p.merged_into_id = ids.id)"
            " SELECT pe.child_id, a.code, sr.external_reference FROM people pe"
            " JOIN concerns_subjectrecord sr ON sr.person_id = pe.person_id"
            " JOIN agencies_agency a ON a.id = sr.agency_id"
            " WHERE sr.created_at <= %(at)s ORDER BY 1, a.code, sr.id",
            {"ids": child_ids, "at": at},
        )
        for child_id, code, ref in cursor:
            out[child_id].append(f"{code}:{ref}" if ref else code)
    return out


class Command(BaseCommand):
    help = "Every child's combined-risk assessment as it would have been on a past date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--parameters-version", type=int, help="default: the version in force on that date"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        at = end_of_day(opts["as_of"])
        if opts["parameters_version"]:
            ps = ParameterSet.objects.filter(version=opts["parameters_version"]).first()
            if ps is None:
                raise CommandError(f"No parameters version {opts['parameters_version']}")
        else:
            ps = (
                ParameterSet.objects.filter(created_at__lte=at).order_by("-version").first()
                or parameter_set_current()
            )
        as_json = opts["format"] == "json"
        if as_json:
            head = json.dumps({"as_of": at.isoformat(), "parameters_version": ps.version})
            self.stdout.write(head[:-1] + ', "children": [')
        first = True
        batch: list[tuple[int, Any]] = []

        def flush() -> None:
            nonlocal first
            refs = agency_references([cid for cid, _ in batch], at)
            for child_id, result in batch:
                row = {
                    "child_id": child_id,
                    "agency_references": refs.get(child_id, []),
                    "score": result.score,
                    "band": result.band,
                    "concern_ids": result.concern_ids,
                    "rules": result.rule_codes,
                }
                if as_json:
                    self.stdout.write(("" if first else ",") + json.dumps(row))
                else:
                    self.stdout.write(
                        f"{child_id}\t{row['band']}\t{row['score']}\t"
                        f"{' '.join(row['agency_references']) or '-'}\t"
                        f"concerns={','.join(map(str, row['concern_ids'])) or '-'}\t"
                        f"rules={','.join(row['rules']) or '-'}"
                    )
                first = False
            batch.clear()

        for child_id, (result,) in assess_iter(at=at, parameters=[ps.parameters], as_of=True):
            batch.append((child_id, result))
            if len(batch) >= 5000:
                flush()
        flush()
        if as_json:
            self.stdout.write("]}")
