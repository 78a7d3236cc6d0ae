"""A reproducible plan of demo households, people and concerns.

The same seed, size and day give the same plan: household `i` is drawn from its own random
generator (seeded from the run's seed and `i`), so a batch of households can be generated on its
own, and a re-run regenerates exactly the households it skips. Dates are relative to "now", so
the 18 months of concerns always end today.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from concerns.demo.catalogue import AGENCIES, AREA_ONE, AREA_TWO, AREAS, AgencySpec, AreaSpec
from concerns.demo.texts import (
    CONTROL_TEXT,
    FAMILY_NAMES,
    GIVEN_NAMES_F,
    GIVEN_NAMES_M,
    JIGSAW_TEXTS,
    STREETS,
    TEXTS,
    TOWNS,
)
from concerns.validators import normalise_address

DEFAULT_SEED = 20261128
HISTORY_DAYS = 548  # 18 months
NHS_TEST_BASE = 999_000_000  # NHS numbers 999 000 0000 – 999 999 9999 are never issued
UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
LA_CODES = {AREA_ONE.code: "901", AREA_TWO.code: "902"}

# Household risk profiles: share of households, and weight in the share-out of concerns.
PROFILES = ((35, 0.0), (40, 1.0), (18, 3.0), (7, 9.0))
LEVEL_WEIGHTS = {0: (45, 45, 8, 2), 1: (45, 45, 8, 2), 2: (25, 45, 22, 8), 3: (10, 35, 35, 20)}

_CATEGORIES_BY_ROLE = {
    "school": (
        ("neglect", 5),
        ("emotional_abuse", 2),
        ("missing_from_education", 2),
        ("physical_abuse", 1),
        ("self_harm", 1),
        ("injury", 2),
        ("domestic_abuse", 1),
        ("child_criminal_exploitation", 1),
    ),
    "gp": (
        ("was_not_brought", 4),
        ("injury", 2),
        ("self_harm", 1),
        ("faltering_growth", 1),
        ("neglect", 2),
    ),
    "health_visiting": (
        ("faltering_growth", 3),
        ("neglect", 3),
        ("parental_mental_health", 2),
        ("domestic_abuse", 1),
        ("was_not_brought", 2),
    ),
    "police": (
        ("domestic_abuse", 6),
        ("missing_from_home", 2),
        ("child_criminal_exploitation", 1),
        ("child_sexual_exploitation", 1),
        ("physical_abuse", 1),
    ),
    "csc": (
        ("neglect", 3),
        ("emotional_abuse", 2),
        ("physical_abuse", 2),
        ("domestic_abuse", 2),
        ("sexual_abuse", 1),
    ),
    "housing": (("neglect", 2), ("domestic_abuse", 1), ("other", 2)),
    "adult": (
        ("domestic_abuse", 5),
        ("parental_substance_misuse", 3),
        ("parental_mental_health", 3),
        ("other", 1),
    ),
}


@dataclass(slots=True)
class PersonPlan:
    index: int  # global, 0-based: drives references and NHS numbers
    kind: str
    relationship: str
    given_name: str
    family_name: str
    sex: str
    date_of_birth: date
    nhs_number: str
    upn: str
    school: str  # agency code of the child's school, or ""


@dataclass(slots=True)
class ConcernPlan:
    reference: str
    agency: str  # agency code
    person: int  # position in the household's `people`
    category: str
    level: int
    occurred_at: datetime
    recorded_at: datetime
    text: str
    marker_health: bool
    marker_do_not_disclose_family: bool
    marker_police_investigation: bool
    consent_status: str
    family_knows: str


@dataclass(slots=True)
class HouseholdPlan:
    index: int
    area: AreaSpec
    address: str
    postcode: str
    people: list[PersonPlan] = field(default_factory=list)
    concerns: list[ConcernPlan] = field(default_factory=list)
    tag: str = ""  # "jigsaw", "control" or ""

    @property
    def address_key(self) -> str:
        return normalise_address(self.address) + "|" + self.postcode


def nhs_number_for(index: int) -> str:
    """A valid NHS number from the test range, unique to INDEX ("" for 1 in 11 people)."""
    if index >= 1_000_000:
        return ""
    digits = f"{NHS_TEST_BASE + index:09d}"
    total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return "" if check == 10 else digits + str(check)


def upn_for(index: int, area_code: str) -> str:
    body = LA_CODES[area_code] + f"{index % 1_000_000_000:09d}"
    total = sum(int(ch) * w for ch, w in zip(body, range(2, 14), strict=True))
    return UPN_ALPHABET[total % 23] + body


def agency_for(area: AreaSpec, role: str) -> AgencySpec:
    for agency in AGENCIES:
        if agency.role == role and area.code in agency.areas:
            return agency
    raise LookupError(role)


def _school_for(area: AreaSpec, age: int) -> str:
    if 4 <= age <= 10:
        role = "primary" if area is AREA_ONE else "school"
    elif 11 <= age <= 15:
        role = "secondary" if area is AREA_ONE else "school"
    else:
        return ""
    return agency_for(area, role).code


def _age_on(dob: date, today: date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


# Households 0-3 are special: three "jigsaw" children (school, GP and police each hold one
# low-level concern from the last few weeks) and a control family with one explained accident.
SPECIALS = ("jigsaw", "jigsaw", "jigsaw", "control")
SPECIAL_SHAPES = {"jigsaw": (1, 2), "control": (2, 2)}  # (children, adults)
SPECIAL_AREAS = (AREA_ONE, AREA_ONE, AREA_TWO, AREA_ONE)
MIN_CHILDREN_FOR_SPECIALS = 10


class DemoPlan:
    """CHILDREN children in households with adults, and about CONCERNS concerns among them."""

    def __init__(
        self, *, children: int, concerns: int, now: datetime, seed: int = DEFAULT_SEED
    ) -> None:
        self.seed = seed
        self.now = now.replace(microsecond=0)
        self.today = self.now.date()
        rng = random.Random(seed)
        # First pass: each household's shape only (cheap, so it fits 200,000 children).
        n_children, n_adults, weights = array("b"), array("b"), array("d")
        specials = SPECIALS if children >= MIN_CHILDREN_FOR_SPECIALS else ()
        remaining = children
        for tag in specials:
            kids, adults = SPECIAL_SHAPES[tag]
            n_children.append(kids)
            n_adults.append(adults)
            weights.append(0.0)
            remaining -= kids
        while remaining > 0:
            kids = min(remaining, rng.choices((1, 2, 3), (45, 35, 20))[0])
            n_children.append(kids)
            n_adults.append(rng.choices((1, 2), (35, 65))[0])
            weights.append(PROFILES[rng.choices(range(4), [p[0] for p in PROFILES])[0]][1])
            remaining -= kids
        self.specials = specials
        self.n_children, self.n_adults = n_children, n_adults
        self.profiles = array("b", (_profile_of(w) for w in weights))
        self.person_start = array("q", [0])
        for kids, adults in zip(n_children, n_adults, strict=True):
            self.person_start.append(self.person_start[-1] + kids + adults)
        special_concerns = sum(3 if t == "jigsaw" else 1 for t in specials)
        self.concern_counts = _share_out(max(0, concerns - special_concerns), weights)
        for i, tag in enumerate(specials):
            self.concern_counts[i] = 3 if tag == "jigsaw" else 1

    def __len__(self) -> int:
        return len(self.n_children)

    @property
    def people_total(self) -> int:
        return self.person_start[-1]

    @property
    def concerns_total(self) -> int:
        return sum(self.concern_counts)

    def households(self, start: int = 0, stop: int | None = None) -> Iterator[HouseholdPlan]:
        for i in range(start, min(len(self), stop if stop is not None else len(self))):
            yield self.household(i)

    def household(self, i: int) -> HouseholdPlan:
        rng = random.Random(self.seed * 1_000_003 + i)
        tag = self.specials[i] if i < len(self.specials) else ""
        area = self._area(i, rng)
        district = rng.choice(area.districts)
        postcode = (
            f"{district} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}"
            f"{rng.choice(INWARD_LETTERS)}"
        )
        street = STREETS[i % len(STREETS)]
        address = f"{i // len(STREETS) + 1} {street}, {TOWNS[area.code]}"
        household = HouseholdPlan(i, area, address, postcode, tag=tag)
        family = rng.choice(FAMILY_NAMES)
        index = self.person_start[i]
        for a in range(self.n_adults[i]):
            sex = "F" if (a == 0) == (rng.random() < 0.75) else "M"
            relationship = "parent" if a == 0 or rng.random() < 0.5 else "partner_of_parent"
            surname = family if relationship == "parent" else rng.choice(FAMILY_NAMES)
            dob = self.today - timedelta(days=rng.randint(19 * 365, 55 * 365))
            household.people.append(
                self._person(index, "adult", relationship, sex, surname, dob, rng, area, 99)
            )
            index += 1
        for _c in range(self.n_children[i]):
            sex = rng.choice("FM")
            if tag:
                age_days = rng.randint(7 * 365 + 30, 9 * 365)
            else:
                age_days = rng.randint(30, 17 * 365 + 300)
            dob = self.today - timedelta(days=age_days)
            age = _age_on(dob, self.today)
            household.people.append(
                self._person(index, "child", "child", sex, family, dob, rng, area, age)
            )
            index += 1
        if tag == "jigsaw":
            self._jigsaw_concerns(household, rng)
        elif tag == "control":
            self._control_concern(household)
        else:
            for n in range(self.concern_counts[i]):
                household.concerns.append(self._concern(household, n, rng))
        return household

    def household_area(self, i: int) -> AreaSpec:
        """The area of household I, without generating the rest of it."""
        return self._area(i, random.Random(self.seed * 1_000_003 + i))

    def _area(self, i: int, rng: random.Random) -> AreaSpec:
        # Always the first draw from the household's generator, so both callers agree.
        if i < len(self.specials):
            return SPECIAL_AREAS[i]
        return AREA_ONE if rng.random() < 0.55 else AREA_TWO

    def _person(
        self,
        index: int,
        kind: str,
        relationship: str,
        sex: str,
        family: str,
        dob: date,
        rng: random.Random,
        area: AreaSpec,
        age: int,
    ) -> PersonPlan:
        given = rng.choice(GIVEN_NAMES_F if sex == "F" else GIVEN_NAMES_M)
        school = _school_for(area, age) if kind == "child" else ""
        return PersonPlan(
            index=index,
            kind=kind,
            relationship=relationship,
            given_name=given,
            family_name=family,
            sex=sex,
            date_of_birth=dob,
            nhs_number=nhs_number_for(index),
            upn=upn_for(index, area.code) if school else "",
            school=school,
        )

    def _concern(self, household: HouseholdPlan, n: int, rng: random.Random) -> ConcernPlan:
        people = household.people
        children = [k for k, p in enumerate(people) if p.kind == "child"]
        adults = [k for k, p in enumerate(people) if p.kind == "adult"]
        if children and (not adults or rng.random() < 0.82):
            who = rng.choice(children)
            person = people[who]
            age = _age_on(person.date_of_birth, self.today)
            if age < 5:
                roles = (("health_visiting", 4), ("gp", 3), ("police", 2), ("csc", 1))
            elif person.school:
                roles = (("school", 5), ("gp", 2), ("police", 2), ("csc", 1), ("housing", 1))
            else:
                roles = (("gp", 2), ("police", 3), ("csc", 1), ("housing", 1))
            role = _pick(rng, roles)
            categories = _CATEGORIES_BY_ROLE[role]
        else:
            who = rng.choice(adults)
            person = people[who]
            role = _pick(rng, (("police", 4), ("gp", 2), ("probation", 2), ("housing", 2)))
            categories = _CATEGORIES_BY_ROLE["adult"]
        agency = person.school if role == "school" else agency_for(household.area, role).code
        category = _pick(rng, categories)
        profile = self.profiles[household.index]
        level = rng.choices((1, 2, 3, 4), LEVEL_WEIGHTS[profile])[0]
        occurred = self.now - timedelta(seconds=rng.randint(2 * 3600, HISTORY_DAYS * 86400))
        recorded = min(self.now, occurred + timedelta(minutes=rng.randint(5, 2 * 24 * 60)))
        high = level >= 3
        consent = rng.choices(
            ("given", "not_sought", "refused", "not_safe"),
            (20, 40, 10, 30) if high else (40, 50, 5, 5),
        )[0]
        return ConcernPlan(
            reference=f"DEMO-{household.index:07d}-{n:03d}",
            agency=agency,
            person=who,
            category=category,
            level=level,
            occurred_at=occurred,
            recorded_at=recorded,
            text=rng.choice(TEXTS[category]),
            marker_health=role in ("gp", "health_visiting") and rng.random() < 0.7,
            marker_do_not_disclose_family=rng.random() < 0.05,
            marker_police_investigation=role == "police" and high and rng.random() < 0.3,
            consent_status=consent,
            family_knows=rng.choices(("yes", "no", "unknown"), (50, 30, 20))[0],
        )

    def _jigsaw_concerns(self, household: HouseholdPlan, rng: random.Random) -> None:
        child = next(k for k, p in enumerate(household.people) if p.kind == "child")
        school = household.people[child].school
        gp, police = agency_for(household.area, "gp"), agency_for(household.area, "police")
        plan = (
            (school, "neglect", 2, rng.randint(24, 30), False),
            (gp.code, "was_not_brought", 1, rng.randint(15, 20), True),
            (police.code, "domestic_abuse", 2, rng.randint(5, 9), False),
        )
        for n, (agency, category, level, days_ago, health) in enumerate(plan):
            occurred = self.now - timedelta(days=days_ago, hours=rng.randint(1, 10))
            household.concerns.append(
                ConcernPlan(
                    reference=f"DEMO-{household.index:07d}-{n:03d}",
                    agency=agency,
                    person=child,
                    category=category,
                    level=level,
                    occurred_at=occurred,
                    recorded_at=occurred + timedelta(hours=2),
                    text=JIGSAW_TEXTS[category],
                    marker_health=health,
                    marker_do_not_disclose_family=False,
                    marker_police_investigation=False,
                    consent_status="not_sought",
                    family_knows="no",
                )
            )

    def _control_concern(self, household: HouseholdPlan) -> None:
        child = next(k for k, p in enumerate(household.people) if p.kind == "child")
        occurred = self.now - timedelta(days=40, hours=3)
        household.concerns.append(
            ConcernPlan(
                reference=f"DEMO-{household.index:07d}-000",
                agency=household.people[child].school or agency_for(household.area, "gp").code,
                person=child,
                category="injury",
                level=1,
                occurred_at=occurred,
                recorded_at=occurred + timedelta(hours=1),
                text=CONTROL_TEXT,
                marker_health=False,
                marker_do_not_disclose_family=False,
                marker_police_investigation=False,
                consent_status="given",
                family_knows="yes",
            )
        )


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def _profile_of(weight: float) -> int:
    return next(k for k, p in enumerate(PROFILES) if p[1] == weight)


def _share_out(total: int, weights: array) -> array:
    """TOTAL split in proportion to WEIGHTS, exactly (largest remainder), as whole numbers."""
    counts = array("l", bytes(8 * len(weights)))
    if total <= 0 or not len(weights):
        return counts
    weight_sum = sum(weights)
    if weight_sum <= 0:  # nobody drew a profile with concerns: spread evenly
        weights = array("d", [1.0] * len(weights))
        weight_sum = float(len(weights))
    quotas = [total * w / weight_sum for w in weights]
    for i, q in enumerate(quotas):
        counts[i] = int(q)
    short = total - sum(counts)
    by_remainder = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in by_remainder[:short]:
        counts[i] += 1
    return counts


__all__ = ["AREAS", "ConcernPlan", "DemoPlan", "HouseholdPlan", "PersonPlan"]
