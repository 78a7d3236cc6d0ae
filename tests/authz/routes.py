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
}

EXEMPT_NAMESPACES: dict[str, str] = {
    "admin": "Django admin, staff only; test_routes asserts that no concern-bearing model is "
    "registered in it, so it cannot show concerns around the policy",
}
