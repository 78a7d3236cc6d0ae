"""`python manage.py import_concerns FILE --actor USERNAME [--format jsonl|csv]`.

Imports an agency's concerns from JSON Lines or CSV (docs/import-format.md) as ACTOR, printing
one line per input line and the totals. Exits with status 1 if any line failed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.models import User
from concerns.importer import FORMAT_CSV, FORMAT_JSONL, FORMATS, Status, import_file

EXTENSIONS = {".jsonl": FORMAT_JSONL, ".ndjson": FORMAT_JSONL, ".csv": FORMAT_CSV}


class Command(BaseCommand):
    help = "Import concerns from a JSON Lines or CSV file (see docs/import-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to import, or - for standard input")
        parser.add_argument(
            "--actor",
            required=True,
            help="username of the person importing; every line must be for their agency",
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="jsonl or csv (default: from the file's extension)",
        )
        parser.add_argument(
            "--quiet-ok",
            action="store_true",
            help="print only the lines that were not imported, and the totals",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.select_related("agency").filter(username=options["actor"]).first()
        if actor is None:
            raise CommandError(f"No user called {options['actor']!r}")
        name = options["file"]
        fmt = options["format"] or EXTENSIONS.get(Path(name).suffix.lower())
        if fmt is None:
            raise CommandError("Say --format jsonl or --format csv for this file")
        try:
            if name == "-":
                report = import_file(actor=actor, stream=sys.stdin.buffer, fmt=fmt)
            else:
                try:
                    stream = open(name, "rb")  # noqa: SIM115 - closed just below
                except OSError as exc:
                    raise CommandError(f"Cannot read {name}: {exc.strerror}") from exc
                with stream:
                    report = import_file(actor=actor, stream=stream, fmt=fmt)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc

        for problem in report.file_errors:
            self.stderr.write(f"file: {problem}")
        for result in report.results:
            if options["quiet_ok"] and not result.failed:
                continue
            line = f"line {result.line:>6}  {result.status.label:<17} {result.reference}"
            if result.concern_id:
                line += f"  (concern {result.concern_id})"
            if result.reason:
                line += f"  {result.reason}"
            self.stdout.write(line, self.style.ERROR if result.failed else None)
        totals = report.totals
        self.stdout.write(
            f"{totals['lines']} lines: {totals[Status.CREATED]} imported, "
            f"{totals[Status.ALREADY_IMPORTED]} already imported, "
            f"{totals[Status.CONFLICT]} conflicts, {totals[Status.INVALID]} not imported, "
            f"{totals[Status.REFUSED]} refused. Audit event #{report.audit_seq}; "
            f"file SHA-256 {report.sha256}."
        )
        if report.failed:
            failed = sum(1 for r in report.results if r.failed) + len(report.file_errors)
            raise CommandError(f"{failed} line(s) or file problem(s) failed", returncode=1)
