"""The combined-risk parameters: every weight, window and threshold is data.

A parameter set is JSON, validated here, stored as an immutable, numbered `ParameterSet`
version. `DEFAULT_PARAMETERS` is version 1; docs/risk.md gives the reasoning for each value.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError

from concerns.taxonomy import Category

CATEGORIES = tuple(Category.values)
LEVELS = ("1", "2", "3", "4")

DEFAULT_PARAMETERS: dict[str, Any] = {
    # Concerns older than this (by when they happened) do not count at all.
    "window_days": 365,
    # A concern's weight halves every this many days.
    "half_life_days": 180,
    # Weight of one concern about the child = category weight x level multiplier x decay.
    "category_weights": {
        "physical_abuse": 1.5,
        "emotional_abuse": 1.0,
        "sexual_abuse": 2.0,
        "neglect": 1.0,
        "domestic_abuse": 1.2,
        "parental_substance_misuse": 1.0,
        "parental_mental_health": 0.8,
        "child_sexual_exploitation": 2.0,
        "child_criminal_exploitation": 1.5,
        "missing_from_home": 1.0,
        "missing_from_education": 0.8,
        "radicalisation": 1.2,
        "self_harm": 1.2,
        "was_not_brought": 0.8,
        "faltering_growth": 1.0,
        "injury": 1.0,
        "other": 0.5,
    },
    "level_multipliers": {"1": 1.0, "2": 2.0, "3": 4.0, "4": 12.0},
    # Concerns about other people in the child's household count at a fraction of their
    # weight, by category; categories not listed use the default.
    "household": {
        "adult_weights": {
            "domestic_abuse": 1.0,
            "parental_substance_misuse": 0.8,
            "parental_mental_health": 0.6,
        },
        "adult_default": 0.2,
        "sibling_weights": {
            "injury": 0.6,
            "physical_abuse": 0.6,
            "sexual_abuse": 0.6,
            "neglect": 0.5,
        },
        "sibling_default": 0.25,
    },
    # Pieces of the jigsaw: the total is multiplied by 1 + step x (distinct agencies - 1),
    # never more than max_multiplier.
    "jigsaw": {"step": 0.5, "max_multiplier": 2.5},
    # Patterns add points (decayed by the age of their newest concern).
    "patterns": {
        "was_not_brought_with_faltering_growth": {"min_was_not_brought": 2, "points": 6.0},
        "repeated_missing": {"min_episodes": 3, "within_days": 90, "points": 6.0},
        "injury_after_domestic_abuse": {"within_days": 42, "injury_min_level": 2, "points": 8.0},
        "escalating_frequency": {
            "recent_days": 90,
            "min_recent": 3,
            "ratio": 2.0,
            "points": 3.0,
        },
    },
    "bands": {"amber": 8.0, "red": 16.0},
    # A recompute whose result differs from the current assessment by less than this many
    # points (same band, same concerns, same rules, same parameters) records no new version.
    "min_score_change": 0.5,
}


def default_parameters() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_PARAMETERS)


def _number(
    errors: list[str],
    path: str,
    value: Any,
    *,
    minimum: float = 0.0,
    maximum: float | None = None,
    integer: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(f"{path} must be a number")
        return 0.0
    if integer and int(value) != value:
        errors.append(f"{path} must be a whole number")
    if value < minimum:
        errors.append(f"{path} must be at least {minimum:g}")
    if maximum is not None and value > maximum:
        errors.append(f"{path} must be at most {maximum:g}")
    return int(value) if integer else float(value)


def _mapping(errors: list[str], path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        errors.append(f"{path} must be an object")
        return {}
    return value


def _keys(errors: list[str], path: str, data: dict[str, Any], expected: set[str]) -> None:
    missing = expected - set(data)
    unknown = set(data) - expected
    if missing:
        errors.append(f"{path} is missing {', '.join(sorted(missing))}")
    if unknown:
        errors.append(f"{path} has unknown keys {', '.join(sorted(unknown))}")


def validate_parameters(data: Any) -> dict[str, Any]:
    """Return DATA as a clean parameter set, or raise ValidationError listing every problem."""
    errors: list[str] = []
    root = _mapping(errors, "parameters", data)
    if errors:
        raise ValidationError(errors)
    _keys(errors, "parameters", root, set(DEFAULT_PARAMETERS))
    out: dict[str, Any] = {}
    out["window_days"] = _number(
        errors, "window_days", root.get("window_days"), minimum=7, maximum=3650, integer=True
    )
    out["half_life_days"] = _number(
        errors, "half_life_days", root.get("half_life_days"), minimum=1, maximum=3650
    )
    weights = _mapping(errors, "category_weights", root.get("category_weights"))
    _keys(errors, "category_weights", weights, set(CATEGORIES))
    out["category_weights"] = {
        c: _number(errors, f"category_weights.{c}", weights.get(c), maximum=100)
        for c in CATEGORIES
        if c in weights
    }
    levels = _mapping(errors, "level_multipliers", root.get("level_multipliers"))
    _keys(errors, "level_multipliers", levels, set(LEVELS))
    out["level_multipliers"] = {
        lv: _number(errors, f"level_multipliers.{lv}", levels.get(lv), maximum=100)
        for lv in LEVELS
        if lv in levels
    }
    household = _mapping(errors, "household", root.get("household"))
    _keys(
        errors,
        "household",
        household,
        {"adult_weights", "adult_default", "sibling_weights", "sibling_default"},
    )
    hh_out: dict[str, Any] = {}
    for who in ("adult", "sibling"):
        table = _mapping(errors, f"household.{who}_weights", household.get(f"{who}_weights", {}))
        unknown = set(table) - set(CATEGORIES)
        if unknown:
            errors.append(f"household.{who}_weights has unknown categories {sorted(unknown)}")
        hh_out[f"{who}_weights"] = {
            c: _number(errors, f"household.{who}_weights.{c}", v, maximum=10)
            for c, v in table.items()
            if c in CATEGORIES
        }
        hh_out[f"{who}_default"] = _number(
            errors, f"household.{who}_default", household.get(f"{who}_default"), maximum=10
        )
    out["household"] = hh_out
    jigsaw = _mapping(errors, "jigsaw", root.get("jigsaw"))
    _keys(errors, "jigsaw", jigsaw, {"step", "max_multiplier"})
    out["jigsaw"] = {
        "step": _number(errors, "jigsaw.step", jigsaw.get("step"), maximum=10),
        "max_multiplier": _number(
            errors, "jigsaw.max_multiplier", jigsaw.get("max_multiplier"), minimum=1, maximum=20
        ),
    }
    patterns = _mapping(errors, "patterns", root.get("patterns"))
    _keys(errors, "patterns", patterns, set(DEFAULT_PARAMETERS["patterns"]))
    p_out: dict[str, Any] = {}
    for name, default in DEFAULT_PARAMETERS["patterns"].items():
        rule = _mapping(errors, f"patterns.{name}", patterns.get(name, {}))
        _keys(errors, f"patterns.{name}", rule, set(default))
        p_out[name] = {}
        for key, default_value in default.items():
            if key not in rule:
                continue
            whole = isinstance(default_value, int) and not isinstance(default_value, bool)
            p_out[name][key] = _number(
                errors,
                f"patterns.{name}.{key}",
                rule[key],
                minimum=1 if key in {"within_days", "recent_days", "min_recent"} else 0,
                maximum=1000,
                integer=whole,
            )
    out["patterns"] = p_out
    bands = _mapping(errors, "bands", root.get("bands"))
    _keys(errors, "bands", bands, {"amber", "red"})
    amber = _number(errors, "bands.amber", bands.get("amber"), minimum=0.01, maximum=10_000)
    red = _number(errors, "bands.red", bands.get("red"), minimum=0.01, maximum=10_000)
    if amber >= red:
        errors.append("bands.red must be higher than bands.amber")
    out["bands"] = {"amber": amber, "red": red}
    out["min_score_change"] = _number(
        errors, "min_score_change", root.get("min_score_change"), maximum=100
    )
    if errors:
        raise ValidationError(errors)
    return out
