"""API views. Each calls the same services, selectors and audit as the browser pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from audit.models import Action, AuditEvent
from audit.services import audit_record
from concerns import services as concern_services
from concerns.models import Child, Concern
from hub.api import serializers as s
from hub.api.base import IDEMPOTENCY_HEADER, ApiViewMixin, idempotent
from hub.api.errors import Conflict, django_validation_to_drf, flatten, problem
from hub.api.models import Scope
from hub.api.selectors import (
    VISIBILITY_NAMES,
    agency_concerns,
    child_concerns,
    represent,
    triage_feedback,
)
from hub.api.submission import concern_submit
from hub.risk.selectors import child_risk_for

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Makes a retry safe: the same key and request replay the first response; the "
    "same key with a different request is refused (422). 1–255 printable ASCII characters.",
    pattern=r"^[\x21-\x7e]{1,255}$",
)


def _page(items: list[Any], limit: int, key: str) -> tuple[list[Any], int | None]:
    more = len(items) > limit
    items = items[:limit]
    return items, (getattr(items[-1], key) if more and items else None)


def _audit_view(request: Any, concerns: list[Any], *, action: str, child_id: int | None = None):
    """One audit event per read that returned concerns: ids only."""
    if not concerns:
        return
    audit_record(
        actor=request.user,
        action=action,
        object_type="concern",
        object_id=concerns[0].pk if len(concerns) == 1 else "",
        child_id=child_id
        if child_id is not None
        else (concerns[0].subject.person_id if len(concerns) == 1 else None),
        details={"concern_ids": [c.pk for c in concerns], "via": "api"},
    )


class ConcernViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Submit concerns, and read the agency's own concerns with the MASH's progress."""

    required_scopes = {
        "list": (Scope.CONCERNS_READ,),
        "retrieve": (Scope.CONCERNS_READ,),
        "create": (Scope.CONCERNS_WRITE,),
        "bulk": (Scope.CONCERNS_WRITE,),
        "withdraw": (Scope.CONCERNS_WRITE,),
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no reader
            return Concern.objects.none()
        return agency_concerns(self.request.user)

    @extend_schema(
        parameters=[s.ConcernListParamsSerializer],
        responses={200: s.ConcernPageSerializer},
        summary="The agency's concerns, oldest first, in pages",
    )
    def list(self, request: Any) -> Response:
        params = s.query_params(s.ConcernListParamsSerializer, request)
        queryset = self.get_queryset().order_by("pk")
        if "after" in params:
            queryset = queryset.filter(pk__gt=params["after"])
        if "external_reference" in params:
            queryset = queryset.filter(external_reference=params["external_reference"])
        concerns, next_after = _page(list(queryset[: params["limit"] + 1]), params["limit"], "pk")
        triage = triage_feedback(concerns)
        _audit_view(request, concerns, action=Action.VIEW_CONCERN)
        results = [represent(c, request.user, triage) for c in concerns]
        return Response(
            s.ConcernPageSerializer({"results": results, "next_after": next_after}).data
        )

    @extend_schema(responses={200: s.ConcernOutSerializer}, summary="One of the agency's concerns")
    def retrieve(self, request: Any, pk: str | None = None) -> Response:
        concern = self.get_object()
        _audit_view(request, [concern], action=Action.VIEW_CONCERN)
        triage = triage_feedback([concern])
        return Response(s.ConcernOutSerializer(represent(concern, request.user, triage)).data)

    @extend_schema(
        request=s.ConcernSubmissionSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: s.ConcernReceiptSerializer,
            200: OpenApiResponse(s.ConcernReceiptSerializer, "Already held under this reference"),
        },
        summary="Submit one concern",
    )
    def create(self, request: Any) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _create(self, request: Any) -> Response:
        serializer = s.ConcernSubmissionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            outcome = concern_submit(actor=request.user, data=data, look_first=False)
        except DjangoValidationError as exc:
            raise django_validation_to_drf(exc, _service_prefix(exc)) from exc
        if outcome.result == "conflict":
            raise Conflict(
                "A concern with this external_reference is already held with different "
                "content. Send it with a new reference, or amend the concern in the hub.",
                outcome.errors,
            )
        concern = outcome.concern
        receipt = {
            "id": concern.pk,
            "external_reference": concern.external_reference,
            "child_id": concern.subject.person_id,
            "result": outcome.result,
            "url": f"/api/v1/concerns/{concern.pk}/",
        }
        status = 201 if outcome.result == "created" else 200
        return Response(
            s.ConcernReceiptSerializer(receipt).data,
            status=status,
            headers={"Location": receipt["url"]},
        )

    @extend_schema(
        request=s.BulkSubmissionSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: s.BulkResultSerializer},
        summary="Submit up to 1,000 concerns; a result for each",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Any) -> Response:
        return idempotent(request, lambda: self._bulk(request), atomic=False)

    def _bulk(self, request: Any) -> Response:
        envelope = s.BulkSubmissionSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        results = [
            _bulk_item(request.user, index, item)
            for index, item in enumerate(envelope.validated_data["items"])
        ]
        counts = {r: sum(1 for x in results if x["result"] == r) for r in ("created", "existing")}
        body = {
            **counts,
            "failed": len(results) - counts["created"] - counts["existing"],
            "results": results,
        }
        return Response(s.BulkResultSerializer(body).data)

    @extend_schema(
        request=s.WithdrawSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: s.ConcernOutSerializer},
        summary="Withdraw a concern (kept, with the reason; stops counting towards risk)",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Any, pk: str | None = None) -> Response:
        return idempotent(request, lambda: self._withdraw(request))

    def _withdraw(self, request: Any) -> Response:
        concern = self.get_object()
        serializer = s.WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        concern = concern_services.concern_withdraw(
            actor=request.user, concern=concern, reason=serializer.validated_data["reason"]
        )
        concern = self.get_queryset().get(pk=concern.pk)
        return Response(s.ConcernOutSerializer(represent(concern, request.user)).data)


def _service_prefix(exc: DjangoValidationError) -> list[str] | None:
    """Service errors about the person are reported under /subject."""
    subject_fields = set(s.SubjectInSerializer().fields) - {"external_reference"}
    fields = set(getattr(exc, "error_dict", {}) or {})
    return ["subject"] if fields and fields <= subject_fields else None


def _bulk_item(actor: Any, index: int, item: dict[str, Any]) -> dict[str, Any]:
    reference = item.get("external_reference")
    reference = reference.strip() if isinstance(reference, str) else None
    result: dict[str, Any] = {
        "index": index,
        "external_reference": reference or None,
        "concern_id": None,
        "errors": [],
    }
    prefix = f"/items/{index}"
    serializer = s.ConcernSubmissionSerializer(data=item)
    if not serializer.is_valid():
        errors = flatten(exceptions.ValidationError(serializer.errors).get_full_details())
        return {**result, "result": "invalid", "status": 400, "errors": _prefixed(errors, prefix)}
    try:
        outcome = concern_submit(actor=actor, data=serializer.validated_data)
    except DjangoValidationError as exc:
        detail = django_validation_to_drf(exc, _service_prefix(exc)).get_full_details()
        return {
            **result,
            "result": "invalid",
            "status": 400,
            "errors": _prefixed(flatten(detail), prefix),
        }
    except DjangoPermissionDenied as exc:
        error = {"path": prefix, "code": "permission_denied", "message": str(exc)}
        return {**result, "result": "refused", "status": 403, "errors": [error]}
    status = {"created": 201, "existing": 200, "conflict": 409}[outcome.result]
    return {
        **result,
        "result": outcome.result,
        "status": status,
        "concern_id": outcome.concern.pk
        if outcome.concern and outcome.result != "conflict"
        else None,
        "errors": _prefixed(outcome.errors, prefix),
    }


def _prefixed(errors: list[dict[str, str]], prefix: str) -> list[dict[str, str]]:
    return [{**e, "path": prefix + e["path"]} for e in errors]


class ChildViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """A child's chronology under the consent policy."""

    required_scopes = {"chronology": (Scope.CHILDREN_READ,), "risk": (Scope.CHILDREN_READ,)}

    def get_queryset(self):
        return Child.objects.none()  # for the schema's path type only; reads use selectors

    @extend_schema(
        responses={200: s.ChronologySerializer},
        summary="Everything about a child the reader may see, in date order",
    )
    @action(detail=True, methods=["get"])
    def chronology(self, request: Any, pk: str | None = None) -> Response:
        child_id = _int_or_404(pk)
        concerns = list(child_concerns(request.user, child_id))
        if not concerns:
            # Nothing visible and nothing there are the same answer.
            raise exceptions.NotFound()
        audit_record(
            actor=request.user,
            action=Action.VIEW_CHRONOLOGY,
            object_type="person",
            object_id=child_id,
            child_id=child_id,
            details={"concern_ids": [c.pk for c in concerns], "via": "api"},
        )
        triage = triage_feedback(c for c in concerns if c.agency_id == request.user.agency_id)
        entries = [represent(c, request.user, triage) for c in concerns]
        return Response(s.ChronologySerializer({"child_id": child_id, "entries": entries}).data)

    @extend_schema(
        responses={200: s.ChildRiskSerializer},
        summary="A child's combined-risk explanation, as far as the reader may see it",
    )
    @action(detail=True, methods=["get"])
    def risk(self, request: Any, pk: str | None = None) -> Response:
        # The same selector as the child's risk page: its access rule, its audit event.
        risk = child_risk_for(viewer=request.user, child_id=_int_or_404(pk), via="api")
        assessment = risk.assessment
        shown = assessment is not None and risk.is_mash
        data = {
            "child_id": risk.child.pk,
            "assessed_at": assessment.computed_at if assessment else None,
            "score": round(assessment.score, 2) if shown else None,
            "band": assessment.band if shown else None,
            "parameter_version": assessment.parameter_set.version if shown else None,
            "contributions": [
                {
                    "concern_id": row.view.id,
                    "visibility": VISIBILITY_NAMES[row.view.visibility],
                    "agency_name": row.view.agency_name,
                    "category": row.view.category,
                    "level": row.view.level,
                    "occurred_at": row.view.occurred_at,
                    "weight": row.weight,
                    "via": row.via,
                }
                for row in risk.rows
            ],
            "hidden_contributions": risk.hidden,
            "rules": [{"code": r.code, "label": r.label, "detail": r.detail} for r in risk.rules],
        }
        return Response(s.ChildRiskSerializer(data).data)


def _int_or_404(value: Any) -> int:
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19):
        raise exceptions.NotFound()
    return int(value)


class AuditViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Information governance: query the audit trail and check the chain."""

    required_scopes = {"events": (Scope.AUDIT_READ,), "verification": (Scope.AUDIT_READ,)}

    def get_queryset(self):
        return AuditEvent.objects.none()

    @extend_schema(
        parameters=[s.AuditQueryParamsSerializer],
        responses={200: s.AuditPageSerializer},
        summary="Audit events matching the filters, by chain position",
    )
    @action(detail=False, methods=["get"])
    def events(self, request: Any) -> Response:
        params = s.query_params(s.AuditQueryParamsSerializer, request)
        queryset = AuditEvent.objects.order_by("seq")
        filters = {
            "after": "seq__gt",
            "child_id": "child_id",
            "actor_id": "actor_id",
            "action": "action",
            "object_type": "object_type",
            "object_id": "object_id",
            "since": "at__gte",
            "until": "at__lt",
        }
        for name, lookup in filters.items():
            if name in params:
                queryset = queryset.filter(**{lookup: params[name]})
        # The query itself is audited (before the data leaves), with its filters.
        audit_record(
            actor=request.user,
            action=Action.SEARCH,
            object_type="audit_event",
            details={
                "filters": {
                    k: (v.isoformat() if hasattr(v, "isoformat") else v)
                    for k, v in params.items()
                    if k != "limit"
                },
                "via": "api",
            },
        )
        events, next_after = _page(list(queryset[: params["limit"] + 1]), params["limit"], "seq")
        results = s.AuditEventOutSerializer(events, many=True).data
        return Response(s.AuditPageSerializer({"results": results, "next_after": next_after}).data)

    @extend_schema(responses={200: s.ChainStatusSerializer}, summary="Is the audit chain intact?")
    @action(detail=False, methods=["get"])
    def verification(self, request: Any) -> Response:
        from hub.api.chain import chain_status

        status = chain_status()
        audit_record(
            actor=request.user,
            action=Action.SEARCH,
            object_type="audit_chain",
            details={"event": "verification", "intact": status["intact"], "via": "api"},
        )
        status["checked_at"] = timezone.now()
        return Response(s.ChainStatusSerializer(status).data)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
@renderer_classes([JSONRenderer])
def not_found(request: Any) -> Response:
    """No such API route (the same problem format as every other error)."""
    response = problem(404, "There is no API route at this address", request=request)
    response["Cache-Control"] = "no-store"
    return response
