"""Reads for the triage pages. Every read is scoped to the viewer; out of scope is 404.

Concerns are only ever read through `Concern.objects.visible_to(user)` and shown through
`consent.policy.present`, so the case view shows what the consent rule allows as it grows.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from agencies.models import Agency, Area, User
from concerns.models import Concern, HouseholdMember, Person, SubjectRecord
from consent.policy import ConcernView, Visibility, present
from hub.triage.models import (
    Band,
    InformationRequest,
    Outcome,
    TriageDecision,
    TriageItem,
)

PAGE_SIZE = 50
COUNT_CAP = 1000


# --- scope -----------------------------------------------------------------------------------


def area_ids(user: User) -> list[int]:
    """The user's areas, looked up once per user object (i.e. once per request)."""
    cached = getattr(user, "_triage_area_ids", None)
    if cached is None:
        cached = user.area_ids()
        user._triage_area_ids = cached
    return cached


def items_for(user: User) -> QuerySet[TriageItem]:
    """Items USER may see: MASH staff, in the areas their agency serves. Nothing for others."""
    if not (user and user.is_authenticated and user.is_mash_staff):
        return TriageItem.objects.none()
    return TriageItem.objects.filter(area_id__in=area_ids(user))


def item_for(user: User, pk: int) -> TriageItem:
    item = (
        items_for(user)
        .select_related(
            "area",
            "assignee",
            "person",
            "transferred_from__area",
            "transferred_to__area",
            "referral_concern__agency",
        )
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404("No such item")
    return item


def requests_for(user: User) -> QuerySet[InformationRequest]:
    """Information requests addressed to USER's agency (its designated leads answer them)."""
    if not (user and user.is_authenticated and user.role == User.Role.DESIGNATED_LEAD):
        return InformationRequest.objects.none()
    return InformationRequest.objects.filter(agency_id=user.agency_id)


def request_for(user: User, pk: int) -> InformationRequest:
    request = (
        requests_for(user)
        .select_related("item__area", "item__person", "agency", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404("No such request")
    return request


def mash_colleagues(item: TriageItem) -> list[User]:
    """People an item can be assigned to: active MASH staff whose agency serves its area."""
    return list(
        User.objects.people()
        .filter(
            is_active=True,
            role__in=[User.Role.MASH_TRIAGER, User.Role.MASH_MANAGER],
            agency__areas=item.area_id,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def referral_area_for(concern: Concern) -> Area | None:
    """The area whose MASH a referral goes to: the child's area, else the agency's only area."""
    person = concern.subject.person
    if person.area_id:
        return person.area
    areas = list(concern.agency.areas.all()[:2])
    return areas[0] if len(areas) == 1 else None


# --- identity --------------------------------------------------------------------------------


@dataclass
class Identity:
    name: str
    date_of_birth: object = None


def identities(person_ids: Iterable[int]) -> dict[int, Identity]:
    """How the hub names each person: their earliest agency record (one query)."""
    out: dict[int, Identity] = {}
    rows = (
        SubjectRecord.objects.filter(person_id__in=set(person_ids))
        .order_by("person_id", "pk")
        .values_list("person_id", "given_name", "family_name", "date_of_birth")
    )
    for person_id, given, family, dob in rows:
        out.setdefault(person_id, Identity(f"{given} {family}".strip(), dob))
    return out


# --- the queue -------------------------------------------------------------------------------

STATUS_FILTERS = {
    "open": list(TriageItem.OPEN_STATUSES),
    "awaiting_signoff": [TriageItem.Status.AWAITING_SIGNOFF],
    "decided": [TriageItem.Status.DECIDED],
    "transferred": [TriageItem.Status.TRANSFERRED],
    "all": None,
}


@dataclass
class QueueFilters:
    area: int | None = None
    band: str = ""
    assignee: str = ""  # "", "me", "none" or a user id
    status: str = "open"
    after: tuple[datetime, int] | None = None


def encode_cursor(item: TriageItem) -> str:
    return f"{int(item.deadline_at.timestamp() * 1_000_000)}.{item.pk}"


def decode_cursor(raw: str) -> tuple[datetime, int] | None:
    try:
        micros, pk = raw.split(".")
        when = datetime.fromtimestamp(int(micros) / 1_000_000, tz=timezone.get_current_timezone())
        return when, int(pk)
    except (ValueError, OverflowError):
        return None


@dataclass
class QueuePage:
    rows: list[TriageItem]
    next_cursor: str | None
    total: int
    overdue: int
    names: dict[int, Identity] = field(default_factory=dict)
    total_capped: bool = False
    overdue_capped: bool = False


def queue_page(user: User, filters: QueueFilters) -> QueuePage:
    """One keyset page of the queue, soonest deadline first (3 queries, whatever the size)."""
    items = items_for(user)
    if filters.area:
        items = items.filter(area_id=filters.area)
    statuses = STATUS_FILTERS.get(filters.status, STATUS_FILTERS["open"])
    if statuses is not None:
        items = items.filter(status__in=statuses)
    if filters.band in Band.values:
        items = items.filter(band=filters.band)
    if filters.assignee == "me":
        items = items.filter(assignee=user)
    elif filters.assignee == "none":
        items = items.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        items = items.filter(assignee_id=int(filters.assignee))
    now = timezone.now()
    # Counts are capped (LIMIT inside the count) so a huge queue costs an index range scan of
    # COUNT_CAP rows, not a scan of every open item; the manager summary has exact figures.
    total = items.order_by()[: COUNT_CAP + 1].count()
    overdue = (
        items.filter(deadline_at__lt=now, status__in=TriageItem.OPEN_STATUSES)
        .order_by()[: COUNT_CAP + 1]
        .count()
    )
    page = items
    if filters.after is not None:
        deadline, pk = filters.after
        page = page.filter(Q(deadline_at__gt=deadline) | Q(deadline_at=deadline, pk__gt=pk))
    rows = list(
        page.select_related("area", "assignee").order_by("deadline_at", "id")[: PAGE_SIZE + 1]
    )
    next_cursor = encode_cursor(rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    for row in rows:
        row.overdue = row.is_open and row.deadline_at < now
        row.time_left = describe_time_left(row.deadline_at - now) if row.is_open else ""
    return QueuePage(
        rows=rows,
        next_cursor=next_cursor,
        total=min(total, COUNT_CAP),
        overdue=min(overdue, COUNT_CAP),
        total_capped=total > COUNT_CAP,
        overdue_capped=overdue > COUNT_CAP,
        names=identities(r.person_id for r in rows),
    )


def describe_time_left(delta: timedelta) -> str:
    """'3 h 20 min left', 'overdue by 1 day 2 h' (elapsed time, not working time)."""
    seconds = int(delta.total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    days, rem = divmod(seconds, 86_400)
    hours, rem = divmod(rem, 3_600)
    minutes = rem // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if not days and minutes:
        parts.append(f"{minutes} min")
    text = " ".join(parts) or "under a minute"
    return f"overdue by {text}" if overdue else f"{text} left"


# --- the case --------------------------------------------------------------------------------


@dataclass
class Member:
    person_id: int
    relationship: str
    kind: str
    name: str
    is_subject: bool = False


@dataclass
class Case:
    item: TriageItem
    child: Identity
    members: list[Member]
    linked_children: list[Member]
    concerns: list[ConcernView]
    about: dict[int, str]  # concern id -> whom it is about ("the child" / relationship)
    rows: list[tuple[ConcernView, str]]  # (concern, whom it is about), oldest first
    decisions: list[TriageDecision]
    requests: list[InformationRequest]
    history: list[TriageItem]  # items this one was transferred from (oldest first)


def household_people(person_id: int) -> list[tuple[int, str]]:
    """(person id, relationship) of everyone currently in the child's households."""
    households = HouseholdMember.objects.filter(person_id=person_id, left_on__isnull=True).values(
        "household_id"
    )
    return list(
        HouseholdMember.objects.filter(household_id__in=households, left_on__isnull=True)
        .exclude(person_id=person_id)
        .order_by("person_id")
        .values_list("person_id", "relationship")
        .distinct()
    )


def case_for(user: User, item: TriageItem) -> Case:
    relations = household_people(item.person_id)
    kinds = dict(Person.objects.filter(pk__in=[p for p, _ in relations]).values_list("pk", "kind"))
    names = identities([item.person_id, *(p for p, _ in relations)])
    rel_labels = dict(HouseholdMember.Relationship.choices)
    members = [
        Member(
            person_id=pid,
            relationship=rel_labels.get(rel, rel),
            kind=kinds.get(pid, ""),
            name=names.get(pid, Identity("(no name recorded)")).name,
        )
        for pid, rel in relations
    ]
    about = {item.person_id: "the child"}
    about.update({m.person_id: f"{m.relationship}: {m.name}" for m in members})
    concerns_qs = (
        Concern.objects.visible_to(user)
        .filter(subject__person_id__in=list(about))
        .select_related("agency", "subject")
        .order_by("occurred_at", "pk")
    )
    views: list[ConcernView] = []
    concern_about: dict[int, str] = {}
    for concern in concerns_qs:
        view = present(concern)
        views.append(view)
        concern_about[view.id] = about.get(view.person_id, "")
    history = []
    previous = item.transferred_from
    while previous is not None and len(history) < 10:
        history.insert(0, previous)
        previous = previous.transferred_from
    chain = [*history, item]
    return Case(
        item=item,
        child=names.get(item.person_id, Identity("(no name recorded)")),
        members=[m for m in members if m.kind != Person.Kind.CHILD],
        linked_children=[m for m in members if m.kind == Person.Kind.CHILD],
        concerns=views,
        about=concern_about,
        rows=[(v, concern_about.get(v.id, "")) for v in views],
        decisions=list(
            TriageDecision.objects.filter(item__in=chain)
            .select_related("decided_by", "signed_off_by", "transfer_to_area", "item__area")
            .order_by("decided_at", "pk")
        ),
        requests=list(
            InformationRequest.objects.filter(item__in=chain)
            .select_related("agency", "requested_by", "answered_by", "item__area")
            .order_by("requested_at", "pk")
        ),
        history=history,
    )


def askable_agencies(item: TriageItem) -> list[Agency]:
    return list(Agency.objects.filter(is_active=True, areas=item.area_id).order_by("name"))


# --- feedback to referrers -------------------------------------------------------------------

OUTCOME_FEEDBACK = {
    Outcome.NO_FURTHER_ACTION: "no further action by the MASH",
    Outcome.UNIVERSAL_SERVICES: "universal services",
    Outcome.EARLY_HELP: "early help offered",
    Outcome.CHILD_IN_NEED: "child in need assessment (s17)",
    Outcome.STRATEGY_S47: "strategy discussion / child protection enquiry (s47)",
    Outcome.POLICE_ACTION: "passed to the police",
    Outcome.TRANSFER: "passed to another area's MASH",
}


@dataclass(frozen=True)
class Feedback:
    """What the agency that raised a concern is told about the MASH's work on it."""

    key: str  # received / being_looked_at / decided / transferred
    label: str
    area_name: str
    since: datetime
    acknowledged_at: datetime | None = None
    transferred_from_area: str = ""


def feedback_for_concerns(concerns: Iterable[Concern]) -> dict[int, Feedback]:
    """`feedback_for_concern` for many concerns (a list page): one query finds which of them the
    MASH ever had, and only those are looked up — most concerns never reach the MASH."""
    by_id = {c.pk: c for c in concerns}
    if not by_id:
        return {}
    ids = list(by_id)
    touched: set[int] = set()
    for contributing, referral in TriageItem.objects.filter(
        Q(contributing_concern_ids__overlap=ids) | Q(referral_concern_id__in=ids)
    ).values_list("contributing_concern_ids", "referral_concern_id"):
        touched.update(i for i in (contributing or []) if i in by_id)
        if referral in by_id:
            touched.add(referral)
    out = {}
    for pk in sorted(touched):
        feedback = feedback_for_concern(by_id[pk])
        if feedback is not None:
            out[pk] = feedback
    return out


def feedback_for_concern(concern: Concern) -> Feedback | None:
    """The status the concern's own agency should see, or None if the MASH never had it.

    The caller shows this to the concern's own agency only (the template include checks).
    Follows a transfer to the area that has the case now.
    """
    item = (
        TriageItem.objects.filter(
            Q(contributing_concern_ids__contains=[concern.pk]) | Q(referral_concern=concern)
        )
        .select_related("area")
        .order_by("-created_at", "-pk")
        .first()
    )
    if item is None:
        return None
    from_area = ""
    hops = 0
    while item.status == TriageItem.Status.TRANSFERRED and item.transferred_to_id and hops < 10:
        from_area = item.area.name
        item = TriageItem.objects.select_related("area").get(pk=item.transferred_to_id)
        hops += 1
    ack = item.acknowledgements.filter(concern=concern).values_list("sent_at", flat=True).first()
    if item.status == TriageItem.Status.DECIDED:
        decision = (
            item.decisions.filter(reopened_at__isnull=True, returned_at__isnull=True)
            .order_by("-decided_at", "-pk")
            .first()
        )
        phrase = OUTCOME_FEEDBACK.get(decision.outcome, "") if decision else ""
        label = f"Decision made: {phrase}" if phrase else "Decision made"
        return Feedback(
            "decided", label, item.area.name, item.decided_at or item.updated_at, ack, from_area
        )
    if item.status == TriageItem.Status.TRANSFERRED:
        return Feedback(
            "transferred",
            "Passed to another area's MASH",
            item.area.name,
            item.updated_at,
            ack,
            from_area,
        )
    if item.status == TriageItem.Status.OPEN and item.assignee_id is None:
        return Feedback("received", "Received", item.area.name, item.created_at, ack, from_area)
    return Feedback(
        "being_looked_at", "Being looked at", item.area.name, item.updated_at, ack, from_area
    )


# --- the manager's summary -------------------------------------------------------------------


@dataclass
class BandSummary:
    band: str
    open: int = 0
    overdue_now: int = 0
    decided_on_time: int = 0
    decided_late: int = 0


@dataclass
class ManagerSummary:
    bands: list[BandSummary]
    median_to_decision: timedelta | None
    decisions_counted: int
    overdue_requests: list[InformationRequest]
    awaiting_signoff: list[TriageDecision]
    since: datetime
    timescales: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)

    @property
    def median_text(self) -> str:
        if self.median_to_decision is None:
            return ""
        return describe_time_left(self.median_to_decision).removesuffix(" left")


def manager_summary(user: User, *, days: int = 30) -> ManagerSummary:
    now = timezone.now()
    since = now - timedelta(days=days)
    items = items_for(user)
    by_band = {b: BandSummary(band=b) for b in (Band.RED, Band.AMBER, Band.GREEN)}
    for row in (
        items.filter(status__in=TriageItem.OPEN_STATUSES)
        .values("band")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(deadline_at__lt=now)))
    ):
        by_band[row["band"]].open = row["open"]
        by_band[row["band"]].overdue_now = row["overdue"]
    decisions = TriageDecision.objects.filter(item__in=items, decided_at__gte=since)
    for row in decisions.values("band_at_decision").annotate(
        on_time=Count("id", filter=Q(within_deadline=True)),
        late=Count("id", filter=Q(within_deadline=False)),
    ):
        by_band[row["band_at_decision"]].decided_on_time = row["on_time"]
        by_band[row["band_at_decision"]].decided_late = row["late"]
    durations = [
        decided - started
        for decided, started in decisions.values_list("decided_at", "item__clock_started_at")
        if decided >= started
    ]
    return ManagerSummary(
        bands=list(by_band.values()),
        median_to_decision=statistics.median(durations) if durations else None,
        decisions_counted=len(durations),
        overdue_requests=list(
            InformationRequest.objects.filter(
                item__in=items, status=InformationRequest.Status.OPEN, due_at__lt=now
            )
            .select_related("agency", "item")
            .order_by("due_at")[:100]
        ),
        awaiting_signoff=list(
            TriageDecision.objects.filter(
                item__in=items.filter(status=TriageItem.Status.AWAITING_SIGNOFF),
                requires_signoff=True,
                signed_off_at__isnull=True,
                returned_at__isnull=True,
            ).select_related("item", "decided_by")
        ),
        since=since,
        timescales=timescales_in_force(area_ids(user)),
    )


def _working_time(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    if minutes % 480 == 0 and minutes >= 480:
        days = minutes // 480
        return f"{days} working day{'s' if days != 1 else ''}"
    text = f"{hours} working hour{'s' if hours != 1 else ''}" if hours else ""
    return (text + (f" {mins} min" if mins else "")).strip()


def timescales_in_force(ids: Iterable[int]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per area: each band's allowance (the area's own row, else the default)."""
    from hub.triage.models import DEFAULT_TIMESCALE_MINUTES, RagTimescale

    overrides = {
        (r.area_id, r.band): r.working_minutes
        for r in RagTimescale.objects.filter(area_id__in=list(ids))
    }
    out = []
    for area in Area.objects.filter(pk__in=list(ids)).order_by("name"):
        out.append(
            (
                area.name,
                [
                    (
                        Band(band).label,
                        _working_time(
                            overrides.get((area.pk, band), DEFAULT_TIMESCALE_MINUTES[band])
                        ),
                    )
                    for band in (Band.RED, Band.AMBER, Band.GREEN)
                ],
            )
        )
    return out


def overdue_requests_for_items(items: QuerySet[TriageItem]) -> list[InformationRequest]:
    return list(
        InformationRequest.objects.filter(
            item__in=items, status=InformationRequest.Status.OPEN, due_at__lt=timezone.now()
        )
        .select_related("agency")
        .order_by("due_at")[:20]
    )


__all__ = [
    "Visibility",
    "case_for",
    "feedback_for_concern",
    "item_for",
    "items_for",
    "manager_summary",
    "queue_page",
    "requests_for",
]


def concerns_with_feedback(user: User, *, limit: int = 50) -> list[tuple[ConcernView, Feedback]]:
    """USER's agency's concerns that reached a MASH, newest first, with the feedback on each."""
    from django.db.models import F, Func

    if not (user and user.is_authenticated and user.agency_id):
        return []
    in_triage = TriageItem.objects.annotate(
        cid=Func(F("contributing_concern_ids"), function="unnest")
    ).values("cid")
    concerns = (
        Concern.objects.visible_to(user)
        .filter(agency_id=user.agency_id, pk__in=in_triage)
        .select_related("agency", "subject")
        .order_by("-recorded_at", "-pk")[:limit]
    )
    out = []
    for concern in concerns:
        feedback = feedback_for_concern(concern)
        if feedback is not None:
            out.append((present(concern), feedback))
    return out
