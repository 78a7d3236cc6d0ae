"""Daily access monitoring for the IG lead.

For one day (local time) it lists: accesses to a child's records not explained by a
relationship (see `audit.explainers`), out-of-hours accesses, users who viewed unusually many
children, and every break-glass use; and it counts the share of accesses explained
automatically. Reports are derived data: rebuilding a day replaces that day's report.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from audit.explainers import Access
from audit.models import VIEW_ACTIONS, AccessFinding, AccessReport, Action, AuditEvent

Kind = AccessFinding.Kind


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


def _period(day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def is_out_of_hours(at: datetime) -> bool:
    local = timezone.localtime(at)
    start_hour, end_hour = settings.AUDIT_WORKING_HOURS
    return local.weekday() >= 5 or not (start_hour <= local.hour < end_hour)


def explained_pairs(accesses: list[Access]) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for path in settings.AUDIT_ACCESS_EXPLAINERS:
        pairs |= import_string(path)(accesses)
    return pairs


@transaction.atomic
def access_report_build(*, day: date) -> AccessReport:
    start, end = _period(day)
    rows = list(
        AuditEvent.objects.filter(
            at__gte=start,
            at__lt=end,
            action__in=VIEW_ACTIONS,
            actor_type="user",
            child_id__isnull=False,
        )
        .order_by("seq")
        .values_list(
            "seq",
            "at",
            "action",
            "actor_id",
            "actor_username",
            "actor_agency_id",
            "actor_agency_code",
            "actor_role",
            "child_id",
        )
    )
    accesses = {Access(r[3], r[5], r[7], r[8]) for r in rows}
    explained = explained_pairs(sorted(accesses, key=lambda a: (a.actor_id, a.child_id)))
    AccessReport.objects.filter(period_start=start).delete()
    report = AccessReport.objects.create(
        period_start=start,
        period_end=end,
        created_at=timezone.now(),
        first_seq=rows[0][0] if rows else None,
        last_seq=rows[-1][0] if rows else None,
        accesses=len(rows),
        accesses_explained=sum(1 for r in rows if (r[3], r[8]) in explained),
        pairs=len({(a.actor_id, a.child_id) for a in accesses}),
        pairs_explained=len(explained & {(a.actor_id, a.child_id) for a in accesses}),
    )
    findings: list[AccessFinding] = []
    first_by_pair: dict[tuple[str, int, int], tuple] = {}
    count_by_pair: Counter = Counter()
    children_by_actor: dict[int, set[int]] = defaultdict(set)
    actor_row: dict[int, tuple] = {}
    for r in rows:
        seq, at, action, actor_id, username, _agency_id, agency_code, _role, child_id = r
        children_by_actor[actor_id].add(child_id)
        actor_row.setdefault(actor_id, r)
        if action == Action.BREAK_GLASS:
            findings.append(
                AccessFinding(
                    report=report,
                    kind=Kind.BREAK_GLASS,
                    actor_id=actor_id,
                    actor_username=username,
                    actor_agency_code=agency_code,
                    child_id=child_id,
                    event_seq=seq,
                    at=at,
                )
            )
            continue
        kinds = []
        if (actor_id, child_id) not in explained:
            kinds.append(Kind.UNEXPLAINED)
        if is_out_of_hours(at):
            kinds.append(Kind.OUT_OF_HOURS)
        for kind in kinds:
            key = (kind, actor_id, child_id)
            first_by_pair.setdefault(key, r)
            count_by_pair[key] += 1
    for key, r in first_by_pair.items():
        findings.append(
            AccessFinding(
                report=report,
                kind=key[0],
                actor_id=r[3],
                actor_username=r[4],
                actor_agency_code=r[6],
                child_id=r[8],
                event_seq=r[0],
                at=r[1],
                count=count_by_pair[key],
            )
        )
    threshold = settings.AUDIT_MANY_CHILDREN_THRESHOLD
    for actor_id, children in children_by_actor.items():
        if len(children) > threshold:
            r = actor_row[actor_id]
            findings.append(
                AccessFinding(
                    report=report,
                    kind=Kind.MANY_CHILDREN,
                    actor_id=actor_id,
                    actor_username=r[4],
                    actor_agency_code=r[6],
                    event_seq=r[0],
                    at=r[1],
                    count=len(children),
                )
            )
    AccessFinding.objects.bulk_create(findings, batch_size=1000)
    return report
