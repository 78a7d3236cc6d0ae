"""Which pairs are compared at all (blocking) when deduplicating a whole set in memory.

Each rule groups records on a key; pairs share a key under at least one rule. The rules are
chosen so that a true pair escapes all of them only when it disagrees on nearly everything.
Online matching blocks in PostgreSQL instead (`hub.matching.online`), on indexed columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

import jellyfish

from hub.matching.comparisons import MatchRecord
from hub.matching.names import canonical_forename

Key = Callable[[MatchRecord], object]


def _dob_key(r: MatchRecord) -> tuple[int, int, int] | None:
    if r.dob is None:
        return None
    lo, hi = sorted((r.dob.day, r.dob.month))
    return (r.dob.year, lo, hi)  # a day/month swap lands in the same block


def _initial(name: str) -> str:
    return name[:1]


def _soundex(name: str) -> str:
    first = name.split(" ", 1)[0] if name else ""
    return jellyfish.soundex(first) if first else ""


def _district(r: MatchRecord) -> str:
    pc = r.postcode
    if not pc:
        return ""
    return pc.split(" ", 1)[0] if " " in pc else pc[:-2]


def _k(*parts: object) -> tuple | None:
    return None if any(p in (None, "") for p in parts) else tuple(parts)


# name -> (key function, comparisons the rule blocks on (not estimated in its EM session))
RULES: dict[str, tuple[Key, tuple[str, ...]]] = {
    "nhs": (lambda r: _k(r.nhs), ()),
    "upn": (lambda r: _k(r.upn), ("upn",)),
    "dob_surname_initial": (
        lambda r: _k(_dob_key(r), _initial(r.surname)),
        ("dob", "surname"),
    ),
    "dob_forename_initial": (
        lambda r: _k(_dob_key(r), _initial(r.forename)),
        ("dob", "forename"),
    ),
    "dob_postcode": (lambda r: _k(_dob_key(r), r.postcode), ("dob", "residence")),
    "names": (
        lambda r: (
            _k(*sorted((r.forename, r.surname)), r.dob and r.dob.year // 10)
            if r.forename and r.surname
            else None
        ),
        ("forename", "surname"),
    ),
    "forename_surname_sound_year": (
        lambda r: _k(canonical_forename(r.forename), _soundex(r.surname), r.dob and r.dob.year),
        ("forename", "surname"),
    ),
    "forename_surname_sound_district": (
        lambda r: _k(canonical_forename(r.forename), _soundex(r.surname), _district(r)),
        ("forename", "surname"),
    ),
    "postcode_forename_initial": (
        lambda r: _k(r.postcode, _initial(r.forename)),
        ("residence",),
    ),
    # Forename and surname recorded the wrong way round: the two initials, in either order.
    "dob_initials": (
        lambda r: (
            _k(_dob_key(r), "".join(sorted(_initial(r.forename) + _initial(r.surname))))
            if r.forename and r.surname
            else None
        ),
        ("dob",),
    ),
    # Two characters of an identifier transposed: the same characters in another order.
    "upn_characters": (lambda r: _k("".join(sorted(r.upn))), ()),
    # A date of birth keyed wrongly and a nickname or new first name: the family's name at
    # one postcode.
    "surname_postcode": (lambda r: _k(r.surname, r.postcode), ("surname",)),
}
# The EM sessions: each blocks on fields the others estimate (as in Splink's guidance). None
# blocks on a forename initial while estimating forenames: such a session holds no swapped or
# replaced first names, and taught EM that true matches almost never have them.
EM_SESSIONS = ("dob_forename_initial", "names", "dob_postcode")
MAX_BLOCK = 400  # a block larger than this is a junk key ("unknown"), not a person


def stream_pairs(
    records: Sequence[MatchRecord], *, link_only: bool = False
) -> Iterator[tuple[int, int, int]]:
    """Every candidate pair once, as (i, j, mask): bit k of mask is set when rule k pairs them.

    A pair is produced by the first rule that blocks it and skipped by later ones (as Splink
    does); a set of pair codes remembers which were produced. Only the bits of the EM sessions'
    rules are filled in the mask (nothing else reads it).
    """
    names = list(RULES)
    keys: list[list[object]] = []
    for name in names:
        key_fn, _ = RULES[name]
        column = [key_fn(r) for r in records]
        sizes: dict[object, int] = defaultdict(int)
        for key in column:
            if key is not None:
                sizes[key] += 1
        # A key shared by nobody, or by a junk-sized block, pairs nothing: drop it up front.
        keys.append([k if k is not None and 2 <= sizes[k] <= MAX_BLOCK else None for k in column])
    session_rules = [(keys[names.index(r)], 1 << names.index(r)) for r in EM_SESSIONS]
    sources = [r.source for r in records] if link_only else None
    n = len(records)
    seen: set[int] = set()  # pairs already produced by an earlier rule (i * n + j)
    for k, column in enumerate(keys):
        blocks: dict[object, list[int]] = defaultdict(list)
        for index, key in enumerate(column):
            if key is not None:
                blocks[key].append(index)
        for members in blocks.values():
            for x in range(len(members)):
                i = members[x]
                base = i * n
                for y in range(x + 1, len(members)):
                    j = members[y]
                    if sources is not None and sources[i] == sources[j]:
                        continue
                    code = base + j
                    if code in seen:
                        continue
                    seen.add(code)
                    mask = 1 << k
                    for col, bit in session_rules:
                        ki = col[i]
                        if ki is not None and ki == col[j]:
                            mask |= bit
                    yield (i, j, mask)


def rule_bit(name: str) -> int:
    return 1 << list(RULES).index(name)
