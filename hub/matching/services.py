"""Every write matching makes: resolving an arriving record, the review queue, merge and
unmerge, parameter versions and households by address. Each takes the acting user (None for
the system), runs in one transaction and writes its audit event there.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from agencies.models import Agency, User
from audit.models import Action
from audit.services import audit_record
from concerns.models import HouseholdMember, Person, SubjectRecord
from concerns.resolution import SubjectDetails, area_for, survivor_of
from concerns.services import household_link, people_changed
from hub.matching import conf, linkage, online
from hub.matching.comparisons import swap_day_month
from hub.matching.models import CandidateLink, MatchParameters, Merge


def _require_mash(actor: User | None) -> None:
    if actor is not None and not getattr(actor, "is_mash_staff", False):
        raise PermissionDenied("Only MASH staff can decide whether records are one person")


# --- resolution of an arriving record ---------------------------------------------------------


def find_person(details: SubjectDetails) -> Person | None:
    """The existing person DETAILS would be linked to automatically, if any (read-only)."""
    result = online.match(online.record_from_details(details))
    if result.decision == linkage.Decision.LINK and result.best is not None:
        return survivor_of(Person.objects.get(pk=result.best.person_id))
    return None


# Advisory-lock namespaces (the first key of pg_advisory_xact_lock(int, int)).
_LOCK_DOB, _LOCK_SURNAME = 0x6D61_7401, 0x6D61_7402


def _serialise_arrivals(rec: linkage.MatchRecord) -> None:
    """Make arrivals that could be one new child wait for each other.

    Two systems can send the same child at the same moment; each transaction would otherwise
    match before the other's record is committed and both would create a person. A
    transaction-scoped advisory lock on the date of birth (and its day/month swap), or on the
    surname when there is no date, makes the second wait until the first commits; its match
    then sees the first one's record. Keys are taken in sorted order, so two arrivals never
    wait for each other in a circle. Arrivals of different children rarely share a key, and
    the lock is held only for the rest of the saving transaction.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("resolve_subject must run inside the transaction that saves the record")
    keys: set[tuple[int, int]] = set()
    if rec.dob is not None:
        keys.add((_LOCK_DOB, rec.dob.toordinal()))
        swapped = swap_day_month(rec.dob)
        if swapped is not None:
            keys.add((_LOCK_DOB, swapped.toordinal()))
    elif rec.surname:
        keys.add((_LOCK_SURNAME, zlib.crc32(rec.surname.encode()) & 0x7FFF_FFFF))
    if not keys:
        return
    # One statement: PostgreSQL evaluates a select list left to right, so the keys are still
    # taken in sorted order.
    ordered = sorted(keys)
    calls = ", ".join(["pg_advisory_xact_lock(%s, %s)"] * len(ordered))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", [v for pair in ordered for v in pair])


def resolve_subject(*, details: SubjectDetails, agency: Agency, kind: str) -> Person:
    """The person an arriving record belongs to: linked, new (and queued for review), or new.

    Called by `concerns.resolution.resolve_person` inside the transaction that saves the record.
    """
    record = online.record_from_details(details)
    _serialise_arrivals(record)
    result = online.match(record)
    best = result.best
    if best is not None and best.decision == linkage.Decision.LINK:
        return survivor_of(Person.objects.get(pk=best.person_id))
    person = Person.objects.create(kind=kind, area=area_for(details.postcode, agency))
    limit = int(conf.get("MAX_REVIEW_CANDIDATES"))
    for score in [s for s in result.scored if s.decision != linkage.Decision.NEW][:limit]:
        candidate_link_open(
            actor=None,
            new_person=person,
            candidate_person=Person.objects.get(pk=score.person_id),
            score=score,
            version=result.version,
        )
    return person


def candidate_link_open(
    *,
    actor: User | None,
    new_person: Person,
    candidate_person: Person,
    score: online.PersonScore,
    version: int,
) -> CandidateLink | None:
    """Queue a pair for MASH review (unless these two were already judged different)."""
    candidate_person = survivor_of(candidate_person)
    if candidate_person.pk == new_person.pk:
        return None
    pair = {new_person.pk, candidate_person.pk}
    judged = CandidateLink.objects.filter(
        status=CandidateLink.Status.REJECTED,
        new_person_id__in=pair,
        candidate_person_id__in=pair,
    ).exists()
    if judged:
        return None
    with transaction.atomic():
        link, created = CandidateLink.objects.get_or_create(
            new_person=new_person,
            candidate_person=candidate_person,
            status=CandidateLink.Status.OPEN,
            defaults={
                "area": candidate_person.area or new_person.area,
                "weight": round(score.weight, 3),
                "probability": score.probability,
                "evidence": [asdict(e) for e in score.evidence],
                "reasons": list(score.reasons),
                "parameters_version": version,
                "created_at": timezone.now(),
            },
        )
        if created:
            audit_record(
                actor=actor,
                action=Action.MATCH_REVIEW_QUEUED,
                object_type="candidate_link",
                object_id=link.pk,
                child_id=candidate_person.pk,
                details={
                    "new_person_id": new_person.pk,
                    "probability": round(score.probability, 4),
                    "reasons": list(score.reasons),
                },
            )
    return link


def candidate_link_accept(*, actor: User, link: CandidateLink, note: str = "") -> Merge:
    """MASH staff say the two are one person: merge the newer into the candidate."""
    _require_mash(actor)
    with transaction.atomic():
        link = CandidateLink.objects.select_for_update().get(pk=link.pk)
        if link.status != CandidateLink.Status.OPEN:
            raise ValidationError({"__all__": ["This match has already been decided"]})
        # Either side may have been merged since the link was queued: decide on survivors.
        survivor = survivor_of(link.candidate_person)
        absorbed = survivor_of(link.new_person)
        if survivor.pk == absorbed.pk:
            link.status = CandidateLink.Status.WITHDRAWN
            link.decided_at = timezone.now()
            link.decided_by = actor
            link.decision_note = "Already one person"
            link.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
            raise ValidationError({"__all__": ["These records are already one person"]})
        merge = person_merge(
            actor=actor,
            survivor=survivor,
            absorbed=absorbed,
            reason=note.strip() or "Accepted in the matching review queue",
            candidate_link=link,
        )
        link.status = CandidateLink.Status.ACCEPTED
        link.decided_at = timezone.now()
        link.decided_by = actor
        link.decision_note = note.strip()
        link.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    return merge


def candidate_link_reject(*, actor: User, link: CandidateLink, note: str = "") -> CandidateLink:
    """MASH staff say the two are different people; they are not proposed again."""
    _require_mash(actor)
    with transaction.atomic():
        link = CandidateLink.objects.select_for_update().get(pk=link.pk)
        if link.status != CandidateLink.Status.OPEN:
            raise ValidationError({"__all__": ["This match has already been decided"]})
        link.status = CandidateLink.Status.REJECTED
        link.decided_at = timezone.now()
        link.decided_by = actor
        link.decision_note = note.strip()
        link.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        audit_record(
            actor=actor,
            action=Action.MATCH_REJECTED,
            object_type="candidate_link",
            object_id=link.pk,
            child_id=link.candidate_person_id,
            details={"new_person_id": link.new_person_id},
        )
    return link


def rematch_existing(*, actor: User | None = None) -> int:
    """Look again for duplicates among the people the hub already holds; queue them for review.

    For records that arrived before a training run, or two arrivals of one new child at the
    same moment. Never merges by itself: every pair it finds at review level or above (that
    is not already judged different) goes to the MASH queue. Returns the links opened.
    """
    records = online.all_records()
    version, scorer = online.active_scorer()
    limits = online.thresholds()
    result = linkage.dedupe(records, scorer.params, limits)
    best: dict[tuple[int, int], tuple[float, int, int]] = {}
    for i, j, weight in result.edges:
        a, b = records[i], records[j]
        if a.person == b.person:
            continue
        key = (min(a.person, b.person), max(a.person, b.person))
        if key not in best or weight > best[key][0]:
            best[key] = (weight, i, j)
    opened = 0
    for (older, newer), (_weight, i, j) in sorted(best.items()):
        a, b = records[i], records[j]
        weight, reasons = linkage.pair_score(scorer, a, b, limits)
        if weight is None:
            continue
        ident = bool(a.upn and a.upn == b.upn) or bool(a.nhs and a.nhs == b.nhs)
        decision = linkage.decide(weight, limits, reasons, identifier_agrees=ident)
        if decision == linkage.Decision.NEW:
            continue
        score = online.PersonScore(
            person_id=older,
            weight=weight,
            probability=linkage.probability(weight),
            best_record=a,
            evidence=scorer.evidence(a, b),
            reasons=reasons,
            identifier_agrees=ident,
            decision=decision,
        )
        link = candidate_link_open(
            actor=actor,
            new_person=Person.objects.get(pk=newer),
            candidate_person=Person.objects.get(pk=older),
            score=score,
            version=version,
        )
        opened += int(link is not None)
    return opened


# --- merge and unmerge ------------------------------------------------------------------------


def _valid_nhs_numbers(person: Person) -> set[str]:
    return set(
        SubjectRecord.objects.filter(person=person)
        .exclude(nhs_number="")
        .values_list("nhs_number", flat=True)
    )


def person_merge(
    *,
    actor: User | None,
    survivor: Person,
    absorbed: Person,
    reason: str,
    candidate_link: CandidateLink | None = None,
) -> Merge:
    """Move ABSORBED's records and household memberships to SURVIVOR, keeping what moved."""
    _require_mash(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why these records are the same person"]})
    with transaction.atomic():
        people = {
            p.pk: p
            for p in Person.objects.select_for_update().filter(pk__in=[survivor.pk, absorbed.pk])
        }
        survivor, absorbed = people[survivor.pk], people[absorbed.pk]
        if survivor.pk == absorbed.pk:
            raise ValidationError({"__all__": ["A person cannot be merged with themselves"]})
        if survivor.merged_into_id or absorbed.merged_into_id:
            raise ValidationError({"__all__": ["One of these people has already been merged"]})
        a, b = _valid_nhs_numbers(survivor), _valid_nhs_numbers(absorbed)
        if a and b and a != b:
            raise ValidationError(
                {"__all__": ["They have different NHS numbers, so they are not the same person"]}
            )
        record_ids = list(
            SubjectRecord.objects.filter(person=absorbed)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        SubjectRecord.objects.filter(pk__in=record_ids).update(person=survivor)
        survivor_households = set(
            HouseholdMember.objects.filter(person=survivor, left_on__isnull=True).values_list(
                "household_id", flat=True
            )
        )
        membership_ids = list(
            HouseholdMember.objects.filter(person=absorbed, left_on__isnull=True)
            .exclude(household_id__in=survivor_households)
            .values_list("pk", flat=True)
        )
        HouseholdMember.objects.filter(pk__in=membership_ids).update(person=survivor)
        absorbed.merged_into = survivor
        absorbed.save(update_fields=["merged_into"])
        merge = Merge.objects.create(
            survivor=survivor,
            absorbed=absorbed,
            candidate_link=candidate_link,
            reason=reason.strip(),
            record_ids=record_ids,
            membership_ids=membership_ids,
            merged_at=timezone.now(),
            merged_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.MERGE,
            object_type="person",
            object_id=survivor.pk,
            child_id=survivor.pk,
            details={
                "merge_id": merge.pk,
                "absorbed_person_id": absorbed.pk,
                "record_ids": record_ids,
                "membership_ids": membership_ids,
            },
        )
        people_changed(actor=actor, person_ids={survivor.pk, absorbed.pk})
    return merge


def person_unmerge(*, actor: User | None, merge: Merge, reason: str) -> Merge:
    """Undo MERGE: the records and memberships that moved go back to the absorbed person."""
    _require_mash(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why this merge was wrong"]})
    with transaction.atomic():
        merge = Merge.objects.select_for_update().get(pk=merge.pk)
        if merge.unmerged_at is not None:
            raise ValidationError({"__all__": ["This merge has already been undone"]})
        survivor = Person.objects.select_for_update().get(pk=merge.survivor_id)
        absorbed = Person.objects.select_for_update().get(pk=merge.absorbed_id)
        if survivor.merged_into_id is not None:
            raise ValidationError(
                {"__all__": ["The surviving person was merged again later: undo that first"]}
            )
        moved = SubjectRecord.objects.filter(pk__in=merge.record_ids, person=survivor)
        moved.update(person=absorbed)
        HouseholdMember.objects.filter(pk__in=merge.membership_ids, person=survivor).update(
            person=absorbed
        )
        absorbed.merged_into = None
        absorbed.save(update_fields=["merged_into"])
        merge.unmerged_at = timezone.now()
        merge.unmerged_by = actor
        merge.unmerge_reason = reason.strip()
        merge.save(update_fields=["unmerged_at", "unmerged_by", "unmerge_reason"])
        if merge.candidate_link_id:
            CandidateLink.objects.filter(pk=merge.candidate_link_id).update(
                status=CandidateLink.Status.REJECTED, decision_note="Merge undone"
            )
        audit_record(
            actor=actor,
            action=Action.UNMERGE,
            object_type="person",
            object_id=survivor.pk,
            child_id=survivor.pk,
            details={
                "merge_id": merge.pk,
                "absorbed_person_id": absorbed.pk,
                "record_ids": merge.record_ids,
                "membership_ids": merge.membership_ids,
            },
        )
        people_changed(actor=actor, person_ids={survivor.pk, absorbed.pk})
    return merge


# --- parameters -------------------------------------------------------------------------------


def match_parameters_save(
    *,
    actor: User | None,
    params: linkage.Parameters,
    summary: dict[str, Any],
    activate: bool = True,
) -> MatchParameters:
    """Store a newly trained version (and make it the active one)."""
    with transaction.atomic():
        latest = MatchParameters.objects.aggregate(v=Max("version"))["v"] or 0
        if activate:
            MatchParameters.objects.filter(is_active=True).update(is_active=False)
        version = MatchParameters.objects.create(
            version=latest + 1,
            is_active=activate,
            parameters=params.to_json(),
            summary=summary,
            created_at=timezone.now(),
            trained_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.MATCH_PARAMETERS,
            object_type="match_parameters",
            object_id=version.version,
            details={"active": activate},
        )
        # Other requests of this process take the new version once it is committed; this
        # caller (a command, a test in its transaction) takes it at once.
        transaction.on_commit(online.forget_active_version)
    online.forget_active_version()
    return version


# --- households by address --------------------------------------------------------------------


def households_group_by_address(*, actor: User) -> int:
    """Put people who share a normalised address (and postcode) into one household each.

    Uses `concerns.services.household_link`, so every membership is audited there. Returns the
    number of memberships created.
    """
    created = 0
    rows = (
        SubjectRecord.objects.exclude(address_norm="")
        .exclude(postcode="")
        .filter(person__merged_into__isnull=True)
        .values_list("person_id", "address", "address_norm", "postcode", "person__kind")
        .order_by("postcode", "address_norm", "person_id")
    )
    by_key: dict[str, list[tuple[int, str, str, str]]] = {}
    for person_id, address, address_norm, postcode, kind in rows:
        by_key.setdefault(f"{address_norm}|{postcode}", []).append(
            (person_id, address, postcode, kind)
        )
    for people in by_key.values():
        distinct = {p[0]: p for p in people}
        if len(distinct) < 2:
            continue
        for person_id, address, postcode, kind in distinct.values():
            person = Person.objects.get(pk=person_id)
            with transaction.atomic():
                before = HouseholdMember.objects.filter(person=person).count()
                household_link(
                    actor=actor,
                    person=person,
                    relationship=HouseholdMember.Relationship.CHILD
                    if kind == Person.Kind.CHILD
                    else HouseholdMember.Relationship.OTHER_ADULT,
                    address=address,
                    postcode=postcode,
                )
                created += HouseholdMember.objects.filter(person=person).count() - before
    return created
