"""What the case view shows of the combined-risk assessment: the risk app's own explanation
reader (`hub.risk.selectors.explain`), so the case view, the child's risk page and the API say
the same thing and apply the same visibility rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.risk.models import Assessment, CurrentAssessment
from hub.risk.selectors import ContributionRow, explain, is_area_mash


@dataclass
class RiskSummary:
    score: float | None = None
    band: str = ""
    rules: list[str] = field(default_factory=list)
    rows: list[ContributionRow] = field(default_factory=list)  # contributions the viewer sees
    hidden: int = 0  # contributions the viewer may not see: counted, never described
    assessed_at: Any = None


def _assessment(assessment_id: int | None, person_id: int | None) -> Assessment | None:
    if assessment_id is not None:
        found = Assessment.objects.filter(pk=assessment_id).select_related("person").first()
        if found is not None:
            return found
    if person_id is None:
        return None
    head = CurrentAssessment.objects.filter(pk=person_id).select_related("assessment__person")
    head = head.first()
    return head.assessment if head else None


def contributing_concern_ids(assessment_id: int | None) -> list[int] | None:
    """The concern ids the assessment counted, or None when there is no such assessment."""
    assessment = _assessment(assessment_id, None)
    return assessment.concern_ids if assessment is not None else None


def risk_summary(*, assessment_id: int | None, person_id: int, viewer: Any) -> RiskSummary | None:
    """The assessment that raised the item (else the child's current one), as VIEWER may see it."""
    assessment = _assessment(assessment_id, person_id)
    if assessment is None:
        return None
    explained = explain(
        viewer=viewer, assessment=assessment, is_mash=is_area_mash(viewer, assessment.person)
    )
    return RiskSummary(
        score=round(assessment.score, 1),
        band=assessment.band,
        rules=[f"{rule.label}: {rule.detail}" for rule in explained.rules],
        rows=explained.rows,
        hidden=explained.hidden,
        assessed_at=assessment.computed_at,
    )
