"""Reads of the audit trail for the IG review screens: filters and keyset pages by seq."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Count, Max, Min, QuerySet, Subquery

from audit.models import VIEW_ACTIONS, Action, AuditEvent, BreakGlassReview

PAGE_SIZE = 50
BIGINT_MAX = 2**63 - 1


class EventFilterForm(forms.Form):
    child = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX, label="Child id")
    actor = forms.CharField(required=False, max_length=150, label="Actor (username or id)")
    agency = forms.CharField(required=False, max_length=32, label="Agency code")
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action"), *Action.choices], label="Action"
    )
    date_from = forms.DateField(required=False, label="From (date)")
    date_to = forms.DateField(required=False, label="To (date, inclusive)")
    lawful_basis = forms.CharField(required=False, max_length=64, label="Lawful basis")
    before = forms.IntegerField(
        required=False, min_value=1, max_value=BIGINT_MAX, widget=forms.HiddenInput
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise forms.ValidationError("The end date must be on or after the start date")
        return data


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def filter_events(data: dict, qs: QuerySet[AuditEvent] | None = None) -> QuerySet[AuditEvent]:
    """Apply the cleaned filter DATA. Every filter has an index led by its column, then seq."""
    qs = AuditEvent.objects.all() if qs is None else qs
    if data.get("child"):
        qs = qs.filter(child_id=data["child"])
    actor = (data.get("actor") or "").strip()
    if actor:
        by_id = actor.isdigit() and int(actor) <= BIGINT_MAX
        qs = qs.filter(actor_id=int(actor)) if by_id else qs.filter(actor_username=actor)
    if data.get("agency"):
        qs = qs.filter(actor_agency_code=data["agency"].strip())
    if data.get("action"):
        qs = qs.filter(action=data["action"])
    if data.get("lawful_basis"):
        qs = qs.filter(lawful_basis=data["lawful_basis"].strip())
    # `at` never decreases along the chain (the insert trigger ensures it), so a date range is a
    # seq range: two index probes on `at`, then every other filter keeps its (column, seq) index.
    if data.get("date_from"):
        start = _local_midnight(data["date_from"])
        first = AuditEvent.objects.filter(at__gte=start).order_by("at", "seq").values("seq")[:1]
        qs = qs.filter(seq__gte=Subquery(first), at__gte=start)
    if data.get("date_to"):
        end = _local_midnight(data["date_to"] + timedelta(days=1))
        last = AuditEvent.objects.filter(at__lt=end).order_by("-at", "-seq").values("seq")[:1]
        qs = qs.filter(seq__lte=Subquery(last), at__lt=end)
    return qs


@dataclass
class Page:
    rows: list
    next_before: int | None


def keyset_page(qs: QuerySet, before: int | None, size: int = PAGE_SIZE) -> Page:
    """Newest first; the next page starts below the last seq shown (no OFFSET)."""
    if before:
        qs = qs.filter(seq__lt=before)
    rows = list(qs.order_by("-seq")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next_before=rows[-1].seq if more and rows else None)


def child_viewers(child_id: int) -> list[dict]:
    """Who has seen this child's records: one row per actor, with counts and first/last time."""
    return list(
        AuditEvent.objects.filter(child_id=child_id, action__in=VIEW_ACTIONS)
        .values("actor_type", "actor_id", "actor_username", "actor_agency_code", "actor_role")
        .annotate(views=Count("seq"), first=Min("at"), last=Max("at"))
        .order_by("-last")
    )


def latest_reviews(seqs: list[int]) -> dict[int, BreakGlassReview]:
    out: dict[int, BreakGlassReview] = {}
    for review in BreakGlassReview.objects.filter(event_seq__in=seqs).order_by("event_seq", "id"):
        out[review.event_seq] = review  # later reviews supersede earlier ones for display
    return out
