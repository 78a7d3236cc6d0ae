"""`python manage.py bench_policy`: what the visibility rule costs.

Builds, inside a transaction that is rolled back, one child with N concerns (default 10,000)
from several agencies, a MASH triager who sees them under the MASH rule, and a realistic spread
of sharing decisions and consent; then prints the median time of the chronology query with and
without the rule, their ratio (target ≤ 2×) and the median single-concern check (target ≤ 2 ms).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Area, User
from concerns.models import Concern, Person, SubjectRecord
from consent.models import AreaSharingAgreement, MashInvolvement, SharingDecision
from consent.policy import visibility_of


class _Rollback(Exception):
    pass


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


class Command(BaseCommand):
    help = "Time the visibility rule on a 10,000-concern chronology and a single-concern check."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--concerns", type=int, default=10_000)
        parser.add_argument("--repeat", type=int, default=7)
        parser.add_argument("--checks", type=int, default=300)

    def handle(self, *args: Any, concerns: int, repeat: int, checks: int, **options: Any) -> None:
        try:
            with transaction.atomic():
                self._run(concerns, repeat, checks)
                raise _Rollback
        except _Rollback:
            pass

    def _run(self, n: int, repeat: int, checks: int) -> None:
        now = timezone.now()
        tag = f"bench{int(now.timestamp())}"
        area = Area.objects.create(code=f"{tag}-area", name="Bench area")
        AreaSharingAgreement.objects.create(
            area=area, title="Bench agreement", article6="public_task", effective_from=now.date()
        )
        kinds = ["police", "health", "education", "housing", "probation", "other"]
        agencies = []
        for i, kind in enumerate(kinds):
            agency = Agency.objects.create(code=f"{tag}-{i}", name=f"Bench {kind}", kind=kind)
            agency.areas.add(area)
            agencies.append(agency)
        mash = Agency.objects.create(code=f"{tag}-mash", name="Bench MASH", kind="other")
        mash.areas.add(area)
        viewer = User.objects.create(username=f"{tag}-triager", agency=mash, role="mash_triager")
        authors = [
            User.objects.create(username=f"{tag}-a{i}", agency=a, role="practitioner")
            for i, a in enumerate(agencies)
        ]
        lead = User.objects.create(
            username=f"{tag}-lead", agency=agencies[0], role="designated_lead"
        )
        child = Person.objects.create(kind="child", area=area)
        subjects = [
            SubjectRecord.objects.create(
                agency=a, person=child, given_name="Bench", family_name="Child"
            )
            for a in agencies
        ]
        rows = []
        for i in range(n):
            k = i % len(agencies)
            rows.append(
                Concern(
                    agency=agencies[k],
                    author=authors[k],
                    subject=subjects[k],
                    category="neglect",
                    level=1 + i % 4,
                    text="Synthetic benchmark concern.",
                    occurred_at=now - dt.timedelta(minutes=i),
                    consent_status="not_sought",
                    marker_health=i % 11 == 0,
                    marker_police_investigation=i % 13 == 0,
                    marker_sealed=i % 97 == 0,
                    recorded_at=now - dt.timedelta(minutes=i),
                    updated_at=now,
                )
            )
        created = Concern.objects.bulk_create(rows, batch_size=2000)
        MashInvolvement.objects.create(person=child, area=area, reason="bench", opened_at=now)
        # Decisions: 200 single-concern decisions to the MASH, one whole-record decision.
        SharingDecision.objects.bulk_create(
            [
                SharingDecision(
                    owner_agency=agencies[0],
                    person=child,
                    concern=c,
                    recipient_area=area,
                    share=True,
                    level=3,
                    purpose="bench",
                    necessity="bench",
                    article6="public_task",
                    article9="9_2_h_sch1_para2",
                    decided_by=lead,
                    decided_at=now,
                )
                for c in created[: 200 * len(agencies) : len(agencies)]
            ]
        )
        SharingDecision.objects.create(
            owner_agency=agencies[0],
            person=child,
            up_to=now - dt.timedelta(days=3),
            recipient_area=area,
            share=True,
            level=3,
            purpose="bench",
            necessity="bench",
            article6="public_task",
            decided_by=lead,
            decided_at=now,
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE concerns_concern; ANALYZE consent_sharingdecision")

        def chronology(qs):
            return list(
                qs.filter(subject__person_id=child.pk)
                .select_related("agency", "subject")
                .order_by("occurred_at", "pk")
            )

        plain = Concern.objects.all()
        checked = chronology(plain.visible_to(viewer))
        fields = ("pk", "agency_id", "category", "level", "occurred_at")
        results = {
            "without policy (models)": _median_ms(lambda: chronology(plain), repeat),
            "with policy (models)": _median_ms(
                lambda: chronology(plain.visible_to(viewer)), repeat
            ),
            "without policy (values)": _median_ms(
                lambda: list(
                    plain.filter(subject__person_id=child.pk)
                    .order_by("occurred_at")
                    .values(*fields)
                ),
                repeat,
            ),
            "with policy (values)": _median_ms(
                lambda: list(
                    plain.visible_to(viewer)
                    .filter(subject__person_id=child.pk)
                    .order_by("occurred_at")
                    .values(*fields, "visibility")
                ),
                repeat,
            ),
        }
        sample = created[:: max(1, n // checks)][:checks]
        single = []
        for c in sample:
            start = time.perf_counter()
            visibility_of(viewer, c)
            single.append((time.perf_counter() - start) * 1000)
        out = self.stdout.write
        out(f"concerns in chronology: {n:,} (visible to the MASH triager: {len(checked):,})")
        for name, ms in results.items():
            out(f"{name:<28} {ms:8.1f} ms (median of {repeat})")
        ratio_models = results["with policy (models)"] / results["without policy (models)"]
        ratio_values = results["with policy (values)"] / results["without policy (values)"]
        out(f"ratio (models)               {ratio_models:8.2f}x  (target <= 2x)")
        out(f"ratio (values)               {ratio_values:8.2f}x")
        out(
            f"single-concern check         {statistics.median(single):8.2f} ms median, "
            f"p95 {sorted(single)[int(len(single) * 0.95) - 1]:.2f} ms over {len(single)} "
            "(target <= 2 ms)"
        )
