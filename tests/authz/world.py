"""The authorization matrix's world and its oracle.

`build_world()` makes agencies, one user per (agency, role), and one concern per
(owner setting × marker × grant state), each about its own child so states never mix.
`expected(viewer, spec)` is the rule written out again, independently of the SQL in
`consent.policy`, from the issue's words: the matrix asserts the two agree everywhere.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.utils import timezone

from agencies.models import Agency, User
from concerns.models import Concern, Household, HouseholdMember
from consent.models import (
    AreaSharingAgreement,
    BreakGlassGrant,
    ConsentRecord,
    MashInvolvement,
    SharingDecision,
)
from consent.policy import Visibility
from tests.factories import (
    AgencyFactory,
    AreaFactory,
    ConcernFactory,
    PersonFactory,
    SubjectRecordFactory,
    UserFactory,
)

E, S, F, N = Visibility.EXISTENCE, Visibility.SUMMARY, Visibility.FULL, Visibility.NONE

ROLES = [r.value for r in User.Role if r != User.Role.ADMINISTRATOR]
# Owner agencies differ only in their same-agency setting. P is the police (the usual recipient
# agency), H a health agency (a named recipient, in the consent scope), M the MASH (serves area A
# with an agreement); P also serves area A, so MASH-role users there count as MASH staff.
OWNERS = {"O_full": "full", "O_summary": "summary", "O_none": "none"}
OTHERS = {"P": Agency.Kind.POLICE, "H": Agency.Kind.HEALTH, "M": Agency.Kind.CHILDRENS_SOCIAL_CARE}
MARKERS = ["none", "health", "police", "family", "sealed"]
STATES = [
    "nothing",
    "dec_agency_full",  # to P, FULL, Article 9 given, cap not lifted
    "dec_agency_full_lift",  # to P, FULL, Article 9 given, marker cap lifted
    "dec_agency_full_noart9",  # to P, FULL, no Article 9 (a marker added after the decision)
    "dec_agency_existence",  # to P, EXISTENCE
    "dec_user_full",  # to H's practitioner by name, FULL, Article 9, lift
    "dec_area_summary",  # to area A's MASH, SUMMARY
    "dec_area_full_lift",  # to area A's MASH, FULL, Article 9, lift
    "dec_child_full",  # whole record up to after the concern, to P, FULL, Article 9
    "dec_child_before",  # whole record up to before the concern was recorded
    "dec_revoked",
    "dec_expired",
    "dec_refused",
    "dec_consent_live",  # to P on consent, consent covering owner and P is live
    "dec_consent_withdrawn",
    "consent_live",  # child's consent covering owner and H
    "consent_withdrawn",
    "consent_refused",
    "consent_family",  # family (household) consent covering owner and H
    "mash_open",
    "mash_closed",
    "mash_open_no_agreement",  # open in area B, which has no agreement
    "break_glass_live",  # M's MASH manager
    "break_glass_expired",
]


@dataclass
class Spec:
    owner: str
    marker: str
    state: str
    concern: Concern | None = None


@dataclass
class Viewer:
    agency: str
    role: str
    user: User
    is_author: bool = False


@dataclass
class World:
    agencies: dict[str, Agency]
    viewers: list[Viewer]
    specs: list[Spec]
    users: dict[tuple[str, str], User] = field(default_factory=dict)


def expected(viewer: Viewer, spec: Spec) -> Visibility:
    """The rule, from the issue's words."""
    if viewer.is_author and viewer.agency == spec.owner:
        return F
    if viewer.agency == spec.owner:
        if viewer.role in ("designated_lead", "mash_manager"):
            return F
        return {"full": F, "summary": S, "none": N}[OWNERS[spec.owner]]
    if spec.marker == "sealed":
        return N
    mash_staff = viewer.role in ("mash_triager", "mash_manager") and viewer.agency in ("P", "M")
    st = spec.state
    marker_capped = spec.marker in ("police", "family")
    health_capped = spec.marker == "health" and viewer.agency != "H"

    def cap(level: Visibility, *, lift: bool = False, art9: bool = False) -> Visibility:
        if marker_capped and not lift:
            level = min(level, E)
        if health_capped and not art9:
            level = min(level, S)
        return Visibility(level)

    levels = [N]
    if st in ("dec_agency_full", "dec_child_full") and viewer.agency == "P":
        levels.append(cap(F, art9=True))
    if st == "dec_agency_full_lift" and viewer.agency == "P":
        levels.append(cap(F, lift=True, art9=True))
    if st == "dec_agency_full_noart9" and viewer.agency == "P":
        levels.append(cap(F))
    if st == "dec_agency_existence" and viewer.agency == "P":
        levels.append(cap(E))
    if st == "dec_user_full" and viewer.agency == "H" and viewer.role == "practitioner":
        levels.append(cap(F, lift=True, art9=True))
    if st == "dec_area_summary" and mash_staff:
        levels.append(cap(S))
    if st == "dec_area_full_lift" and mash_staff:
        levels.append(cap(F, lift=True, art9=True))
    if st == "dec_consent_live" and viewer.agency == "P":
        levels.append(cap(F, art9=True))  # the decision
        levels.append(cap(S))  # and the consent itself
    if st in ("consent_live", "consent_family") and viewer.agency == "H":
        levels.append(cap(S))
    if st == "mash_open" and mash_staff:
        levels.append(cap(S))
    if st == "break_glass_live" and viewer.agency == "M" and viewer.role == "mash_manager":
        levels.append(F)
    return max(levels)


def build_world() -> World:
    now = timezone.now()
    area_a = AreaFactory(code="area-a", name="Area A")
    area_b = AreaFactory(code="area-b", name="Area B")
    AreaSharingAgreement.objects.create(
        area=area_a,
        title="Area A MASH agreement",
        article6="public_task",
        effective_from=dt.date(2020, 1, 1),
    )
    agencies: dict[str, Agency] = {}
    for code, setting in OWNERS.items():
        agencies[code] = AgencyFactory(
            code=code.lower().replace("_", "-"),
            name=code,
            kind=Agency.Kind.EDUCATION,
            same_agency_visibility=setting,
            areas=[area_b],
        )
    for code, kind in OTHERS.items():
        agencies[code] = AgencyFactory(
            code=code.lower(),
            name=code,
            kind=kind,
            areas=[area_a] if code in ("P", "M") else [area_b],
        )
    users: dict[tuple[str, str], User] = {}
    viewers: list[Viewer] = []
    for code, agency in agencies.items():
        for role in ROLES:
            user = UserFactory(username=f"{code}-{role}".lower(), agency=agency, role=role)
            users[(code, role)] = user
            viewers.append(Viewer(agency=code, role=role, user=user))
        if code in OWNERS:
            author = UserFactory(
                username=f"{code}-author".lower(), agency=agency, role="practitioner"
            )
            users[(code, "author")] = author
            viewers.append(Viewer(agency=code, role="practitioner", user=author, is_author=True))

    specs: list[Spec] = []
    for owner, marker, state in itertools.product(OWNERS, MARKERS, STATES):
        spec = Spec(owner=owner, marker=marker, state=state)
        spec.concern = _make_concern(spec, agencies, users, area_a, area_b, now)
        specs.append(spec)
    return World(agencies=agencies, viewers=viewers, specs=specs, users=users)


def _make_concern(spec, agencies, users, area_a, area_b, now) -> Concern:
    owner = agencies[spec.owner]
    person = PersonFactory(area=area_b)
    subject = SubjectRecordFactory(agency=owner, person=person)
    concern = ConcernFactory(
        subject=subject,
        agency=owner,
        author=users[(spec.owner, "author")],
        marker_health=spec.marker == "health",
        marker_police_investigation=spec.marker == "police",
        marker_do_not_disclose_family=spec.marker == "family",
        marker_sealed=spec.marker == "sealed",
        recorded_at=now - dt.timedelta(days=2),
    )
    lead = users[(spec.owner, "designated_lead")]
    st = spec.state

    def decision(**kw) -> SharingDecision:
        base = dict(
            owner_agency=owner,
            person=person,
            concern=concern,
            share=True,
            level=int(F),
            purpose="Matrix purpose",
            necessity="Matrix necessity",
            article6="public_task",
            decided_by=lead,
            decided_at=now,
            family_told=True,
        )
        base.update(kw)
        return SharingDecision.objects.create(**base)

    def consent(agency_codes, *, status="given", household=None) -> ConsentRecord:
        record = ConsentRecord.objects.create(
            person=None if household else person,
            household=household,
            purposes=["safeguarding"],
            status=status,
            given_by="parent",
            given_on=now.date(),
            evidence="Signed form",
            recorded_by=lead,
            recorded_by_agency=owner,
            recorded_at=now,
            withdrawn_at=now if status == "withdrawn" else None,
        )
        record.agencies.set([agencies[c] for c in agency_codes])
        return record

    p = agencies["P"]
    if st == "dec_agency_full":
        decision(recipient_agency=p, article9="9_2_g_sch1_para18")
    elif st == "dec_agency_full_lift":
        decision(recipient_agency=p, article9="9_2_g_sch1_para18", lift_marker_cap=True)
    elif st == "dec_agency_full_noart9":
        decision(recipient_agency=p)
    elif st == "dec_agency_existence":
        decision(recipient_agency=p, level=int(E))
    elif st == "dec_user_full":
        decision(
            recipient_user=users[("H", "practitioner")],
            article9="9_2_h_sch1_para2",
            lift_marker_cap=True,
        )
    elif st == "dec_area_summary":
        decision(recipient_area=area_a, level=int(S))
    elif st == "dec_area_full_lift":
        decision(recipient_area=area_a, article9="9_2_h_sch1_para2", lift_marker_cap=True)
    elif st == "dec_child_full":
        decision(recipient_agency=p, concern=None, up_to=now, article9="9_2_h_sch1_para2")
    elif st == "dec_child_before":
        decision(
            recipient_agency=p,
            concern=None,
            up_to=now - dt.timedelta(days=3),
            article9="9_2_h_sch1_para2",
        )
    elif st == "dec_revoked":
        decision(
            recipient_agency=p,
            article9="9_2_h_sch1_para2",
            revoked_at=now,
            revoked_by=lead,
            revoked_reason="No longer needed",
        )
    elif st == "dec_expired":
        decision(
            recipient_agency=p,
            article9="9_2_h_sch1_para2",
            review_on=timezone.localdate() - dt.timedelta(days=1),
        )
    elif st == "dec_refused":
        decision(recipient_agency=p, share=False, article6="")
    elif st == "dec_consent_live":
        consent([spec.owner, "P"])
        decision(recipient_agency=p, article6="consent", article9="9_2_h_sch1_para2")
    elif st == "dec_consent_withdrawn":
        consent([spec.owner, "P"], status="withdrawn")
        decision(recipient_agency=p, article6="consent", article9="9_2_h_sch1_para2")
    elif st == "consent_live":
        consent([spec.owner, "H"])
    elif st == "consent_withdrawn":
        consent([spec.owner, "H"], status="withdrawn")
    elif st == "consent_refused":
        consent([spec.owner, "H"], status="refused")
    elif st == "consent_family":
        household = Household.objects.create(area=area_b)
        HouseholdMember.objects.create(household=household, person=person, relationship="child")
        consent([spec.owner, "H"], household=household)
    elif st == "mash_open":
        MashInvolvement.objects.create(person=person, area=area_a, reason="flag", opened_at=now)
    elif st == "mash_closed":
        MashInvolvement.objects.create(
            person=person, area=area_a, reason="flag", opened_at=now, closed_at=now
        )
    elif st == "mash_open_no_agreement":
        MashInvolvement.objects.create(person=person, area=area_b, reason="flag", opened_at=now)
    elif st in ("break_glass_live", "break_glass_expired"):
        live = st == "break_glass_live"
        BreakGlassGrant.objects.create(
            user=users[("M", "mash_manager")],
            person=person,
            reason="public_interest",
            justification="Matrix emergency",
            granted_at=now - dt.timedelta(minutes=10 if live else 90),
            expires_at=now + dt.timedelta(minutes=50) if live else now - dt.timedelta(minutes=30),
        )
    return concern
