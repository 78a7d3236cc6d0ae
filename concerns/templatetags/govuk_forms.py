"""Helpers for rendering Django forms with GOV.UK Design System markup.

The templates in `templates/govuk/` take a bound field; these filters give them the ids the
error summary links to and the options of radios and selects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template

register = template.Library()


def anchor_id(bound: forms.BoundField) -> str:
    """The id of the element the error summary links to for BOUND: its first input."""
    widget = bound.field.widget
    if isinstance(widget, forms.HiddenInput):
        return ""
    if isinstance(widget, forms.MultiWidget):
        return f"{bound.auto_id}_day"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound.auto_id}_0"
    return bound.auto_id


register.filter("anchor_id", anchor_id)


@dataclass(frozen=True)
class ErrorLink:
    href: str
    message: str


@register.simple_tag
def error_summary_items(*forms_: Any) -> list[ErrorLink]:
    """Every error of the given forms in page order; field errors link to the field."""
    items: list[ErrorLink] = []
    for form in forms_:
        if not isinstance(form, forms.BaseForm) or not form.is_bound:
            continue
        items.extend(ErrorLink("", str(message)) for message in form.non_field_errors())
        for name in form.fields:
            for message in form.errors.get(name, []):
                anchor = anchor_id(form[name])
                items.append(ErrorLink(f"#{anchor}" if anchor else "", str(message)))
    return items


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    checked: bool
    id: str
    index: int


def _selected(bound: forms.BoundField) -> str:
    value = bound.value()
    return "" if value is None else str(value)


@register.filter
def options(bound: forms.BoundField) -> list[Option]:
    """Flat options (radios): value, label, checked, and the id Django would give it."""
    selected = _selected(bound)
    result = []
    for index, (value, label) in enumerate(
        (v, label)
        for v, label in bound.field.choices
        if v != ""  # type: ignore[attr-defined]
    ):
        result.append(
            Option(
                str(value), str(label), str(value) == selected, f"{bound.auto_id}_{index}", index
            )
        )
    return result


@dataclass(frozen=True)
class OptionGroup:
    label: str | None
    options: list[Option]


@register.filter
def option_groups(bound: forms.BoundField) -> list[OptionGroup]:
    """Options of a select, keeping optgroups."""
    selected = _selected(bound)
    groups: list[OptionGroup] = []
    index = 0
    for value, label in bound.field.choices:  # type: ignore[attr-defined]
        if isinstance(label, list | tuple):
            opts = []
            for v, lab in label:
                opts.append(Option(str(v), str(lab), str(v) == selected, "", index))
                index += 1
            groups.append(OptionGroup(str(value), opts))
        else:
            value = "" if value is None else value
            groups.append(
                OptionGroup(
                    None, [Option(str(value), str(label), str(value) == selected, "", index)]
                )
            )
            index += 1
    return groups


@register.filter
def date_parts(bound: forms.BoundField) -> dict[str, Any]:
    """The day, month and year boxes' names, ids and values."""
    widget = bound.field.widget
    value = bound.value()
    if not isinstance(value, list | tuple):
        value = widget.decompress(value)  # type: ignore[attr-defined]
    parts = {}
    for suffix, part in zip(("day", "month", "year"), value, strict=True):
        parts[suffix] = {
            "name": f"{bound.html_name}_{suffix}",
            "id": f"{bound.auto_id}_{suffix}",
            "value": "" if part is None else part,
        }
    return parts


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    """mapping[key], trying the key as given, as an int and as a string."""
    if mapping is None:
        return None
    for candidate in (key, _as_int(key), str(key)):
        if candidate in mapping:
            return mapping[candidate]
    return None


def _as_int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


@register.filter
def field_named(form: forms.Form, name: str) -> forms.BoundField:
    return form[name]
