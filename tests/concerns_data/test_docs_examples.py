"""The examples in docs/import-format.md import as documented (so the docs cannot rot)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from concerns.importer import Status, import_file
from concerns.models import Concern, HouseholdMember, SubjectRecord

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-format.md"


def example(fence: str) -> bytes:
    match = re.search(rf"```{fence}\n(.*?)```", DOC.read_text(), re.S)
    assert match, f"no {fence} example in {DOC}"
    return match.group(1).encode()


@pytest.mark.parametrize("fmt,fence", [("jsonl", "json"), ("csv", "csv")])
def test_documented_examples_import(alice, fmt, fence):
    report = import_file(actor=alice, stream=io.BytesIO(example(fence)), fmt=fmt)
    assert [r.status for r in report.results] == [Status.CREATED, Status.CREATED], [
        r.reason for r in report.results
    ]
    assert Concern.objects.count() == 2
    ben = SubjectRecord.objects.get(external_reference="NS-P-0002")
    amy = SubjectRecord.objects.get(external_reference="NS-P-0001")
    ben_household = HouseholdMember.objects.get(person=ben.person).household_id
    assert HouseholdMember.objects.filter(person=amy.person, household_id=ben_household).exists()
