"""Which hub `Person` an agency's record of somebody resolves to.

One function, `resolve_person`, so that the matching work can replace the rule without touching
callers. The rule for now:

1. an exact, valid NHS number already known to the hub → that person;
2. else exact normalised given name + family name + date of birth + postcode → that person;
3. else a new person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from agencies.models import Agency, Area
from concerns.models import Person, SubjectRecord
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
        area = Area.objects.filter(postcode_districts__contains=[district]).first()
        if area is not None:
            return area
    areas = list(agency.areas.all()[:2])
    return areas[0] if len(areas) == 1 else None


def find_existing_person(details: SubjectDetails) -> Person | None:
    if details.nhs_number:
        record = (
            SubjectRecord.objects.filter(nhs_number=details.nhs_number)
            .select_related("person")
            .order_by("pk")
            .first()
        )
        if record is not None:
            return _survivor(record.person)
    if (
        details.given_name_norm
        and details.family_name_norm
        and details.date_of_birth
        and details.postcode
    ):
        record = (
            SubjectRecord.objects.filter(
                given_name_norm=details.given_name_norm,
                family_name_norm=details.family_name_norm,
                date_of_birth=details.date_of_birth,
                postcode=details.postcode,
            )
            .select_related("person")
            .order_by("pk")
            .first()
        )
        if record is not None:
            return _survivor(record.person)
    return None


def _survivor(person: Person) -> Person:
    while person.merged_into_id is not None:
        person = person.merged_into
    return person


def resolve_person(
    details: SubjectDetails, *, agency: Agency, kind: str = Person.Kind.CHILD
) -> Person:
    """The person DETAILS describe: an existing one by the rule above, or a new one.

    Must be called inside the transaction that saves the subject record.
    """
    existing = find_existing_person(details)
    if existing is not None:
        return existing
    return Person.objects.create(kind=kind, area=area_for(details.postcode, agency))
