"""The hub's matcher: one module in front of comparison, scoring, training and clustering.

Everything else in the hub (resolution of a new agency record, the review queue, the training
command, the benchmark) calls this module; nothing imports the scoring internals directly, so
the method behind it can change without touching callers.

Decision rule for a pair (and for a new record against its best candidate person):

1. equal valid NHS numbers → the same person (deterministic);
2. two valid, different NHS numbers → never the same person;
3. otherwise the Fellegi–Sunter match probability, against two thresholds: at or above
   `auto_link` → link; at or above `review` → a person from the MASH decides; below → new.
   A pair where either record is weak evidence (no date of birth, initials only, an NHS number
   failing its check digit, a date of birth in the future) is never linked automatically: at
   best it goes to review, with the reason shown.
"""

from __future__ import annotations

import random
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hub.matching.blocking import EM_SESSIONS, RULES, rule_bit, stream_pairs
from hub.matching.comparisons import (
    COMPARISON_NAMES,
    REASON_FORENAMES_DIFFER,
    REASON_LABELS,
    MatchRecord,
    cautions,
    compare,
    nhs_agrees,
    nhs_conflict,
    prepare,
)
from hub.matching.fs import (
    _DEFAULT_M,
    TF_CAP_BITS,
    Evidence,
    Parameters,
    Scorer,
    expectation_maximisation,
    probability,
    sample_random_pairs,
    term_frequencies,
    u_from_random_pairs,
    weight_for_probability,
)

__all__ = [
    "REASON_LABELS",
    "Decision",
    "Evidence",
    "MatchRecord",
    "Parameters",
    "Scorer",
    "Thresholds",
    "decide",
    "dedupe",
    "prepare",
    "probability",
    "train",
]

DETERMINISTIC_WEIGHT = 99.0  # shown for an NHS-number link
M_FLOOR = 1e-3
MIN_SUPPORT = 30.0  # expected matching pairs needed before an EM estimate of m is used


class Decision(StrEnum):
    LINK = "link"
    REVIEW = "review"
    NEW = "new"


@dataclass(frozen=True)
class Thresholds:
    auto_link: float = 0.999  # match probability at or above which a record links by itself
    review: float = 0.5  # at or above this (and below auto_link) a person decides
    # First names that disagree outright (twins, siblings) always go to a person.
    cautious_forenames: bool = True

    @property
    def auto_link_weight(self) -> float:
        return weight_for_probability(self.auto_link)

    @property
    def review_weight(self) -> float:
        return weight_for_probability(self.review)


def pair_weight(scorer: Scorer, a: MatchRecord, b: MatchRecord) -> float | None:
    """The pair's match weight; None when the NHS rule forbids the link; high when it demands."""
    return pair_score(scorer, a, b)[0]


def pair_score(
    scorer: Scorer, a: MatchRecord, b: MatchRecord, thresholds: Thresholds | None = None
) -> tuple[float | None, tuple[str, ...]]:
    """The pair's match weight (as `pair_weight`) and every reason a person must decide it."""
    if nhs_conflict(a, b):
        return None, ()
    if nhs_agrees(a, b):
        return DETERMINISTIC_WEIGHT, ()
    weight, vector = scorer.score(a, b)
    extra = cautions(vector, a, b, scorer.distinct_forenames)
    if thresholds is not None and not thresholds.cautious_forenames:
        extra = tuple(r for r in extra if r != REASON_FORENAMES_DIFFER)
    return weight, tuple(dict.fromkeys((*a.reasons, *b.reasons, *extra)))


def decide(
    weight: float | None,
    thresholds: Thresholds,
    reasons: Sequence[str] = (),
    *,
    identifier_agrees: bool = False,
) -> Decision:
    """Route one scored pair: link, review or new.

    With REASONS (weak evidence on either side) a pair links automatically only when an
    identifier (NHS number, unique pupil number) independently agrees as well; otherwise a
    person decides.
    """
    if weight is None:
        return Decision.NEW
    if weight >= DETERMINISTIC_WEIGHT:
        return Decision.LINK
    if weight >= thresholds.auto_link_weight:
        return Decision.REVIEW if reasons and not identifier_agrees else Decision.LINK
    if weight >= thresholds.review_weight:
        return Decision.REVIEW
    return Decision.NEW


# --- candidate pairs, compared once ---------------------------------------------------------


@dataclass
class Candidates:
    """Every blocked pair of a set, compared once: training and linking both read it."""

    left: array
    right: array
    pattern: array  # index into `patterns`
    mask: array  # which blocking rules produced the pair
    patterns: list[tuple[int | None, ...]]

    def __len__(self) -> int:
        return len(self.left)


def compare_candidates(records: Sequence[MatchRecord], *, link_only: bool = False) -> Candidates:
    index: dict[tuple[int | None, ...], int] = {}
    out = Candidates(array("I"), array("I"), array("I"), array("I"), [])
    for i, j, mask in stream_pairs(records, link_only=link_only):
        vector = compare(records[i], records[j])
        k = index.get(vector)
        if k is None:
            k = index[vector] = len(out.patterns)
            out.patterns.append(vector)
        out.left.append(i)
        out.right.append(j)
        out.pattern.append(k)
        out.mask.append(mask)
    return out


# --- training ---------------------------------------------------------------------------------


@dataclass
class TrainingSummary:
    records: int
    u_pairs: int
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    candidate_pairs: int = 0
    expected_matches: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "u_pairs": self.u_pairs,
            "sessions": self.sessions,
            "candidate_pairs": self.candidate_pairs,
            "expected_matches": round(self.expected_matches, 1),
        }


def train(
    records: Sequence[MatchRecord],
    *,
    u_pairs: int = 150_000,
    seed: int = 1,
    link_only: bool = False,
    candidates: Candidates | None = None,
) -> tuple[Parameters, TrainingSummary]:
    """Estimate m, u and lambda from unlabelled RECORDS (no ground truth is used).

    u from random pairs; m by EM in one session per rule in `EM_SESSIONS`, each leaving the
    comparisons it blocked on alone, averaged; lambda by EM over all candidate pairs with m and
    u fixed, scaled from the candidate pairs to all pairs. Then once more, with u re-estimated
    from the same random pairs each counted by its probability of being a non-match under the
    first model (the few true matches among random pairs otherwise inflate u for exact
    agreement on a date of birth or an identifier, and understate that evidence).
    """
    rng = random.Random(seed)
    random_pairs = sample_random_pairs(records, max_pairs=u_pairs, rng=rng)
    u = u_from_random_pairs(random_pairs)
    tf, tf_floor = term_frequencies(records)
    # The distinct (vector, rule mask) patterns of the candidate pairs, and their counts.
    if candidates is None:
        candidates = compare_candidates(records, link_only=link_only)
    patterns: Counter[tuple[tuple[int | None, ...], int]] = Counter()
    for k, mask in zip(candidates.pattern, candidates.mask, strict=True):
        patterns[(candidates.patterns[k], mask)] += 1
    n = len(records)
    if link_only:
        sources = Counter(r.source for r in records)
        total_pairs = (n * n - sum(c * c for c in sources.values())) / 2
    else:
        total_pairs = n * (n - 1) / 2
    m, lam, summary = _fit(patterns, u, len(records), u_pairs, total_pairs)
    if random_pairs:
        u = u_from_random_pairs(random_pairs, m=m, u=u, lam=lam)
        m, lam, summary = _fit(patterns, u, len(records), u_pairs, total_pairs)
    return Parameters(m=m, u=u, lam=lam, tf=tf, tf_floor=tf_floor), summary


def _fit(
    patterns: Counter[tuple[tuple[int | None, ...], int]],
    u: dict[str, list[float]],
    n_records: int,
    u_pairs: int,
    total_pairs: float,
) -> tuple[dict[str, list[float]], float, TrainingSummary]:
    """m (EM per session, averaged) and lambda for fixed U."""
    summary = TrainingSummary(records=n_records, u_pairs=u_pairs)
    summary.candidate_pairs = sum(patterns.values())
    estimates: dict[str, list[list[float]]] = {name: [] for name in COMPARISON_NAMES}
    for rule in EM_SESSIONS:
        bit = rule_bit(rule)
        session: Counter[tuple[int | None, ...]] = Counter()
        for (vector, mask), count in patterns.items():
            if mask & bit:
                session[vector] += count
        if sum(session.values()) < 20:
            continue
        blocked = RULES[rule][1]
        result = expectation_maximisation(session, u=u, m_start=_DEFAULT_M, ignore=blocked)
        summary.sessions[rule] = {
            "pairs": result.pairs,
            "iterations": result.iterations,
            "converged": result.converged,
            "lambda_in_block": round(result.lam, 6),
            "estimated": [
                n
                for n in COMPARISON_NAMES
                if n not in blocked and result.support.get(n, 0) >= MIN_SUPPORT
            ],
        }
        for name in COMPARISON_NAMES:
            if name in blocked or result.support.get(name, 0) < MIN_SUPPORT:
                continue
            m_row = result.m[name]
            # Agreement must be likelier among matches than among non-matches, or EM has
            # latched onto something else (a school only one agency records): keep defaults.
            if m_row[0] <= u[name][0]:
                continue
            estimates[name].append(m_row)
    m = {}
    for name in COMPARISON_NAMES:
        rows = estimates[name]
        if rows:
            averaged = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
            # No level is impossible for a true match: one keying error must not veto a link.
            floored = [max(x, M_FLOOR) for x in averaged]
            m[name] = [x / sum(floored) for x in floored]
        else:
            m[name] = list(_DEFAULT_M[name])
    union: Counter[tuple[int | None, ...]] = Counter()
    for (vector, _mask), count in patterns.items():
        union[vector] += count
    lam = 1e-4
    if union and total_pairs:
        result = expectation_maximisation(
            union, u=u, m_start=m, fixed=COMPARISON_NAMES, lam_start=0.05
        )
        summary.expected_matches = result.lam * summary.candidate_pairs
        lam = max(summary.expected_matches, 1.0) / total_pairs
    return m, lam, summary


# --- deduplication / linkage of a whole set ---------------------------------------------------


@dataclass
class DedupeResult:
    edges: list[tuple[int, int, float]]  # pairs at or above the review threshold, any order
    clusters: list[int]  # cluster label per record
    pairs_scored: int
    linked: set[tuple[int, int]] = field(default_factory=set)  # pairs the rule links


def dedupe(
    records: Sequence[MatchRecord],
    params: Parameters,
    thresholds: Thresholds,
    *,
    link_only: bool = False,
    candidates: Candidates | None = None,
) -> DedupeResult:
    """Score every candidate pair; cluster the pairs the rule links automatically.

    Clustering takes links strongest first and refuses any that would put two different valid
    NHS numbers in one cluster.
    """
    scorer = Scorer(params)
    keep_from = thresholds.review_weight
    if candidates is None:
        candidates = compare_candidates(records, link_only=link_only)
    base = [scorer.weight_without_tf(v) for v in candidates.patterns]
    edges: list[tuple[int, int, float]] = []
    edge_reasons: dict[tuple[int, int], tuple[str, ...]] = {}
    scored = len(candidates)
    for i, j, k in zip(candidates.left, candidates.right, candidates.pattern, strict=True):
        a, b = records[i], records[j]
        if nhs_conflict(a, b):
            continue
        if nhs_agrees(a, b):
            w = DETERMINISTIC_WEIGHT
            reasons: tuple[str, ...] = ()
        else:
            w = base[k]
            if w + TF_CAP_BITS * 2 < keep_from:
                continue
            w += scorer.tf_of(candidates.patterns[k], a, b)
            reasons = (*a.reasons, *b.reasons)
            if w >= keep_from:
                extra = cautions(candidates.patterns[k], a, b, scorer.distinct_forenames)
                if not thresholds.cautious_forenames:
                    extra = tuple(r for r in extra if r != REASON_FORENAMES_DIFFER)
                reasons = (*reasons, *extra)
        if w >= keep_from:
            edges.append((i, j, w))
            if reasons:
                edge_reasons[(i, j)] = reasons
    parent = list(range(len(records)))
    nhs: dict[int, set[str]] = {i: ({r.nhs} if r.nhs else set()) for i, r in enumerate(records)}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, w in sorted(edges, key=lambda e: -e[2]):
        a, b = records[i], records[j]
        reasons = edge_reasons.get((i, j), ())
        ident = bool(a.upn and a.upn == b.upn)
        if decide(w, thresholds, reasons, identifier_agrees=ident) != Decision.LINK:
            continue
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        if nhs[ri] and nhs[rj] and nhs[ri] != nhs[rj]:
            continue
        parent[rj] = ri
        nhs[ri] |= nhs.pop(rj)
    return DedupeResult(
        edges=edges,
        clusters=[find(i) for i in range(len(records))],
        pairs_scored=scored,
        linked={(i, j) for i, j, w in edges if _links(w, edge_reasons, i, j, records, thresholds)},
    )


def _links(
    w: float,
    edge_reasons: dict[tuple[int, int], tuple[str, ...]],
    i: int,
    j: int,
    records: Sequence[MatchRecord],
    thresholds: Thresholds,
) -> bool:
    a, b = records[i], records[j]
    ident = bool(a.upn and a.upn == b.upn)
    reasons = edge_reasons.get((i, j), ())
    return decide(w, thresholds, reasons, identifier_agrees=ident) == Decision.LINK
