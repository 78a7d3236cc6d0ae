"""Celery tasks for the triage queue: thin, idempotent, time-limited, JSON arguments only."""

from __future__ import annotations

from celery import shared_task

from hub.triage.services import acknowledgements_send


@shared_task(name="triage.send_acknowledgements", soft_time_limit=120, time_limit=150)
def send_acknowledgements() -> int:
    """Acknowledge new referrals and flags to the referring agencies (beat, every 10 minutes)."""
    return acknowledgements_send()
