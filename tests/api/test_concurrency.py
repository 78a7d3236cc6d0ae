"""Re-sends racing each other: the agency's reference still yields exactly one concern."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from concerns.models import Concern, SubjectRecord
from tests.api.conftest import client_for, submission


@pytest.mark.django_db(transaction=True)
def test_simultaneous_resends_create_one_concern(school_key):
    _, raw = school_key
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        try:
            barrier.wait()
            response = client_for(raw).post(
                "/api/v1/concerns/", submission("RACE-1"), format="json"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 200, 201]
    assert Concern.objects.filter(external_reference="RACE-1").count() == 1
    assert SubjectRecord.objects.count() == 1
