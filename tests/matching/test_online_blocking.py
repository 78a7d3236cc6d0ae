"""Online blocking stays bounded: capped loose blocks, identical records scored once, and a
crowded block never hides a match a tight rule finds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from concerns.models import Person, SubjectRecord
from hub.matching import online
from hub.matching.comparisons import prepare

pytestmark = pytest.mark.django_db


def _bulk_records(agency, person, count: int, **fields) -> None:
    SubjectRecord.objects.bulk_create(
        SubjectRecord(
            agency=agency,
            person=person,
            given_name=fields.get("given_name_norm", "x"),
            family_name=fields.get("family_name_norm", "x"),
            **fields,
        )
        for _ in range(count)
    )


def _query(**kw):
    values = dict(
        forename="amelia",
        surname="ravenscroft",
        dob=dt.date(2016, 4, 9),
        sex="F",
        postcode="ZX1 4AB",
        address="14 mill road",
        normalised=True,
    )
    values.update(kw)
    return prepare(None, **values)


def test_identical_records_of_one_person_are_one_candidate(alice):
    person = Person.objects.create(kind=Person.Kind.CHILD)
    _bulk_records(
        alice.agency,
        person,
        40,
        given_name_norm="amelia",
        family_name_norm="ravenscroft",
        date_of_birth=dt.date(2016, 4, 9),
        postcode="ZX1 4AB",
        address_norm="14 mill road",
    )
    candidates = online.candidate_records(_query())
    assert len(candidates) == 1
    assert candidates[0].person == person.pk
    assert online.match(_query()).best.person_id == person.pk


@override_settings(MATCHING={"MAX_CANDIDATES_LOOSE": 25})
def test_crowded_postcode_is_capped_but_the_name_and_dob_match_is_still_found(alice):
    crowd = [Person.objects.create(kind=Person.Kind.CHILD) for _ in range(60)]
    for i, person in enumerate(crowd):
        _bulk_records(
            alice.agency,
            person,
            1,
            given_name_norm=f"kid{i}",
            family_name_norm=f"crowd{i}",
            date_of_birth=dt.date(2001, 1, 1) + dt.timedelta(days=i),
            postcode="ZX1 4AB",
        )
    amelia = Person.objects.create(kind=Person.Kind.CHILD)
    _bulk_records(
        alice.agency,
        amelia,
        1,
        given_name_norm="amelia",
        family_name_norm="ravenscroft",
        date_of_birth=dt.date(2016, 4, 9),
        postcode="ZX1 4AB",
        address_norm="14 mill road",
    )
    with CaptureQueriesContext(connection) as queries:
        candidates = online.candidate_records(_query())
    assert len(queries) == 1  # one UNION query, however many rules apply
    crowd_ids = {p.pk for p in crowd}
    assert len([c for c in candidates if c.person in crowd_ids]) <= 25
    assert amelia.pk in {c.person for c in candidates}
    assert online.match(_query()).best.person_id == amelia.pk


def test_every_rule_applies_and_a_record_with_nothing_to_block_on_has_no_candidates():
    rules = online.blocking_rules(_query(nhs="9434765919", upn="A123456789012"))
    where = " ".join(rule for rule, _params, _cap in rules)
    for column in ("nhs_number", "upn", "date_of_birth", "postcode", "given_name_norm"):
        assert column in where
    assert online.candidate_records(prepare(None)) == []


def test_active_version_is_read_once_per_interval_and_afresh_after_saving(maria):
    from hub.matching import linkage, services

    assert online.active_scorer()[0] == 0
    with CaptureQueriesContext(connection) as queries:
        online.active_scorer()
    assert len(queries) == 0  # remembered: not one query per arriving record
    services.match_parameters_save(
        actor=maria, params=linkage.Parameters.default(), summary={}, activate=True
    )
    assert online.active_scorer()[0] == 1
