"""Matching configuration: documented defaults, overridden by `settings.MATCHING` (a dict,
read from the environment in `hub/settings.py`: MATCHING_AUTO_LINK_PROBABILITY,
MATCHING_REVIEW_PROBABILITY, MATCHING_CAUTIOUS_FORENAMES, MATCHING_NEW_ADULT_DAYS).

* `AUTO_LINK_PROBABILITY` (0.999): a new record whose best candidate reaches this match
  probability is linked to that person without a human (never on weak evidence alone).
* `REVIEW_PROBABILITY` (0.5): from here up to the auto-link threshold, MASH staff decide.
* `CAUTIOUS_FORENAMES` (True): a pair whose first names disagree outright (what twins and
  siblings look like) always goes to review, however much else agrees, unless a unique pupil
  number or NHS number agrees exactly. So does a pair whose first names are only alike but are
  two names rather than one mistyped: the sexes differ (Daniel, Danielle), or both are names
  in their own right (Jack, Jake; see `hub.matching.fs.DistinctForenames`).
* `MAX_REVIEW_CANDIDATES` (3): how many candidate people one arriving record may queue.
* `MAX_CANDIDATES_TIGHT` (500) and `MAX_CANDIDATES_LOOSE` (200): the most distinct records one
  blocking rule may bring back for an arriving record (tight rules: NHS number, UPN, date of
  birth, full name; loose: surname with year of birth, postcode). A cap bounds the time a
  crowded block costs; it can only miss a link, never make one.
* `NEW_ADULT_DAYS` (30): how far back the MASH's list of adults newly in households with
  children looks.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "AUTO_LINK_PROBABILITY": 0.999,
    "REVIEW_PROBABILITY": 0.5,
    "CAUTIOUS_FORENAMES": True,
    "MAX_REVIEW_CANDIDATES": 3,
    "NEW_ADULT_DAYS": 30,
    "MAX_CANDIDATES_TIGHT": 500,
    "MAX_CANDIDATES_LOOSE": 200,
}


def get(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "MATCHING", {})}[name]
