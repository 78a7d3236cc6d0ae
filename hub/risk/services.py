"""Every write of the combined-risk work: parameter versions, assessments, flags.

* `assessment_recompute_child` — one child, under a lock on its `CurrentAssessment` row.
* `assessment_recompute_person` — after a change to a person: the person if a child, and every
  child in the person's current households; then the outbox rows it covered are deleted.
* `assessment_recompute_all` — every child: one streamed facts query for the estate, blocks
  written with COPY by a second thread; never a query per child. Same facts SQL and scorer as
  the per-child path. Rises are marked and raised after by `flags_raise_pending`.
* `outbox_drain` — recompute people whose after-commit enqueue never reached a worker.
* `parameter_set_create` — a MASH manager's new parameter version (never an edit in place).
* `tuning_preview_request` / `tuning_preview_run` — what proposed parameters would do.

Assessments are not audit events (they are themselves an append-only record with their
parameter version); the triage flag a rise raises is audited by the triage service.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from agencies.models import User
from audit.models import Action
from audit.services import audit_record
from concerns.models import Person, RecomputeOutbox
from hub.risk.facts import child_ids as all_child_ids
from hub.risk.facts import facts_by_child_stream, fetch_facts
from hub.risk.models import (
    BAND_RANK,
    Assessment,
    Band,
    CurrentAssessment,
    ParameterSet,
    TuningPreview,
)
from hub.risk.parameters import default_parameters, validate_parameters
from hub.risk.scoring import Fact, Result, Scorer
from hub.triage.services import triage_item_raise_for_flag

logger = logging.getLogger(__name__)

PARAMETERS_SAVED = Action.RISK_PARAMETERS  # audit actions (see docs/risk.md)
PREVIEWED = Action.RISK_PREVIEW
PARAMETERS_LOCK_KEY = 0x7269736B70  # pg_advisory_xact_lock key ("riskp")


# --- parameter versions -------------------------------------------------------------------


def parameter_set_current() -> ParameterSet:
    """The parameter version in force: the highest. Version 1 (the defaults) is created once."""
    current = ParameterSet.objects.order_by("-version").first()
    if current is not None:
        return current
    with transaction.atomic():
        ParameterSet.objects.bulk_create(
            [
                ParameterSet(
                    version=1,
                    parameters=default_parameters(),
                    note="Shipped defaults (docs/risk.md)",
                    created_at=timezone.now(),
                )
            ],
            ignore_conflicts=True,
        )
    return ParameterSet.objects.order_by("-version").first()  # type: ignore[return-value]


def parameter_set_create(*, actor: User, parameters: Any, note: str) -> ParameterSet:
    """Save PARAMETERS as the next version. Only MASH managers may; the old version stays."""
    if actor.role != User.Role.MASH_MANAGER:
        raise PermissionDenied("Only a MASH manager can change the risk parameters")
    clean = validate_parameters(parameters)
    parameter_set_current()
    with transaction.atomic():
        # Serialise version numbers (a row lock would need UPDATE, which the application role
        # does not hold on this append-only table); the unique version is the backstop.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PARAMETERS_LOCK_KEY])
        top = ParameterSet.objects.order_by("-version").first()
        version = (top.version if top else 0) + 1
        created = ParameterSet.objects.create(
            version=version,
            parameters=clean,
            note=(note or "").strip(),
            created_by=actor,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action=PARAMETERS_SAVED,
            object_type="risk_parameter_set",
            object_id=created.pk,
            details={"version": version},
        )
        transaction.on_commit(_enqueue_full_recompute)
    return created


def _enqueue_full_recompute() -> None:
    from celery import current_app

    try:
        current_app.send_task("risk.recompute_all", retry=False)
    except Exception:  # broker down: the nightly sweep applies the new version
        logger.warning("full recompute not enqueued after a parameter change")


# --- one child ----------------------------------------------------------------------------


def _db_now() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def _ensure_heads(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO risk_currentassessment"
            " (person_id, version, score, band, fingerprint, flag_pending)"
            " SELECT unnest(%s::bigint[]), 0, 0, 'green', '', false ON CONFLICT DO NOTHING",
            [ids],
        )


def _is_new_version(head: CurrentAssessment, result: Result, fingerprint: str, ps) -> bool:
    if head.assessment_id is None or head.fingerprint != fingerprint:
        return True
    return abs(result.score - head.score) >= ps.parameters["min_score_change"]


def _rose(previous: str, band: str) -> bool:
    return BAND_RANK[band] >= BAND_RANK[Band.AMBER] and BAND_RANK[band] > BAND_RANK[previous]


def _flag(person_id: int, area_id: int | None, band: str, previous: str, assessment_id: int):
    if area_id is None:
        logger.warning("person %s rose to %s but has no area to flag to", person_id, band)
        return
    triage_item_raise_for_flag(
        person_id=person_id,
        area_id=area_id,
        band=band,
        assessment_id=assessment_id,
        reason=f"Combined risk rose from {previous} to {band} (assessment {assessment_id})",
    )


@transaction.atomic
def assessment_recompute_child(*, child_id: int) -> Assessment | None:
    """Recompute one child's combined risk. Idempotent: unchanged data adds no version.

    Locks the child's `CurrentAssessment` row first, then reads, so recomputes of one child are
    serialised and the last to commit has read the newest data; a result whose data is older
    than what is on top (`snapshot_at`) is dropped. Everything — assessment, pointer, triage
    flag — commits together or not at all.
    """
    child = (
        Person.objects.filter(pk=child_id, kind=Person.Kind.CHILD, merged_into__isnull=True)
        .only("id", "area_id")
        .first()
    )
    if child is None:
        return None
    _ensure_heads([child.pk])
    head = CurrentAssessment.objects.select_for_update().get(pk=child.pk)
    if head.flag_pending:
        _raise_pending(head, child.area_id)
    ps = parameter_set_current()
    scorer = Scorer(ps.parameters)
    at = _db_now()
    if head.snapshot_at is not None and at < head.snapshot_at:
        return None  # a newer result is already on top
    facts = fetch_facts(at=at, window_days=ps.parameters["window_days"], child_ids=[child.pk])
    result = scorer.score(facts.get(child.pk, []))
    fingerprint = result.fingerprint(ps.version)
    now = timezone.now()
    if not _is_new_version(head, result, fingerprint, ps):
        head.snapshot_at, head.checked_at = at, now
        head.save(update_fields=["snapshot_at", "checked_at"])
        return None
    previous = head.band if head.assessment_id else Band.GREEN.value
    assessment = Assessment.objects.create(
        person_id=child.pk,
        version=head.version + 1,
        parameter_set=ps,
        score=result.score,
        band=result.band,
        previous_band=previous,
        explanation=result.explanation,
        snapshot_at=at,
        computed_at=now,
        source="child",
    )
    head.assessment = assessment
    head.version, head.score, head.band = assessment.version, result.score, result.band
    head.fingerprint, head.snapshot_at, head.checked_at = fingerprint, at, now
    head.save()
    if _rose(previous, result.band):
        _flag(child.pk, child.area_id, result.band, previous, assessment.pk)
    return assessment


def children_affected_by(person_id: int) -> list[int]:
    """The person (if a child) and every child in the person's current households."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH me AS (
                SELECT COALESCE(p.merged_into_id, p.id) AS id FROM concerns_person p
                WHERE p.id = %(pid)s
            )
            SELECT p.id FROM concerns_person p JOIN me ON p.id = me.id
            WHERE p.kind = 'child' AND p.merged_into_id IS NULL
            UNION
            SELECT p.id FROM me
            JOIN concerns_householdmember m1 ON m1.person_id = me.id AND m1.left_on IS NULL
            JOIN concerns_householdmember m2
              ON m2.household_id = m1.household_id AND m2.left_on IS NULL
            JOIN concerns_person p ON p.id = m2.person_id
            WHERE p.kind = 'child' AND p.merged_into_id IS NULL
            ORDER BY 1
            """,
            {"pid": person_id},
        )
        return [row[0] for row in cursor.fetchall()]


def assessment_recompute_person(*, person_id: int) -> list[int]:
    """Recompute every child a change to PERSON_ID touches; clear the outbox rows covered.

    The outbox rows are read before any child is read, so every change they stand for has
    committed and is seen; they are deleted only after every child's recompute committed.
    Returns the ids of the children recomputed.
    """
    covered = list(RecomputeOutbox.objects.filter(person_id=person_id).values_list("pk", flat=True))
    children = children_affected_by(person_id)
    for child_id in children:
        assessment_recompute_child(child_id=child_id)
    if covered:
        RecomputeOutbox.objects.filter(pk__in=covered).delete()
    return children


def outbox_drain(*, limit: int = 500, grace_seconds: int = 30) -> int:
    """Recompute people left in the outbox (enqueue failed, worker lost). Returns how many.

    Rows younger than GRACE_SECONDS are left for the after-commit task that is probably on its
    way. Safe to run concurrently: recomputes are idempotent and serialised per child.
    """
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    person_ids = list(
        RecomputeOutbox.objects.filter(created_at__lte=cutoff)
        .values_list("person_id", flat=True)
        .distinct()
        .order_by("person_id")[:limit]
    )
    for person_id in person_ids:
        assessment_recompute_person(person_id=person_id)
    return len(person_ids)


# --- every child --------------------------------------------------------------------------


@dataclass
class BatchStats:
    children: int = 0
    facts: int = 0
    new_versions: int = 0
    unchanged: int = 0
    skipped_newer: int = 0
    flags: int = 0  # rises marked for a triage flag (raised by `flags_raise_pending`)
    seconds: dict[str, float] = field(
        default_factory=lambda: {"fetch": 0.0, "score": 0.0, "write": 0.0}  # write overlaps
    )


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _facts_source(
    ids: list[int], *, at: datetime, window_days: int, as_of: bool, whole: bool, chunk_size: int
) -> Iterator[tuple[int, list[Fact]]]:
    """(child id, facts) for IDS in order: one streamed query for the whole estate, else one
    query per block of ids."""
    if whole:
        yield from facts_by_child_stream(ids, at=at, window_days=window_days, as_of=as_of)
        return
    for chunk in _chunks(ids, chunk_size):
        facts = fetch_facts(at=at, window_days=window_days, as_of=as_of, child_ids=chunk)
        for cid in chunk:
            yield cid, facts.get(cid, [])


def assessment_recompute_all(
    *, chunk_size: int = 20_000, at: datetime | None = None, only: list[int] | None = None
) -> BatchStats:
    """Recompute every child (or ONLY those ids) in batches, as of AT (default: now).

    One streamed facts query for the estate (never a query per child), scoring in memory, and
    per block of CHUNK_SIZE children one transaction that locks their `CurrentAssessment`
    rows, skips children whose row already holds a result read after AT (a per-child recompute
    won the race), COPYs the new assessments, updates the pointers and marks rises for a flag.
    """
    ps = parameter_set_current()
    scorer = Scorer(ps.parameters)
    at = at or _db_now()
    ids = sorted(only) if only is not None else all_child_ids()
    stats = BatchStats()
    whole = only is None
    # Outside a transaction, blocks are written by a second thread (its own connection) while
    # this one streams and scores the next block: the database's work overlaps Python's.
    writer = _Writer(ps, at, stats) if whole and not connection.in_atomic_block else None
    started = time.perf_counter()
    waited = 0.0
    results: dict[int, Result] = {}
    try:
        for cid, facts in _facts_source(
            ids,
            at=at,
            window_days=ps.parameters["window_days"],
            as_of=False,
            whole=whole,
            chunk_size=chunk_size,
        ):
            t0 = time.perf_counter()
            results[cid] = scorer.score(facts)
            stats.facts += len(facts)
            stats.seconds["score"] += time.perf_counter() - t0
            if len(results) >= chunk_size:
                waited += _hand_over(writer, results, ps, at, stats)
                results = {}
        if results:
            waited += _hand_over(writer, results, ps, at, stats)
    finally:
        if writer is not None:
            t0 = time.perf_counter()
            writer.finish()
            waited += time.perf_counter() - t0
    total = time.perf_counter() - started
    stats.seconds["fetch"] = max(total - stats.seconds["score"] - waited, 0.0)
    stats.seconds["waited_on_writes"] = waited
    return stats


def _hand_over(writer, results, ps, at, stats) -> float:
    t0 = time.perf_counter()
    if writer is None:
        _write_batch(results, ps, at, stats)
        stats.seconds["write"] += time.perf_counter() - t0
        stats.children += len(results)
    else:
        writer.submit(results)
    return time.perf_counter() - t0


class _Writer:
    """Writes blocks on a thread of its own (and so its own database connection), one block
    queued at a time; a failure stops the sweep with the writer's exception."""

    def __init__(self, ps: ParameterSet, at: datetime, stats: BatchStats) -> None:
        self.ps, self.at, self.stats = ps, at, stats
        self.queue: queue.Queue[dict[int, Result] | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="risk-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while (block := self.queue.get()) is not None:
                if self.error is None:
                    t0 = time.perf_counter()
                    _write_batch(block, self.ps, self.at, self.stats)
                    self.stats.seconds["write"] += time.perf_counter() - t0
                    self.stats.children += len(block)
        except BaseException as exc:  # handed to the sweep's thread in finish()/submit()
            self.error = exc
            while self.queue.get() is not None:  # let the producer finish without blocking
                pass
        finally:
            connection.close()

    def submit(self, block: dict[int, Result]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(block)

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def _raise_pending(head: CurrentAssessment, area_id: int | None) -> None:
    """Raise the flag a batch recompute marked on HEAD (locked by the caller), and clear it."""
    if head.assessment_id is not None and BAND_RANK[head.band] >= BAND_RANK[Band.AMBER]:
        previous = (
            Assessment.objects.filter(pk=head.assessment_id)
            .values_list("previous_band", flat=True)
            .first()
        )
        _flag(head.pk, area_id, head.band, previous or Band.GREEN.value, head.assessment_id)
    head.flag_pending = False
    head.save(update_fields=["flag_pending"])


def flags_raise_pending(*, limit: int | None = None) -> int:
    """Raise the triage flags the batch path marked. One transaction per child; concurrent
    runs skip each other's rows. Returns how many were handled."""
    handled = 0
    while limit is None or handled < limit:
        with transaction.atomic():
            head = (
                CurrentAssessment.objects.select_for_update(skip_locked=True)
                .filter(flag_pending=True)
                .select_related("person")
                .order_by("person_id")
                .first()
            )
            if head is None:
                break
            _raise_pending(head, head.person.area_id)
        handled += 1
    return handled


# Joined to unnest(ids), never `= ANY(ids)` as a filter: with stale statistics the planner may
# scan the table and test every row against the whole array (rows x ids comparisons).
_HEADS_SQL = (
    "SELECT h.person_id, h.version, h.band, h.score, h.fingerprint, h.snapshot_at,"
    " h.assessment_id IS NOT NULL FROM unnest(%s::bigint[]) AS ids(id)"
    " JOIN risk_currentassessment h ON h.person_id = ids.id"
)


_LOCK_HEADS_SQL = (
    "SELECT p.area_id, h.person_id, h.version, h.band, h.score, h.fingerprint, h.snapshot_at,"
    " h.assessment_id IS NOT NULL FROM unnest(%s::bigint[]) AS ids(id)"
    " JOIN risk_currentassessment h ON h.person_id = ids.id"
    " JOIN concerns_person p ON p.id = h.person_id"
    " ORDER BY h.person_id FOR UPDATE OF h"
)


def _write_batch(results: dict[int, Result], ps: ParameterSet, at: datetime, stats: BatchStats):
    min_change = ps.parameters["min_score_change"]
    fingerprints = {cid: r.fingerprint(ps.version) for cid, r in results.items()}

    def unchanged(person_id: int, fingerprint: str, score: float, has: bool) -> bool:
        result = results[person_id]
        return (
            has
            and fingerprints[person_id] == fingerprint
            and abs(result.score - score) < min_change
        )

    # First without locks: most children are unchanged on most nights, and need no lock.
    with connection.cursor() as cursor:
        cursor.execute(_HEADS_SQL, [list(results)])
        known = {row[0]: row for row in cursor.fetchall()}
    candidates = sorted(
        cid
        for cid in results
        if cid not in known or not unchanged(cid, known[cid][4], known[cid][3], known[cid][6])
    )
    stats.unchanged += len(results) - len(candidates)
    if not candidates:
        return
    now = timezone.now()
    with transaction.atomic():
        _ensure_heads([cid for cid in candidates if cid not in known])
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_HEADS_SQL, [candidates])
            heads = cursor.fetchall()
        new_rows: list[tuple[int, int, Result, str, str, int | None]] = []
        for area_id, person_id, version, band, score, fingerprint, snapshot_at, has in heads:
            if snapshot_at is not None and snapshot_at >= at:
                stats.skipped_newer += 1
                continue
            if unchanged(person_id, fingerprint, score, has):  # changed under us: now equal
                stats.unchanged += 1
                continue
            previous = band if has else Band.GREEN.value
            new_rows.append(
                (person_id, version + 1, results[person_id], fingerprints[person_id], previous,
                 area_id)
            )  # fmt: skip
        stats.new_versions += len(new_rows)
        if not new_rows:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('risk_assessment', 'id'))"
                " FROM generate_series(1, %s)",
                [len(new_rows)],
            )
            new_ids = [row[0] for row in cursor.fetchall()]
            raw = cursor.cursor  # psycopg's cursor, for COPY
            with raw.copy(
                "COPY risk_assessment (id, person_id, version, parameter_set_id, score, band,"
                " previous_band, explanation, snapshot_at, computed_at, source) FROM STDIN"
            ) as copy:
                for aid, (person_id, version, result, _fp, previous, _area) in zip(
                    new_ids, new_rows, strict=True
                ):
                    copy.write_row(
                        (
                            aid,
                            person_id,
                            version,
                            ps.pk,
                            result.score,
                            result.band,
                            previous,
                            json.dumps(result.explanation, separators=(",", ":")),
                            at,
                            now,
                            "batch",
                        )
                    )
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS risk_head_update (person_id bigint,"
                " assessment_id bigint, version int, score float8, band varchar(8),"
                " fingerprint varchar(64), rose boolean) ON COMMIT DELETE ROWS"
            )
            with raw.copy(
                "COPY risk_head_update (person_id, assessment_id, version, score, band,"
                " fingerprint, rose) FROM STDIN"
            ) as copy:
                for aid, (person_id, version, result, fp, previous, _area) in zip(
                    new_ids, new_rows, strict=True
                ):
                    rose = _rose(previous, result.band)
                    stats.flags += rose
                    copy.write_row((person_id, aid, version, result.score, result.band, fp, rose))
            cursor.execute(
                "UPDATE risk_currentassessment h SET assessment_id = u.assessment_id,"
                " version = u.version, score = u.score, band = u.band,"
                " fingerprint = u.fingerprint, snapshot_at = %s, checked_at = %s,"
                " flag_pending = h.flag_pending OR u.rose"
                " FROM risk_head_update u WHERE h.person_id = u.person_id",
                [at, now],
            )


# --- computing without writing (point in time, tuning) ------------------------------------


def assess_iter(
    *,
    at: datetime,
    parameters: list[dict[str, Any]],
    as_of: bool = True,
    chunk_size: int = 20_000,
    only: list[int] | None = None,
) -> Iterator[tuple[int, list[Result]]]:
    """(child id, [result per parameter set]) for every child as of AT. Writes nothing."""
    scorers = [Scorer(p) for p in parameters]
    window = max(p["window_days"] for p in parameters)
    ids = sorted(only) if only is not None else all_child_ids(at=at, as_of=as_of)
    for cid, facts in _facts_source(
        ids, at=at, window_days=window, as_of=as_of, whole=only is None, chunk_size=chunk_size
    ):
        yield cid, [s.score(facts) for s in scorers]


@dataclass
class Preview:
    """What a proposed parameter set would do, before it is saved."""

    today_current: dict[str, int]
    today_proposed: dict[str, int]
    months: list[tuple[datetime, dict[str, int], dict[str, int]]]
    changes: list[tuple[int, str, str, float, float]]  # child, current band, proposed, scores
    children: int

    def to_json(self) -> dict[str, Any]:
        return {
            "today_current": self.today_current,
            "today_proposed": self.today_proposed,
            "months": [[at.isoformat(), c, p] for at, c, p in self.months],
            "changes": [list(c) for c in self.changes],
            "children": self.children,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preview:
        return cls(
            today_current=data["today_current"],
            today_proposed=data["today_proposed"],
            months=[(datetime.fromisoformat(at), c, p) for at, c, p in data["months"]],
            changes=[tuple(c) for c in data["changes"]],  # type: ignore[misc]
            children=data["children"],
        )


def _empty_counts() -> dict[str, int]:
    return {b.value: 0 for b in Band}


def parameters_preview(
    *, current: dict[str, Any], proposed: dict[str, Any], months: int = 12
) -> Preview:
    """Children per band today and at each of the last MONTHS month-ends, under CURRENT and
    PROPOSED parameters, and which children change band today. Writes nothing."""
    proposed = validate_parameters(proposed)
    now = _db_now()
    today_c, today_p = _empty_counts(), _empty_counts()
    changes: list[tuple[int, str, str, float, float]] = []
    children = 0
    for child_id, (cur, prop) in assess_iter(at=now, parameters=[current, proposed], as_of=False):
        children += 1
        today_c[cur.band] += 1
        today_p[prop.band] += 1
        if cur.band != prop.band:
            changes.append((child_id, cur.band, prop.band, cur.score, prop.score))
    history = []
    local_now = timezone.localtime(now)
    for back in range(1, months + 1):
        # The end of the month BACK months ago (local time).
        first = local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        for _ in range(back - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        at = first - timedelta(microseconds=1)
        counts_c, counts_p = _empty_counts(), _empty_counts()
        for _child_id, (cur, prop) in assess_iter(at=at, parameters=[current, proposed]):
            counts_c[cur.band] += 1
            counts_p[prop.band] += 1
        history.append((at, counts_c, counts_p))
    changes.sort(key=lambda c: (-BAND_RANK[c[2]], -c[4], c[0]))
    return Preview(today_c, today_p, history, changes, children)


TUNING_INLINE_MAX_CHILDREN = 20_000  # larger estates are previewed by a worker


def tuning_preview_request(*, actor: User, parameters: Any) -> TuningPreview:
    """Ask what PARAMETERS would do. Worked out now for a small estate, else by a worker."""
    if actor.role != User.Role.MASH_MANAGER:
        raise PermissionDenied("Only a MASH manager can tune the risk parameters")
    clean = validate_parameters(parameters)
    base = parameter_set_current()
    with transaction.atomic():
        preview = TuningPreview.objects.create(
            requested_by=actor,
            base_version=base.version,
            parameters=clean,
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action=PREVIEWED,
            object_type="risk_tuning_preview",
            object_id=preview.pk,
            details={"base_version": base.version},
        )
        inline = (
            Person.objects.filter(kind=Person.Kind.CHILD, merged_into__isnull=True).count()
            <= TUNING_INLINE_MAX_CHILDREN
        )
        if not inline:
            pk = preview.pk
            transaction.on_commit(lambda: _enqueue_preview(pk))
    if inline:
        tuning_preview_run(preview_id=preview.pk)
        preview.refresh_from_db()
    return preview


def _enqueue_preview(preview_id: int) -> None:
    from celery import current_app

    try:
        current_app.send_task("risk.tuning_preview", args=[preview_id], retry=False)
    except Exception:
        logger.warning("tuning preview %s not enqueued", preview_id)
        TuningPreview.objects.filter(pk=preview_id).update(status=TuningPreview.Status.FAILED)


def tuning_preview_run(*, preview_id: int) -> None:
    """Work out a pending preview. Idempotent: a finished one is left alone."""
    preview = TuningPreview.objects.filter(pk=preview_id).first()
    if preview is None or preview.status == TuningPreview.Status.DONE:
        return
    base = ParameterSet.objects.get(version=preview.base_version)
    result = parameters_preview(current=base.parameters, proposed=preview.parameters)
    TuningPreview.objects.filter(pk=preview_id).update(
        status=TuningPreview.Status.DONE, result=result.to_json(), finished_at=timezone.now()
    )
