"""How two records are compared: each comparison puts a pair at one of a few levels.

A `MatchRecord` is one agency record in the normalised form the matcher compares. Each comparison
returns the index of the first level the pair reaches, or None when either side lacks the
field (a null contributes no evidence either way). The level labels are shown to MASH staff as
the evidence for and against a link, so they are written for people.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler

from concerns.validators import nhs_number_is_valid, normalise_address, normalise_name
from hub.matching.names import are_variants

# Reasons a record is weak evidence: shown in the review queue, and no automatic link is made
# when either record carries one of these.
REASON_MISSING_DOB = "missing_dob"
REASON_FUTURE_DOB = "future_dob"
REASON_INITIALS_ONLY = "initials_only"
REASON_INVALID_NHS = "invalid_nhs_number"
REASON_INVALID_UPN = "invalid_upn"
REASON_FORENAMES_DIFFER = "forenames_differ"
REASON_GENERATIONS = "dobs_years_apart"
REASON_LABELS = {
    REASON_FORENAMES_DIFFER: "First names are different (twins or siblings?)",
    REASON_GENERATIONS: "Dates of birth years apart (a parent and child with one name?)",
    REASON_MISSING_DOB: "No date of birth",
    REASON_FUTURE_DOB: "Date of birth is in the future (ignored)",
    REASON_INITIALS_ONLY: "Initials only, not a full name",
    REASON_INVALID_NHS: "NHS number fails its check digit (ignored)",
    REASON_INVALID_UPN: "Unique pupil number is malformed (ignored)",
}


@dataclass(slots=True)
class MatchRecord:
    """One agency record, normalised for comparison. `key` is the caller's id for it."""

    key: object
    forename: str = ""
    surname: str = ""
    dob: date | None = None
    sex: str = ""
    postcode: str = ""
    address: str = ""
    school: str = ""
    upn: str = ""
    nhs: str = ""  # only a valid NHS number is kept
    source: object = None  # e.g. the agency; link-only runs never pair two from one source
    person: object = None  # the hub person the record belongs to (online matching)
    reasons: tuple[str, ...] = field(default_factory=tuple)
    dob_text: str = ""  # YYYYMMDD, precomputed: comparisons run millions of times

    def __post_init__(self) -> None:
        if self.dob is not None and not self.dob_text:
            self.dob_text = f"{self.dob.year:04d}{self.dob.month:02d}{self.dob.day:02d}"


def prepare(
    key: object,
    *,
    forename: str = "",
    surname: str = "",
    dob: date | None = None,
    sex: str = "",
    postcode: str = "",
    address: str = "",
    school: str = "",
    upn: str = "",
    nhs: str = "",
    source: object = None,
    person: object = None,
    today: date | None = None,
    normalised: bool = False,
) -> MatchRecord:
    """A `MatchRecord` from raw (or, with NORMALISED, already normalised) values.

    Bad input never raises: it is dropped from the comparison and named in `reasons`.
    """
    reasons: list[str] = []
    fn = forename if normalised else normalise_name(forename)
    sn = surname if normalised else normalise_name(surname)
    if (fn and all(len(part) == 1 for part in fn.split())) or (
        sn and all(len(part) == 1 for part in sn.split())
    ):
        reasons.append(REASON_INITIALS_ONLY)
    if dob is None:
        reasons.append(REASON_MISSING_DOB)
    elif today is not None and dob > today:
        reasons.append(REASON_FUTURE_DOB)
        dob = None
    nhs_digits = re.sub(r"[\s-]", "", nhs or "")
    if nhs_digits and not nhs_number_is_valid(nhs_digits):
        reasons.append(REASON_INVALID_NHS)
        nhs_digits = ""
    upn_clean = re.sub(r"\s", "", upn or "").upper()
    sex_clean = (sex or "").strip().upper()[:1]
    if sex_clean not in {"M", "F"}:
        sex_clean = ""
    pc = re.sub(r"\s+", " ", (postcode or "").strip().upper())
    return MatchRecord(
        key=key,
        forename=fn,
        surname=sn,
        dob=dob,
        sex=sex_clean,
        postcode=pc,
        address=address if normalised else normalise_address(address),
        school=normalise_address(school),
        upn=upn_clean,
        nhs=nhs_digits,
        source=source,
        person=person,
        reasons=tuple(reasons),
    )


# --- the comparisons -------------------------------------------------------------------------


def _first(name: str) -> str:
    return name.split(" ", 1)[0] if name else ""


def _names_swapped(a: MatchRecord, b: MatchRecord) -> bool:
    """Forename and surname recorded the wrong way round (allowing a typo in either)."""
    if not (a.forename and a.surname and b.forename and b.surname) or a.forename == a.surname:
        return False
    if a.forename == b.surname and a.surname == b.forename:
        return True
    if a.forename[0] != b.surname[0] and a.surname[0] != b.forename[0]:
        return False  # cheap rejection: most pairs share neither crossed initial
    return (
        JaroWinkler.similarity(a.forename, b.surname) >= SWAP_SIMILARITY
        and JaroWinkler.similarity(a.surname, b.forename) >= SWAP_SIMILARITY
        and JaroWinkler.similarity(a.forename, b.forename) < 0.8
    )


SWAP_SIMILARITY = 0.9
CROSS_SIMILARITY = 0.92


def _first_name_crossed(a: MatchRecord, b: MatchRecord) -> bool:
    """One record's first name is the other's last name, or the other way round.

    What a swap of the two names looks like when one of them was then changed as well
    ("Raquel Lodge" and "Garnett Raquel": swapped, and the surname changed). It is not what
    twins or siblings look like: they share a surname, and have different first names. Only
    called for first names that otherwise disagree.
    """
    if not (a.forename and a.surname and b.forename and b.surname):
        return False
    if a.forename == a.surname or b.forename == b.surname or a.surname == b.surname:
        return False
    for x, y in ((a.forename, b.surname), (a.surname, b.forename)):
        if (
            len(x) >= 3
            and len(y) >= 3
            and x[0] == y[0]
            and (x == y or JaroWinkler.similarity(x, y) >= CROSS_SIMILARITY)
        ):
            return True
    return False


def names_swapped(a: MatchRecord, b: MatchRecord) -> bool:
    return _names_swapped(a, b)


def compare_forename(a: MatchRecord, b: MatchRecord) -> int | None:
    x, y = a.forename, b.forename
    if not x or not y:
        return None
    if x == y:
        return 0
    if _names_swapped(a, b):
        return 1
    x1, y1 = _first(x), _first(y)
    if x1 == y1 and len(x1) > 1:
        return 2  # first forename agrees, middle names differ: a spelling-level agreement
    if are_variants(x1, y1):
        return 2
    if len(x1) == 1 or len(y1) == 1:
        return 5 if x1[0] == y1[0] else 7
    sim = JaroWinkler.similarity(x1, y1)
    if sim >= 0.92:
        return 3
    if sim >= 0.80 or OSA.distance(x1, y1, score_cutoff=1) <= 1:
        return 4  # one keystroke apart: Jaro-Winkler is harsh on short names ("Kai", "Ki")
    if _first_name_crossed(a, b):
        return 6
    return 7


def compare_surname(a: MatchRecord, b: MatchRecord) -> int | None:
    x, y = a.surname, b.surname
    if not x or not y:
        return None
    if x == y:
        return 0
    if _names_swapped(a, b):
        # One event, weighed once, under the first name: counted here as well, the two
        # agreements (perfectly correlated) would weigh double, more than both names agreeing.
        return None
    if (" " in x or " " in y) and set(x.split()) & set(y.split()):
        return 1  # one part of a double-barrelled or changed name
    sim = JaroWinkler.similarity(x, y)
    if sim >= 0.92:
        return 2
    if sim >= 0.80:
        return 3
    return 4


def swap_day_month(d: date) -> date | None:
    if d.day > 12 or d.day == d.month:
        return None
    try:
        return d.replace(day=d.month, month=d.day)
    except ValueError:
        return None


def compare_dob(a: MatchRecord, b: MatchRecord) -> int | None:
    x, y = a.dob, b.dob
    if x is None or y is None:
        return None
    if x == y:
        return 0
    if x.year == y.year and x.day == y.month and x.month == y.day:
        return 1
    if OSA.distance(a.dob_text, b.dob_text, score_cutoff=1) <= 1:
        return 2
    if abs((x - y).days) <= 366:
        return 3
    return 4


def compare_sex(a: MatchRecord, b: MatchRecord) -> int | None:
    if not a.sex or not b.sex:
        return None
    return 0 if a.sex == b.sex else 1


def _sector(pc: str) -> str:
    if " " in pc:
        outward, inward = pc.split(" ", 1)
        return f"{outward} {inward[:1]}"
    return pc[:-1]


def _district(pc: str) -> str:
    if " " in pc:
        return pc.split(" ", 1)[0]
    return pc[:-2]


def _numbers(address: str) -> list[str]:
    return re.findall(r"\d+", address)


def _numbers_consistent(x: str, y: str) -> bool:
    """The house numbers agree, or one address has none (a flat name, a house name)."""
    nx, ny = _numbers(x), _numbers(y)
    return not nx or not ny or nx == ny


def compare_residence(a: MatchRecord, b: MatchRecord) -> int | None:
    """Address and postcode as one comparison: they are far from independent."""
    has_addr = bool(a.address and b.address)
    has_pc = bool(a.postcode and b.postcode)
    if not has_addr and not has_pc:
        return None
    pc_equal = has_pc and a.postcode == b.postcode
    same_place = has_addr and (pc_equal or not has_pc)
    if same_place and (
        a.address == b.address
        or (
            _numbers(a.address) == _numbers(b.address)
            and fuzz.token_sort_ratio(a.address, b.address) >= 95
        )
    ):
        return 0  # "13 Queens Road" and "137 Queens Road" are neighbours, not one home
    if pc_equal:
        return 1
    if (
        has_addr
        and fuzz.token_sort_ratio(a.address, b.address, score_cutoff=85)
        and _numbers_consistent(a.address, b.address)
    ):
        return 2  # a neighbour's address ("12 Mill Road", "15 Mill Road") is not similar
    if has_pc:
        if _postcode_typo(a.postcode, b.postcode):
            return 3
        if _sector(a.postcode) == _sector(b.postcode):
            return 4
        if _district(a.postcode) == _district(b.postcode):
            return 5
    return 6


def _postcode_typo(x: str, y: str) -> bool:
    """One character wrong, missing or extra, or two neighbours transposed ("6618"/"6168")."""
    return OSA.distance(x, y, score_cutoff=1) <= 1


def compare_school(a: MatchRecord, b: MatchRecord) -> int | None:
    if not a.school or not b.school:
        return None
    return 0 if a.school == b.school else 1


def compare_upn(a: MatchRecord, b: MatchRecord) -> int | None:
    if not a.upn or not b.upn:
        return None
    if a.upn == b.upn:
        return 0
    if OSA.distance(a.upn, b.upn) <= 1:
        return 1
    return 2


@dataclass(frozen=True)
class Comparison:
    name: str
    label: str
    levels: tuple[str, ...]  # the last level is "disagrees"
    fn: Callable[[MatchRecord, MatchRecord], int | None]
    # Level indices whose weight is adjusted for how common the value is (term frequency).
    tf_levels: tuple[int, ...] = ()


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "forename",
        "First name",
        (
            "Exactly the same",
            "Swapped with the last name",
            "Nickname, variant or same first forename",
            "Very similar spelling",
            "Similar spelling",
            "Initial agrees",
            "Different, but one is the other record's last name",
            "Different",
        ),
        compare_forename,
        tf_levels=(0,),
    ),
    Comparison(
        "surname",
        "Last name",
        (
            "Exactly the same",
            "Shares one part of a double-barrelled name",
            "Very similar spelling",
            "Similar spelling",
            "Different",
        ),
        compare_surname,
        tf_levels=(0,),
    ),
    Comparison(
        "dob",
        "Date of birth",
        (
            "Exactly the same",
            "Day and month swapped",
            "One digit differs",
            "Within a year",
            "Different",
        ),
        compare_dob,
    ),
    Comparison("sex", "Sex", ("Same", "Different"), compare_sex),
    Comparison(
        "residence",
        "Address and postcode",
        (
            "Same address",
            "Same postcode",
            "Similar address",
            "Postcode one character out",
            "Same postcode sector",
            "Same postcode district",
            "Different",
        ),
        compare_residence,
    ),
    Comparison("school", "School", ("Same", "Different"), compare_school),
    Comparison(
        "upn",
        "Unique pupil number",
        ("Exactly the same", "One character differs", "Different"),
        compare_upn,
    ),
)
COMPARISON_NAMES = tuple(c.name for c in COMPARISONS)


def compare(a: MatchRecord, b: MatchRecord) -> tuple[int | None, ...]:
    """The comparison vector of a pair: one level index (or None) per comparison."""
    return tuple(c.fn(a, b) for c in COMPARISONS)


YEARS_APART_DAYS = 5 * 365


# Forename levels where the names are alike but not the same ("Very similar spelling",
# "Similar spelling"): a keying error, or two different names that look alike (Jack and
# Jake, Louis and Louise), which is what twins are often given.
_ALIKE_FORENAME_LEVELS = (3, 4)


def cautions(
    vector: tuple[int | None, ...],
    a: MatchRecord | None = None,
    b: MatchRecord | None = None,
    distinct_names: Callable[[str, str], bool] | None = None,
) -> tuple[str, ...]:
    """Reasons in the comparison itself to leave the decision to a person.

    First names that disagree outright, with everything else agreeing, is what twins and
    siblings look like; one name with dates of birth years apart is what a parent and a child
    named after them look like. Neither is ever linked automatically.

    First names that are merely alike count as disagreeing too when they are two different
    names rather than one name mistyped: when the records' sexes differ (Daniel and Danielle),
    or when DISTINCT_NAMES (see `fs.DistinctForenames`) says they are two names in their own
    right (Jack and Jake, Ethan and Evan).
    """
    out: list[str] = []
    forename = vector[0]
    differ = forename is not None and forename == len(COMPARISONS[0].levels) - 1
    if differ or _two_alike_names(forename, a, b, distinct_names):
        out.append(REASON_FORENAMES_DIFFER)
    if (
        a is not None
        and b is not None
        and a.dob is not None
        and b.dob is not None
        and abs((a.dob - b.dob).days) > YEARS_APART_DAYS
    ):
        out.append(REASON_GENERATIONS)
    return tuple(out)


def _two_alike_names(
    level: int | None,
    a: MatchRecord | None,
    b: MatchRecord | None,
    distinct_names: Callable[[str, str], bool] | None,
) -> bool:
    if level not in _ALIKE_FORENAME_LEVELS or a is None or b is None:
        return False
    if a.sex and b.sex and a.sex != b.sex:
        return True
    return distinct_names is not None and distinct_names(_first(a.forename), _first(b.forename))


def nhs_conflict(a: MatchRecord, b: MatchRecord) -> bool:
    """Two valid, different NHS numbers: never the same person, whatever else agrees."""
    return bool(a.nhs and b.nhs and a.nhs != b.nhs)


def nhs_agrees(a: MatchRecord, b: MatchRecord) -> bool:
    return bool(a.nhs and a.nhs == b.nhs)
