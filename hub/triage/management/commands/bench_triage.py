"""Benchmark the MASH queue's first page with a large open queue.

    python manage.py bench_triage [--items 100000] [--runs 30] [--keep]

Bulk-inserts synthetic open items (and a person and agency record for each) into a dedicated
bench area, then times the queue page as a MASH triager of that area sees it: the whole
request handled in-process by Django's test client (middleware, session, queries, template),
so "server time" excludes only the network. Prints median, p95 and the query count, plus
PostgreSQL's own execution time for the page query. The bench rows bypass the services on
purpose (they are timing fixtures, not domain events) and are deleted afterwards unless --keep.
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Agency, Area, User
from concerns.models import Person, SubjectRecord
from hub.triage.models import TriageItem

AREA_CODE = "bench-triage-area"


class Command(BaseCommand):
    help = "Time the MASH queue's first page with many open items (prints figures)."

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=30)
        parser.add_argument("--keep", action="store_true", help="leave the bench rows in place")

    def handle(self, *args, items: int, runs: int, keep: bool, **options):
        self._cleanup()
        area, user = self._setup(items)
        try:
            self._measure(area, user, items, runs)
        finally:
            if not keep:
                self._cleanup()

    def _setup(self, n: int) -> tuple[Area, User]:
        started = time.perf_counter()
        with transaction.atomic():
            area = Area.objects.create(code=AREA_CODE, name="Bench area")
            mash = Agency.objects.create(
                code="bench-triage-mash", name="Bench MASH", kind=Agency.Kind.CHILDRENS_SOCIAL_CARE
            )
            mash.areas.set([area])
            school = Agency.objects.create(
                code="bench-triage-school", name="Bench School", kind=Agency.Kind.EDUCATION
            )
            school.areas.set([area])
            user = User.objects.create_user(
                username="bench-triager", password=None, agency=mash, role=User.Role.MASH_TRIAGER
            )
            person_t = Person._meta.db_table
            record_t = SubjectRecord._meta.db_table
            item_t = TriageItem._meta.db_table
            with connection.cursor() as cur:
                cur.execute(
                    f"INSERT INTO {person_t} (kind, area_id, created_at) "  # noqa: S608
                    "SELECT 'child', %s, now() FROM generate_series(1, %s)",
                    [area.pk, n],
                )
                cur.execute(
                    f"INSERT INTO {record_t} (agency_id, person_id, external_reference, "  # noqa: S608
                    "given_name, family_name, other_names, date_of_birth, sex, nhs_number, upn, "
                    "address, postcode, school, given_name_norm, family_name_norm, address_norm, "
                    "created_at, created_by_id) "
                    "SELECT %s, p.id, '', 'Bench', 'Child ' || p.id, '', "
                    "date '2015-01-01' + (p.id %% 3000)::int, 'U', '', '', '', '', '', 'bench', "
                    "'child ' || p.id, '', now(), NULL "
                    f"FROM {person_t} p WHERE p.area_id = %s",
                    [school.pk, area.pk],
                )
                # Deadlines spread from 5,000 minutes overdue to 15,000 minutes ahead; bands
                # and statuses mixed; a tenth assigned to the bench user.
                cur.execute(
                    f"INSERT INTO {item_t} (person_id, area_id, source, band, status, "  # noqa: S608
                    "assessment_id, contributing_concern_ids, referral_concern_id, "
                    "referred_by_id, reason, assignee_id, clock_started_at, deadline_at, "
                    "decided_at, acknowledgement_pending, transferred_from_id, "
                    "transferred_to_id, created_at, updated_at) "
                    "SELECT p.id, p.area_id, 'flag', "
                    "(ARRAY['red','amber','green'])[1 + p.id %% 3], "
                    "(ARRAY['open','in_progress'])[1 + p.id %% 2], NULL, '{}', NULL, NULL, '', "
                    "CASE WHEN p.id %% 10 = 0 THEN %s END, now(), "
                    "now() + (((p.id * 7919) %% 20000) - 5000) * interval '1 minute', NULL, "
                    "false, NULL, NULL, now(), now() "
                    f"FROM {person_t} p WHERE p.area_id = %s",
                    [user.pk, area.pk],
                )
        # Steady state: autovacuum would have run on a table this size (visibility map set, so
        # the capped counts can use index-only scans).
        with connection.cursor() as cur:
            for table in (person_t, record_t, item_t):
                cur.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(
            f"setup: {n:,} open items, persons and records in {time.perf_counter() - started:.1f} s"
        )
        return area, user

    def _time(self, client: Client, url: str, runs: int) -> tuple[list[float], int]:
        client.get(url)  # warm caches and connections
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        return times, len(ctx.captured_queries)

    def _report(self, label: str, times: list[float], queries: int) -> None:
        times = sorted(times)
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        self.stdout.write(
            f"{label:<38} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   "
            f"min {times[0]:6.1f} ms   queries {queries}"
        )

    def _measure(self, area: Area, user: User, n: int, runs: int) -> None:
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        url = reverse("triage:queue")
        self.stdout.write(f"queue of {n:,} open items; {runs} runs each (in-process request)")
        times, queries = self._time(client, url, runs)
        self._report("first page (soonest 50)", times, queries)
        first = client.get(url).content.decode()
        marker = "after="
        if marker in first:
            cursor = first.split(marker, 1)[1].split('"', 1)[0]
            self._report(
                "next page (keyset cursor)", *self._time(client, f"{url}?after={cursor}", runs)
            )
        self._report("filter band=red", *self._time(client, f"{url}?band=red", runs))
        self._report("filter assignee=me", *self._time(client, f"{url}?assignee=me", runs))
        self._report(
            "filter area + band + status",
            *self._time(client, f"{url}?area={area.pk}&band=amber&status=open", runs),
        )
        self._report("baseline: home page (same base chrome)", *self._time(client, "/", runs))
        from hub.triage.selectors import QueueFilters, items_for, queue_page

        selector_times = []
        for _ in range(runs):
            fresh = User.objects.get(pk=user.pk)
            started = time.perf_counter()
            queue_page(fresh, QueueFilters())
            selector_times.append((time.perf_counter() - started) * 1000)
        self._report("queue_page() selector alone", selector_times, 4)

        page_qs = (
            items_for(user)
            .filter(status__in=TriageItem.OPEN_STATUSES)
            .select_related("area", "assignee")
            .order_by("deadline_at", "id")[:51]
        )
        sql, params = page_qs.query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql, params)
            plan = [row[0] for row in cur.fetchall()]
        execution = next((line for line in plan if "Execution Time" in line), "")
        uses = next((line.strip() for line in plan if "Index" in line), "no index scan")
        self.stdout.write(f"page query in PostgreSQL: {execution.strip()} ({uses})")

    def _cleanup(self) -> None:
        area = Area.objects.filter(code=AREA_CODE).first()
        with transaction.atomic():
            if area is not None:
                TriageItem.objects.filter(area=area).delete()
                SubjectRecord.objects.filter(person__area=area).delete()
                Person.objects.filter(area=area).delete()
            User.objects.filter(username="bench-triager").delete()
            Agency.objects.filter(code__in=["bench-triage-mash", "bench-triage-school"]).delete()
            if area is not None:
                area.delete()
