"""Fellegi–Sunter match weights and their estimation by expectation maximisation (EM).

The parameters, as Splink names them:

* `m[level]` — the probability that a truly matching pair is at that level;
* `u[level]` — the same for a non-matching pair, estimated from random pairs (almost all of which
  are non-matches);
* `lambda` — the probability that two records picked at random are the same person.

A pair's match weight is log2(lambda / (1 - lambda)) plus, for each comparison that is not null,
log2(m / u); its match probability is 2**w / (1 + 2**w). For exact name agreement the u of the
particular value is used instead (term-frequency adjustment): agreeing on "smith" is weaker
evidence than agreeing on "ravenscroft".

EM runs on the counts of distinct comparison vectors, so it is fast in plain Python whatever
the number of pairs. As in Splink, m is estimated in several sessions, each over the pairs one
blocking rule produces, and a comparison is never estimated in a session that blocked on it.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.matching.comparisons import COMPARISONS, MatchRecord, compare, names_swapped
from hub.matching.names import KNOWN_FORENAMES

Vector = tuple[int | None, ...]

# Starting m values for EM (and the built-in parameters used before any training): most
# matches agree exactly, a few are at each fuzzy level, very few disagree outright.
_DEFAULT_M: dict[str, list[float]] = {
    "forename": [0.87, 0.01, 0.06, 0.03, 0.015, 0.005, 0.002, 0.008],
    "surname": [0.89, 0.01, 0.05, 0.02, 0.03],
    "dob": [0.90, 0.02, 0.04, 0.035, 0.005],
    "sex": [0.98, 0.02],
    "residence": [0.55, 0.15, 0.05, 0.02, 0.03, 0.04, 0.16],
    "school": [0.90, 0.10],
    "upn": [0.95, 0.03, 0.02],
}
_DEFAULT_U: dict[str, list[float]] = {
    "forename": [0.01, 0.0001, 0.004, 0.003, 0.03, 0.01, 0.001, 0.9519],
    "surname": [0.004, 0.0005, 0.002, 0.03, 0.9635],
    "dob": [0.0002, 0.00002, 0.0015, 0.05, 0.94828],
    "sex": [0.5, 0.5],
    "residence": [0.0001, 0.0003, 0.0005, 0.0003, 0.002, 0.01, 0.9868],
    "school": [0.05, 0.95],
    "upn": [0.00001, 0.0001, 0.99989],
}
_FLOOR = 1e-6
TF_CAP_BITS = 5.0
# A first name this many records carry is a name in its own right, not a keying error.
ESTABLISHED_MIN_RECORDS = 5
# ...and a name at least this share as common as an alike one is not a keying error of it.
KEYING_ERROR_SHARE = 0.1


@dataclass
class Parameters:
    """A trained (or the built-in) model: m, u, lambda and term frequencies."""

    m: dict[str, list[float]]
    u: dict[str, list[float]]
    lam: float
    # value -> share of records with that value, for the commonest values; rarer values use
    # `tf_floor` (the share of the rarest value kept).
    tf: dict[str, dict[str, float]] = field(default_factory=dict)
    tf_floor: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "m": self.m,
            "u": self.u,
            "lambda": self.lam,
            "tf": self.tf,
            "tf_floor": self.tf_floor,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Parameters:
        """A stored model. A comparison whose levels have changed since the model was trained
        (its stored m or u has another length) takes the built-in m and u until the model is
        retrained: a level index from an older model would mean something else now."""
        m: dict[str, list[float]] = {}
        u: dict[str, list[float]] = {}
        for c in COMPARISONS:
            stored_m = list(data["m"].get(c.name, ()))
            stored_u = list(data["u"].get(c.name, ()))
            if len(stored_m) == len(stored_u) == len(c.levels):
                m[c.name], u[c.name] = stored_m, stored_u
            else:
                m[c.name], u[c.name] = list(_DEFAULT_M[c.name]), list(_DEFAULT_U[c.name])
        return cls(
            m=m,
            u=u,
            lam=float(data["lambda"]),
            tf={k: dict(v) for k, v in data.get("tf", {}).items()},
            tf_floor={k: float(v) for k, v in data.get("tf_floor", {}).items()},
        )

    @classmethod
    def default(cls) -> Parameters:
        return cls(
            m={k: list(v) for k, v in _DEFAULT_M.items()},
            u={k: list(v) for k, v in _DEFAULT_U.items()},
            lam=1e-4,
        )

    def weights(self) -> dict[str, list[float]]:
        """log2(m/u) for every level of every comparison."""
        return {
            c.name: [
                math.log2(max(m, _FLOOR) / max(u, _FLOOR))
                for m, u in zip(self.m[c.name], self.u[c.name], strict=True)
            ]
            for c in COMPARISONS
        }


@dataclass(frozen=True)
class Evidence:
    comparison: str
    label: str
    level: int | None
    level_label: str
    weight: float  # bits: positive is evidence for, negative against


class Scorer:
    """Scores pairs with one set of parameters (weights precomputed once)."""

    def __init__(self, params: Parameters) -> None:
        self.params = params
        self._w = params.weights()
        self._wlist = [self._w[c.name] for c in COMPARISONS]
        lam = min(max(params.lam, 1e-12), 1 - 1e-12)
        self.prior = math.log2(lam / (1 - lam))
        self._tf_index = {
            i: c.name for i, c in enumerate(COMPARISONS) if c.tf_levels and c.name in params.tf
        }
        self.distinct_forenames = DistinctForenames(params)

    def _tf_adjust(self, index: int, level: int, a: MatchRecord, b: MatchRecord) -> float:
        name = self._tf_index[index]
        comp = COMPARISONS[index]
        if level not in comp.tf_levels:
            return 0.0
        value = getattr(a, name)
        freq = self.params.tf[name].get(value, self.params.tf_floor.get(name, 0.0))
        u_level = self.params.u[name][level]
        if freq <= 0 or u_level <= 0:
            return 0.0
        # Splink's adjustment: replace the level's average u by this value's frequency,
        # bounded so that one rare value can never carry a link on its own.
        return max(-TF_CAP_BITS, min(TF_CAP_BITS, math.log2(u_level / freq)))

    def weight_without_tf(self, vector: Vector) -> float:
        total = self.prior
        for i, level in enumerate(vector):
            if level is not None:
                total += self._wlist[i][level]
        return total

    def tf_of(self, vector: Vector, a: MatchRecord, b: MatchRecord) -> float:
        total = 0.0
        for i in self._tf_index:
            level = vector[i]
            if level is not None:
                total += self._tf_adjust(i, level, a, b)
        return total

    def weight_of(self, vector: Vector, a: MatchRecord, b: MatchRecord) -> float:
        total = self.prior
        for i, level in enumerate(vector):
            if level is None:
                continue
            total += self._wlist[i][level]
            if i in self._tf_index:
                total += self._tf_adjust(i, level, a, b)
        return total

    def score(self, a: MatchRecord, b: MatchRecord) -> tuple[float, Vector]:
        vector = compare(a, b)
        return self.weight_of(vector, a, b), vector

    def evidence(self, a: MatchRecord, b: MatchRecord) -> list[Evidence]:
        vector = compare(a, b)
        out = []
        for i, (c, level) in enumerate(zip(COMPARISONS, vector, strict=True)):
            if level is None:
                why = "Not recorded on both"
                if c.name == "surname" and a.surname and b.surname and names_swapped(a, b):
                    why = "Swapped with the first name (weighed there)"
                out.append(Evidence(c.name, c.label, None, why, 0.0))
                continue
            w = self._wlist[i][level]
            if i in self._tf_index:
                w += self._tf_adjust(i, level, a, b)
            out.append(Evidence(c.name, c.label, level, c.levels[level], round(w, 2)))
        return out


class DistinctForenames:
    """Whether two alike first names are two names (Jack and Jake) rather than one mistyped.

    Each must be a name in its own right: in the hand-kept table, or carried by at least
    `ESTABLISHED_MIN_RECORDS` records of the training data. And unless both are in the table,
    the rarer must be at least `KEYING_ERROR_SHARE` as common as the other: a keying error of a
    common name recurs ("Calum" for "Callum"), but far more rarely than the name itself.
    """

    def __init__(self, params: Parameters) -> None:
        shares: dict[str, float] = {}
        for value, share in params.tf.get("forename", {}).items():
            first = value.split(" ", 1)[0]
            shares[first] = shares.get(first, 0.0) + share
        floor = params.tf_floor.get("forename", 0.0)
        self._shares = shares
        self._least = ESTABLISHED_MIN_RECORDS * floor * (1 - 1e-9) if floor > 0 else math.inf

    def established(self, name: str) -> bool:
        return name in KNOWN_FORENAMES or self._shares.get(name, 0.0) >= self._least

    def __call__(self, x: str, y: str) -> bool:
        if not (self.established(x) and self.established(y)):
            return False
        if x in KNOWN_FORENAMES and y in KNOWN_FORENAMES:
            return True
        lo, hi = sorted((self._shares.get(x, 0.0), self._shares.get(y, 0.0)))
        return lo >= KEYING_ERROR_SHARE * hi


def probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    bf = 2.0**weight
    return bf / (1 + bf)


def weight_for_probability(p: float) -> float:
    p = min(max(p, 1e-15), 1 - 1e-15)
    return math.log2(p / (1 - p))


# --- estimation -------------------------------------------------------------------------------


def sample_random_pairs(
    records: Sequence[MatchRecord], *, max_pairs: int, rng: random.Random
) -> Counter[Vector]:
    """The comparison vectors of up to MAX_PAIRS random pairs, counted."""
    n = len(records)
    patterns: Counter[Vector] = Counter()
    if n < 2:
        return patterns
    pairs = min(max_pairs, n * (n - 1) // 2)
    for _ in range(pairs):
        i, j = rng.randrange(n), rng.randrange(n)
        if i == j:
            continue
        patterns[compare(records[i], records[j])] += 1
    return patterns


def u_from_random_pairs(
    patterns: Counter[Vector],
    *,
    m: dict[str, list[float]] | None = None,
    u: dict[str, list[float]] | None = None,
    lam: float = 0.0,
) -> dict[str, list[float]]:
    """u from the vectors of random pairs.

    Nearly all random pairs are different people, but not all: in a set where each person has
    a few records, a sample of 150,000 random pairs holds a dozen true matches, and they are
    most of the pairs agreeing exactly on a date of birth or an identifier. Counted as
    non-matches they inflate u for exactly those levels, and so understate the strongest
    evidence there is. With M, U and LAM (a model trained once already), each random pair
    counts towards u by its probability of being a non-match (a random pair's prior is LAM);
    without them, every pair counts fully.
    """
    names = [c.name for c in COMPARISONS]
    counts = {c.name: [0.0] * len(c.levels) for c in COMPARISONS}
    use_model = m is not None and u is not None and lam > 0
    for vector, count in patterns.items():
        weight = float(count)
        if use_model:
            pm, pu = lam, 1 - lam
            for name, level in zip(names, vector, strict=True):
                if level is None:
                    continue
                pm *= max(m[name][level], _FLOOR)
                pu *= max(u[name][level], _FLOOR)
            weight *= pu / (pm + pu)
        for name, level in zip(names, vector, strict=True):
            if level is not None:
                counts[name][level] += weight
    out = {}
    for c in COMPARISONS:
        row = counts[c.name]
        total = sum(row)
        if total < 50:
            out[c.name] = list(_DEFAULT_U[c.name])
            continue
        # A pseudo-count keeps levels never seen among random pairs (exact UPN) above zero.
        smoothed = [(x + 0.5) for x in row]
        s = sum(smoothed)
        out[c.name] = [x / s for x in smoothed]
    return out


def estimate_u(
    records: Sequence[MatchRecord], *, max_pairs: int, rng: random.Random
) -> dict[str, list[float]]:
    """u from random pairs: nearly all of them are different people."""
    if len(records) < 2:
        return {k: list(v) for k, v in _DEFAULT_U.items()}
    return u_from_random_pairs(sample_random_pairs(records, max_pairs=max_pairs, rng=rng))


@dataclass
class EMResult:
    m: dict[str, list[float]]
    lam: float
    iterations: int
    converged: bool
    pairs: int
    # Expected number of matching pairs with the comparison not null: below a few dozen the
    # estimate of m is noise and the default is kept.
    support: dict[str, float] = field(default_factory=dict)


def expectation_maximisation(
    patterns: Counter[Vector],
    *,
    u: dict[str, list[float]],
    m_start: dict[str, list[float]],
    lam_start: float = 0.1,
    fixed: Iterable[str] = (),
    ignore: Iterable[str] = (),
    max_iterations: int = 200,
    tolerance: float = 1e-7,
) -> EMResult:
    """Estimate m (for comparisons not in FIXED) and lambda over the pairs in PATTERNS; u fixed.

    Comparisons in IGNORE (those a session blocked on: every pair agrees on them) take no part
    at all, as in Splink; otherwise their agreement would pull every pair towards "match".
    """
    ignore = set(ignore)
    fixed = set(fixed) | ignore
    names = [c.name for c in COMPARISONS]
    active = [name not in ignore for name in names]
    m = {k: list(v) for k, v in m_start.items()}
    lam = lam_start
    items = list(patterns.items())
    total = sum(patterns.values())
    converged = False
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007
        m_num = {k: [0.0] * len(m[k]) for k in names}
        m_den = dict.fromkeys(names, 0.0)
        matched = 0.0
        for vector, count in items:
            pm, pu = lam, 1 - lam
            for name, level, on in zip(names, vector, active, strict=True):
                if level is None or not on:
                    continue
                pm *= max(m[name][level], _FLOOR)
                pu *= max(u[name][level], _FLOOR)
            post = pm / (pm + pu) if pm + pu > 0 else 0.0
            weight = count * post
            matched += weight
            for name, level, on in zip(names, vector, active, strict=True):
                if level is None or not on:
                    continue
                m_num[name][level] += weight
                m_den[name] += weight
        new_lam = matched / total if total else lam
        delta = abs(new_lam - lam)
        for name in names:
            if name in fixed or m_den[name] <= 0:
                continue
            new = [(x + 1e-3) / (m_den[name] + 1e-3 * len(m_num[name])) for x in m_num[name]]
            delta = max(delta, *(abs(a - b) for a, b in zip(new, m[name], strict=True)))
            m[name] = new
        lam = new_lam
        if delta < tolerance:
            converged = True
            break
    return EMResult(
        m=m,
        lam=lam,
        iterations=iteration,
        converged=converged,
        pairs=total,
        support={name: m_den[name] for name in names},
    )


def term_frequencies(
    records: Sequence[MatchRecord], *, keep: int = 5000
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    tf: dict[str, dict[str, float]] = {}
    floor: dict[str, float] = {}
    for c in COMPARISONS:
        if not c.tf_levels:
            continue
        values = Counter(getattr(r, c.name) for r in records if getattr(r, c.name))
        n = sum(values.values())
        if not n:
            continue
        common = values.most_common(keep)
        tf[c.name] = {v: k / n for v, k in common}
        floor[c.name] = (min(k for _, k in common) if len(values) > keep else 1) / n
    return tf, floor
