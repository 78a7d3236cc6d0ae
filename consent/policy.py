"""The one visibility rule: how much of each concern each person may see.

Every query that returns concerns goes through `visible_concerns` (reached as
`Concern.objects.visible_to(user)`); single reads use the same queryset, so a concern out of
scope is missing, exactly like one that does not exist (404).

Levels: NONE (invisible), EXISTENCE (that an agency holds something), SUMMARY (agency,
category, level, date), FULL (text and markers).

The rule, compiled into one SQL expression per query (nothing cached, so a revoked decision, a
withdrawn consent, a closed MASH involvement or an expired break-glass grant stops counting on
the very next query):

* Inside the owning agency: the author and the agency's deciders (designated lead; MASH manager
  for the MASH's own records) see FULL; colleagues see what `Agency.same_agency_visibility`
  says. No caps apply inside the owning agency.
* Outside it, the highest of these sources:
  - live sharing decisions to the viewer's agency, to an area's MASH the viewer works in, or to
    the viewer by name (per concern, or all the owner's concerns about the child recorded up to a
    date) — at the decision's level;
  - a live consent record covering both agencies: SUMMARY;
  - the MASH rule (the child's MASH involvement is open in an area the viewer's agency serves as
    MASH staff, under an agreement in force): SUMMARY;
  - a live break-glass grant (MASH manager, 60 minutes): FULL;
  then capped: police-investigation / do-not-disclose-to-family markers → EXISTENCE unless the
  owner's decision lifts the cap; health information → SUMMARY outside health agencies unless the
  decision names an Article 9 condition (break-glass, an emergency, is capped only by sealing);
  sealed → NONE, whatever anyone decided.

`docs/consent.md` explains each source and its law.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, Now
from django.utils import timezone

if TYPE_CHECKING:
    from concerns.models import Concern, ConcernQuerySet


class Visibility(IntEnum):
    NONE = 0
    EXISTENCE = 1
    SUMMARY = 2
    FULL = 3


# Names of the per-source annotations `visible_concerns(..., explain=True)` adds.
SOURCES = ("own", "decision", "consent", "mash", "break_glass")

MASH_ROLES = ("mash_triager", "mash_manager")


def _int(value: int) -> Value:
    return Value(int(value), output_field=IntegerField())


def _is_person(user: Any) -> bool:
    """A signed-in person (not an API client: its pk is not a user id)."""
    from agencies.models import User

    return isinstance(user, User)


@dataclass(frozen=True)
class _Viewer:
    """What the rule needs to know about the viewer, read fresh on every query."""

    user_id: int | None
    agency_id: int
    today: date
    is_designated_lead: bool
    same_agency_level: Visibility
    is_health_agency: bool
    served_area_ids: tuple[int, ...]  # areas whose MASH the viewer works in
    agreement_area_ids: tuple[int, ...]  # …of those, with a sharing agreement in force
    health_agency_ids: tuple[int, ...]
    has_decisions: bool
    has_consent_decisions: bool
    has_consent: bool
    has_break_glass: bool


_SAME_AGENCY = {"none": Visibility.NONE, "summary": Visibility.SUMMARY, "full": Visibility.FULL}


_VIEWER_SQL = """
SELECT a.kind, a.same_agency_visibility,
  CASE WHEN %(mash)s THEN ARRAY(
    SELECT aa.area_id FROM {agency_areas} aa WHERE aa.agency_id = a.id) END AS served,
  CASE WHEN %(mash)s THEN ARRAY(
    SELECT g.area_id FROM {agreement} g JOIN {agency_areas} aa ON aa.area_id = g.area_id
    WHERE aa.agency_id = a.id AND g.effective_from <= %(today)s
      AND (g.effective_to IS NULL OR g.effective_to >= %(today)s)) END AS agreed,
  ARRAY(SELECT h.id FROM {agency} h WHERE h.kind = 'health') AS health_ids,
  EXISTS(
    SELECT 1 FROM {decision} d
    WHERE d.share AND d.revoked_at IS NULL
      AND (d.review_on IS NULL OR d.review_on >= %(today)s)
      AND (d.recipient_agency_id = a.id OR d.recipient_user_id = %(uid)s
           OR (%(mash)s AND d.recipient_area_id IN (
               SELECT aa.area_id FROM {agency_areas} aa WHERE aa.agency_id = a.id)))
  ) AS has_decisions,
  EXISTS(
    SELECT 1 FROM {decision} d
    WHERE d.share AND d.revoked_at IS NULL AND d.article6 = 'consent'
      AND (d.review_on IS NULL OR d.review_on >= %(today)s)
  ) AS has_consent_decisions,
  EXISTS(
    SELECT 1 FROM {consent} c JOIN {consent_agencies} ca ON ca.consentrecord_id = c.id
    WHERE ca.agency_id = a.id AND c.status = 'given' AND c.withdrawn_at IS NULL
  ) AS has_consent,
  (%(manager)s AND EXISTS(
    SELECT 1 FROM {grant} b WHERE b.user_id = %(uid)s AND b.expires_at > now()
  )) AS has_break_glass
FROM {agency} a WHERE a.id = %(agency_id)s AND a.is_active
"""


@lru_cache(maxsize=1)
def _viewer_sql() -> str:
    from agencies.models import Agency
    from consent.models import (
        AreaSharingAgreement,
        BreakGlassGrant,
        ConsentRecord,
        SharingDecision,
    )

    return _VIEWER_SQL.format(
        agency=Agency._meta.db_table,
        agency_areas=Agency.areas.through._meta.db_table,
        agreement=AreaSharingAgreement._meta.db_table,
        decision=SharingDecision._meta.db_table,
        consent=ConsentRecord._meta.db_table,
        consent_agencies=ConsentRecord.agencies.through._meta.db_table,
        grant=BreakGlassGrant._meta.db_table,
    )


def _viewer(user: Any) -> _Viewer | None:
    """One query that reads the viewer's context and which sources can possibly apply.

    Pruning a source that has no rows for this viewer keeps big lists fast; it can only ever
    leave out a source that grants nothing, so it never widens access. It runs on every call:
    nothing about access is cached between queries.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    agency_id = getattr(user, "agency_id", None)
    if agency_id is None or not getattr(user, "is_active", True):
        return None
    person = _is_person(user)
    role = getattr(user, "role", "") if person else ""
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            _viewer_sql(),
            {
                "mash": role in MASH_ROLES,
                "manager": role == "mash_manager",
                "today": today,
                "uid": user.pk if person else None,
                "agency_id": agency_id,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    kind, same_agency, served, agreed, health_ids, has_dec, has_cdec, has_consent, has_bg = row
    return _Viewer(
        user_id=user.pk if person else None,
        agency_id=agency_id,
        today=today,
        # The owning agency's deciders: its designated lead, and a MASH manager for the MASH's
        # own records (consent.services.can_decide_for).
        is_designated_lead=role in ("designated_lead", "mash_manager"),
        same_agency_level=_SAME_AGENCY.get(same_agency, Visibility.NONE),
        is_health_agency=kind == "health",
        served_area_ids=tuple(sorted(set(served or ()))),
        agreement_area_ids=tuple(sorted(set(agreed or ()))),
        health_agency_ids=tuple(sorted(health_ids or ())),
        has_decisions=bool(has_dec),
        has_consent_decisions=bool(has_cdec),
        has_consent=bool(has_consent),
        has_break_glass=bool(has_bg),
    )


@lru_cache(maxsize=512)
def _levels(v: _Viewer) -> tuple[dict[str, Any], dict[str, Any], Q | None]:
    """(aliases, per-source level expressions, the WHERE condition) for viewer V.

    Cached per viewer *shape* (V is read fresh on every call and includes today's date): these
    are unresolved expression templates, which Django copies whenever a query uses them, so
    sharing them saves building them again and never carries data between queries. Callers must
    not mutate the returned dicts.
    """
    from consent.models import BreakGlassGrant, ConsentRecord, MashInvolvement, SharingDecision

    today = v.today
    person_ref = OuterRef("subject__person_id")
    is_own = Q(agency_id=v.agency_id)
    full, summary, existence = (int(Visibility.FULL), int(Visibility.SUMMARY), 1)

    # Inside the owning agency.
    own_default = Visibility.FULL if v.is_designated_lead else v.same_agency_level
    own_whens = []
    if v.user_id is not None:
        own_whens.append(When(author_id=v.user_id, then=_int(full)))
    if own_default:
        own_whens.append(When(is_own, then=_int(own_default)))
    own = Case(*own_whens, default=_int(0)) if own_whens else _int(0)

    # Caps, per concern (sources below only ever apply outside the owning agency).
    aliases: dict[str, Any] = {
        "_vis_cap_marker": Case(
            When(
                Q(marker_police_investigation=True) | Q(marker_do_not_disclose_family=True),
                then=_int(existence),
            ),
            default=_int(full),
        ),
        "_vis_cap_health": _int(full)
        if v.is_health_agency
        else Case(
            When(
                Q(marker_health=True) | Q(agency_id__in=v.health_agency_ids),
                then=_int(summary),
            ),
            default=_int(full),
        ),
    }
    capped_summary = Least(_int(summary), "_vis_cap_marker", "_vis_cap_health")

    sources: dict[str, Any] = {"own": own}
    exists_any: list[Q] = []

    if v.has_decisions:
        recipient = Q(recipient_agency_id=v.agency_id)
        if v.user_id is not None:
            recipient |= Q(recipient_user_id=v.user_id)
        if v.served_area_ids:
            recipient |= Q(recipient_area_id__in=v.served_area_ids)
        live = SharingDecision.objects.filter(
            recipient, share=True, revoked_at__isnull=True
        ).filter(Q(review_on__isnull=True) | Q(review_on__gte=today))
        if v.has_consent_decisions:
            # A consent-based decision counts only while consent covering both agencies lives.
            consent_alive = (
                ConsentRecord.objects.filter(
                    status="given", withdrawn_at__isnull=True, agencies=v.agency_id
                )
                .filter(agencies=OuterRef("owner_agency_id"))
                .filter(
                    Q(person_id=OuterRef("person_id"))
                    | Q(
                        household__members__person_id=OuterRef("person_id"),
                        household__members__left_on__isnull=True,
                    )
                )
            )
            live = live.filter(~Q(article6="consent") | Exists(consent_alive))
        else:
            # None existed a moment ago; one made since is left out (narrowing, never widening).
            live = live.exclude(article6="consent")
        effective = Least(
            "level",
            Case(When(lift_marker_cap=True, then=_int(full)), default=OuterRef("_vis_cap_marker")),
            Case(When(article9="", then=OuterRef("_vis_cap_health")), default=_int(full)),
            output_field=IntegerField(),
        )
        per_concern = live.filter(concern_id=OuterRef("pk"))
        per_child = live.filter(
            concern__isnull=True,
            person_id=person_ref,
            owner_agency_id=OuterRef("agency_id"),
            up_to__gte=OuterRef("recorded_at"),
        )

        def best(qs: Any) -> Any:
            return Coalesce(
                Subquery(qs.annotate(eff=effective).order_by("-eff").values("eff")[:1]),
                _int(0),
            )

        sources["decision"] = Greatest(best(per_concern), best(per_child))
        exists_any += [Q(Exists(per_concern)), Q(Exists(per_child))]

    if v.has_consent:
        consent = (
            ConsentRecord.objects.filter(
                status="given", withdrawn_at__isnull=True, agencies=v.agency_id
            )
            .filter(agencies=OuterRef("agency_id"))
            .filter(
                Q(person_id=person_ref)
                | Q(
                    household__members__person_id=person_ref,
                    household__members__left_on__isnull=True,
                )
            )
        )
        sources["consent"] = Case(When(Exists(consent), then=capped_summary), default=_int(0))
        exists_any.append(Q(Exists(consent)))

    if v.agreement_area_ids:
        mash = MashInvolvement.objects.filter(
            person_id=person_ref, area_id__in=v.agreement_area_ids, closed_at__isnull=True
        )
        sources["mash"] = Case(When(Exists(mash), then=capped_summary), default=_int(0))
        exists_any.append(Q(Exists(mash)))

    if v.has_break_glass and v.user_id is not None:
        grant = BreakGlassGrant.objects.filter(
            user_id=v.user_id, person_id=person_ref, expires_at__gt=Now()
        )
        sources["break_glass"] = Case(When(Exists(grant), then=_int(full)), default=_int(0))
        exists_any.append(Q(Exists(grant)))

    # WHERE: exactly "visibility > 0", written as cheap boolean tests (caps never take a
    # granted level below EXISTENCE; only sealing takes it to NONE).
    ways: list[Q] = []
    if v.user_id is not None:
        ways.append(Q(author_id=v.user_id))
    if own_default:
        ways.append(is_own)
    if exists_any:
        ways.append(~is_own & Q(marker_sealed=False) & _any(exists_any))
    return aliases, sources, (_any(ways) if ways else None)


def _any(conditions: list[Q]) -> Q:
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


def _combine(v: _Viewer, sources: dict[str, Any]) -> Any:
    """Author and owning agency first (no caps inside it); outside it sealed is NONE whatever
    anyone decided, else the highest capped source."""
    outside = [expr for name, expr in sources.items() if name != "own"]
    if not outside:
        best: Any = _int(0)
    elif len(outside) == 1:
        best = outside[0]
    else:
        best = Greatest(*outside, output_field=IntegerField())
    whens = []
    if v.user_id is not None:
        whens.append(When(author_id=v.user_id, then=_int(Visibility.FULL)))
    whens += [
        When(agency_id=v.agency_id, then=sources["own"]),
        When(marker_sealed=True, then=_int(0)),
    ]
    return Case(*whens, default=best, output_field=IntegerField())


def visible_concerns(user, queryset: ConcernQuerySet, *, explain: bool = False) -> ConcernQuerySet:
    """QUERYSET narrowed to what USER may see, annotated with `visibility` (a `Visibility`).

    With `explain=True` each source's level is annotated too (`vis_own`, `vis_decision`,
    `vis_consent`, `vis_mash`, `vis_break_glass`; absent sources read 0), for the "why can I see
    this" page — the same expressions, so the explanation can never disagree with the rule.
    """
    viewer = _viewer(user)
    if viewer is None:
        return queryset.none()
    return _apply(viewer, queryset, explain=explain)


def _apply(viewer: _Viewer, queryset: Any, *, explain: bool = False) -> Any:
    aliases, sources, where = _levels(viewer)
    if where is None:
        return queryset.none()
    qs = queryset.alias(**aliases).filter(where)
    annotations: dict[str, Any] = {"visibility": _combine(viewer, sources)}
    if explain:
        for name in SOURCES:
            annotations[f"vis_{name}"] = sources.get(name, _int(0))
    return qs.annotate(**annotations)


@lru_cache(maxsize=512)
def _single_sql(viewer: _Viewer) -> tuple[str, tuple[Any, ...]]:
    """The rule's level expression for one viewer, as SQL over one concern id.

    The same `_levels`/`_combine` expressions as `visible_concerns`, without its WHERE: the list's
    WHERE is the cheap boolean form of `visibility > 0`, and the Hypothesis property
    (tests/authz/test_property.py) checks the two agree. Compiled once per viewer *shape*; the
    pre-query still runs on every call and the data is read live, so this caches SQL text, never
    an access decision.
    """
    from concerns.models import Concern

    aliases, sources, _where = _levels(viewer)
    qs = (
        Concern.objects.alias(**aliases)
        .annotate(visibility=_combine(viewer, sources))
        .filter(pk=0)
        .values_list("visibility")
    )
    sql, params = qs.query.sql_with_params()
    # The placeholder id 0 is the last parameter; callers pass the real one in its place.
    if not params or params[-1] != 0:
        raise RuntimeError("the single-concern SQL lost its id placeholder")
    return sql, tuple(params[:-1])


def visibility_of(user, concern: Concern) -> Visibility:
    """The single-object form of the rule (same expressions as `visible_concerns`)."""
    if concern is None or concern.pk is None:
        return Visibility.NONE
    viewer = _viewer(user)
    if viewer is None:
        return Visibility.NONE
    sql, params = _single_sql(viewer)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, concern.pk])
        row = cursor.fetchone()
    return Visibility(row[0]) if row is not None and row[0] else Visibility.NONE


def access_explanation(user, concern: Concern) -> dict[str, Visibility]:
    """Each source's level for USER and CONCERN (all NONE when the concern is out of scope)."""
    from concerns.models import Concern

    row = (
        visible_concerns(user, Concern.objects.filter(pk=concern.pk), explain=True)
        .values(*[f"vis_{name}" for name in SOURCES], "visibility")
        .first()
    )
    if row is None:
        return {name: Visibility.NONE for name in (*SOURCES, "visibility")}
    return {name: Visibility(row[f"vis_{name}"]) for name in SOURCES} | {
        "visibility": Visibility(row["visibility"])
    }


@dataclass(frozen=True)
class ConcernView:
    """What a viewer may be shown of one concern. Fields above their level are None.

    HTML views, the API, the triage case view, exports and risk explanations all render
    concerns through `present`, so no template or serializer decides access by itself.
    """

    id: int
    visibility: Visibility
    agency_id: int
    agency_name: str
    person_id: int
    contact: str | None = None  # EXISTENCE: whom to ask
    category: str | None = None  # SUMMARY and above
    category_label: str | None = None
    level: int | None = None
    occurred_at: datetime | None = None
    status: str | None = None
    text: str | None = None  # FULL only
    markers: dict[str, bool] | None = None
    family_knows: str | None = None
    consent_status: str | None = None
    author_id: int | None = None

    @property
    def is_full(self) -> bool:
        return self.visibility >= Visibility.FULL

    @property
    def is_summary(self) -> bool:
        return self.visibility >= Visibility.SUMMARY


def designated_lead_contact(agency) -> str:
    from agencies.models import User

    lead = (
        User.objects.people()
        .filter(agency=agency, role=User.Role.DESIGNATED_LEAD, is_active=True)
        .order_by("pk")
        .first()
    )
    if lead is None:
        return f"the safeguarding lead at {agency.name}"
    name = lead.get_full_name() or lead.username
    return f"{name}, designated lead at {agency.name}"


def present(concern: Concern) -> ConcernView:
    """CONCERN (fetched through `visible_to`, so annotated) reduced to its viewer's level."""
    level = Visibility(getattr(concern, "visibility", Visibility.NONE))
    if level == Visibility.NONE:
        raise ValueError("present() needs a concern fetched through visible_to(user)")
    base = {
        "id": concern.pk,
        "visibility": level,
        "agency_id": concern.agency_id,
        "agency_name": concern.agency.name,
        "person_id": concern.subject.person_id,
    }
    if level == Visibility.EXISTENCE:
        return ConcernView(**base, contact=designated_lead_contact(concern.agency))
    summary = {
        "category": concern.category,
        "category_label": concern.get_category_display(),
        "level": concern.level,
        "occurred_at": concern.occurred_at,
        "status": concern.status,
    }
    if level == Visibility.SUMMARY:
        return ConcernView(**base, **summary)
    return ConcernView(
        **base,
        **summary,
        text=concern.text,
        markers={
            "health": concern.marker_health,
            "do_not_disclose_family": concern.marker_do_not_disclose_family,
            "police_investigation": concern.marker_police_investigation,
            "sealed": concern.marker_sealed,
        },
        family_knows=concern.family_knows,
        consent_status=concern.consent_status,
        author_id=concern.author_id,
    )
