"""Labels for the codes a `ConcernView` carries (it holds values, not model instances)."""

from __future__ import annotations

from django import template

from concerns.taxonomy import ConsentStatus, FamilyKnows, Level
from consent.policy import ConcernView

register = template.Library()


@register.filter
def family_knows_label(value: str | None) -> str:
    return str(dict(FamilyKnows.choices).get(value, "")) if value else ""


@register.filter
def consent_label(value: str | None) -> str:
    return str(dict(ConsentStatus.choices).get(value, "")) if value else ""


@register.filter
def marker_on(view: ConcernView, form_field_name: str) -> bool:
    """Whether the marker named as on the form (`marker_health`) is set on VIEW."""
    if not view.markers:
        return False
    return bool(view.markers.get(form_field_name.removeprefix("marker_")))


@register.filter
def any_true(mapping: dict | None) -> bool:
    return bool(mapping) and any(mapping.values())


@register.filter
def level_label(value: int | None) -> str:
    return str(dict(Level.choices).get(value, "")) if value else ""
