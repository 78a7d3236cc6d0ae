"""Browser upload of a JSON Lines or CSV file of concerns, for agencies without an API client.

Uses the same importer as `manage.py import_concerns`, with the signed-in user as the actor:
each row is imported through the services in its own savepoint and the page shows a per-row
report. Large files belong in the command or the API: the page takes at most
`IMPORT_UPLOAD_MAX_ROWS` rows and `IMPORT_UPLOAD_MAX_BYTES` bytes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from agencies.models import User
from concerns.importer import CSV_COLUMNS, CSV_REQUIRED, FORMAT_CSV, FORMAT_JSONL, import_file

UPLOAD_ROLES = {User.Role.PRACTITIONER, User.Role.DESIGNATED_LEAD}


def max_rows() -> int:
    return settings.IMPORT_UPLOAD_MAX_ROWS


def max_bytes() -> int:
    return settings.IMPORT_UPLOAD_MAX_BYTES


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File of concerns",
        error_messages={
            "required": "Select a file to upload",
            "empty": "The selected file is empty",
        },
    )
    format = forms.ChoiceField(
        label="File format",
        choices=[
            (FORMAT_JSONL, "JSON Lines (one concern per line)"),
            (FORMAT_CSV, "CSV with the documented header row"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the file format"},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(
                f"The file must be smaller than {max_bytes() // 1024 // 1024} MB; import larger "
                "files with the import command or the API"
            )
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        lines, last = 0, b"\n"
        for chunk in upload.chunks():
            lines += chunk.count(b"\n")
            last = chunk[-1:] or last
        upload.seek(0)
        lines += last != b"\n"
        allowed = max_rows() + (1 if cleaned.get("format") == FORMAT_CSV else 0)  # CSV header
        if lines > allowed:
            self.add_error(
                "file",
                f"The file must have at most {max_rows():,} rows; split it, or import it with "
                "the import command or the API",
            )
        return cleaned


def _require_uploader(user: User) -> None:
    if user.agency_id is None or user.role not in UPLOAD_ROLES:
        raise PermissionDenied("Only practitioners and designated leads can upload concerns")


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    _require_uploader(request.user)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    context = {
        "form": form,
        "csv_columns": list(CSV_COLUMNS),
        "csv_required": CSV_REQUIRED,
        "max_rows": max_rows(),
    }
    if request.method == "POST" and form.is_valid():
        report = import_file(
            actor=request.user,
            stream=form.cleaned_data["file"],
            fmt=form.cleaned_data["format"],
            source="upload",
        )
        response = render(
            request, "concerns/upload/report.html", {"report": report, "format": report.format}
        )
        response["Cache-Control"] = "no-store"
        return response
    status = 400 if request.method == "POST" else 200
    return render(request, "concerns/upload/form.html", context, status=status)
