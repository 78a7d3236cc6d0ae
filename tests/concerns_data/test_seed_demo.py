"""seed_demo: the cast it creates, the jigsaw and control children, idempotency, both modes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction

from agencies.models import Agency, Area, User
from audit.models import AuditEvent
from concerns.demo.catalogue import AGENCIES, DEMO_PASSWORD, USERS
from concerns.demo.seed import demo_seed
from concerns.models import Concern, Household, HouseholdMember, Person, SubjectRecord
from concerns.validators import nhs_number_is_valid, upn_is_valid

pytestmark = pytest.mark.django_db

SMALL = {"children": 12, "concerns": 40}
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Area,
            Agency,
            User,
            Person,
            Household,
            HouseholdMember,
            SubjectRecord,
            Concern,
            AuditEvent,
        )
    }


def snapshot() -> dict[str, object]:
    """The demo data as values, independent of ids, so two runs can be compared."""
    concerns = set(
        Concern.objects.values_list(
            "agency__code",
            "external_reference",
            "subject__external_reference",
            "author__username",
            "category",
            "level",
            "occurred_at",
            "text",
            "consent_status",
            "family_knows",
            "marker_health",
            "marker_police_investigation",
            "marker_do_not_disclose_family",
        )
    )
    subjects = set(
        SubjectRecord.objects.values_list(
            "agency__code",
            "external_reference",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "nhs_number",
            "upn",
            "address",
            "postcode",
            "school",
            "given_name_norm",
            "address_norm",
            "person__kind",
            "person__area__code",
        )
    )
    people: dict[int, set[str]] = {}
    for person_id, ref in SubjectRecord.objects.values_list("person_id", "external_reference"):
        people.setdefault(person_id, set()).add(ref)
    households: dict[int, set[tuple[str, str]]] = {}
    for household_id, person_id, relationship in HouseholdMember.objects.values_list(
        "household_id", "person_id", "relationship"
    ):
        refs = ",".join(sorted(people[person_id]))
        households.setdefault(household_id, set()).add((refs, relationship))
    keys = set(Household.objects.values_list("address_key", "postcode", "area__code"))
    return {
        "concerns": concerns,
        "subjects": subjects,
        "people": {frozenset(refs) for refs in people.values()},
        "households": {frozenset(members) for members in households.values()},
        "household_keys": keys,
    }


def test_small_seed_through_the_services_is_idempotent():
    first = demo_seed(**SMALL, now=NOW)
    assert first.mode == "services"
    assert Concern.objects.count() == first.plan_concerns == SMALL["concerns"]
    assert Person.objects.filter(kind="child").count() == SMALL["children"]
    # Every concern went through concern_record, so each has its audit event, plus one summary.
    assert AuditEvent.objects.filter(action="concern.create").count() == SMALL["concerns"]
    assert AuditEvent.objects.filter(action="import", object_type="demo_seed").count() == 1
    counts = table_counts()

    second = demo_seed(**SMALL, now=NOW + dt.timedelta(days=3))

    assert not second.changed
    assert second.skipped_households == first.plan_households
    assert table_counts() == counts


def test_bulk_mode_writes_the_same_data_with_one_summary_audit_event():
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        demo_seed(**SMALL, now=NOW, mode="services")
        by_services = snapshot()
        raise Rollback

    result = demo_seed(**SMALL, now=NOW, mode="bulk")
    assert result.created["concerns"] == SMALL["concerns"]
    assert snapshot() == by_services
    assert list(AuditEvent.objects.values_list("action", "object_type")) == [
        ("import", "demo_seed")
    ]
    event = AuditEvent.objects.get()
    assert event.details["per_row_audit"] is False
    assert event.details["concerns"] == SMALL["concerns"]

    counts = table_counts()
    again = demo_seed(**SMALL, now=NOW, mode="bulk")
    assert not again.changed
    assert table_counts() == counts


class _Stop(Exception):
    pass


def test_an_interrupted_bulk_run_is_completed_by_the_next(monkeypatch):
    from concerns.demo import seed

    monkeypatch.setattr(seed, "BATCH_HOUSEHOLDS", 3)
    with pytest.raises(_Stop), transaction.atomic():
        demo_seed(children=30, concerns=90, now=NOW, mode="bulk")
        uninterrupted = snapshot()
        raise _Stop

    real_write = seed._BulkWriter.write
    calls = []

    def write_then_fail(self, batch, created):
        calls.append(len(batch))
        if len(calls) == 3:
            raise _Stop  # the third batch fails part-way: its transaction rolls back whole
        real_write(self, batch, created)

    monkeypatch.setattr(seed._BulkWriter, "write", write_then_fail)
    with pytest.raises(_Stop):
        demo_seed(children=30, concerns=90, now=NOW, mode="bulk")
    assert Household.objects.count() == 6  # two batches of three
    monkeypatch.setattr(seed._BulkWriter, "write", real_write)

    result = demo_seed(children=30, concerns=90, now=NOW, mode="bulk")

    assert result.skipped_households == 6
    assert snapshot() == uninterrupted


def test_jigsaw_children_and_the_control_family():
    result = demo_seed(**SMALL, now=NOW)
    tags = [tag for tag, _person, _ref in result.special]
    assert tags == ["jigsaw", "jigsaw", "jigsaw", "control"]
    for tag, person_id, _ref in result.special:
        concerns = Concern.objects.filter(subject__person_id=person_id).select_related("agency")
        if tag == "jigsaw":
            kinds = sorted(c.agency.kind for c in concerns)
            assert kinds == ["education", "health", "police"]
            # Each is low-level on its own, and all fall within a few weeks.
            assert all(c.level <= 2 for c in concerns)
            assert all(NOW - c.occurred_at < dt.timedelta(days=35) for c in concerns)
        else:
            (accident,) = concerns
            assert (accident.category, accident.level, accident.family_knows) == (
                "injury",
                1,
                "yes",
            )
        # The child lives with adults.
        household = HouseholdMember.objects.get(person_id=person_id).household
        assert household.members.filter(person__kind="adult").exists()


def test_identifiers_are_synthetic_and_valid_and_concerns_span_18_months():
    demo_seed(children=40, concerns=300, now=NOW, mode="bulk")
    nhs = list(SubjectRecord.objects.exclude(nhs_number="").values_list("nhs_number", flat=True))
    assert nhs and all(n.startswith("999") and nhs_number_is_valid(n) for n in nhs)
    upns = list(SubjectRecord.objects.exclude(upn="").values_list("upn", flat=True))
    assert upns and all(upn_is_valid(u) for u in upns)
    districts = {p.split(" ")[0] for p in SubjectRecord.objects.values_list("postcode", flat=True)}
    assert districts <= {"ZX1", "ZX2", "ZX3", "ZX4", "ZY1", "ZY2", "ZY3", "ZY4"}
    dates = list(Concern.objects.values_list("occurred_at", flat=True))
    assert min(dates) >= NOW - dt.timedelta(days=549) and max(dates) < NOW
    assert max(dates) - min(dates) > dt.timedelta(days=365)
    assert all(c.recorded_at >= c.occurred_at for c in Concern.objects.all())


def test_the_cast_one_user_per_role_and_working_sign_ins():
    demo_seed(children=10, concerns=0, now=NOW)
    police = Agency.objects.get(code="demo-marchshire-police")
    assert police.areas.count() == 2
    for spec in AGENCIES:
        agency = Agency.objects.get(code=spec.code)
        assert agency.members.filter(role=User.Role.DESIGNATED_LEAD).exists(), spec.code
    practitioners = User.objects.filter(role=User.Role.PRACTITIONER)
    assert practitioners.values("agency").distinct().count() > 5
    for area in Area.objects.filter(code__startswith="demo-"):
        for role in (User.Role.MASH_TRIAGER, User.Role.MASH_MANAGER):
            user = User.objects.get(role=role, agency__areas=area)
            assert user.agency.kind == Agency.Kind.CHILDRENS_SOCIAL_CARE
    assert User.objects.filter(role=User.Role.IG_LEAD).count() == 1
    assert User.objects.get(role=User.Role.ADMINISTRATOR).is_staff
    for spec in USERS:
        assert authenticate(username=spec.username, password=DEMO_PASSWORD) is not None


def test_command_refuses_without_debug_and_prints_the_sign_ins(settings, capsys):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", children=10, concerns=20)
    assert not User.objects.exists()

    call_command("seed_demo", children=10, concerns=20, allow_non_debug=True)
    out = capsys.readouterr().out
    assert "username" in out and "password" in out
    for spec in USERS:
        assert spec.username in out
    assert DEMO_PASSWORD in out
    assert "Services mode" in out

    settings.DEBUG = True
    call_command("seed_demo", children=10, concerns=20)
    assert "nothing changed" in capsys.readouterr().out

    call_command("seed_demo", children=10, concerns=20, mode="bulk")
    assert "summary audit event" in capsys.readouterr().out
