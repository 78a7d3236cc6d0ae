"""Schemathesis against the API's own OpenAPI schema, in-process, with valid credentials.

Bounded and derandomised so it stays fast and repeatable: `FUZZ_EXAMPLES` positive and
negative examples per operation. Checks: no 5xx, responses conform to the schema (status,
content type, body), and invalid input (negative examples) is never accepted.

Schemathesis does not test one agency reaching another's objects: that is the authorization
tests' job (test_authorization.py and the consent issue's matrix).
"""

from __future__ import annotations

import collections
import contextlib
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import submission

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
SEEN: list[tuple[str, str, int]] = []
# Schema-valid is not the same as acceptable: the schema cannot say "an NHS number with a
# valid check digit" or "a time in the past", so a positive example may rightly get a 400.
# Every other check runs, including negative_data_rejection (invalid data is never accepted).
EXCLUDED_CHECKS = [positive_data_acceptance]


@contextlib.contextmanager
def in_process_requests():
    """Requests served in-process inside the test's transaction. Like Django's test client,
    keep the start and end of each request from closing the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db):
    with in_process_requests():
        return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def keys(school_admin, issue, school_api):
    _, practitioner = issue(school_admin)
    _, ig = issue(school_admin, role="ig_lead", scopes=["audit:read"])
    concern = school_api.post("/api/v1/concerns/", submission(), format="json").json()
    return {"practitioner": practitioner, "ig": ig, "concern": concern}


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str], path_parameters=None):
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)
        SEEN.append((operation.label, mode.value, response.status_code))

    run()


def test_api_schema_fuzzing(api_schema, keys):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 7
    SEEN.clear()
    with in_process_requests():
        for operation in operations:
            _fuzz_operation(operation, keys)
    # The run really exercised every operation, and reached past validation somewhere.
    assert {label for label, _, _ in SEEN} == {op.label for op in operations}
    assert any(status in (200, 201) for _, mode, status in SEEN if mode == "positive")
    print(collections.Counter((label, mode, status) for label, mode, status in SEEN))


def _fuzz_operation(operation, keys) -> None:
    key = keys["ig"] if operation.path.startswith("/api/v1/audit/") else keys["practitioner"]
    headers = {"Authorization": f"Bearer {key}"}
    _fuzz(operation, GenerationMode.POSITIVE, headers)
    if "{id}" in operation.path:
        # Also against a real object, so the happy path is fuzzed, not only 404s.
        concern = keys["concern"]
        fixed = {"id": concern["child_id"] if "/children/" in operation.path else concern["id"]}
        _fuzz(operation, GenerationMode.POSITIVE, headers, fixed)
    try:
        _fuzz(operation, GenerationMode.NEGATIVE, headers)
    except Unsatisfiable:
        # Nothing to make invalid (no parameters, no body): only positive cases exist.
        assert not operation.body and not list(operation.iter_parameters()), operation.label
