"""Checkpoints: the chain's head (seq, hash, time), kept where the application cannot rewrite it.

Two copies: the table `audit_auditcheckpoint` (owned by hub_audit; hub_app can only call the
SECURITY DEFINER function that appends the current head) and an append-only JSON-lines file
(`settings.AUDIT_CHECKPOINT_FILE`), which operations ship off the host (docs/audit.md). Each new
checkpoint is also logged on the `audit.checkpoint` logger (seq and hash only), so ordinary log
shipping carries it off the host too.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from audit.models import AuditCheckpoint
from audit.services import checkpoint_write

logger = logging.getLogger("audit.checkpoint")


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str  # hex
    source: str  # "table" or "file"


def checkpoint_file() -> Path | None:
    path = getattr(settings, "AUDIT_CHECKPOINT_FILE", "")
    return Path(path) if path else None


def read_file_checkpoints(path: Path | None = None) -> list[Checkpoint]:
    """Every checkpoint line in the file (malformed lines raise: a damaged file is a finding)."""
    path = path or checkpoint_file()
    if path is None or not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append(Checkpoint(seq=int(row["seq"]), hash=str(row["hash"]), source="file"))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"checkpoint file line {number} is malformed") from exc
    return out


def _last_file_seq(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        lines = [ln for ln in fh.read().splitlines() if ln.strip()]
    if not lines:
        return 0
    return int(json.loads(lines[-1])["seq"])


def _append_to_file(path: Path, rows: list[AuditCheckpoint]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(
        json.dumps({"seq": r.seq, "hash": r.head_hash_hex, "at": r.at.isoformat()}, sort_keys=True)
        + "\n"
        for r in rows
    )
    # O_APPEND: never rewrites what is there. Operations can add `chattr +a` on the file.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, data.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_export() -> int | None:
    """Write a checkpoint of the current head (if it moved) and copy every table checkpoint the
    file lacks into the file. Idempotent. Returns the latest checkpoint's seq."""
    latest = checkpoint_write()
    if latest is None:
        return None
    seq, hash_hex, _at, created = latest
    if created:
        logger.info("audit checkpoint seq=%s hash=%s", seq, hash_hex)
    path = checkpoint_file()
    if path is not None:
        missing = list(AuditCheckpoint.objects.filter(seq__gt=_last_file_seq(path)).order_by("seq"))
        if missing:
            _append_to_file(path, missing)
    return seq
