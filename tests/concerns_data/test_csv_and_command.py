"""The CSV form of the import, and the import_concerns command."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from concerns.importer import CSV_COLUMNS, Status, import_file
from concerns.models import Concern, HouseholdMember, SubjectRecord
from tests.concerns_data.conftest import base_record

pytestmark = pytest.mark.django_db

HEADER = list(CSV_COLUMNS)


def csv_bytes(rows: list[dict[str, str]], header: list[str] = HEADER) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return io.BytesIO(out.getvalue().encode("utf-8"))


def csv_row(**overrides: str) -> dict[str, str]:
    row = {
        "agency": "northgate-school",
        "reference": "NS-C-0001",
        "subject_reference": "NS-P-0001",
        "subject_kind": "child",
        "given_name": "Amy",
        "family_name": "Testcase",
        "date_of_birth": "2016-03-02",
        "sex": "F",
        "nhs_number": "9990000018",
        "postcode": "ZX1 4AB",
        "address": "1 Synthetic Row",
        "household_address": "1 Synthetic Row",
        "household_postcode": "ZX1 4AB",
        "category": "neglect",
        "level": "2",
        "occurred_at": "2025-11-03T10:15:00+00:00",
        "text": "Arrived hungry,\nand without a coat.",
        "markers": "health; do_not_disclose_family",
        "consent_status": "not_sought",
        "family_knows": "no",
    }
    row.update(overrides)
    return row


def test_csv_imports_like_json_lines(alice):
    rows = [
        csv_row(),
        csv_row(reference="NS-C-0002", nhs_number="9990000019", level="x"),
        csv_row(
            reference="NS-C-0003",
            subject_reference="NS-P-0002",
            given_name="Ben",
            nhs_number="9990000026",
            household_members="NS-P-0001=sibling",
            household_address="",
            household_postcode="",
            markers="",
        ),
        csv_row(),
    ]
    report = import_file(actor=alice, stream=csv_bytes(rows), fmt="csv")
    # The header is line 1; the first row's text has a line break, so it spans lines 2-3.
    assert [(r.line, r.status) for r in report.results] == [
        (2, Status.CREATED),
        (4, Status.INVALID),
        (6, Status.CREATED),
        (8, Status.ALREADY_IMPORTED),
    ]
    # Errors name the CSV columns, not the JSON paths.
    assert {e.path for e in report.results[1].errors} == {"nhs_number", "level"}
    amy = Concern.objects.get(external_reference="NS-C-0001")
    assert amy.text == "Arrived hungry,\nand without a coat."
    assert amy.marker_health and amy.marker_do_not_disclose_family
    ben = SubjectRecord.objects.get(external_reference="NS-P-0002")
    assert HouseholdMember.objects.filter(person=ben.person, relationship="child").exists()


def test_csv_and_jsonl_of_the_same_concern_are_the_same_concern(alice):
    record = base_record(markers=["health", "do_not_disclose_family"])
    record["text"] = "Arrived hungry,\nand without a coat."
    record["household"] = {"address": "1 Synthetic Row", "postcode": "ZX1 4AB"}
    jsonl = io.BytesIO((json.dumps(record) + "\n").encode())
    assert import_file(actor=alice, stream=jsonl, fmt="jsonl").results[0].status == (Status.CREATED)
    csv_row_ = csv_row(school="Northgate School")
    (result,) = import_file(actor=alice, stream=csv_bytes([csv_row_]), fmt="csv").results
    assert result.status == Status.ALREADY_IMPORTED


def test_csv_header_problems_stop_the_file(alice):
    header = [*HEADER[:-3], "colour"]  # drops consent_status and family_knows
    report = import_file(
        actor=alice,
        stream=csv_bytes([{h: "" for h in header}], header=header),
        fmt="csv",
    )
    assert report.results == []
    assert report.failed
    assert any("colour" in e for e in report.file_errors)
    assert any("consent_status" in e for e in report.file_errors)
    assert AuditEvent.objects.get(action="import").details["file_errors"] == 2


def test_csv_short_rows_and_columns_in_any_order(alice):
    header = list(reversed(HEADER))
    data = csv_bytes([csv_row()], header=header).getvalue() + b"a,b\r\n"
    report = import_file(actor=alice, stream=io.BytesIO(data), fmt="csv")
    assert [r.status for r in report.results] == [Status.CREATED, Status.INVALID]
    assert "cells" in report.results[1].reason


def write_jsonl(tmp_path, *records):
    path = tmp_path / "concerns.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_command_prints_a_report_and_fails_when_a_line_failed(alice, tmp_path, capsys):
    path = write_jsonl(tmp_path, base_record(), base_record(reference="NS-C-0002", level=0))
    with pytest.raises(CommandError) as failure:
        call_command("import_concerns", str(path), "--actor", "alice")
    assert failure.value.returncode == 1
    out = capsys.readouterr().out
    assert "line      1  Imported" in out
    assert "line      2  Not imported" in out and "level: Must be a level from 1 to 4" in out
    assert "2 lines: 1 imported" in out
    assert Concern.objects.count() == 1


def test_command_succeeds_when_every_line_is_imported_or_already_there(alice, tmp_path, capsys):
    path = write_jsonl(tmp_path, base_record())
    call_command("import_concerns", str(path), "--actor", "alice")
    call_command("import_concerns", str(path), "--actor", "alice")
    out = capsys.readouterr().out
    assert "Already imported" in out
    assert Concern.objects.count() == 1


def test_command_needs_a_known_actor_and_a_format(alice, tmp_path):
    path = write_jsonl(tmp_path, base_record())
    with pytest.raises(CommandError, match="No user"):
        call_command("import_concerns", str(path), "--actor", "nobody")
    other = tmp_path / "concerns.txt"
    other.write_text("")
    with pytest.raises(CommandError, match="--format"):
        call_command("import_concerns", str(other), "--actor", "alice")
    csv_path = tmp_path / "c.csv"
    csv_path.write_bytes(csv_bytes([csv_row()]).getvalue())
    call_command("import_concerns", str(csv_path), "--actor", "alice")
    assert Concern.objects.count() == 1


def test_command_refuses_charlie_for_the_school(charlie, school, tmp_path, capsys):
    path = write_jsonl(tmp_path, base_record())
    with pytest.raises(CommandError):
        call_command("import_concerns", str(path), "--actor", "charlie")
    assert "Refused" in capsys.readouterr().out
    assert not Concern.objects.exists()
