"""The combined-risk work with a REAL Celery worker and Redis, and its faults.

* saving a concern through the service → the worker commits the child's new assessment and
  its triage item;
* Redis down when concerns are saved: they are saved, nobody sees an error, and the outbox
  drain recomputes every child later — none missed;
* a worker killed mid-task: nothing half-written; re-running gives the same assessment.

The worker is a subprocess (`celery -A hub worker --pool=solo`) pointed at the pytest test
database and this run's Redis db; it is always killed at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.services import CHAIN_LOCK_KEY
from concerns.models import RecomputeOutbox
from concerns.services import concern_record
from hub.celery import app as celery_app
from hub.risk.models import Assessment, CurrentAssessment
from hub.risk.services import (
    assess_iter,
    assessment_recompute_person,
    outbox_drain,
    parameter_set_current,
)
from hub.triage.models import TriageItem

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)


def _wait(predicate, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


@pytest.fixture
def worker(tmp_path):
    """A real worker on the test database; killed (SIGKILL if need be) whatever happens."""
    db = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = 'hub_app'")
        # As in production: the worker connects as the application role where it exists.
        user = "hub_app" if cursor.fetchone() else db["USER"]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=(
            f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        REDIS_URL=settings.REDIS_URL,
        SECRET_KEY=settings.SECRET_KEY,
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    celery_app.control.purge()  # stale messages from an earlier run
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [sys.executable, "-m", "celery", "-A", "hub", "worker", "--pool=solo",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"risk-test-{os.getpid()}@localhost"],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        if not _wait(lambda: "ready." in log.read_text(), timeout=25):
            pytest.fail(f"worker did not start:\n{log.read_text()[-3000:]}")
        proc.log = log  # type: ignore[attr-defined]
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _record(actor, subject, category="neglect", level=2, days_ago=3):
    return concern_record(
        actor=actor,
        subject=subject,
        category=category,
        level=level,
        text="Synthetic worker-test concern.",
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        consent_status="not_sought",
    )


def test_saving_a_concern_produces_the_assessment_and_triage_item(worker, family, school, gp,
                                                                  police, alice):  # fmt: skip
    family.concern(gp, "was_not_brought", level=2, days_ago=20)
    family.concern(police, "domestic_abuse", level=2, person=family.adult, days_ago=12)
    subject = family.subject(family.child, school)
    concern = _record(alice, subject)  # commits; on_commit enqueues by task name

    def done():
        head = CurrentAssessment.objects.filter(pk=family.child.pk).first()
        return head if head and head.assessment_id else None

    head = _wait(done)
    assert head is not None, worker.log.read_text()[-3000:]
    assert concern.pk in head.assessment.concern_ids
    assert head.assessment.source == "child"
    assert head.band in {"amber", "red"}
    item = _wait(lambda: TriageItem.objects.filter(person=family.child, status="open").first())
    assert item.assessment_id == head.assessment_id and item.area_id == family.area.pk
    # The household was recomputed too, and the outbox row was cleared.
    assert _wait(lambda: CurrentAssessment.objects.filter(pk=family.sibling.pk).exists())
    assert _wait(lambda: not RecomputeOutbox.objects.exists())


@pytest.fixture
def redis_down():
    """Point the broker at a closed port, as if Redis had gone away; restore afterwards."""
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_url = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_redis_down_saves_the_concern_and_the_drain_misses_no_child(redis_down, area, school,
                                                                    alice):  # fmt: skip
    from tests.risk.conftest import Family

    families = [Family(area) for _ in range(3)]
    saved = []
    started = time.monotonic()
    for fam in families:
        # About the child, and about the parent (which reaches both children).
        saved.append(_record(alice, fam.subject(fam.child, school)))
        saved.append(_record(alice, fam.subject(fam.adult, school), "domestic_abuse", 3))
    assert time.monotonic() - started < 5  # nobody waits on a dead broker
    assert all(c.pk for c in saved)  # every concern saved, no error raised
    assert not Assessment.objects.exists()
    people = {c.subject.person_id for c in saved}
    assert set(RecomputeOutbox.objects.values_list("person_id", flat=True)) == people

    drained = outbox_drain(grace_seconds=0)  # what beat's `risk.drain_outbox` runs
    assert drained == len(people)
    assert not RecomputeOutbox.objects.exists()
    for fam in families:
        for kid in (fam.child, fam.sibling):
            head = CurrentAssessment.objects.get(pk=kid.pk)
            expected = {c.pk for c in saved if c.subject.person_id in (kid.pk, fam.adult.pk)}
            assert expected <= set(head.assessment.concern_ids), kid.pk
    assert settings.CELERY_BEAT_SCHEDULE["risk-drain-outbox"]["task"] == "risk.drain_outbox"


def test_worker_killed_mid_task_leaves_nothing_half_written(worker, family, school, gp, police):
    family.concern(school, "neglect", level=2, days_ago=20)
    family.concern(gp, "was_not_brought", level=2, days_ago=10)
    family.concern(police, "domestic_abuse", level=3, person=family.adult, days_ago=5)
    child = family.child.pk
    with transaction.atomic():
        # Hold the audit chain's lock: the worker writes the assessment and its pointer, then
        # blocks on the audit event of the triage flag — mid-task, inside its transaction.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
            celery_app.send_task("risk.recompute_person", args=[child])

            def blocked_backend():
                cursor.execute(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND pid <> pg_backend_pid()"
                )
                row = cursor.fetchone()
                return row[0] if row else None

            backend = _wait(blocked_backend)
            assert backend, worker.log.read_text()[-3000:]
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    # The lock is released; the orphaned backend finds its client gone and rolls back.

    def gone():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend])
            return cursor.fetchone()[0] == 0

    assert _wait(gone, timeout=15)
    assert not Assessment.objects.filter(person_id=child).exists()
    assert not TriageItem.objects.filter(person_id=child).exists()
    assert not CurrentAssessment.objects.filter(pk=child, assessment__isnull=False).exists()

    # Re-running (what redelivery does) gives the assessment the data says, once.
    assessment_recompute_person(person_id=child)
    head = CurrentAssessment.objects.get(pk=child)
    [(_, [expected])] = list(
        assess_iter(
            at=head.snapshot_at,
            parameters=[parameter_set_current().parameters],
            as_of=False,
            only=[child],
        )
    )
    assert (head.assessment.score, head.assessment.explanation) == (
        expected.score,
        expected.explanation,
    )
    assessment_recompute_person(person_id=child)
    assert Assessment.objects.filter(person_id=child).count() == 1
    assert TriageItem.objects.filter(person_id=child).count() == 1
