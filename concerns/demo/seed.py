"""Write the demo plan to the database: through the services (default size), or by COPY (scale).

* Services mode (the default ~200 children / ~1,000 concerns): every subject record, household
  link and concern goes through `concerns.services`, so each writes its audit event exactly as a
  practitioner's would, and resolution runs as it does live.
* Bulk mode (`--children`/`--concerns` beyond `SERVICES_LIMIT`, or `mode="bulk"`): rows are
  streamed with PostgreSQL COPY (psycopg 3 `cursor.copy`), ids reserved from the tables'
  sequences, and the whole run writes ONE summary audit event instead of one per row.

Idempotent: each household is written in one transaction, and a household whose first person's
GP record exists is skipped, so a second run (or a run after an interrupted one) adds only what
is missing. The catalogue (areas, agencies, users, terms) is created only where missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from agencies.models import Agency, Area, User
from audit.models import Action
from audit.services import audit_record
from concerns import services
from concerns.demo.catalogue import (
    AGENCIES,
    AGENCY_BY_CODE,
    AREAS,
    DEMO_PASSWORD,
    RECORDER,
    TERMS,
    USERS,
)
from concerns.demo.plan import DEFAULT_SEED, DemoPlan, HouseholdPlan, PersonPlan, agency_for
from concerns.models import (
    AgencyTerm,
    Concern,
    Household,
    HouseholdMember,
    Person,
    SubjectRecord,
)

SERVICES_LIMIT = 5_000  # concerns; above this, auto mode writes by COPY
BATCH_HOUSEHOLDS = 2_000


@dataclass
class SeedResult:
    mode: str
    plan_households: int
    plan_people: int
    plan_concerns: int
    created: dict[str, int] = field(default_factory=dict)
    skipped_households: int = 0
    seconds: float = 0.0
    audit_events: int = 0
    users: list[tuple[str, str, str, str]] = field(default_factory=list)
    special: list[tuple[str, int, str]] = field(default_factory=list)  # tag, person id, ref

    @property
    def changed(self) -> bool:
        return any(self.created.values())


Progress = Callable[[str], None]


# --------------------------------------------------------------------------------------------
# The catalogue: areas, agencies, users, agency terms
# --------------------------------------------------------------------------------------------


def _ensure_catalogue(created: dict[str, int]) -> tuple[dict[str, Agency], dict[str, User]]:
    areas = {}
    for spec in AREAS:
        area, new = Area.objects.get_or_create(
            code=spec.code, defaults={"name": spec.name, "postcode_districts": list(spec.districts)}
        )
        areas[spec.code] = area
        created["areas"] += new
    agencies = {}
    for spec in AGENCIES:
        agency, new = Agency.objects.get_or_create(
            code=spec.code, defaults={"name": spec.name, "kind": spec.kind}
        )
        if new:
            agency.areas.set([areas[code] for code in spec.areas])
        agencies[spec.code] = agency
        created["agencies"] += new
    password = None
    users = {}
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            password = password or make_password(DEMO_PASSWORD)  # hash once: it is slow
            admin = spec.role == User.Role.ADMINISTRATOR
            user = User.objects.create(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                agency=agencies[spec.agency],
                role=spec.role,
                job_title=spec.job_title,
                password=password,
                is_staff=admin,
                is_superuser=admin,
            )
            created["users"] += 1
        users[spec.username] = user
    for code, term, category, level, description in TERMS:
        _term, new = AgencyTerm.objects.get_or_create(
            agency=agencies[code],
            term=term,
            defaults={"category": category, "level": level, "description": description},
        )
        created["agency_terms"] += new
    return agencies, users


def subject_reference(agency_code: str, person_index: int) -> str:
    """The agency's own reference for a demo person, e.g. "FMP-00000042"."""
    return f"{AGENCY_BY_CODE[agency_code].ref_prefix}-{person_index:08d}"


def _subject_fields(agency_code: str, person: PersonPlan, hh: HouseholdPlan) -> dict[str, Any]:
    """What this agency would hold: health has the NHS number, schools the UPN."""
    role = AGENCY_BY_CODE[agency_code].role
    school_name = AGENCY_BY_CODE[person.school].name if person.school else ""
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "nhs_number": person.nhs_number if role in ("gp", "health_visiting") else "",
        "upn": person.upn if role in ("primary", "secondary", "school") else "",
        "address": hh.address,
        "postcode": hh.postcode,
        "school": school_name,
    }


def _marker_refs(plan: DemoPlan, start: int, stop: int) -> dict[str, int]:
    """For each household in [start, stop): the GP reference of its first person -> index."""
    refs = {}
    for i in range(start, min(stop, len(plan))):
        gp = agency_for(plan.household_area(i), "gp").code
        refs[subject_reference(gp, plan.person_start[i])] = i
    return refs


def _existing_households(plan: DemoPlan, start: int, stop: int) -> set[int]:
    refs = _marker_refs(plan, start, stop)
    found = set()
    gp_codes = [a.code for a in AGENCIES if a.role == "gp"]
    for chunk in _chunks(list(refs), 5_000):
        found.update(
            SubjectRecord.objects.filter(agency__code__in=gp_codes, external_reference__in=chunk)
            # Spelled out so PostgreSQL uses the partial unique index on (agency, reference).
            .exclude(external_reference="")
            .values_list("external_reference", flat=True)
        )
    return {refs[r] for r in found}


def _chunks(items: list, size: int) -> Iterable[list]:
    for k in range(0, len(items), size):
        yield items[k : k + size]


# --------------------------------------------------------------------------------------------
# Services mode
# --------------------------------------------------------------------------------------------


def _write_household_services(
    hh: HouseholdPlan, agencies: dict[str, Agency], users: dict[str, User], created: dict
) -> None:
    gp_code = agency_for(hh.area, "gp").code
    gp_actor = users[RECORDER[gp_code]]
    records: dict[tuple[str, int], SubjectRecord] = {}

    def record_for(code: str, position: int) -> SubjectRecord:
        person = hh.people[position]
        key = (code, position)
        if key not in records:
            records[key] = services.subject_record_create(
                actor=users[RECORDER[code]],
                agency=agencies[code],
                external_reference=subject_reference(code, person.index),
                kind=person.kind,
                **_subject_fields(code, person, hh),
            )
            created["subject_records"] += 1
        return records[key]

    with transaction.atomic():
        # Everyone is registered with the area's GP, who records the household.
        for position, person in enumerate(hh.people):
            record = record_for(gp_code, position)
            services.household_link(
                actor=gp_actor,
                person=record.person,
                relationship=person.relationship,
                address=hh.address,
                postcode=hh.postcode,
            )
            created["household_members"] += 1
        for c in hh.concerns:
            subject = record_for(c.agency, c.person)
            services.concern_record(
                actor=users[RECORDER[c.agency]],
                subject=subject,
                category=c.category,
                level=c.level,
                text=c.text,
                occurred_at=c.occurred_at,
                consent_status=c.consent_status,
                family_knows=c.family_knows,
                marker_health=c.marker_health,
                marker_do_not_disclose_family=c.marker_do_not_disclose_family,
                marker_police_investigation=c.marker_police_investigation,
                external_reference=c.reference,
            )
            created["concerns"] += 1


# --------------------------------------------------------------------------------------------
# Bulk mode: COPY
# --------------------------------------------------------------------------------------------


class _CopyTable:
    """COPY rows into MODEL's table giving only FIELDS; every other column gets its default.

    Built from the model's fields, so a column another app adds later (with a default) is
    filled in rather than breaking the seed.
    """

    def __init__(self, model: type[models.Model], fields: list[str], now: datetime) -> None:
        self.table = model._meta.db_table
        self.columns: list[str] = []
        self.template: list[Any] = []
        self.slots: list[int] = []
        given = {name: k for k, name in enumerate(fields)}
        positions: dict[int, int] = {}
        for f in model._meta.concrete_fields:
            if f.name in given or f.attname in given:
                positions[len(self.columns)] = given.get(f.name, given.get(f.attname))
                self.template.append(None)
            elif f.primary_key or getattr(f, "generated", False) or f.has_db_default():
                continue  # the database fills these in
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.template.append(now)
            else:
                self.template.append(f.get_db_prep_save(f.get_default(), connection))
            self.columns.append(f.column)
        self.slots = [positions[c] for c in sorted(positions)]
        self.slot_columns = sorted(positions)

    def copy(self, rows: Iterable[tuple]) -> int:
        quote = connection.ops.quote_name
        sql = f"COPY {quote(self.table)} ({', '.join(quote(c) for c in self.columns)}) FROM STDIN"
        n = 0
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            row = list(self.template)
            for values in rows:
                for column, slot in zip(self.slot_columns, self.slots, strict=True):
                    row[column] = values[slot]
                copy.write_row(row)
                n += 1
        return n


def _reserve_ids(model: type[models.Model], n: int) -> list[int]:
    if n == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, n],
        )
        return [row[0] for row in cursor.fetchall()]


class _BulkWriter:
    def __init__(
        self,
        agencies: dict[str, Agency],
        users: dict[str, User],
        areas: dict[str, int],
        now: datetime,
    ) -> None:
        self.agency_ids = {code: a.pk for code, a in agencies.items()}
        self.author_ids = {code: users[RECORDER[code]].pk for code in agencies}
        self.area_ids = areas
        self.now = now
        self.people = _CopyTable(Person, ["id", "kind", "area_id"], now)
        self.households = _CopyTable(Household, ["id", "address_key", "postcode", "area_id"], now)
        self.members = _CopyTable(
            HouseholdMember,
            ["household_id", "person_id", "relationship", "recorded_by_agency_id"],
            now,
        )
        self.subjects = _CopyTable(
            SubjectRecord,
            [
                "id", "agency_id", "person_id", "external_reference", "given_name",
                "family_name", "date_of_birth", "sex", "nhs_number", "upn", "address",
                "postcode", "school", "given_name_norm", "family_name_norm", "address_norm",
                "created_by_id",
            ],
            now,
        )  # fmt: skip
        self.concerns = _CopyTable(
            Concern,
            [
                "agency_id", "author_id", "subject_id", "category", "level", "text",
                "occurred_at", "family_knows", "consent_status", "marker_health",
                "marker_do_not_disclose_family", "marker_police_investigation",
                "external_reference", "recorded_at", "updated_at",
            ],
            now,
        )  # fmt: skip

    def write(self, batch: list[HouseholdPlan], created: dict[str, int]) -> None:
        from concerns.validators import normalise_address, normalise_name

        n_people = sum(len(hh.people) for hh in batch)
        person_ids = iter(_reserve_ids(Person, n_people))
        household_ids = iter(_reserve_ids(Household, len(batch)))
        people_rows, household_rows, member_rows = [], [], []
        subject_plans: list[tuple[str, PersonPlan, HouseholdPlan, int]] = []
        concern_plans = []
        for hh in batch:
            area_id = self.area_ids[hh.area.code]
            household_id = next(household_ids)
            household_rows.append((household_id, hh.address_key, hh.postcode, area_id))
            gp = agency_for(hh.area, "gp").code
            ids = []
            for person in hh.people:
                pid = next(person_ids)
                ids.append(pid)
                people_rows.append((pid, person.kind, area_id))
                member_rows.append((household_id, pid, person.relationship, self.agency_ids[gp]))
            wanted = {(gp, k) for k in range(len(hh.people))}
            wanted.update((c.agency, c.person) for c in hh.concerns)
            keys = {}
            for code, position in sorted(wanted):
                keys[(code, position)] = len(subject_plans)
                subject_plans.append((code, hh.people[position], hh, ids[position]))
            concern_plans.extend((c, keys[(c.agency, c.person)]) for c in hh.concerns)
        subject_ids = _reserve_ids(SubjectRecord, len(subject_plans))

        def subject_rows():
            for (code, person, hh, pid), sid in zip(subject_plans, subject_ids, strict=True):
                f = _subject_fields(code, person, hh)
                yield (
                    sid, self.agency_ids[code], pid, subject_reference(code, person.index),
                    f["given_name"], f["family_name"], f["date_of_birth"], f["sex"],
                    f["nhs_number"], f["upn"], f["address"], f["postcode"], f["school"],
                    normalise_name(f["given_name"]), normalise_name(f["family_name"]),
                    normalise_address(f["address"]), self.author_ids[code],
                )  # fmt: skip

        def concern_rows():
            for c, key in concern_plans:
                yield (
                    self.agency_ids[c.agency], self.author_ids[c.agency], subject_ids[key],
                    c.category, c.level, c.text, c.occurred_at, c.family_knows,
                    c.consent_status, c.marker_health, c.marker_do_not_disclose_family,
                    c.marker_police_investigation, c.reference, c.recorded_at, c.recorded_at,
                )  # fmt: skip

        created["people"] += self.people.copy(people_rows)
        created["households"] += self.households.copy(household_rows)
        created["household_members"] += self.members.copy(member_rows)
        created["subject_records"] += self.subjects.copy(subject_rows())
        created["concerns"] += self.concerns.copy(concern_rows())


# --------------------------------------------------------------------------------------------
# The seed
# --------------------------------------------------------------------------------------------


def demo_seed(
    *,
    children: int = 200,
    concerns: int = 1_000,
    mode: str = "auto",
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    """Create the demo data if it is missing. See the module docstring."""
    if mode == "auto":
        mode = "services" if concerns <= SERVICES_LIMIT else "bulk"
    if mode not in ("services", "bulk"):
        raise ValueError("mode must be auto, services or bulk")
    started = time.monotonic()
    say = progress or (lambda _msg: None)
    now = now or timezone.now()
    plan = DemoPlan(children=children, concerns=concerns, now=now, seed=seed)
    result = SeedResult(mode, len(plan), plan.people_total, plan.concerns_total)
    created = dict.fromkeys(
        (
            "areas",
            "agencies",
            "users",
            "agency_terms",
            "households",
            "people",
            "household_members",
            "subject_records",
            "concerns",
        ),
        0,
    )
    result.created = created
    audit_before = _audit_count()
    with transaction.atomic():
        agencies, users = _ensure_catalogue(created)
    areas = {a.code: a.pk for a in Area.objects.filter(code__in=[s.code for s in AREAS])}

    if mode == "services":
        done = _existing_households(plan, 0, len(plan))
        result.skipped_households = len(done)
        # Resolution and household_link decide how many people and households there are.
        people_before, households_before = Person.objects.count(), Household.objects.count()
        for i in range(len(plan)):
            if i not in done:
                _write_household_services(plan.household(i), agencies, users, created)
        created["people"] = Person.objects.count() - people_before
        created["households"] = Household.objects.count() - households_before
    else:
        writer = _BulkWriter(agencies, users, areas, plan.now)
        for start in range(0, len(plan), BATCH_HOUSEHOLDS):
            stop = min(len(plan), start + BATCH_HOUSEHOLDS)
            done = _existing_households(plan, start, stop)
            result.skipped_households += len(done)
            batch = [plan.household(i) for i in range(start, stop) if i not in done]
            if batch:
                with transaction.atomic():
                    writer.write(batch, created)
            say(
                f"  households {stop:,}/{len(plan):,}: {created['concerns']:,} concerns "
                f"written, {time.monotonic() - started:.0f}s"
            )
    if mode == "bulk" and created["concerns"]:
        _analyze()
    if any(created.values()):
        with transaction.atomic():
            audit_record(
                actor=None,
                action=Action.IMPORT,
                object_type="demo_seed",
                object_id=f"seed-{seed}",
                details={
                    "mode": mode,
                    "children": children,
                    "concerns": concerns,
                    "per_row_audit": mode == "services",
                    **{k: v for k, v in created.items() if v},
                },
            )
    result.seconds = time.monotonic() - started
    result.audit_events = _audit_count() - audit_before
    result.users = [
        (u.username, DEMO_PASSWORD, users[u.username].get_role_display(), agencies[u.agency].name)
        for u in USERS
    ]
    result.special = _special_children(plan)
    return result


def _analyze() -> None:
    """Refresh the planner's statistics after a bulk load, so the next queries plan well.

    PostgreSQL skips (with a warning, not an error) tables the connecting role does not own:
    run as hub_app, autovacuum catches up on its own a little later.
    """
    quote = connection.ops.quote_name
    models_ = (Person, Household, HouseholdMember, SubjectRecord, Concern)
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(quote(t) for t in tables))


def _audit_count() -> int:
    from audit.models import AuditEvent

    return AuditEvent.objects.count()


def _special_children(plan: DemoPlan) -> list[tuple[str, int, str]]:
    found = []
    for i, tag in enumerate(plan.specials):
        hh = plan.household(i)
        child = next(p for p in hh.people if p.kind == "child")
        gp = agency_for(hh.area, "gp").code
        ref = subject_reference(gp, child.index)
        person_id = (
            SubjectRecord.objects.filter(agency__code=gp, external_reference=ref)
            .values_list("person_id", flat=True)
            .first()
        )
        found.append((tag, person_id or 0, ref))
    return found
