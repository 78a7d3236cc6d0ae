"""Train the matcher's parameters on the records the hub holds and store them as a new version.

    python manage.py train_matching [--sample 200000] [--u-pairs 150000] [--dry-run]

No labels are used: u from random pairs, m and lambda by expectation maximisation. The new
version becomes active unless --inactive; requests never re-estimate anything.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from concerns.models import SubjectRecord
from hub.matching import linkage, services
from hub.matching.comparisons import prepare


class Command(BaseCommand):
    help = "Estimate matching parameters (m, u, lambda) from the hub's records by EM."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sample", type=int, default=200_000, help="records used at most")
        parser.add_argument("--u-pairs", type=int, default=150_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--dry-run", action="store_true", help="print, do not store")
        parser.add_argument("--inactive", action="store_true", help="store but do not activate")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        ids = list(SubjectRecord.objects.values_list("pk", flat=True))
        if len(ids) > opts["sample"]:
            ids = random.Random(opts["seed"]).sample(ids, opts["sample"])
        today = timezone.localdate()
        records = []
        fields = (
            "pk",
            "agency_id",
            "given_name_norm",
            "family_name_norm",
            "date_of_birth",
            "sex",
            "postcode",
            "address_norm",
            "school",
            "upn",
            "nhs_number",
        )
        for chunk_start in range(0, len(ids), 5000):
            chunk = ids[chunk_start : chunk_start + 5000]
            for row in SubjectRecord.objects.filter(pk__in=chunk).values_list(*fields):
                pk, agency_id, fn, sn, dob, sex, pc, addr, school, upn, nhs = row
                records.append(
                    prepare(
                        pk,
                        forename=fn,
                        surname=sn,
                        dob=dob,
                        sex=sex,
                        postcode=pc,
                        address=addr,
                        school=school,
                        upn=upn,
                        nhs=nhs,
                        source=agency_id,
                        today=today,
                        normalised=True,
                    )
                )
        if len(records) < 50:
            self.stdout.write("Too few records to train on; the built-in parameters stay in use.")
            return
        params, summary = linkage.train(records, u_pairs=opts["u_pairs"], seed=opts["seed"])
        report = summary.to_json() | {"seconds": round(time.perf_counter() - started, 1)}
        self.stdout.write(json.dumps(report, indent=2))
        for name in params.m:
            m = ", ".join(f"{x:.4f}" for x in params.m[name])
            u = ", ".join(f"{x:.5f}" for x in params.u[name])
            self.stdout.write(f"{name:10} m=[{m}]\n{'':10} u=[{u}]")
        self.stdout.write(f"lambda={params.lam:.3e}")
        if opts["dry_run"]:
            return
        version = services.match_parameters_save(
            actor=None, params=params, summary=report, activate=not opts["inactive"]
        )
        state = "active" if version.is_active else "stored, not active"
        self.stdout.write(
            self.style.SUCCESS(f"Saved parameters version {version.version} ({state})")
        )
