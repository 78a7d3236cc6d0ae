"""Celery tasks for the audit app: thin, idempotent, time-limited, JSON arguments only."""

from __future__ import annotations

from datetime import date

from celery import shared_task


@shared_task(time_limit=120, soft_time_limit=100, acks_late=True)
def audit_checkpoint() -> int | None:
    """Export a checkpoint of the chain's head (beat, and every AUDIT_CHECKPOINT_EVERY events)."""
    from audit.checkpoints import checkpoint_export

    return checkpoint_export()


@shared_task(time_limit=1800, soft_time_limit=1700, acks_late=True)
def access_monitoring_daily(day: str | None = None) -> int:
    """Build the access-monitoring report for DAY (ISO date; default yesterday, local time)."""
    from audit.monitoring import access_report_build, yesterday

    report = access_report_build(day=date.fromisoformat(day) if day else yesterday())
    return report.pk
