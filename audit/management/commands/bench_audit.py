"""`python manage.py bench_audit`: audit append throughput, per-view latency and verify time.

Everything runs in a throwaway database (`bench_audit_<pid>`, created by the migration role,
migrated, and dropped at the end), so the real audit trail is never touched: audit events can
never be deleted, so bench data must not go where real events live.

Figures printed:
  * append throughput, 1 writer and 4 concurrent writer processes, one event per transaction
    (each writer connects as hub_app, like the running hub);
  * the latency a view gains from its audit event (median with event − median without);
  * verify_audit time over 1,000,000 events (and 10,000,000 with --ten-million);
  * with --plans, EXPLAIN ANALYZE of the IG screens' queries at that size.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlparse, urlunparse

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

GENERATE_SQL = """
INSERT INTO audit_auditevent (
  seq, at, actor_type, actor_id, actor_username, actor_agency_id, actor_agency_code, actor_role,
  action, object_type, object_id, child_id, lawful_basis, justification, details, request_id,
  client_ip, prev_hash, hash)
SELECT 0, now(), 'user', u, 'user' || u, u %% 50, 'agency-' || (u %% 50), 'practitioner',
  (ARRAY['concern.view', 'concern.view', 'concern.view', 'chronology.view', 'case.view',
         'search', 'concern.create', 'share.decision', 'break_glass', 'auth.login'])[1 + g %% 10],
  'concern', (g %% 500000)::text, (g * 104729) %% 50000 + 1,
  CASE WHEN g %% 10 = 7 THEN 'public_task' ELSE '' END, '', '{"visibility": 3}', md5(g::text),
  '10.0.0.1', ''::bytea, ''::bytea
FROM (SELECT g, (g * 7919) %% 2000 + 1 AS u FROM generate_series(%s::bigint, %s::bigint) g) s
"""

# The server side alone (no Python): the same single-statement append a read's event uses.
PGBENCH_SQL = (
    "INSERT INTO audit_auditevent (seq, at, prev_hash, hash, actor_type, actor_id, "
    "actor_username, actor_agency_id, actor_agency_code, actor_role, action, object_type, "
    "object_id, child_id, lawful_basis, justification, details, request_id, client_ip) "
    "SELECT 0, now(), ''::bytea, ''::bytea, 'user', 5, 'alice', 3, 'school', 'practitioner', "
    "'concern.view', 'concern', '12', 77, '', '', '{}'::jsonb, 'bench', '10.0.0.1'::inet "
    "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit;\n"
)

PLAN_QUERIES = {
    "events, no filter, first page": ("SELECT * FROM audit_auditevent ORDER BY seq DESC LIMIT 51"),
    "events for one child, next page (keyset)": (
        "SELECT * FROM audit_auditevent WHERE child_id = 4242 AND seq < 9000000 "
        "ORDER BY seq DESC LIMIT 51"
    ),
    "events by one actor": (
        "SELECT * FROM audit_auditevent WHERE actor_id = 77 ORDER BY seq DESC LIMIT 51"
    ),
    "events by agency and action": (
        "SELECT * FROM audit_auditevent WHERE actor_agency_id = 7 AND action = 'break_glass' "
        "ORDER BY seq DESC LIMIT 51"
    ),
    "events by lawful basis": (
        "SELECT * FROM audit_auditevent WHERE lawful_basis = 'public_task' "
        "ORDER BY seq DESC LIMIT 51"
    ),
    "date range (seq bounds from the at index)": (
        "SELECT * FROM audit_auditevent WHERE seq >= (SELECT seq FROM audit_auditevent "
        "WHERE at >= now() - interval '1 hour' ORDER BY at, seq LIMIT 1) "
        "AND at >= now() - interval '1 hour' ORDER BY seq DESC LIMIT 51"
    ),
    "who has seen child 4242": (
        "SELECT actor_id, actor_username, count(*), min(at), max(at) FROM audit_auditevent "
        "WHERE child_id = 4242 AND action IN ('concern.view', 'chronology.view', 'case.view', "
        "'search', 'export', 'break_glass') GROUP BY 1, 2 ORDER BY 5 DESC"
    ),
    "disclosures (share decisions, requests, exports)": (
        "SELECT * FROM audit_auditevent WHERE action IN ('share.decision', 'share.refused', "
        "'share.revoked', 'info_request', 'export') ORDER BY seq DESC LIMIT 51"
    ),
    "break-glass not reviewed": (
        "SELECT * FROM audit_auditevent e WHERE action = 'break_glass' AND NOT EXISTS "
        "(SELECT 1 FROM audit_breakglassreview r WHERE r.event_seq = e.seq) "
        "ORDER BY seq DESC LIMIT 51"
    ),
}


def _with_db(url: str, name: str, user: str | None = None) -> str:
    parts = urlparse(url)
    netloc = parts.netloc
    if user:
        netloc = f"{user}@{netloc.rsplit('@', 1)[-1]}"
    return urlunparse(parts._replace(path=f"/{name}", netloc=netloc))


def _libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


class Command(BaseCommand):
    help = "Benchmark audit appends, view latency and verify_audit in a throwaway database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=2000, help="events per throughput run")
        parser.add_argument("--verify-events", type=int, default=1_000_000)
        parser.add_argument("--ten-million", action="store_true", help="also verify 10M events")
        parser.add_argument("--plans", action="store_true", help="EXPLAIN ANALYZE IG queries")
        parser.add_argument("--keep-db", action="store_true")
        parser.add_argument("--worker", choices=["append", "latency"], help=_internal())
        parser.add_argument("--n", type=int, default=0, help=_internal())
        parser.add_argument("--start-at", type=float, default=0.0, help=_internal())
        parser.add_argument("--in-transaction", action="store_true", help=_internal())

    # --- worker processes (connect to the bench database through DATABASE_URL) ----------
    def _worker_append(self, n: int, start_at: float, in_transaction: bool) -> None:
        from django.db import transaction

        from audit.models import Action
        from audit.services import audit_record

        audit_record(actor=None, action=Action.SEARCH)  # connect before the clock starts
        while time.time() < start_at:
            time.sleep(0.001)
        began = time.time()
        for i in range(n):
            if in_transaction:  # inside a service's transaction: a synchronous commit
                with transaction.atomic():
                    audit_record(actor=None, action=Action.CONCERN_AMEND, object_id=i, child_id=i)
            else:  # a read's event, alone in its transaction
                audit_record(actor=None, action=Action.VIEW_CONCERN, object_id=i, child_id=i)
        self.stdout.write(json.dumps({"began": began, "ended": time.time(), "n": n}))

    def _worker_latency(self, n: int) -> None:
        from django.db import connection
        from django.http import JsonResponse
        from django.test import RequestFactory

        from audit.context import request_context
        from audit.models import Action
        from audit.services import audit_record

        def view(request, *, audited: bool):
            """A read view: one query, then (if audited) its event before the data leaves."""
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM agencies_agency")
                count = cursor.fetchone()[0]
            if audited:
                audit_record(actor=None, action=Action.VIEW_CONCERN, object_id=1, child_id=1)
            return JsonResponse({"count": count})

        factory = RequestFactory()
        plain: list[float] = []
        audited: list[float] = []
        for i in range(n + 20):
            for flag, bucket in ((False, plain), (True, audited)):
                request = factory.get("/bench/")
                t0 = time.perf_counter()
                with request_context(client_ip="127.0.0.1"):
                    view(request, audited=flag)
                if i >= 20:  # warm-up
                    bucket.append((time.perf_counter() - t0) * 1000)
        self.stdout.write(
            json.dumps(
                {
                    "plain": statistics.median(plain),
                    "audited": statistics.median(audited),
                    "p95_audited": sorted(audited)[int(len(audited) * 0.95)],
                }
            )
        )

    # --- orchestration --------------------------------------------------------------------
    def _run(self, env_url: str, *args: str, capture: bool = True) -> subprocess.Popen:
        env = {**os.environ, "DATABASE_URL": env_url}
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", *args],
            env=env,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=settings.BASE_DIR,
        )

    def _throughput(self, app_url: str, writers: int, total: int, in_tx: bool) -> float:
        start_at = time.time() + 3.0
        procs = [
            self._run(
                app_url,
                "bench_audit",
                "--worker=append",
                f"--n={total // writers}",
                f"--start-at={start_at}",
                *(["--in-transaction"] if in_tx else []),
            )
            for _ in range(writers)
        ]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            if proc.returncode:
                raise RuntimeError(err)
            results.append(json.loads(out.strip().splitlines()[-1]))
        span = max(r["ended"] for r in results) - min(r["began"] for r in results)
        return sum(r["n"] for r in results) / span

    def _generate(self, owner_dsn: str, upto: int) -> float:
        with psycopg.connect(owner_dsn, autocommit=True) as conn:
            have = conn.execute("SELECT coalesce(max(seq), 0) FROM audit_auditevent").fetchone()[0]
            t0 = time.perf_counter()
            batch = 200_000
            for low in range(have + 1, upto + 1, batch):
                conn.execute(GENERATE_SQL, [low, min(upto, low + batch - 1)])
            conn.execute("VACUUM ANALYZE audit_auditevent")
            conn.execute("SELECT audit_checkpoint_write()")
            return time.perf_counter() - t0

    def _verify(self, app_url: str) -> tuple[str, float]:
        proc = self._run(app_url, "verify_audit", "--timing")
        out, err = proc.communicate(timeout=900)
        lines = out.strip().splitlines()
        seconds = float(lines[-1].split()[2]) if lines else float("nan")
        return (lines[0] if lines else err.strip()), seconds

    def handle(self, *args, **options) -> None:
        if options["worker"] == "append":
            return self._worker_append(options["n"], options["start_at"], options["in_transaction"])
        if options["worker"] == "latency":
            return self._worker_latency(options["n"])

        # Ctrl-C or a kill still drops the throwaway database (the `finally` below).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        owner_url = os.environ.get("MIGRATION_DATABASE_URL") or os.environ["DATABASE_URL"]
        name = f"bench_audit_{os.getpid()}"
        admin_dsn = _libpq(owner_url)
        bench_owner = _with_db(owner_url, name)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            has_app = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'hub_app'").fetchone()
            conn.execute(f'CREATE DATABASE "{name}"')
        bench_app = _with_db(owner_url, name, user="hub_app") if has_app else bench_owner
        out = self.stdout.write
        out(f"Throwaway database {name} (writers connect as {'hub_app' if has_app else 'owner'})")
        try:
            migrate = self._run(bench_owner, "migrate", "--noinput")
            _, err = migrate.communicate(timeout=600)
            if migrate.returncode:
                raise RuntimeError(err)
            total = options["events"]
            for in_tx, label in (
                (False, "read events"),
                (True, "events inside a write transaction"),
            ):
                for writers in (1, 4):
                    rate = self._throughput(bench_app, writers, total, in_tx)
                    out(
                        f"Append throughput, {writers} writer{'s' if writers > 1 else ' '}, "
                        f"{label}: {rate:,.0f} events/s ({total} events, one per transaction)"
                    )
            self._pgbench(bench_app)
            proc = self._run(bench_app, "bench_audit", "--worker=latency", "--n=500")
            lat_out, err = proc.communicate(timeout=600)
            if proc.returncode:
                raise RuntimeError(err)
            lat = json.loads(lat_out.strip().splitlines()[-1])
            out(
                f"View latency: median {lat['plain']:.2f} ms without an audit event, "
                f"{lat['audited']:.2f} ms with one (+{lat['audited'] - lat['plain']:.2f} ms; "
                f"p95 with event {lat['p95_audited']:.2f} ms)"
            )
            sizes = [options["verify_events"]] + ([10_000_000] if options["ten_million"] else [])
            for size in sizes:
                took = self._generate(_libpq(bench_owner), size)
                out(f"Generated events up to {size:,} in {took:.0f} s (insert trigger chaining)")
                line, seconds = self._verify(bench_app)
                out(f"verify_audit over {size:,} events: {seconds:.2f} s -> {line}")
            if options["plans"]:
                self._plans(_libpq(bench_owner))
        finally:
            if not options["keep_db"]:
                with psycopg.connect(admin_dsn, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                out(f"Dropped {name}")

    def _pgbench(self, url: str) -> None:
        pgbench = shutil.which("pgbench")
        if pgbench is None:
            self.stdout.write("pgbench not installed: server-side figure skipped")
            return
        parts = urlparse(url)
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
            fh.write(PGBENCH_SQL)
        try:
            for clients in (1, 4):
                proc = subprocess.run(  # noqa: S603
                    [
                        pgbench,
                        "-n",
                        "-T",
                        "5",
                        "-c",
                        str(clients),
                        "-j",
                        str(min(clients, 2)),
                        "-f",
                        fh.name,
                        "-h",
                        parts.hostname or "127.0.0.1",
                        "-p",
                        str(parts.port or 5432),
                        "-U",
                        parts.username or "hub_app",
                        parts.path.lstrip("/"),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                tps = [ln for ln in proc.stdout.splitlines() if ln.startswith("tps")]
                rate = float(tps[0].split()[2]) if tps else float("nan")
                self.stdout.write(
                    f"Append throughput, server side only (pgbench, {clients} client"
                    f"{'s' if clients > 1 else ''}, events alone): {rate:,.0f} events/s"
                )
        finally:
            os.unlink(fh.name)

    def _plans(self, dsn: str) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for title, sql in PLAN_QUERIES.items():
                rows = conn.execute(f"EXPLAIN (ANALYZE, COSTS OFF, BUFFERS OFF) {sql}").fetchall()
                self.stdout.write(f"\n-- {title}")
                for (line,) in rows:
                    self.stdout.write(line)


def _internal() -> str:
    from argparse import SUPPRESS

    return SUPPRESS
