"""Fixtures for the import and demo-data tests. Every value is synthetic."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest

from concerns.importer import import_file

# Valid synthetic identifiers: NHS numbers from the test range (999...), check digits right.
NHS_AMY = "9990000018"
NHS_BEN = "9990000026"


def nhs_number(base9: int) -> str:
    """A valid NHS number from nine digits (None when the check digit would be 10)."""
    digits = f"{base9:09d}"
    total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return "" if check == 10 else digits + str(check)


def base_record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "agency": "northgate-school",
        "reference": "NS-C-0001",
        "subject": {
            "reference": "NS-P-0001",
            "kind": "child",
            "given_name": "Amy",
            "family_name": "Testcase",
            "date_of_birth": "2016-03-02",
            "sex": "F",
            "nhs_number": NHS_AMY,
            "address": "1 Synthetic Row",
            "postcode": "ZX1 4AB",
            "school": "Northgate School",
        },
        "category": "neglect",
        "level": 2,
        "occurred_at": "2025-11-03T10:15:00+00:00",
        "text": "Arrived hungry and without a coat on a cold morning.",
        "markers": [],
        "consent_status": "not_sought",
        "family_knows": "no",
    }
    for key, value in overrides.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return copy.deepcopy(record)


def jsonl(*records: Any) -> io.BytesIO:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


def run(actor, *records: Any, fmt: str = "jsonl"):
    return import_file(actor=actor, stream=jsonl(*records), fmt=fmt)


@pytest.fixture
def record():
    return base_record
