"""The combined-risk score of one child, from facts: a pure function, no database.

Both the per-child recompute and the batch (nightly, point-in-time, tuning) paths fetch facts
with the same SQL (`hub.risk.facts`) and score them here, so they cannot disagree.

A fact is a tuple `(concern_id, via, agency_id, category, level, age_days)`:
`via` is VIA_CHILD (a concern about the child), VIA_ADULT (about an adult in the child's
household) or VIA_SIBLING (about another child in the household); `age_days` is how long
before the assessment time the concern happened.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

VIA_CHILD, VIA_ADULT, VIA_SIBLING = 0, 1, 2
VIA_NAMES = ("child", "adult", "sibling")

Fact = tuple[int, int, int, str, int, float]

RULE_LABELS = {
    "jigsaw": "Concerns held by several agencies (pieces of the jigsaw)",
    "was_not_brought_with_faltering_growth": (
        "Repeatedly not brought to health appointments, with faltering weight or growth"
    ),
    "repeated_missing": "Repeated missing-from-home episodes",
    "injury_after_domestic_abuse": "An injury within weeks of domestic abuse in the home",
    "escalating_frequency": "Concerns arriving more often than before",
}

INJURY_CATEGORIES = frozenset({"injury", "physical_abuse"})


@dataclass
class Result:
    score: float
    band: str
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def concern_ids(self) -> list[int]:
        return [c["id"] for c in self.explanation["concerns"]]

    @property
    def rule_codes(self) -> list[str]:
        return [r["code"] for r in self.explanation["rules"]]

    def fingerprint(self, parameter_version: int) -> str:
        """What, apart from small score drift, makes a result a new assessment."""
        key = [
            parameter_version,
            self.band,
            self.concern_ids,
            [[r["code"], r["ids"]] for r in self.explanation["rules"]],
        ]
        return hashlib.sha256(json.dumps(key, separators=(",", ":")).encode()).hexdigest()


class Scorer:
    """Scores children with one (validated) parameter set."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.window = float(params["window_days"])
        self.decay_rate = math.log(2) / float(params["half_life_days"])
        self.category_weights = params["category_weights"]
        self.level_multipliers = {int(k): v for k, v in params["level_multipliers"].items()}
        hh = params["household"]
        self.factor: tuple[dict[str, float], ...] = (
            {c: 1.0 for c in self.category_weights},
            {c: hh["adult_weights"].get(c, hh["adult_default"]) for c in self.category_weights},
            {c: hh["sibling_weights"].get(c, hh["sibling_default"]) for c in self.category_weights},
        )
        # (category, level) -> category weight x level multiplier x household factor, per via.
        # Floating-point products in this fixed order, so every path computes the same.
        self.weight_table: tuple[dict[tuple[str, int], float], ...] = tuple(
            {
                (c, lv): self.category_weights[c] * m * factors.get(c, 0.0)
                for c in self.category_weights
                for lv, m in self.level_multipliers.items()
            }
            for factors in self.factor
        )
        self.jigsaw_step = params["jigsaw"]["step"]
        self.jigsaw_max = params["jigsaw"]["max_multiplier"]
        self.patterns = params["patterns"]
        self.amber = params["bands"]["amber"]
        self.red = params["bands"]["red"]

    def decay(self, age_days: float) -> float:
        return math.exp(-self.decay_rate * max(age_days, 0.0))

    def band(self, score: float) -> str:
        if score >= self.red:
            return "red"
        if score >= self.amber:
            return "amber"
        return "green"

    def score(self, facts: Iterable[Fact]) -> Result:
        # One entry per concern: a concern about the child outranks the same concern reached
        # through the household (sorting puts the lowest `via` first).
        kept: list[Fact] = []
        seen: set[int] = set()
        window = self.window
        for fact in sorted(facts):
            if fact[0] in seen or fact[5] > window:
                continue
            seen.add(fact[0])
            kept.append(fact)

        contributions: list[dict[str, Any]] = []
        agencies: set[int] = set()
        base = 0.0
        table = self.weight_table
        rate = self.decay_rate
        exp = math.exp
        for cid, via, agency_id, category, level, age in kept:
            weight = round(table[via].get((category, level), 0.0) * exp(-rate * age), 4)
            if weight <= 0:
                continue
            contributions.append({"id": cid, "w": weight, "via": VIA_NAMES[via]})
            agencies.add(agency_id)
            base += weight

        rules: list[dict[str, Any]] = []
        n_agencies = len(agencies)
        multiplier = 1.0
        if n_agencies >= 2:
            multiplier = round(min(1.0 + self.jigsaw_step * (n_agencies - 1), self.jigsaw_max), 4)
            if multiplier > 1.0:
                rules.append(
                    {
                        "code": "jigsaw",
                        "agencies": n_agencies,
                        "multiplier": multiplier,
                        "ids": [c["id"] for c in contributions],
                    }
                )
        points = 0.0
        if len(kept) >= 2:
            for rule in self._patterns(kept):
                rules.append(rule)
                points += rule["points"]
        score = round(base * multiplier + points, 2)
        return Result(
            score=score,
            band=self.band(score),
            explanation={
                "concerns": contributions,
                "rules": rules,
                "base": round(base, 4),
                "agencies": n_agencies,
                "multiplier": multiplier,
            },
        )

    def _pattern(self, code: str, facts: list[Fact], points: float) -> dict[str, Any]:
        newest = min(f[5] for f in facts)
        return {
            "code": code,
            "points": round(points * self.decay(newest), 4),
            "ids": sorted({f[0] for f in facts}),
        }

    def _patterns(self, kept: list[Fact]) -> list[dict[str, Any]]:
        fired: list[dict[str, Any]] = []
        own = [f for f in kept if f[1] == VIA_CHILD]
        own_categories = {f[3] for f in own}

        rule = self.patterns["was_not_brought_with_faltering_growth"]
        if (
            "was_not_brought" in own_categories
            and "faltering_growth" in own_categories
            and rule["points"] > 0
        ):
            wnb = [f for f in own if f[3] == "was_not_brought"]
            faltering = [f for f in own if f[3] == "faltering_growth"]
        else:
            wnb, faltering = [], []
        if len(wnb) >= rule["min_was_not_brought"] and faltering:
            fired.append(
                self._pattern(
                    "was_not_brought_with_faltering_growth", wnb + faltering, rule["points"]
                )
            )

        rule = self.patterns["repeated_missing"]
        missing = (
            [f for f in own if f[3] == "missing_from_home" and f[5] <= rule["within_days"]]
            if "missing_from_home" in own_categories
            else []
        )
        if missing and len(missing) >= rule["min_episodes"] and rule["points"] > 0:
            fired.append(self._pattern("repeated_missing", missing, rule["points"]))

        rule = self.patterns["injury_after_domestic_abuse"]
        domestic = (
            [f for f in kept if f[3] == "domestic_abuse"]
            if own_categories & INJURY_CATEGORIES
            else []
        )
        if domestic and rule["points"] > 0:
            involved: list[Fact] = []
            for injury in own:
                if injury[3] not in INJURY_CATEGORIES or injury[4] < rule["injury_min_level"]:
                    continue
                # The domestic abuse happened before the injury (or the same day), by no more
                # than `within_days`.
                before = [d for d in domestic if 0 <= d[5] - injury[5] <= rule["within_days"]]
                if before:
                    involved.append(injury)
                    involved.extend(before)
            if involved:
                injuries = [f for f in involved if f[3] in INJURY_CATEGORIES and f[1] == VIA_CHILD]
                result = self._pattern("injury_after_domestic_abuse", involved, rule["points"])
                result["points"] = round(
                    rule["points"] * self.decay(min(f[5] for f in injuries)), 4
                )
                fired.append(result)

        rule = self.patterns["escalating_frequency"]
        recent_days = rule["recent_days"]
        if recent_days < self.window and rule["points"] > 0:
            recent = [f for f in kept if f[5] <= recent_days]
            earlier = len(kept) - len(recent)
            expected = earlier * recent_days / (self.window - recent_days)
            if len(recent) >= rule["min_recent"] and len(recent) >= rule["ratio"] * expected:
                fired.append(self._pattern("escalating_frequency", recent, rule["points"]))
        return fired
