"""Reads of combined-risk explanations, for the child's risk page and the API alike.

Every concern named goes through `Concern.objects.visible_to(viewer)` and
`consent.policy.present`: a concern the viewer may not see is only counted, never described. A
child none of whose concerns the viewer can see is missing (Http404) unless the viewer is MASH
staff for the child's area, who also see the score, band, every rule and the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from agencies.models import User
from audit.models import Action
from audit.services import audit_record
from concerns.models import Concern, Person
from consent.policy import ConcernView, present
from hub.risk.models import Assessment, CurrentAssessment
from hub.risk.scoring import RULE_LABELS

VIA_LABELS = {
    "child": "About the child",
    "adult": "About an adult in the household",
    "sibling": "About another child in the household",
}


@dataclass
class ContributionRow:
    view: ConcernView
    weight: float
    via: str


@dataclass
class RuleRow:
    code: str
    label: str
    detail: str


@dataclass
class ChildRisk:
    child: Person
    assessment: Assessment | None
    is_mash: bool
    rows: list[ContributionRow] = field(default_factory=list)
    hidden: int = 0
    rules: list[RuleRow] = field(default_factory=list)
    history: Any = None
    shown_ids: list[int] = field(default_factory=list)


@dataclass
class Explanation:
    rows: list[ContributionRow] = field(default_factory=list)
    hidden: int = 0
    rules: list[RuleRow] = field(default_factory=list)
    shown_ids: list[int] = field(default_factory=list)


def explain(*, viewer: User, assessment: Assessment, is_mash: bool) -> Explanation:
    """ASSESSMENT's explanation reduced to what VIEWER may see: contributions through the
    visibility rule (the rest only counted), rules only where every concern they name is visible
    (all of them for the area's MASH). Reads only; callers audit."""
    explanation = assessment.explanation
    wanted = {c["id"] for c in explanation["concerns"]}
    for rule in explanation["rules"]:
        wanted.update(rule["ids"])
    views = {
        c.pk: present(c)
        for c in Concern.objects.visible_to(viewer)
        .filter(pk__in=wanted)
        .select_related("agency", "subject")
    }
    result = Explanation(shown_ids=sorted(views))
    for item in explanation["concerns"]:
        view = views.get(item["id"])
        if view is None:
            result.hidden += 1
            continue
        result.rows.append(ContributionRow(view, item["w"], VIA_LABELS[item["via"]]))
    for rule in explanation["rules"]:
        if is_mash or all(i in views for i in rule["ids"]):
            detail = (
                f"× {rule['multiplier']:g} ({rule['agencies']} agencies)"
                if rule["code"] == "jigsaw"
                else f"+ {rule['points']:.2f} points"
            )
            result.rules.append(
                RuleRow(rule["code"], RULE_LABELS.get(rule["code"], rule["code"]), detail)
            )
    return result


def is_area_mash(user: User, child: Person) -> bool:
    return bool(
        getattr(user, "is_mash_staff", False) and child.area_id and child.area_id in user.area_ids()
    )


def child_risk_for(*, viewer: User, child_id: int, via: str = "web") -> ChildRisk:
    """CHILD_ID's latest assessment as VIEWER may see it; the read is audited before returning."""
    child = Person.objects.filter(
        pk=child_id, kind=Person.Kind.CHILD, merged_into__isnull=True
    ).first()
    if child is None:
        raise Http404
    is_mash = is_area_mash(viewer, child)
    if (
        not is_mash
        and not Concern.objects.visible_to(viewer).filter(subject__person_id=child.pk).exists()
    ):
        raise Http404
    head = (
        CurrentAssessment.objects.filter(pk=child.pk)
        .select_related("assessment__parameter_set")
        .first()
    )
    result = ChildRisk(child=child, assessment=head.assessment if head else None, is_mash=is_mash)
    if result.assessment is not None:
        explained = explain(viewer=viewer, assessment=result.assessment, is_mash=is_mash)
        result.rows, result.hidden = explained.rows, explained.hidden
        result.rules, result.shown_ids = explained.rules, explained.shown_ids
        if is_mash:
            result.history = (
                Assessment.objects.filter(person=child)
                .select_related("parameter_set")
                .order_by("-version")[:20]
            )
    audit_record(
        actor=viewer,
        action=Action.VIEW_CASE,
        object_type="risk_assessment",
        object_id=result.assessment.pk if result.assessment else "",
        child_id=child.pk,
        details={"concern_ids": result.shown_ids, "score_shown": is_mash, "via": via},
    )
    return result
