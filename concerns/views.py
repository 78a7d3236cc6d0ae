"""Practitioner pages: find a person, log a concern, the chronology, a concern and its history.

Views read through `concerns.selectors` (visibility rule, audited) and write through
`concerns.services`; they never save a model. Every form posts back to itself and, on success,
redirects (POST-redirect-GET), so a refresh never resubmits.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from concerns import selectors, services
from concerns.forms import (
    CONSENT_HINTS,
    LEVEL_HINTS,
    MARKERS,
    ConcernAmendForm,
    ConcernForm,
    SubjectDetailsForm,
    SubjectSearchForm,
    WithdrawForm,
    add_service_errors,
)
from concerns.models import Concern, SubjectRecord
from hub.navigation import RECORDING_ROLES


def _can_record(request: HttpRequest) -> bool:
    return request.user.agency_id is not None and request.user.role in RECORDING_ROLES


def _require_recording_role(request: HttpRequest) -> None:
    if not _can_record(request):
        raise PermissionDenied("Your role cannot record concerns")


@login_required
def find(request: HttpRequest) -> HttpResponse:
    """Who is the concern about? Search the agency's own records, or enter new details."""
    results: list[SubjectRecord] | None = None
    if request.GET:
        form = SubjectSearchForm(request.GET)
        if form.is_valid():
            results = selectors.subject_search(
                actor=request.user,
                name=form.cleaned_data["name"],
                date_of_birth=form.cleaned_data["date_of_birth"],
                reference=form.cleaned_data["reference"],
            )
    else:
        form = SubjectSearchForm()
    return render(
        request,
        "concerns/find.html",
        {
            "form": form,
            "results": results,
            "can_record": _can_record(request),
            "limit": selectors.SEARCH_LIMIT,
        },
    )


def _concern_context(form: ConcernForm, **extra) -> dict:
    return {
        "concern_form": form,
        "level_hints": LEVEL_HINTS,
        "consent_hints": CONSENT_HINTS,
        "markers": MARKERS,
        **extra,
    }


def _already_recorded(request: HttpRequest, token) -> Concern | None:
    """The concern this form's token already created (a refresh or a second click)."""
    return selectors.concern_for_submission(actor=request.user, token=token)


@login_required
@require_http_methods(["GET", "POST"])
def new_person(request: HttpRequest) -> HttpResponse:
    """A person the agency has not recorded, and the concern about them, saved together."""
    _require_recording_role(request)
    agency_id = request.user.agency_id
    if request.method == "POST":
        person_form = SubjectDetailsForm(request.POST)
        concern_form = ConcernForm(request.POST, agency_id=agency_id)
        token = _posted_token(request, concern_form)
        done = _already_recorded(request, token)
        if done is not None:
            return redirect("concerns:recorded", pk=done.pk)
        person_ok = person_form.is_valid() and _reference_is_new(request, person_form)
        concern_ok = concern_form.is_valid()
        _renew_token_if_invalid(concern_form)
        if person_ok and concern_ok:
            concern = _record_new_person_concern(request, person_form, concern_form)
            if concern is not None:
                return redirect("concerns:recorded", pk=concern.pk)
    else:
        person_form = SubjectDetailsForm()
        concern_form = ConcernForm(agency_id=agency_id, initial={"submission_token": uuid.uuid4()})
    return render(
        request,
        "concerns/new_concern.html",
        _concern_context(concern_form, person_form=person_form, subject=None),
    )


def _reference_is_new(request: HttpRequest, person_form: SubjectDetailsForm) -> bool:
    """A reference the agency already uses means this person is known: send the user to them
    rather than silently attaching the concern to that record under different details."""
    reference = person_form.cleaned_data.get("external_reference", "")
    if selectors.own_reference_taken(actor=request.user, reference=reference):
        person_form.add_error(
            "external_reference",
            "Your agency already has someone with this reference: search for them instead",
        )
        return False
    return True


def _renew_token_if_invalid(form: ConcernForm) -> None:
    """A missing or mangled token cannot be fixed by the user: give the re-shown form a new
    one, so the next submit can succeed (and is protected against doubles again)."""
    if "submission_token" in form.errors:
        form.data = form.data.copy()
        form.data[form.add_prefix("submission_token")] = str(uuid.uuid4())


def _posted_token(request: HttpRequest, form: ConcernForm) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(request.POST.get(form.add_prefix("submission_token"), "")))
    except ValueError:
        return None


def _record_new_person_concern(
    request: HttpRequest, person_form: SubjectDetailsForm, concern_form: ConcernForm
) -> Concern | None:
    token = concern_form.cleaned_data["submission_token"]
    try:
        with transaction.atomic():
            try:
                subject = services.subject_record_create(
                    actor=request.user, **person_form.service_kwargs()
                )
            except ValidationError as exc:
                add_service_errors(person_form, exc)
                raise
            try:
                concern = services.concern_record(
                    actor=request.user,
                    subject=subject,
                    submission_token=token,
                    **concern_form.concern_kwargs(),
                )
            except ValidationError as exc:
                add_service_errors(concern_form, exc)
                raise
            if concern.subject_id != subject.pk:
                # Another submit of this form saved its concern between our check and now:
                # keep theirs, and undo the person record this request made.
                transaction.set_rollback(True)
            return concern
    except ValidationError:
        return None  # the transaction rolled back: no person without their concern
    except PermissionDenied as exc:
        concern_form.add_error(None, str(exc))
        return None
    except IntegrityError:
        # The same form submitted twice at once: the other request saved it first.
        done = _already_recorded(request, token)
        if done is None:
            raise
        return done


@login_required
@require_http_methods(["GET", "POST"])
def new_for_subject(request: HttpRequest, subject_id: int) -> HttpResponse:
    """A concern about a person the actor's agency already recorded."""
    _require_recording_role(request)
    subject = selectors.own_subject_record(actor=request.user, pk=subject_id)
    agency_id = request.user.agency_id
    if request.method == "POST":
        concern_form = ConcernForm(request.POST, agency_id=agency_id)
        token = _posted_token(request, concern_form)
        done = _already_recorded(request, token)
        if done is not None:
            return redirect("concerns:recorded", pk=done.pk)
        concern_ok = concern_form.is_valid()
        _renew_token_if_invalid(concern_form)
        if concern_ok:
            try:
                concern = services.concern_record(
                    actor=request.user,
                    subject=subject,
                    submission_token=concern_form.cleaned_data["submission_token"],
                    **concern_form.concern_kwargs(),
                )
            except ValidationError as exc:
                add_service_errors(concern_form, exc)
            except PermissionDenied as exc:
                concern_form.add_error(None, str(exc))
            except IntegrityError:
                concern = _already_recorded(request, token)
                if concern is None:
                    raise
                return redirect("concerns:recorded", pk=concern.pk)
            else:
                return redirect("concerns:recorded", pk=concern.pk)
    else:
        concern_form = ConcernForm(agency_id=agency_id, initial={"submission_token": uuid.uuid4()})
    return render(
        request,
        "concerns/new_concern.html",
        _concern_context(concern_form, person_form=None, subject=subject),
    )


@login_required
def recorded(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.concern_detail_for(actor=request.user, pk=pk)
    return render(request, "concerns/recorded.html", {"detail": detail})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.concern_detail_for(actor=request.user, pk=pk)
    return render(request, "concerns/detail.html", {"detail": detail, "markers": MARKERS})


@login_required
@require_http_methods(["GET", "POST"])
def amend(request: HttpRequest, pk: int) -> HttpResponse:
    concern = selectors.visible_concern(actor=request.user, pk=pk)
    if not selectors.can_change(request.user, concern):
        raise PermissionDenied("Only the author or their agency's designated lead can change this")
    initial = ConcernAmendForm.initial_for(concern)
    if request.method == "POST":
        form = ConcernAmendForm(request.POST, initial=initial)
        if form.is_valid():
            try:
                services.concern_amend(
                    actor=request.user,
                    concern=concern,
                    reason=form.cleaned_data["reason"],
                    **form.changes(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Amendment saved. The previous version is kept below.")
                return redirect("concerns:detail", pk=concern.pk)
    else:
        form = ConcernAmendForm(initial=initial)
    return render(
        request,
        "concerns/amend.html",
        {
            "form": form,
            "concern": concern,
            "level_hints": LEVEL_HINTS,
            "consent_hints": CONSENT_HINTS,
            "markers": MARKERS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    concern = selectors.visible_concern(actor=request.user, pk=pk)
    if not selectors.can_change(request.user, concern):
        raise PermissionDenied("Only the author or their agency's designated lead can change this")
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.concern_withdraw(
                    actor=request.user, concern=concern, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Concern withdrawn. It stays on the record.")
                return redirect("concerns:detail", pk=concern.pk)
    else:
        form = WithdrawForm()
    return render(request, "concerns/withdraw.html", {"form": form, "concern": concern})


@login_required
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    chronology = selectors.chronology_for(actor=request.user, person_id=person_id)
    return render(
        request,
        "concerns/person.html",
        {"chronology": chronology, "can_record": _can_record(request)},
    )


@login_required
def recent(request: HttpRequest) -> HttpResponse:
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    result = selectors.recent_concerns_for(actor=request.user, page=page)
    return render(request, "concerns/recent.html", {"result": result})
