"""Which hub `Person` an agency's record of somebody resolves to.

One function, `resolve_person`, so that the matching work can replace the rule without touching
callers. The rule now lives in `hub.matching` (see docs/matching.md): equal valid NHS numbers
link, different valid NHS numbers never link, otherwise probabilistic (Fellegi–Sunter) linkage
with a review queue between its two thresholds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from agencies.models import Agency, Area
from concerns.models import Person
from concerns.validators import postcode_district


@dataclass(frozen=True)
class SubjectDetails:
    """Normalised details of a subject, as the resolver and matcher see them."""

    given_name_norm: str
    family_name_norm: str
    date_of_birth: date | None
    nhs_number: str = ""
    postcode: str = ""
    upn: str = ""
    sex: str = "U"
    address_norm: str = ""
    school: str = ""


def area_for(postcode: str, agency: Agency) -> Area | None:
    """The area whose postcode districts include POSTCODE, else the agency's only area."""
    district = postcode_district(postcode)
    if district:
        area = next(iter(Area.objects.raw(_area_by_district_sql(), [district])), None)
        if area is not None:
            return area
    areas = list(agency.areas.all()[:2])
    return areas[0] if len(areas) == 1 else None


@functools.cache
def _area_by_district_sql() -> str:
    """The ORM's own SQL for "the first area covering a district", built once per process:
    every new person is filed under an area, and building this query cost more than running
    it (one submission's profile, 4 Dec 2026)."""
    query = Area.objects.filter(postcode_districts__contains=["?"]).order_by(
        *(Area._meta.ordering or ["pk"]), "pk"
    )[:1]
    sql, _params = query.query.sql_with_params()
    return sql


def find_existing_person(details: SubjectDetails) -> Person | None:
    """The person DETAILS would be linked to automatically, if any (read-only).

    Delegates to the matcher (`hub.matching`), imported lazily: matching builds on concerns.
    """
    from hub.matching.services import find_person

    return find_person(details)


def survivor_of(person: Person) -> Person:
    """The person PERSON's records now belong to: itself, or whom it was merged into (and on)."""
    seen = set()
    while person.merged_into_id is not None and person.pk not in seen:
        seen.add(person.pk)
        person = person.merged_into
    return person


def resolve_person(
    details: SubjectDetails, *, agency: Agency, kind: str = Person.Kind.CHILD
) -> Person:
    """The person DETAILS describe: an existing one by the rule above, or a new one.

    Must be called inside the transaction that saves the subject record.
    """
    from hub.matching.services import resolve_subject

    return resolve_subject(details=details, agency=agency, kind=kind)
