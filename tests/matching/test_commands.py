"""The training command stores a new active version that online matching then uses; the
online benchmark runs end to end on a tiny set and leaves nothing behind."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from concerns.models import Person, SubjectRecord
from hub.matching import bench, online
from hub.matching.models import MatchParameters
from tests.factories import AgencyFactory, PersonFactory, SubjectRecordFactory

pytestmark = pytest.mark.django_db


def _load(rows):
    agency = AgencyFactory(code="train-agency")
    people: dict[str, Person] = {}
    for row in rows:
        person = people.setdefault(row["cluster_id"], PersonFactory())
        SubjectRecordFactory(
            agency=agency,
            person=person,
            given_name=row["forename"],
            family_name=row["surname"],
            given_name_norm=row["forename"],
            family_name_norm=row["surname"],
            date_of_birth=bench.parse_dob(row["dob"]),
            postcode=row["postcode"],
            address_norm=row["address"],
            nhs_number=row["nhs_number"],
            upn=row["upn"],
        )


def test_train_matching_stores_an_active_version_used_online():
    _load(bench.synthetic_rows(600, seed=5))
    out = io.StringIO()
    call_command("train_matching", "--u-pairs", "20000", stdout=out)
    version = MatchParameters.objects.get(is_active=True)
    assert version.version == 1
    assert set(version.parameters["m"]) >= {"forename", "surname", "dob", "residence"}
    assert "Saved parameters version 1" in out.getvalue()
    number, _scorer = online.active_scorer()
    assert number == 1
    call_command("train_matching", "--u-pairs", "20000", stdout=io.StringIO())
    assert MatchParameters.objects.filter(is_active=True).get().version == 2
    assert MatchParameters.objects.count() == 2
    saved = AuditEvent.objects.filter(action="match.parameters", object_type="match_parameters")
    assert sorted(saved.values_list("object_id", flat=True)) == ["1", "2"]


def test_train_matching_dry_run_and_too_few_records():
    out = io.StringIO()
    call_command("train_matching", "--dry-run", stdout=out)
    assert "Too few records" in out.getvalue()
    assert not MatchParameters.objects.exists()


def test_online_bench_runs_and_rolls_back():
    from hub.matching.online_bench import run_online

    before = SubjectRecord.objects.count()
    figures = run_online(400, 10, io.StringIO())
    assert figures["queries"] == 10 and figures["people"] == 400
    assert figures["median_ms"] > 0
    assert SubjectRecord.objects.count() == before


def test_bench_file_columns_round_trip(tmp_path):
    rows = bench.synthetic_rows(50, seed=2)
    path = tmp_path / "people.csv"
    import csv

    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=bench.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    back = bench.records_from_rows(bench.rows_from_file(path), today=date(2026, 11, 1))
    assert len(back) == 50
    assert back[0].key[1] == rows[0]["cluster_id"]


def test_group_households_by_address_is_idempotent(alice, charlie, maria):
    import datetime as dt

    from django.core.management.base import CommandError

    from concerns import services as concern_services
    from concerns.models import HouseholdMember

    child = concern_services.subject_record_create(
        actor=alice,
        given_name="Amelia",
        family_name="Ravenscroft",
        date_of_birth=dt.date(2016, 4, 9),
        postcode="ZX1 4AB",
        address="14 Mill Road",
    )
    adult = concern_services.subject_record_create(
        actor=charlie,
        given_name="Dean",
        family_name="Slater",
        date_of_birth=dt.date(1990, 2, 3),
        postcode="ZX1 4AB",
        address="14, Mill Road",
        kind=Person.Kind.ADULT,
    )
    elsewhere = concern_services.subject_record_create(
        actor=charlie,
        given_name="Zara",
        family_name="Okafor",
        date_of_birth=dt.date(1985, 6, 1),
        postcode="ZX1 4AB",
        address="16 Mill Road",
        kind=Person.Kind.ADULT,
    )
    out = io.StringIO()
    call_command("group_households", "--username", "maria", stdout=out)
    assert "2 household memberships created" in out.getvalue()
    child_home = HouseholdMember.objects.get(person=child.person).household
    assert HouseholdMember.objects.get(person=adult.person).household == child_home
    assert HouseholdMember.objects.get(person=adult.person).relationship == "other_adult"
    assert not HouseholdMember.objects.filter(person=elsewhere.person).exists()
    call_command("group_households", "--username", "maria", stdout=io.StringIO())
    assert HouseholdMember.objects.count() == 2
    with pytest.raises(CommandError):
        call_command("group_households", "--username", "alice", stdout=io.StringIO())


def test_rematch_people_queues_existing_duplicates_without_merging(area, school, police):
    from hub.matching.models import CandidateLink

    first, second, other = PersonFactory(area=area), PersonFactory(area=area), PersonFactory()
    common = dict(
        given_name="Amelia",
        family_name="Ravenscroft",
        given_name_norm="amelia",
        family_name_norm="ravenscroft",
        date_of_birth=date(2016, 4, 9),
        postcode="ZX1 4AB",
        address_norm="14 mill road",
    )
    SubjectRecordFactory(agency=school, person=first, **common)
    SubjectRecordFactory(agency=police, person=second, **common)
    SubjectRecordFactory(
        agency=police,
        person=other,
        given_name="Oscar",
        family_name="Nwosu",
        given_name_norm="oscar",
        family_name_norm="nwosu",
        date_of_birth=date(2009, 1, 30),
    )
    out = io.StringIO()
    call_command("rematch_people", stdout=out)
    assert "1 possible matches queued" in out.getvalue()
    link = CandidateLink.objects.get()
    assert (link.candidate_person_id, link.new_person_id) == (first.pk, second.pk)
    assert Person.objects.get(pk=second.pk).merged_into_id is None
    call_command("rematch_people", stdout=io.StringIO())  # idempotent while open
    assert CandidateLink.objects.count() == 1
