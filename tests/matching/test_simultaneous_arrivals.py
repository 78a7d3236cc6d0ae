"""Two systems send the same new child at the same moment: one person, not two.

Real transactions on two connections: the first saves its record and holds its transaction
open; the second arrives meanwhile. Without resolution's advisory lock the second cannot see
the first's uncommitted record and creates a second person.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from concerns import services as concern_services
from concerns.models import Person, SubjectRecord

pytestmark = pytest.mark.django_db(transaction=True)

DETAILS = dict(
    given_name="Isla",
    family_name="Pemberton",
    date_of_birth=dt.date(2017, 3, 9),
    sex="F",
    postcode="ZX1 4AB",
    address="7 Tanner Lane",
)


def test_simultaneous_arrivals_of_one_new_child_make_one_person(alice, charlie):
    first_saved, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                concern_services.subject_record_create(actor=alice, **DETAILS)
                first_saved.set()
                second_started.wait(10)
                time.sleep(0.5)  # the second is now matching, or waiting for the lock
        except BaseException as exc:  # reported below
            errors.append(exc)
            first_saved.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            first_saved.wait(10)
            second_started.set()
            # Police record: the same child with the day and month swapped.
            concern_services.subject_record_create(
                actor=charlie, **{**DETAILS, "date_of_birth": dt.date(2017, 9, 3)}
            )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert SubjectRecord.objects.count() == 2
    assert Person.objects.filter(records__isnull=False).distinct().count() == 1
