"""Who may do what through the API. charlie's force (the police) must not reach the school."""

from __future__ import annotations

import pytest
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from concerns.models import Concern
from hub.api.base import ApiViewMixin
from hub.api.models import Scope
from hub.api.services import api_credential_revoke
from hub.api.urls import router
from tests.api.conftest import client_for, submission

pytestmark = pytest.mark.django_db
URL = "/api/v1/concerns/"


@pytest.fixture
def school_concern(school_api):
    return school_api.post(URL, submission(), format="json").json()


def test_police_credential_cannot_read_the_schools_concerns(police_api, school_concern):
    assert police_api.get(f"{URL}{school_concern['id']}/").status_code == 404
    assert police_api.get(URL).json()["results"] == []
    chronology = police_api.get(f"/api/v1/children/{school_concern['child_id']}/chronology/")
    assert chronology.status_code == 404
    # Not found and not allowed are the same answer.
    missing = police_api.get(f"{URL}99999999/")
    assert chronology.json()["title"] == missing.json()["title"]
    withdraw = police_api.post(
        f"{URL}{school_concern['id']}/withdraw/", {"reason": "x"}, format="json"
    )
    assert withdraw.status_code == 404
    assert Concern.objects.get(pk=school_concern["id"]).status == "active"


def test_police_credential_submits_only_for_the_police(police_api, police, school):
    body = submission("P-1", agency="northgate-school", agency_id=school.pk)
    response = police_api.post(URL, body, format="json")
    assert response.status_code == 201
    concern = Concern.objects.get(pk=response.json()["id"])
    assert concern.agency == police and concern.subject.agency == police


def test_the_same_reference_in_two_agencies_is_two_concerns(police_api, school_api):
    a = school_api.post(URL, submission("REF-1"), format="json")
    b = police_api.post(URL, submission("REF-1", text="A different account"), format="json")
    assert (a.status_code, b.status_code) == (201, 201)


def test_revoked_key_is_401(school_key, school_admin, school_api):
    credential, _ = school_key
    assert school_api.get(URL).status_code == 200
    api_credential_revoke(actor=school_admin, credential=credential)
    response = school_api.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer hub_abc_def", "Bearer a b", "Basic x"])
def test_bad_or_missing_credentials_are_401(header, school_key):
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(URL).status_code == 401
    assert client_for(None).get(URL).status_code == 401


def test_a_tampered_secret_with_a_real_prefix_is_401(school_key):
    _, raw = school_key
    assert (
        client_for(raw[:-2] + ("AA" if not raw.endswith("AA") else "BB")).get(URL).status_code
        == 401
    )


def test_missing_scope_is_403(school_admin, issue):
    _, read_only = issue(school_admin, scopes=[Scope.CONCERNS_READ])
    client = client_for(read_only)
    assert client.get(URL).status_code == 200
    response = client.post(URL, submission(), format="json")
    assert response.status_code == 403
    assert response.json()["type"] == "urn:hub:problem:forbidden"
    assert client.get("/api/v1/children/1/chronology/").status_code == 403
    assert not Concern.objects.exists()


def test_session_roles_map_to_scopes(alice, school_admin):
    client = client_for(None)
    client.force_login(school_admin)  # an administrator manages keys; reads nothing
    assert client.get(URL).status_code == 403
    client.force_login(alice)
    assert client.get("/api/v1/audit/events/").status_code == 403


# ---- fail closed -------------------------------------------------------------------------------


def _routes():
    for url in router.urls:
        view = url.callback
        for method, action_name in view.actions.items():
            yield url.pattern.describe(), view.cls, method, action_name


def test_every_routed_action_declares_its_scopes():
    routes = list(_routes())
    assert len(routes) >= 7
    for pattern, cls, _method, action_name in routes:
        assert issubclass(cls, ApiViewMixin), pattern
        declared = cls.required_scopes.get(action_name)
        assert declared and set(declared) <= set(Scope.values), (pattern, action_name)


class _Undeclared(ApiViewMixin, viewsets.GenericViewSet):
    required_scopes = {"list": (Scope.CONCERNS_READ,)}

    def list(self, request):
        return Response({"ok": True})

    @action(detail=False, methods=["get"])
    def forgotten(self, request):
        return Response({"leaked": True})


def test_an_action_without_declared_scopes_refuses_even_a_fully_scoped_key(school_key):
    _, raw = school_key
    factory = APIRequestFactory()
    request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert _Undeclared.as_view({"get": "list"})(request).status_code == 200
    request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = _Undeclared.as_view({"get": "forgotten"})(request)
    assert response.status_code == 403
    response.render()
    assert b"leaked" not in response.content
