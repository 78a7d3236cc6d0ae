"""The importer: good, bad, duplicate and conflicting lines; nothing half-saved; households."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied

from agencies.models import User
from audit.models import AuditEvent
from concerns import services
from concerns.importer import Status, import_file
from concerns.models import AgencyTerm, Concern, HouseholdMember, Person, SubjectRecord
from tests.concerns_data.conftest import NHS_BEN, base_record, run
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def statuses(report):
    return [(r.line, r.status) for r in report.results]


def test_good_bad_and_duplicate_lines_are_reported_by_line_number(alice):
    good = base_record()
    bad = base_record(reference="NS-C-0002", level=7, subject=None)
    second = base_record(
        reference="NS-C-0003",
        subject={"reference": "NS-P-0002", "given_name": "Ben", "family_name": "Testcase"},
    )
    report = run(alice, good, "", bad, second, good)

    # Blank line 2 is skipped but still counted, so line numbers match the file.
    assert statuses(report) == [
        (1, Status.CREATED),
        (3, Status.INVALID),
        (4, Status.CREATED),
        (5, Status.ALREADY_IMPORTED),
    ]
    paths = {e.path for e in report.results[1].errors}
    assert paths == {"level", "subject"}
    assert Concern.objects.filter(agency=alice.agency).count() == 2
    assert report.failed


def test_reimporting_the_same_file_creates_nothing_twice(alice):
    records = [base_record(), base_record(reference="NS-C-0002", level=1)]
    first = run(alice, *records)
    assert [r.status for r in first.results] == [Status.CREATED, Status.CREATED]
    counts = (Concern.objects.count(), SubjectRecord.objects.count(), Person.objects.count())
    events = AuditEvent.objects.exclude(action="import").count()

    again = run(alice, *records)

    assert [r.status for r in again.results] == [Status.ALREADY_IMPORTED] * 2
    assert not again.failed
    assert (Concern.objects.count(), SubjectRecord.objects.count(), Person.objects.count()) == (
        counts
    )
    assert AuditEvent.objects.exclude(action="import").count() == events


def test_a_different_resend_under_the_same_reference_is_a_conflict(alice):
    run(alice, base_record())
    changed = base_record(text="Something else entirely.", level=3)
    report = run(alice, changed)
    (result,) = report.results
    assert result.status == Status.CONFLICT
    assert result.errors[0].path == "reference"
    assert "level" in result.errors[0].message and "text" in result.errors[0].message
    # No concern text reaches the report.
    assert "Something else" not in result.reason
    assert Concern.objects.get(external_reference="NS-C-0001").level == 2


def test_resend_after_an_amendment_is_still_already_imported(alice):
    run(alice, base_record())
    concern = Concern.objects.get(external_reference="NS-C-0001")
    services.concern_amend(actor=alice, concern=concern, reason="Typo", level=3)
    (result,) = run(alice, base_record()).results
    assert result.status == Status.ALREADY_IMPORTED


def test_a_line_whose_concern_fails_after_a_valid_subject_leaves_nothing(alice, monkeypatch):
    # The subject is valid and is written first; the concern is then refused by the service.
    # Nothing of the line may remain: no subject record, no person, no audit event.
    from django.core.exceptions import ValidationError

    def failing_concern_record(**kwargs):
        raise ValidationError({"text": ["Refused by the service"]})

    monkeypatch.setattr(services, "concern_record", failing_concern_record)
    before = AuditEvent.objects.count()
    (result,) = run(alice, base_record()).results

    assert result.status == Status.INVALID
    assert [str(e) for e in result.errors] == ["text: Refused by the service"]
    assert not SubjectRecord.objects.exists()
    assert not Person.objects.exists()
    assert not HouseholdMember.objects.exists()
    # Only the import's summary event was written.
    assert list(AuditEvent.objects.filter(seq__gt=before).values_list("action", flat=True)) == [
        "import"
    ]


def test_a_line_whose_household_member_is_unknown_leaves_nothing(alice):
    record = base_record(
        household={
            "address": "1 Synthetic Row",
            "postcode": "ZX1 4AB",
            "members": [{"reference": "NS-P-9999", "relationship": "parent"}],
        }
    )
    (result,) = run(alice, record).results
    assert result.status == Status.INVALID
    assert result.errors[0].path == "household.members[0].reference"
    assert not SubjectRecord.objects.exists()
    assert not Concern.objects.exists()


def test_household_links_by_address_and_by_reference(alice):
    mother = {
        "reference": "NS-P-0100",
        "relationship": "parent",
        "subject": {"given_name": "Cara", "family_name": "Testcase", "postcode": "ZX1 4AB"},
    }
    amy = base_record(
        household={"address": "1 Synthetic Row", "postcode": "zx1 4ab", "members": [mother]}
    )
    ben = base_record(
        reference="NS-C-0002",
        subject={
            "reference": "NS-P-0002",
            "given_name": "Ben",
            "family_name": "Testcase",
            "nhs_number": NHS_BEN,
        },
        household={"members": [{"reference": "NS-P-0001", "relationship": "sibling"}]},
    )
    report = run(alice, amy, ben)
    assert [r.status for r in report.results] == [Status.CREATED, Status.CREATED]

    amy_person = SubjectRecord.objects.get(external_reference="NS-P-0001").person
    household = amy_person.households.get().household
    assert household.postcode == "ZX1 4AB"
    members = {
        m.person.records.get().external_reference: m.relationship
        for m in household.members.select_related("person")
    }
    # Ben had no household, so he joined the one his sister already lives in.
    assert members == {"NS-P-0001": "child", "NS-P-0002": "child", "NS-P-0100": "parent"}
    cara = SubjectRecord.objects.get(external_reference="NS-P-0100")
    assert cara.person.kind == Person.Kind.ADULT
    assert amy_person.households.count() == 1


def test_other_agencys_lines_are_refused_per_line(alice, police):
    own = base_record()
    other = base_record(reference="SP-1", agency="shire-police")
    unknown = base_record(reference="X-1", agency="no-such-agency")
    report = run(alice, own, other, unknown)
    assert statuses(report) == [(1, Status.CREATED), (2, Status.REFUSED), (3, Status.REFUSED)]
    # Unknown and other agencies read the same.
    assert report.results[1].reason == report.results[2].reason
    assert not Concern.objects.filter(agency=police).exists()


def test_charlie_of_the_police_cannot_import_for_the_school(charlie, school):
    (result,) = run(charlie, base_record()).results
    assert result.status == Status.REFUSED
    assert result.errors[0].path == "agency"
    assert not Concern.objects.filter(agency=school).exists()
    assert not SubjectRecord.objects.exists()


def test_roles_that_cannot_record_cannot_import(school):
    ig = UserFactory(username="ig", agency=school, role=User.Role.IG_LEAD)
    with pytest.raises(PermissionDenied):
        run(ig, base_record())
    assert not AuditEvent.objects.filter(action="import").exists()


def test_agency_terms_map_onto_category_and_level(alice, school):
    AgencyTerm.objects.create(agency=school, term="Lunch", category="neglect", level=2)
    AgencyTerm.objects.create(agency=school, term="Serious", level=4)
    record = base_record(category="lunch", level=None)
    second = base_record(reference="NS-C-0002", category="Emotional abuse", level="Serious")
    report = run(alice, record, second)
    assert [r.status for r in report.results] == [Status.CREATED, Status.CREATED]
    first, other = Concern.objects.order_by("pk")
    assert (first.category, first.level) == ("neglect", 2)
    assert (other.category, other.level) == ("emotional_abuse", 4)


def test_field_paths_for_bad_identifiers_and_values(alice):
    record = base_record(
        subject={
            "reference": "NS-P-0001",
            "given_name": "",
            "family_name": "Testcase",
            "nhs_number": "9990000019",
            "postcode": "not a postcode",
            "date_of_birth": "02/03/2016",
            "sex": "Q",
            "favourite": "x",
        },
        occurred_at="2016-01-01",
        markers=["health", "gossip"],
        consent_status="maybe",
        household={"members": [{"reference": "NS-P-0001", "relationship": "cousin"}]},
    )
    (result,) = run(alice, record).results
    assert result.status == Status.INVALID
    assert {e.path for e in result.errors} == {
        "subject.given_name",
        "subject.nhs_number",
        "subject.postcode",
        "subject.date_of_birth",
        "subject.sex",
        "subject.favourite",
        "occurred_at",
        "markers",
        "consent_status",
        "household.members[0].reference",
        "household.members[0].relationship",
    }


def test_future_dates_naive_times_and_markers(alice):
    future = base_record(occurred_at=(dt.datetime.now() + dt.timedelta(days=3)).isoformat())  # noqa: DTZ005
    naive = base_record(
        reference="NS-C-0002",
        occurred_at="2025-06-01T09:30:00",
        markers={"health": True, "police_investigation": False},
    )
    report = run(alice, future, naive)
    assert report.results[0].status == Status.INVALID
    assert report.results[0].errors[0].path == "occurred_at"
    assert report.results[1].status == Status.CREATED
    concern = Concern.objects.get(external_reference="NS-C-0002")
    # A time without an offset is UK local time (BST in June: 08:30 UTC).
    assert concern.occurred_at == dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)
    assert concern.marker_health and not concern.marker_police_investigation


def test_malformed_json_and_non_objects(alice):
    report = run(alice, "{not json", "[1, 2]", '{"agency": NaN}')
    assert [r.status for r in report.results] == [Status.INVALID] * 3
    assert report.results[0].reason.startswith("Not valid JSON")


def test_not_utf8_and_overlong_lines(alice):
    from concerns import importer

    data = b'{"a": "\xff"}\n' + b"x" * (importer.MAX_LINE_BYTES + 10) + b"\n"
    report = import_file(actor=alice, stream=io.BytesIO(data), fmt="jsonl")
    assert [r.line for r in report.results] == [1, 2]
    assert "UTF-8" in report.results[0].reason
    assert "longer" in report.results[1].reason


def test_one_summary_audit_event_per_import(alice):
    report = run(alice, base_record(), base_record(reference="NS-C-0002", level=9))
    event = AuditEvent.objects.get(action="import")
    assert event.seq == report.audit_seq
    assert event.actor_id == alice.pk
    assert event.object_id == report.sha256
    assert event.details["created"] == 1 and event.details["invalid"] == 1
    # And the services wrote their own events for the saved line.
    assert AuditEvent.objects.filter(action="concern.create").count() == 1
    assert AuditEvent.objects.filter(action="subject.create").exists()
    text = str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert "Amy" not in text and "hungry" not in text


def test_a_concurrent_import_of_the_same_reference_is_caught_by_the_database(alice, monkeypatch):
    # Another import saves NS-C-0001 between this line's check and its insert: the unique
    # constraint refuses the insert, the savepoint rolls back, and the line is compared again.
    from concerns import importer

    run(alice, base_record())
    real_find = importer._find_existing
    calls = []

    def misses_once(record):
        calls.append(record.reference)
        return None if len(calls) == 1 else real_find(record)

    monkeypatch.setattr(importer, "_find_existing", misses_once)
    events = AuditEvent.objects.exclude(action="import").count()
    (result,) = run(alice, base_record()).results
    assert result.status == Status.ALREADY_IMPORTED
    assert len(calls) == 2
    assert Concern.objects.count() == 1
    assert AuditEvent.objects.exclude(action="import").count() == events
