"""Checkpoints go to the table (via the SECURITY DEFINER function) and the append-only file."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from audit.checkpoints import checkpoint_export, read_file_checkpoints
from audit.models import Action, AuditCheckpoint
from audit.services import audit_record
from audit.tasks import audit_checkpoint


def _lines() -> list[dict]:
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_checkpoint_written_to_table_and_file_and_idempotent(alice):
    event = audit_record(actor=alice, action=Action.VIEW_CASE, child_id=1)
    assert audit_checkpoint() == event.seq  # the Celery task, run in-process
    checkpoint = AuditCheckpoint.objects.get(seq=event.seq)
    assert bytes(checkpoint.head_hash) == bytes(event.hash)
    assert _lines()[-1] == {
        "seq": event.seq,
        "hash": bytes(event.hash).hex(),
        "at": checkpoint.at.isoformat(),
    }
    before = len(_lines())
    checkpoint_export()  # head has not moved: nothing new anywhere
    assert len(_lines()) == before
    assert AuditCheckpoint.objects.filter(seq__gt=event.seq).count() == 0

    later = audit_record(actor=alice, action=Action.VIEW_CASE, child_id=1)
    checkpoint_export()
    assert [c.seq for c in read_file_checkpoints()][-2:] == [event.seq, later.seq]


def test_file_catches_up_with_table_checkpoints_it_missed(alice, settings, tmp_path):
    audit_record(actor=alice, action=Action.SEARCH)
    settings.AUDIT_CHECKPOINT_FILE = ""
    first = checkpoint_export()  # file disabled (or unwritable): table only
    audit_record(actor=alice, action=Action.SEARCH)
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "late.jsonl")
    second = checkpoint_export()
    seqs = [c.seq for c in read_file_checkpoints()]
    assert first in seqs and seqs[-1] == second


def test_every_n_events_enqueues_a_checkpoint(alice, settings, django_capture_on_commit_callbacks):
    settings.AUDIT_CHECKPOINT_EVERY = 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        audit_record(actor=alice, action=Action.SEARCH)
    assert len(callbacks) == 1
    settings.AUDIT_CHECKPOINT_EVERY = 10**9
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        audit_record(actor=alice, action=Action.SEARCH)
    assert callbacks == []


def test_beat_exports_checkpoints_at_least_every_15_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert entry["task"] == "audit.tasks.audit_checkpoint"
    assert float(entry["schedule"]) <= 15 * 60
    assert "audit-access-monitoring" in settings.CELERY_BEAT_SCHEDULE
