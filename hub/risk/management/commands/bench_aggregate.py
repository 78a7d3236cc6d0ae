"""Benchmark the combined-risk recompute. Prints figures; asserts nothing.

    python manage.py bench_aggregate [--generate --children 200000 --concerns 1000000]

1. full recompute of every child (a fresh process, so its peak memory is its own): the first
   run after loading (every child a new assessment, every rise a triage flag) and a second run
   a day later (the steady nightly: decay only);
2. one concern saved through the service → its child's new assessment committed, with a real
   Celery worker running: median and p95;
3. the naive way (an ORM loop per child) against the batch path on a ~10,000-concern sample,
   and the ratio (both inside a transaction that is rolled back).

`--generate` loads synthetic bench data set-based in PostgreSQL (`bench-` agencies and area),
for use until `seed_demo --children/--concerns` exists. All of it is synthetic.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import Agency, Area, User
from concerns.models import Concern, HouseholdMember, Person, SubjectRecord
from hub.risk.models import Assessment, CurrentAssessment
from hub.risk.scoring import VIA_ADULT, VIA_CHILD, VIA_SIBLING, Scorer
from hub.risk.services import (
    assessment_recompute_all,
    flags_raise_pending,
    parameter_set_current,
)

AGENCIES = [
    ("bench-school", Agency.Kind.EDUCATION),
    ("bench-gp", Agency.Kind.HEALTH),
    ("bench-health-visiting", Agency.Kind.HEALTH),
    ("bench-police", Agency.Kind.POLICE),
    ("bench-housing", Agency.Kind.HOUSING),
    ("bench-csc", Agency.Kind.CHILDRENS_SOCIAL_CARE),
]
CHILD_CATEGORIES = [
    "neglect", "emotional_abuse", "physical_abuse", "injury", "was_not_brought",
    "faltering_growth", "missing_from_home", "missing_from_education", "self_harm", "other",
]  # fmt: skip
ADULT_CATEGORIES = ["domestic_abuse", "parental_substance_misuse", "parental_mental_health"]


class Command(BaseCommand):
    help = "Benchmark the combined-risk recompute (prints figures)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--generate", action="store_true", help="load bench data first")
        parser.add_argument("--children", type=int, default=200_000)
        parser.add_argument("--concerns", type=int, default=1_000_000)
        parser.add_argument("--latency-samples", type=int, default=30)
        parser.add_argument("--naive-concerns", type=int, default=10_000)
        parser.add_argument("--skip-full", action="store_true")
        parser.add_argument(
            "--flag-sample", type=int, default=1000, help="triage flags to raise and time"
        )
        parser.add_argument(
            "--reset", action="store_true", help="first delete bench-area assessments and flags"
        )
        parser.add_argument("--skip-latency", action="store_true")
        parser.add_argument("--skip-naive", action="store_true")
        parser.add_argument("--phase", choices=["full"], help=("internal: run one phase"))
        parser.add_argument("--at", help="internal: ISO time to assess at")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["phase"] == "full":
            self._phase_full(opts["at"], opts["flag_sample"])
            return
        if opts["generate"]:
            t0 = time.perf_counter()
            generate(children=opts["children"], concerns=opts["concerns"])
            self.stdout.write(f"generated bench data in {time.perf_counter() - t0:.1f} s")
        if opts["reset"]:
            reset_bench_assessments()
            analyze()
            self.stdout.write("deleted bench-area assessments, pointers and triage items")
        n_children = Person.objects.filter(kind="child", merged_into__isnull=True).count()
        n_concerns = Concern.objects.count()
        self.stdout.write(f"data: {n_children:,} children, {n_concerns:,} concerns")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        self.stdout.write(f"machine: {os.cpu_count()} cores, load average {load} at start")
        if not opts["skip_full"]:
            self._full(opts["flag_sample"])
        if not opts["skip_latency"]:
            self._latency(opts["latency_samples"])
        if not opts["skip_naive"]:
            self._naive(opts["naive_concerns"])

    # 1. full recompute -------------------------------------------------------------------

    def _full(self, flag_sample: int) -> None:
        now = timezone.now()
        for label, at in (("first run", now - timedelta(1)), ("next night (decay only)", now)):
            out = subprocess.run(  # noqa: S603 (our own command, fixed arguments)
                [sys.executable, "manage.py", "bench_aggregate", "--phase", "full", "--at",
                 at.isoformat(), "--flag-sample", str(flag_sample)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            figures["load"] = os.getloadavg()[0]
            self.stdout.write(
                f"full recompute, {label}: {figures['seconds']:.1f} s wall, peak memory "
                f"{figures['peak_mib']:.0f} MiB (process max RSS); {figures['children']:,} "
                f"children, {figures['facts']:,} facts, {figures['new_versions']:,} new "
                f"assessments, {figures['unchanged']:,} unchanged, {figures['flags']:,} rises "
                f"marked for a triage flag; split fetch {figures['split']['fetch']:.1f} s, "
                f"score {figures['split']['score']:.1f} s, write {figures['split']['write']:.1f} s"
                f" (on a second thread, overlapping; the sweep waited on it "
                f"{figures['split'].get('waited_on_writes', 0):.1f} s)"
                f" (1-min load average after: {figures['load']:.1f})"
            )
            if figures["flags_raised"]:
                rate = figures["flag_seconds"] / figures["flags_raised"]
                self.stdout.write(
                    f"  then pending triage flags raised by the triage service (a sample): "
                    f"{figures['flags_raised']:,} in {figures['flag_seconds']:.1f} s "
                    f"({rate * 1000:.1f} ms each; this run's {figures['flags']:,} rises would "
                    f"take ~{rate * figures['flags']:.0f} s, after the sweep, outside its time)"
                )

    def _phase_full(self, at_iso: str, flag_sample: int) -> None:
        from datetime import datetime

        at = datetime.fromisoformat(at_iso)
        t0 = time.perf_counter()
        stats = assessment_recompute_all(at=at)
        seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t1 = time.perf_counter()
        raised = flags_raise_pending(limit=flag_sample)
        flag_seconds = time.perf_counter() - t1
        self.stdout.write(
            json.dumps(
                {
                    "seconds": seconds,
                    "peak_mib": peak,
                    "children": stats.children,
                    "facts": stats.facts,
                    "new_versions": stats.new_versions,
                    "unchanged": stats.unchanged,
                    "flags": stats.flags,
                    "split": stats.seconds,
                    "flags_raised": raised,
                    "flag_seconds": flag_seconds,
                }
            )
        )

    # 2. latency with a worker ------------------------------------------------------------

    def _latency(self, samples: int) -> None:
        from concerns.services import concern_record

        agency = Agency.objects.filter(code="bench-school").first()
        if agency is None:
            self.stdout.write("latency: no bench agency (run with --generate)")
            return
        user, _ = User.objects.get_or_create(
            username="bench-teacher",
            defaults={"agency": agency, "role": User.Role.PRACTITIONER},
        )
        subjects = list(
            SubjectRecord.objects.filter(agency=agency, person__kind="child").order_by("?")[
                :samples
            ]
        )
        env = dict(os.environ)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hub", "worker", "--pool=solo",
             "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        latencies: list[float] = []
        try:
            time.sleep(4)  # let the worker connect
            for subject in subjects:
                before = Assessment.objects.filter(person_id=subject.person_id).count()
                t0 = time.perf_counter()
                concern_record(
                    actor=user,
                    subject=subject,
                    category="neglect",
                    level=3,
                    text="Synthetic bench concern.",
                    occurred_at=timezone.now() - timedelta(minutes=5),
                    consent_status="not_sought",
                )
                deadline = t0 + 30
                while time.perf_counter() < deadline:
                    if Assessment.objects.filter(person_id=subject.person_id).count() > before:
                        latencies.append(time.perf_counter() - t0)
                        break
                    time.sleep(0.01)
        finally:
            worker.terminate()
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
        if not latencies:
            self.stdout.write("latency: no assessment arrived (is Redis up?)")
            return
        latencies.sort()
        p95 = latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)]
        self.stdout.write(
            f"concern saved -> assessment committed ({len(latencies)}/{len(subjects)} samples, "
            f"worker running): median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms"
        )

    # 3. naive vs batch ---------------------------------------------------------------------

    def _naive(self, target_concerns: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sr.person_id, count(*) FROM concerns_concern c"
                " JOIN concerns_subjectrecord sr ON sr.id = c.subject_id"
                " JOIN concerns_person p ON p.id = sr.person_id AND p.kind = 'child'"
                " GROUP BY sr.person_id ORDER BY sr.person_id"
            )
            sample, total = [], 0
            for person_id, n in cursor:
                sample.append(person_id)
                total += n
                if total >= target_concerns:
                    break
        if not sample:
            self.stdout.write("naive: no data")
            return
        ps = parameter_set_current()
        at = timezone.now()
        timings: dict[str, float] = {}
        for label, run in (("naive", _naive_recompute), ("batch", _batch_recompute)):
            try:
                with transaction.atomic():
                    t0 = time.perf_counter()
                    run(sample, ps, at)
                    timings[label] = time.perf_counter() - t0
                    raise _Rollback
            except _Rollback:
                pass
        self.stdout.write(
            f"sample of {len(sample):,} children / {total:,} of their own concerns: naive ORM "
            f"loop {timings['naive']:.2f} s, batch path {timings['batch']:.2f} s, ratio "
            f"{timings['naive'] / timings['batch']:.1f}x"
        )


class _Rollback(Exception):
    pass


def _batch_recompute(sample: list[int], ps, at) -> None:
    assessment_recompute_all(at=at, only=sample)


def _naive_recompute(sample: list[int], ps, at) -> None:
    """What a first attempt looks like: a handful of ORM queries per child."""
    scorer = Scorer(ps.parameters)
    since = at - timedelta(days=ps.parameters["window_days"])
    for child in Person.objects.filter(pk__in=sample).order_by("pk"):
        facts = []
        people = [(child.pk, VIA_CHILD)]
        for membership in HouseholdMember.objects.filter(person=child, left_on__isnull=True):
            for other in membership.household.members.filter(left_on__isnull=True).exclude(
                person=child
            ):
                via = VIA_ADULT if other.person.kind == Person.Kind.ADULT else VIA_SIBLING
                people.append((other.person_id, via))
        for person_id, via in people:
            for c in Concern.objects.filter(
                subject__person_id=person_id, status="active", occurred_at__gt=since
            ):
                age = max((at - c.occurred_at).total_seconds() / 86400.0, 0.0)
                facts.append((c.pk, via, c.agency_id, c.category, c.level, age))
        result = scorer.score(facts)
        head, _ = CurrentAssessment.objects.get_or_create(person=child)
        assessment = Assessment.objects.create(
            person=child,
            version=head.version + 1,
            parameter_set=ps,
            score=result.score,
            band=result.band,
            previous_band=head.band,
            explanation=result.explanation,
            snapshot_at=at,
            computed_at=timezone.now(),
            source="naive",
        )
        head.assessment, head.version = assessment, assessment.version
        head.score, head.band, head.snapshot_at = result.score, result.band, at
        head.save()


def generate(*, children: int, concerns: int) -> None:
    """Load synthetic bench data set-based (INSERT ... SELECT generate_series)."""
    area, _ = Area.objects.get_or_create(code="bench-area", defaults={"name": "Benchshire"})
    agency_ids = []
    for code, kind in AGENCIES:
        agency, _ = Agency.objects.get_or_create(
            code=code, defaults={"name": code.replace("-", " ").title(), "kind": kind}
        )
        agency.areas.add(area)
        agency_ids.append(agency.pk)
    households = max(1, int(children / 1.8))
    adults = int(households * 1.3)
    adult_concerns = concerns // 5
    child_concerns = concerns - adult_concerns
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '64MB'")
        for name, n in (("b_child", children), ("b_adult", adults)):
            kind = "child" if name == "b_child" else "adult"
            cur.execute(f"CREATE TEMP TABLE {name} (idx int PRIMARY KEY, id bigint) ON COMMIT DROP")
            cur.execute(
                f"WITH ins AS (INSERT INTO concerns_person (kind, area_id, created_at)"  # noqa: S608
                f" SELECT %s, %s, now() - interval '800 days' FROM generate_series(1, %s)"
                f" RETURNING id) INSERT INTO {name} SELECT row_number() OVER (ORDER BY id) - 1, id"
                f" FROM ins",
                [kind, area.pk, n],
            )
        cur.execute("CREATE TEMP TABLE b_house (idx int PRIMARY KEY, id bigint) ON COMMIT DROP")
        cur.execute(
            "WITH ins AS (INSERT INTO concerns_household (address_key, postcode, area_id,"
            " created_at) SELECT '', '', %s, now() - interval '800 days'"
            " FROM generate_series(1, %s) RETURNING id)"
            " INSERT INTO b_house SELECT row_number() OVER (ORDER BY id) - 1, id FROM ins",
            [area.pk, households],
        )
        for name, rel in (("b_child", "child"), ("b_adult", "parent")):
            cur.execute(
                "INSERT INTO concerns_householdmember (household_id, person_id, relationship,"  # noqa: S608
                " joined_on, left_on, recorded_by_agency_id, created_at)"
                f" SELECT h.id, p.id, %s, NULL, NULL, NULL, now() - interval '800 days'"
                f" FROM {name} p JOIN b_house h ON h.idx = p.idx %% %s",
                [rel, households],
            )
        # Two agencies' records per person.
        cur.execute(
            "CREATE TEMP TABLE b_sr (kind text, idx int, n int, id bigint, agency_id bigint)"
            " ON COMMIT DROP"
        )
        for name, kind in (("b_child", "child"), ("b_adult", "adult")):
            cur.execute(
                "WITH src AS (SELECT p.idx, p.id AS person_id, n.n,"  # noqa: S608
                " (%s::bigint[])[1 + ((p.idx * 7 + n.n * 3) %% 6)] AS agency_id"
                f" FROM {name} p CROSS JOIN generate_series(0, 1) AS n(n)),"
                " ins AS (INSERT INTO concerns_subjectrecord (agency_id, person_id,"
                " external_reference, given_name, family_name, other_names, date_of_birth, sex,"
                " nhs_number, upn, address, postcode, school, given_name_norm, family_name_norm,"
                " address_norm, created_at, created_by_id)"
                " SELECT agency_id, person_id, 'B' || person_id || '-' || n, 'Bench', 'Child',"
                " '', DATE '2015-01-01', 'U', '', '', '', '', '', 'bench', 'child', '',"
                " now() - interval '800 days', NULL FROM src RETURNING id, person_id, agency_id)"
                f" INSERT INTO b_sr SELECT %s, s.idx, s.n, i.id, i.agency_id FROM ins i"
                " JOIN src s ON s.person_id = i.person_id AND s.agency_id = i.agency_id",
                [agency_ids, kind],
            )
        cur.execute("CREATE INDEX ON b_sr (kind, idx, n)")
        for kind, n, cats, pool in (
            ("child", child_concerns, CHILD_CATEGORIES, children),
            ("adult", adult_concerns, ADULT_CATEGORIES, adults),
        ):
            # Skewed: 60% spread over everyone, 40% over the 15% of people agencies see most.
            cur.execute(
                "WITH g AS (SELECT g, floor(%s * CASE WHEN random() < 0.6 THEN random()"
                " ELSE 0.15 * random() END)::int AS idx,"
                " (random() < 0.5)::int AS n, random() AS r, random() AS r2,"
                " now() - random() * interval '420 days' AS occ FROM generate_series(1, %s) g)"
                " INSERT INTO concerns_concern (agency_id, author_id, subject_id, category, level,"
                " text, occurred_at, family_knows, consent_status, marker_health,"
                " marker_do_not_disclose_family, marker_police_investigation, marker_sealed,"
                " external_reference, submission_token, status, withdrawn_at, withdrawn_by_id,"
                " withdrawn_reason, recorded_at, updated_at)"
                " SELECT s.agency_id, NULL, s.id, (%s::text[])[1 + floor(g.r * %s)::int],"
                " CASE WHEN g.r2 < 0.45 THEN 1 WHEN g.r2 < 0.85 THEN 2 WHEN g.r2 < 0.97 THEN 3"
                " ELSE 4 END, 'Synthetic bench concern.', g.occ, 'unknown', 'not_sought',"
                " false, false, false, false, '', NULL,"
                " CASE WHEN g.g %% 50 = 0 THEN 'withdrawn' ELSE 'active' END,"
                " CASE WHEN g.g %% 50 = 0 THEN g.occ + interval '2 days' END, NULL,"
                " CASE WHEN g.g %% 50 = 0 THEN 'Synthetic withdrawal' ELSE '' END,"
                " LEAST(now(), g.occ + interval '1 day'), LEAST(now(), g.occ + interval '1 day')"
                " FROM g JOIN b_sr s ON s.kind = %s AND s.idx = g.idx AND s.n = g.n",
                [pool, n, cats, len(cats), kind],
            )
    analyze()


def analyze() -> None:
    """Planner statistics after a bulk load. Only the tables' owner may ANALYZE, so this uses
    MIGRATION_DATABASE_URL (as `make` sets it); autovacuum would get there eventually."""
    import psycopg

    url = os.environ.get("MIGRATION_DATABASE_URL")
    if not url:
        sys.stderr.write("MIGRATION_DATABASE_URL unset: not analysing; plans may be poor\n")
        return
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("concerns_person", "concerns_subjectrecord", "concerns_concern",
                      "concerns_householdmember"):  # fmt: skip
            conn.execute(f"ANALYZE {table}")


def reset_bench_assessments() -> None:
    """Delete assessments, pointers and triage items of bench-area people only. Assessments
    are append-only for the application role, so this needs the owner (MIGRATION_DATABASE_URL)."""
    import psycopg

    url = os.environ.get("MIGRATION_DATABASE_URL")
    if not url:
        raise SystemExit("--reset needs MIGRATION_DATABASE_URL (assessments are append-only)")
    people = "SELECT p.id FROM concerns_person p JOIN agencies_area a ON a.id = p.area_id"
    people += " WHERE a.code = 'bench-area'"
    with psycopg.connect(url) as conn:
        for table in ("triage_triageitem", "risk_currentassessment", "risk_assessment"):
            conn.execute(f"DELETE FROM {table} WHERE person_id IN ({people})")  # noqa: S608
