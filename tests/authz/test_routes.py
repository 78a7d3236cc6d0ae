"""Every route that returns concern data, requested as every kind of viewer for every marker and
consent/decision state, shows exactly the level the policy allows (404 for NONE); and every
route the resolver knows is either registered or declared free of concern data."""

from __future__ import annotations

import os

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from concerns.models import Concern
from consent import models as consent_models
from tests.authz.routes import (
    AUDIENCES,
    EXEMPT_NAMESPACES,
    NO_CONCERN_DATA,
    ROUTES,
    UNNAMED_NO_CONCERN_DATA,
)
from tests.authz.world import MARKERS, STATES, expected

# The route matrix signs in as the viewers whose relation to the owner differs (author, owner's
# colleague / lead / IG lead, the recipient police with and without a MASH role, a named health
# worker, the MASH triager and manager) and requests a covering set of concerns: every grant
# state, every marker, and every marker against the states markers interact with. The
# query-level matrix (test_policy_matrix) covers the full product of 35 viewers × 360 concerns;
# `pytest -m slow tests/authz` runs every route over that full product too.
ROUTE_VIEWERS = {
    ("O_full", "author"),
    ("O_full", "designated_lead"),
    ("O_full", "ig_lead"),
    ("P", "practitioner"),
    ("P", "mash_triager"),
    ("H", "practitioner"),
    ("M", "mash_manager"),
}
MARKER_STATES = ("dec_agency_full_lift", "mash_open")


def covering_specs(world):
    chosen, seen = [], set()
    for i, state in enumerate(STATES):
        chosen.append(("O_full", MARKERS[i % len(MARKERS)], state))
    for marker in MARKERS:
        chosen += [("O_full", marker, state) for state in MARKER_STATES]
    chosen += [("O_none", "none", "dec_agency_full")]
    by_key = {(s.owner, s.marker, s.state): s for s in world.specs}
    out = []
    for key in chosen:
        if key not in seen:
            seen.add(key)
            out.append(by_key[key])
    return out


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from _walk(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else None), namespace, entry


def test_every_route_is_registered_or_declared_free_of_concern_data():
    unregistered = []
    for name, namespace, entry in _walk(get_resolver().url_patterns):
        if namespace and namespace.split(":")[0] in EXEMPT_NAMESPACES:
            continue
        if name is None:
            if str(entry.pattern) not in UNNAMED_NO_CONCERN_DATA:
                unregistered.append(f"unnamed route {entry.pattern}")
            continue
        if name not in ROUTES and name not in NO_CONCERN_DATA and name not in AUDIENCES:
            unregistered.append(name)
    assert not unregistered, (
        "Routes neither in tests/authz/routes.py ROUTES (returns concern data), AUDIENCES (a "
        f"role-gated page) nor NO_CONCERN_DATA (with a reason): {unregistered}"
    )
    walked = list(_walk(get_resolver().url_patterns))
    known = {name for name, _, _ in walked}
    stale = [n for n in [*ROUTES, *NO_CONCERN_DATA, *AUDIENCES] if n not in known]
    stale += [p for p in UNNAMED_NO_CONCERN_DATA if p not in {str(e.pattern) for _, _, e in walked}]
    assert not stale, f"registered names the resolver does not know: {stale}"
    overlap = (set(ROUTES) & set(NO_CONCERN_DATA)) | (
        set(AUDIENCES) & (set(ROUTES) | set(NO_CONCERN_DATA))
    )
    assert not overlap, f"registered twice: {overlap}"


def test_the_admin_cannot_show_concerns_around_the_policy():
    concern_bearing = {Concern} | {
        m
        for m in vars(consent_models).values()
        if isinstance(m, type)
        and getattr(m, "_meta", None)
        and m.__module__ == consent_models.__name__
        and not m._meta.abstract
    }
    registered = concern_bearing & set(admin.site._registry)
    assert not registered, f"admin would show these without the policy: {registered}"


def _check_route(route_name, world, client, viewers, specs):
    route = ROUTES[route_name]
    paths = {id(s): route.path(s) for s in specs}
    mismatches, checked = [], 0
    for viewer in viewers:
        client.force_login(viewer.user)
        for spec in specs:
            path = paths[id(spec)]
            if path is None:
                continue
            want = route.expect(expected(viewer, spec), viewer, spec)
            have = route.read(client.get(path), spec)
            checked += 1
            if have != want:
                mismatches.append(
                    f"{viewer.agency}/{viewer.role}{'/author' if viewer.is_author else ''} on "
                    f"{spec.owner}/{spec.marker}/{spec.state}: want {want.name}, got {have.name}"
                )
    assert checked > 0
    assert not mismatches, mismatches[:15]


@pytest.mark.django_db
def test_every_route_shows_exactly_the_policy_level(world, client):
    """The sampled default: every registered route over one world (building the world is most
    of the cost, so the routes share it; each route's mismatches are reported by name)."""
    viewers = [
        v for v in world.viewers if (v.agency, "author" if v.is_author else v.role) in ROUTE_VIEWERS
    ]
    assert len(viewers) == len(ROUTE_VIEWERS)
    specs = covering_specs(world)
    failures = {}
    for route_name in sorted(ROUTES):
        try:
            _check_route(route_name, world, client, viewers, specs)
        except AssertionError as exc:
            failures[route_name] = str(exc)[:1500]
    assert not failures, failures


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("RUN_SLOW"), reason="scale run: RUN_SLOW=1 pytest tests/authz"
)
@pytest.mark.django_db
@pytest.mark.parametrize("route_name", sorted(ROUTES))
def test_route_full_product(route_name, world, client):
    _check_route(route_name, world, client, world.viewers, world.specs)


@pytest.mark.django_db
def test_role_gated_routes_answer_only_their_audience(world, client):
    """Every kind of viewer (each role of each agency relation) on every role-gated route: the
    audience gets 200, everyone else the same refusal whatever they hold."""
    wrong = []
    for route_name, audience in sorted(AUDIENCES.items()):
        path = audience.path(world)
        assert any(audience.allowed(v) for v in world.viewers), route_name
        for viewer in world.viewers:
            client.force_login(viewer.user)
            want = 200 if audience.allowed(viewer) else audience.refused
            have = client.get(path).status_code
            if have != want:
                wrong.append(
                    f"{route_name} as {viewer.agency}/{viewer.role}: want {want}, got {have}"
                )
    assert not wrong, wrong[:30]
