"""Celery tasks of the combined-risk work. They take ids, call a service, and are idempotent:
running one twice, or again after a worker died mid-task (its transaction rolled back), gives
the same assessment. Each is time-limited and retried with backoff on database or broker
trouble."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from hub.risk import services

RETRY = {
    "autoretry_for": (DatabaseError, ConnectionError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(name="risk.recompute_person", soft_time_limit=60, time_limit=90, **RETRY)
def recompute_person(person_id: int) -> list[int]:
    """Recompute the child PERSON_ID and every child in their household."""
    return services.assessment_recompute_person(person_id=int(person_id))


@shared_task(name="risk.recompute_all", soft_time_limit=1700, time_limit=1800, **RETRY)
def recompute_all() -> dict:
    """The nightly sweep: decay moves every score, and a new parameter version applies."""
    stats = services.assessment_recompute_all()
    # Flags go through the triage service one by one (tens of ms each, behind the audit
    # chain's lock); what is not raised here the minute beat (`risk.drain_outbox`) raises.
    services.flags_raise_pending(limit=20_000)
    return {
        "children": stats.children,
        "new_versions": stats.new_versions,
        "unchanged": stats.unchanged,
        "skipped_newer": stats.skipped_newer,
        "flags": stats.flags,
    }


@shared_task(name="risk.drain_outbox", soft_time_limit=240, time_limit=300, **RETRY)
def drain_outbox() -> int:
    """Recompute people whose after-commit enqueue never reached a worker (broker down), and
    raise triage flags a batch recompute marked but did not get to (worker lost)."""
    drained = services.outbox_drain()
    services.flags_raise_pending(limit=5000)
    return drained


@shared_task(name="risk.tuning_preview", soft_time_limit=1700, time_limit=1800, **RETRY)
def tuning_preview(preview_id: int) -> None:
    """Work out what a proposed parameter set would do (a large estate's tuning preview)."""
    services.tuning_preview_run(preview_id=int(preview_id))
