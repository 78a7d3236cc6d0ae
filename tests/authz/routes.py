"""The route registry of the authorization matrix.

Every URL name the resolver knows must be either

* in `ROUTES` — it returns concern data (or data about a child): the matrix requests it as every
  viewer for every concern state and checks the level the page shows against the policy; or
* in `NO_CONCERN_DATA` with the reason it returns none; or
* under a namespace in `EXEMPT_NAMESPACES` (with its reason and its own check).

`test_routes.py::test_every_route_is_registered` walks `get_resolver()` and fails for anything
else, so a new view that forgets the policy breaks the build.

Registering a route that shows concerns (a 3-line change), e.g. a concern detail page::

    register("concerns:detail", lambda s: reverse("concerns:detail", args=[s.concern.pk]))

The page must mark each concern it shows with `data-concern-id="<id>"` and
`data-visibility="none|existence|summary|full"` (including `templates/consent/_concern.html`
does this), and answer 404 when it shows nothing. For a JSON API pass `read=read_json`: the
response must hold objects with `"id"` and `"visibility"` (a level name or number), at any
depth. A route whose rows depend on more than the concern (say, only deciders may open it)
passes `expect=` to narrow the policy's level.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from consent.models import SharingDecision
from consent.policy import Visibility
from consent.services import can_decide_for
from tests.authz.world import Spec, Viewer


def read_card(response: Any, spec: Spec) -> Visibility:
    """The level an HTML page shows for SPEC's concern (404 or absent: NONE)."""
    if response.status_code == 404:
        return Visibility.NONE
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    match = re.search(rf'data-concern-id="{spec.concern.pk}"\s+data-visibility="(\w+)"', html)
    if match is None:
        return Visibility.NONE
    return Visibility[match.group(1).upper()]


def read_json(response: Any, spec: Spec) -> Visibility:
    """The level a JSON response shows for SPEC's concern (404 or absent: NONE)."""
    if response.status_code == 404:
        return Visibility.NONE
    assert response.status_code == 200, response.status_code

    def walk(node: Any) -> Visibility | None:
        if isinstance(node, dict):
            if node.get("id") == spec.concern.pk and "visibility" in node:
                value = node["visibility"]
                return Visibility[value.upper()] if isinstance(value, str) else Visibility(value)
            nodes = node.values()
        elif isinstance(node, list):
            nodes = node
        else:
            return None
        for child in nodes:
            found = walk(child)
            if found is not None:
                return found
        return None

    return walk(json.loads(response.content)) or Visibility.NONE


def policy(level: Visibility, viewer: Viewer, spec: Spec) -> Visibility:
    return level


@dataclass(frozen=True)
class Route:
    name: str
    path: Callable[[Spec], str | None]  # None: this spec has nothing to request here
    read: Callable[[Any, Spec], Visibility] = read_card
    expect: Callable[[Visibility, Viewer, Spec], Visibility] = policy


ROUTES: dict[str, Route] = {}


def register(
    name: str,
    path: Callable[[Spec], str | None],
    read: Callable[[Any, Spec], Visibility] = read_card,
    expect: Callable[[Visibility, Viewer, Spec], Visibility] = policy,
) -> None:
    ROUTES[name] = Route(name=name, path=path, read=read, expect=expect)


# ------------------------------------------------------------------------- consent's own pages

register("consent:concern_access", lambda s: reverse("consent:concern_access", args=[s.concern.pk]))
register(
    "consent:child_access",
    lambda s: reverse("consent:child_access", args=[s.concern.subject.person_id]),
)


def _decider_only(level: Visibility, viewer: Viewer, spec: Spec) -> Visibility:
    return level if can_decide_for(viewer.user, spec.concern.agency_id) else Visibility.NONE


register(
    "consent:decision_aid",
    lambda s: reverse("consent:decision_aid", args=["concern", s.concern.pk]),
    expect=_decider_only,
)
register(
    "consent:decision_aid_step",
    lambda s: reverse("consent:decision_aid_step", args=["concern", s.concern.pk, 4]),
    expect=_decider_only,
)


def _decision_path(spec: Spec) -> str | None:
    decision = SharingDecision.objects.filter(concern=spec.concern).first()
    return reverse("consent:decision_detail", args=[decision.pk]) if decision else None


def _decision_readers(level: Visibility, viewer: Viewer, spec: Spec) -> Visibility:
    decision = SharingDecision.objects.get(concern=spec.concern)
    user = viewer.user
    allowed = decision.decided_by_id == user.pk or (
        user.agency_id == decision.owner_agency_id
        and user.role in ("designated_lead", "mash_manager", "ig_lead")
    )
    return level if allowed else Visibility.NONE


register("consent:decision_detail", _decision_path, expect=_decision_readers)


# ---------------------------------------------------------------------- the concerns app's pages


def _own_agency_only(level: Visibility, viewer: Viewer, spec: Spec) -> Visibility:
    """Lists of the viewer's own agency's concerns: another agency's never appear."""
    return level if viewer.agency == spec.owner else Visibility.NONE


def _recent_path(spec: Spec) -> str:
    """The page of `concerns:recent` (newest recorded first, 25 a page) that holds SPEC's concern
    for a viewer of its agency who sees all of it (in the world, an agency's viewers see all of
    its concerns or none, so the position is the same for every viewer)."""
    from concerns.models import Concern
    from concerns.selectors import RECENT_PAGE_SIZE

    ids = list(
        Concern.objects.filter(agency_id=spec.concern.agency_id)
        .order_by("-recorded_at", "-pk")
        .values_list("pk", flat=True)
    )
    page = ids.index(spec.concern.pk) // RECENT_PAGE_SIZE + 1
    return f"{reverse('concerns:recent')}?page={page}"


def read_gate(response: Any, spec: Spec) -> Visibility:
    """Pages for changing a concern: 404 when out of scope, 403 (the concern exists, but you may
    not change it) when in scope but not the author or their lead, else the page's card."""
    if response.status_code == 403:
        return Visibility.EXISTENCE
    return read_card(response, spec)


def _changers_only(level: Visibility, viewer: Viewer, spec: Spec) -> Visibility:
    from concerns.selectors import can_change

    if level == Visibility.NONE:
        return Visibility.NONE
    return Visibility.FULL if can_change(viewer.user, spec.concern) else Visibility.EXISTENCE


register("concerns:detail", lambda s: reverse("concerns:detail", args=[s.concern.pk]))
register("concerns:recorded", lambda s: reverse("concerns:recorded", args=[s.concern.pk]))
register(
    "concerns:person", lambda s: reverse("concerns:person", args=[s.concern.subject.person_id])
)
register("concerns:recent", _recent_path, expect=_own_agency_only)
register(
    "concerns:amend",
    lambda s: reverse("concerns:amend", args=[s.concern.pk]),
    read=read_gate,
    expect=_changers_only,
)
register(
    "concerns:withdraw",
    lambda s: reverse("concerns:withdraw", args=[s.concern.pk]),
    read=read_gate,
    expect=_changers_only,
)

# --------------------------------------------------------------------------- triage and risk


def _triage_case_path(spec: Spec) -> str | None:
    """A MASH item about the child of each `mash_open` spec (its involvement is already open in
    area A, so the item changes no grant state). Other specs have no item to open."""
    if spec.state != "mash_open":
        return None
    from django.utils import timezone

    from agencies.models import Area
    from hub.triage.models import Band, TriageItem

    now = timezone.now()
    item = TriageItem.objects.create(
        person_id=spec.concern.subject.person_id,
        area=Area.objects.get(code="area-a"),
        source=TriageItem.Source.FLAG,
        band=Band.AMBER,
        clock_started_at=now,
        deadline_at=now + dt.timedelta(days=1),
        created_at=now,
        updated_at=now,
    )
    return reverse("triage:case", args=[item.pk])


def _area_a_mash_only(level: Visibility, viewer: Viewer, spec: Spec) -> Visibility:
    """A MASH case opens only for MASH staff of an agency serving the item's area (P and M)."""
    mash = viewer.role in ("mash_triager", "mash_manager") and viewer.agency in ("P", "M")
    return level if mash else Visibility.NONE


register("triage:case", _triage_case_path, expect=_area_a_mash_only)
register("triage:refer", lambda s: reverse("triage:refer", args=[s.concern.pk]))


def read_presence(response: Any, spec: Spec) -> Visibility:
    """Pages that open to anyone who sees at least one concern about the child, and list only
    the concerns a risk assessment names (the world has none): 200 reads as EXISTENCE, or the
    card's level when the page shows one."""
    if response.status_code == 404:
        return Visibility.NONE
    assert response.status_code == 200, response.status_code
    return max(read_card(response, spec), Visibility.EXISTENCE)


def _at_least_existence(level: Visibility, viewer: Viewer, spec: Spec) -> Visibility:
    # The world's children live in area B, served by no MASH agency: no viewer is the area's MASH.
    return Visibility.EXISTENCE if level > Visibility.NONE else Visibility.NONE


register(
    "risk:child",
    lambda s: reverse("risk:child", args=[s.concern.subject.person_id]),
    read=read_presence,
    expect=_at_least_existence,
)

# ------------------------------------------------------------------------------------- the API

_SCOPE_REFUSAL = "does not allow this"


def read_api(response: Any, spec: Spec) -> Visibility:
    """`read_json`, where a 403 is the scope gate refusing the viewer's role outright (whatever
    the concern): it shows nothing. Any other 403 fails the read."""
    if response.status_code == 403:
        assert _SCOPE_REFUSAL in response.content.decode(), response.content
        return Visibility.NONE
    return read_json(response, spec)


def _recording_roles(level: Visibility, viewer: Viewer, spec: Spec) -> Visibility:
    """Concern and child reads need `concerns:read` / `children:read`: the IG lead (audit scope
    only) is refused."""
    return Visibility.NONE if viewer.role == "ig_lead" else level


def _own_agency_recording_roles(level: Visibility, viewer: Viewer, spec: Spec) -> Visibility:
    return _recording_roles(_own_agency_only(level, viewer, spec), viewer, spec)


register(
    "api:concern-list",
    lambda s: f"{reverse('api:concern-list')}?after={s.concern.pk - 1}&limit=1",
    read=read_api,
    expect=_own_agency_recording_roles,
)
register(
    "api:concern-detail",
    lambda s: reverse("api:concern-detail", args=[s.concern.pk]),
    read=read_api,
    expect=_own_agency_recording_roles,
)


register(
    "api:child-chronology",
    lambda s: reverse("api:child-chronology", args=[s.concern.subject.person_id]),
    read=read_api,
    expect=_recording_roles,
)


def read_api_presence(response: Any, spec: Spec) -> Visibility:
    """The API twin of `read_presence`: a 200 opens to anyone who sees at least one concern
    about the child (the world has no assessments, so no contribution is listed)."""
    if response.status_code == 403:
        assert _SCOPE_REFUSAL in response.content.decode(), response.content
        return Visibility.NONE
    if response.status_code == 404:
        return Visibility.NONE
    assert response.status_code == 200, response.status_code
    return Visibility.EXISTENCE


register(
    "api:child-risk",
    lambda s: reverse("api:child-risk", args=[s.concern.subject.person_id]),
    read=read_api_presence,
    expect=lambda level, viewer, spec: _recording_roles(
        _at_least_existence(level, viewer, spec), viewer, spec
    ),
)


# ------------------------------------------------------------------- routes with no concern data

NO_CONCERN_DATA: dict[str, str] = {
    "home": "the signed-in landing page: the user's own name and role",
    "health": "liveness probe: {'status': 'ok'}",
    "login": "sign-in form",
    "logout": "sign-out",
    "consent:decision_list": "the agency's own decision records (ids, recipients, bases) for its "
    "deciders and IG lead; no concern content",
    "consent:decision_revoke": "a revocation form; 404 unless the viewer decides for the owner",
    "consent:consent_records": "consent records about a child; 404 unless the viewer sees at "
    "least one concern about the child (tests/consent/test_views.py)",
    "consent:consent_withdraw": "POST only; same 404 rule as consent_records",
    "consent:break_glass": "a form; MASH managers only, others 404 (tests/consent)",
    "consent:break_glass_detail": "the grant (reason, justification, times): the manager and "
    "the people told only",
    "consent:notifications": "the user's own notifications (ids and links, no concern data)",
    "consent:notification_read": "POST only: marks the user's own notification read",
    # concerns
    "concerns:find": "searches the actor's own agency's records of people only (no concerns); "
    "tests/concerns_ui/test_log_concern.py",
    "concerns:new_person": "an empty form to record a new person and concern",
    "concerns:new_for_subject": "a form for the actor's own agency's record of a person (404 for "
    "another agency's: tests/concerns_ui/test_log_concern.py "
    "test_another_agencys_person_cannot_be_used); shows no concern",
    "concerns_upload:upload": "the bulk-upload form and its own upload's row report (the "
    "uploader's rows, not stored concerns); tests/concerns_data/test_upload_page.py",
    # triage: POST-only actions that redirect to the case (their permission is tested there)
    "triage:reassign": "POST only, MASH managers (404 otherwise), redirects to the queue; "
    "tests/triage/test_queue.py test_bulk_reassignment_is_for_managers_only",
    "triage:assign": "POST only, MASH staff of the item's area (404 otherwise), redirects to the "
    "case; tests/triage/test_queue.py",
    "triage:rate": "POST only, MASH staff of the item's area, redirects to the case; "
    "tests/triage/test_queue.py test_changing_a_rating_needs_a_rationale_...",
    "triage:request_create": "POST only, MASH staff of the item's area, redirects to the case; "
    "tests/triage/test_requests.py",
    "triage:decide": "POST only, MASH staff of the item's area, redirects to the case; "
    "tests/triage/test_queue.py, tests/triage/test_decisions.py",
    "triage:reopen": "POST only, MASH staff of the item's area, redirects to the case; the rule "
    "is the service's: tests/triage/test_decisions.py test_reopening_is_recorded_...",
    "triage:sign_off": "POST only, MASH managers of the item's area, redirects to the case; "
    "tests/triage/test_decisions.py test_red_needs_a_managers_sign_off",
    "triage:request_answer": "one information request to the viewer's agency (the child's name "
    "as the agency holds it, the MASH's question); designated leads of the asked agency only, "
    "others 404: tests/triage/test_requests.py. The world has no requests to ask",
    # matching: the review screens show identity records, never concerns
    "matching:review": "one candidate link (two people's identity records and the evidence); "
    "MASH staff of its area only, others 404: tests/matching/test_pages.py "
    "test_non_mash_or_other_area_gets_404",
    "matching:unmerge": "POST only, MASH staff of the merge's area, redirects to the merges "
    "page; tests/matching/test_pages.py test_accept_merges_then_unmerge_...",
    "matching:household": "a household's members and which agencies know them (no concerns); "
    "the area's MASH or an agency holding a member, others 404: tests/matching/test_pages.py "
    "test_household_is_404_to_agencies_without_a_member_and_other_areas",
    # audit: objects the world does not make; the IG-lead-only gate is in AUDIENCES and in
    # tests/audit/test_ig_views.py
    "audit:break_glass_review": "one break-glass audit event's review form: IG lead only, "
    "tests/audit/test_ig_views.py test_break_glass_review_is_appended_not_edited / "
    "test_review_of_a_non_break_glass_event_is_404",
    "audit:report": "one monitoring report (counts and actor ids): IG lead only, "
    "tests/audit/test_monitoring.py",
    "audit:report_rebuild": "POST only, IG lead only, redirects to the reports; "
    "tests/audit/test_monitoring.py",
    # the API
    "api:concern-bulk": "POST only: submits concerns for the credential's own agency and answers "
    "with receipts (ids of the submitter's own concerns); tests/api/test_submit.py",
    "api:concern-withdraw": "POST only: the own agency's concern (404 otherwise), answers with a "
    "receipt; tests/api/test_submit.py test_withdraw_with_idempotency_key, "
    "tests/api/test_authorization.py",
    "api:information-request-list": "the agency's information requests (designated-lead "
    "systems; scope info_requests:read): tests/api/test_requests_and_sharing.py "
    "test_requests_are_scoped_to_the_agency. The world has no requests",
    "api:information-request-detail": "as information-request-list, one request",
    "api:information-request-answer": "POST only, scope info_requests:answer; "
    "tests/api/test_requests_and_sharing.py",
    "api:sharing-decision-list": "POST only (create): records a sharing decision for the "
    "caller's own agency's concern; tests/api/test_requests_and_sharing.py "
    "test_other_agencies_cannot_decide_about_the_schools_concern",
    "api:schema": "the OpenAPI document",
    "api:docs": "Swagger UI page for the schema",
    "api:redoc": "ReDoc page for the schema",
    "api:credentials": "the agency administrator's API credentials (names, scopes); "
    "administrators only, tests/api/test_credentials.py",
    "api:credential-revoke": "POST only, the agency administrator revokes a credential; "
    "tests/api/test_credentials.py test_revocation_is_audited_...",
}

# Unnamed routes, by pattern.
UNNAMED_NO_CONCERN_DATA: dict[str, str] = {
    "^assets/(?P<path>.+)$": "redirects to the static asset of that name",
    "^v1/.*$": "the API's catch-all: a problem+json 404 for unknown API paths",
}


@dataclass(frozen=True)
class Audience:
    """A route whose audience is a role, not a concern's grant: who gets 200 (others 404, or
    `refused` for the API's scope gate). Its content is checked by the owning app's tests."""

    path: Callable[[Any], str]  # the world -> path
    allowed: Callable[[Viewer], bool]
    refused: int = 404
    why: str = ""


def _ig_lead(viewer: Viewer) -> bool:
    return viewer.role == "ig_lead"


def _mash_staff(viewer: Viewer) -> bool:
    # MASH roles of any agency are MASH staff; their queue scope is their agency's areas.
    return viewer.role in ("mash_triager", "mash_manager")


def _child_of_world(world: Any) -> int:
    return world.specs[0].concern.subject.person_id


AUDIENCES: dict[str, Audience] = {
    "audit:events": Audience(
        lambda w: reverse("audit:events"), _ig_lead, why="audit events: actor and child ids"
    ),
    "audit:export": Audience(lambda w: reverse("audit:export"), _ig_lead, why="CSV of events"),
    "audit:child": Audience(
        lambda w: reverse("audit:child", args=[_child_of_world(w)]),
        _ig_lead,
        why="who viewed a child's records",
    ),
    "audit:disclosures": Audience(
        lambda w: reverse("audit:disclosures"), _ig_lead, why="sharing decisions made"
    ),
    "audit:break_glass": Audience(
        lambda w: reverse("audit:break_glass"), _ig_lead, why="break-glass uses"
    ),
    "audit:reports": Audience(
        lambda w: reverse("audit:reports"), _ig_lead, why="monitoring reports"
    ),
    "api:audit-events": Audience(
        lambda w: reverse("api:audit-events"), _ig_lead, refused=403, why="scope audit:read"
    ),
    "api:audit-verification": Audience(
        lambda w: reverse("api:audit-verification"), _ig_lead, refused=403, why="scope audit:read"
    ),
    "triage:queue": Audience(
        lambda w: reverse("triage:queue"), _mash_staff, why="MASH items of the user's areas"
    ),
    "triage:summary": Audience(
        lambda w: reverse("triage:summary"),
        lambda v: v.role == "mash_manager",
        why="the manager's counts",
    ),
    "triage:inbox": Audience(
        lambda w: reverse("triage:inbox"),
        lambda v: v.role == "designated_lead",
        why="information requests to the agency",
    ),
    "triage:feedback": Audience(
        lambda w: reverse("triage:feedback"),
        lambda v: True,
        why="the MASH's progress on the user's own agency's referred concerns "
        "(tests/triage/test_feedback.py checks it lists only those)",
    ),
    "matching:queue": Audience(lambda w: reverse("matching:queue"), _mash_staff),
    "matching:merges": Audience(lambda w: reverse("matching:merges"), _mash_staff),
    "matching:new_adults": Audience(lambda w: reverse("matching:new_adults"), _mash_staff),
    "risk:tuning": Audience(
        lambda w: reverse("risk:tuning"),
        lambda v: v.role == "mash_manager",
        why="risk parameters; no child data",
    ),
}

EXEMPT_NAMESPACES: dict[str, str] = {
    "admin": "Django admin, staff only; test_routes asserts that no concern-bearing model is "
    "registered in it, so it cannot show concerns around the policy",
}
