"""Reads from the combined-risk app (`hub.risk`), defensively.

The risk app is built in parallel; until its `Assessment` model exists every function here
answers "nothing known" (None), and the case view shows "No assessment yet". Once it exists we
read, in order of preference:

* the assessment's attributes: `score`, `band`, `contributing_concern_ids` (or the concern ids in
  `explanation["concerns"]` / `explanation["contributions"]`), and `explanation["rules"]`.

Concerns named by an explanation are shown only through `Concern.objects.visible_to(viewer)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

logger = logging.getLogger(__name__)


def _assessment_model() -> Any | None:
    try:
        return apps.get_model("risk", "Assessment")
    except LookupError:
        return None


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _assessment(assessment_id: int | None, person_id: int | None = None) -> Any | None:
    model = _assessment_model()
    if model is None:
        return None
    try:
        if assessment_id is not None:
            found = model.objects.filter(pk=assessment_id).first()
            if found is not None:
                return found
        if person_id is not None:
            field_names = {f.name for f in model._meta.get_fields()}
            for name in ("person", "child"):
                if name in field_names:
                    return model.objects.filter(**{f"{name}_id": person_id}).order_by("-pk").first()
    except Exception:  # a schema we do not understand must not break the queue
        logger.exception("could not read risk assessment")
    return None


def _concern_entries(assessment: Any) -> list[dict[str, Any]]:
    explanation = _get(assessment, "explanation") or {}
    entries = _get(explanation, "concerns") or _get(explanation, "contributions") or []
    out = []
    for entry in entries if isinstance(entries, list) else []:
        cid = _get(entry, "concern_id") or _get(entry, "id")
        if cid is not None:
            out.append({"concern_id": int(cid), "weight": _get(entry, "weight")})
    return out


def contributing_concern_ids(assessment_id: int | None) -> list[int] | None:
    """The concern ids the assessment says contributed, or None when that is not known."""
    assessment = _assessment(assessment_id)
    if assessment is None:
        return None
    ids = _get(assessment, "contributing_concern_ids")
    if ids:
        return [int(i) for i in ids]
    entries = _concern_entries(assessment)
    return [e["concern_id"] for e in entries] if entries else None


@dataclass
class RiskSummary:
    score: Any = None
    band: str = ""
    rules: list[str] = field(default_factory=list)
    weights: dict[int, Any] = field(default_factory=dict)  # concern id -> weight
    assessed_at: Any = None


def risk_summary(*, assessment_id: int | None, person_id: int, viewer: Any) -> RiskSummary | None:
    assessment = _assessment(assessment_id, person_id)
    if assessment is None:
        return None
    summary = RiskSummary(
        score=_get(assessment, "score"),
        band=str(_get(assessment, "band") or ""),
        assessed_at=_get(assessment, "created_at") or _get(assessment, "computed_at"),
    )
    explanation = _get(assessment, "explanation") or {}
    for rule in _get(explanation, "rules") or []:
        if isinstance(rule, str):
            summary.rules.append(rule)
        else:
            text = _get(rule, "description") or _get(rule, "rule") or _get(rule, "name") or ""
            weight = _get(rule, "weight")
            summary.rules.append(f"{text} (+{weight})" if weight is not None else str(text))
    summary.weights = {e["concern_id"]: e["weight"] for e in _concern_entries(assessment)}
    return summary
