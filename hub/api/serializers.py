"""Request and response shapes. Input fields are strict (see `hub.api.fields`); validation of
meaning (NHS number check digits, dates in the past, postcodes) is the services' job, so the API
and the browser agree."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from audit.models import Action
from concerns.models import Person, SubjectRecord
from concerns.taxonomy import Category, ConsentStatus, FamilyKnows, Level
from hub.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictDateTimeField,
    StrictIntegerField,
)

# ---- input -------------------------------------------------------------------------------------


class SubjectInSerializer(serializers.Serializer):
    external_reference = StrictCharField(
        max_length=100,
        required=False,
        default="",
        allow_blank=True,
        help_text="The agency's own id for the person. A known reference reuses that record.",
    )
    given_name = StrictCharField(max_length=100)
    family_name = StrictCharField(max_length=100)
    other_names = StrictCharField(max_length=200, required=False, default="", allow_blank=True)
    date_of_birth = StrictDateField(required=False, allow_null=True, default=None)
    sex = StrictChoiceField(choices=SubjectRecord.Sex.choices, required=False, default="U")
    nhs_number = StrictCharField(max_length=12, required=False, default="", allow_blank=True)
    upn = StrictCharField(max_length=15, required=False, default="", allow_blank=True)
    address = StrictCharField(max_length=300, required=False, default="", allow_blank=True)
    postcode = StrictCharField(max_length=10, required=False, default="", allow_blank=True)
    school = StrictCharField(max_length=200, required=False, default="", allow_blank=True)
    kind = StrictChoiceField(choices=Person.Kind.choices, required=False, default="child")


class MarkersSerializer(serializers.Serializer):
    health = StrictBooleanField(required=False, default=False)
    do_not_disclose_family = StrictBooleanField(required=False, default=False)
    police_investigation = StrictBooleanField(required=False, default=False)
    sealed = StrictBooleanField(required=False, default=False)


class ConcernSubmissionSerializer(serializers.Serializer):
    external_reference = StrictCharField(
        max_length=100,
        help_text="The agency's own reference for the concern. Re-sending the same reference "
        "never creates a second concern (same content: 200, different content: 409).",
    )
    subject = SubjectInSerializer()
    category = StrictChoiceField(choices=Category.choices)
    level = StrictChoiceField(choices=Level.choices)
    text = StrictCharField(max_length=10_000, trim_whitespace=False)
    occurred_at = StrictDateTimeField()
    consent_status = StrictChoiceField(choices=ConsentStatus.choices)
    family_knows = StrictChoiceField(
        choices=FamilyKnows.choices, required=False, default=FamilyKnows.UNKNOWN
    )
    markers = MarkersSerializer(required=False)

    def validate_external_reference(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("Give the agency's reference for the concern")
        return value


class BulkSubmissionSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=settings.API_BULK_MAX_ITEMS,
        help_text="Each item is a ConcernSubmission. Items are validated and saved one by one: "
        "a bad item is reported and never blocks the others.",
    )


class WithdrawSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000)


class ConcernListParamsSerializer(serializers.Serializer):
    after = StrictIntegerField(
        required=False,
        min_value=0,
        help_text="Return concerns with id above this (the previous page's `next_after`).",
    )
    limit = StrictIntegerField(required=False, min_value=1, max_value=200, default=50)
    external_reference = StrictCharField(required=False, max_length=100)


class AuditQueryParamsSerializer(serializers.Serializer):
    after = StrictIntegerField(
        required=False, min_value=0, help_text="Return events with seq above this."
    )
    limit = StrictIntegerField(required=False, min_value=1, max_value=500, default=100)
    child_id = StrictIntegerField(required=False, min_value=1)
    actor_id = StrictIntegerField(required=False, min_value=1)
    action = StrictChoiceField(choices=Action.choices, required=False)
    object_type = StrictCharField(required=False, max_length=64)
    object_id = StrictCharField(required=False, max_length=64)
    since = StrictDateTimeField(required=False)
    until = StrictDateTimeField(required=False)


def query_params(serializer_class: type[serializers.Serializer], request) -> dict:
    """Validated query parameters. Strings only arrive in a query: integers are parsed here,
    strictly (digits only), so a malformed value is a 400 and never silently ignored."""
    data: dict = {}
    fields = serializer_class().fields
    for name, raw in request.query_params.items():
        field = fields.get(name)
        if isinstance(field, StrictIntegerField):
            data[name] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else raw
        else:
            data[name] = raw
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# ---- output ------------------------------------------------------------------------------------


class UtcDateTimeField(serializers.DateTimeField):
    """Times go out in UTC: never a local offset (historic dates in Europe/London carry a
    local-mean-time offset of -00:01:15, which is not RFC 3339)."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)


class MarkersOutSerializer(serializers.Serializer):
    health = serializers.BooleanField()
    do_not_disclose_family = serializers.BooleanField()
    police_investigation = serializers.BooleanField()
    sealed = serializers.BooleanField()


class TriageOutSerializer(serializers.Serializer):
    """What the MASH tells the referring agency (the same words as the browser's feedback)."""

    status = serializers.CharField(help_text="e.g. received, being_looked_at, decided")
    label = serializers.CharField()
    area = serializers.CharField(help_text="The MASH area that has the case")
    since = UtcDateTimeField()
    acknowledged_at = UtcDateTimeField(allow_null=True)


class ConcernOutSerializer(serializers.Serializer):
    """A concern at the reader's visibility level (consent.policy.present). Fields above that
    level are null."""

    id = serializers.IntegerField()
    visibility = serializers.ChoiceField(choices=["existence", "summary", "full"])
    agency_id = serializers.IntegerField()
    agency_name = serializers.CharField()
    child_id = serializers.IntegerField()
    external_reference = serializers.CharField(allow_null=True, help_text="Own agency only.")
    contact = serializers.CharField(allow_null=True)
    category = serializers.CharField(allow_null=True)
    category_label = serializers.CharField(allow_null=True)
    level = serializers.IntegerField(allow_null=True)
    occurred_at = UtcDateTimeField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    text = serializers.CharField(allow_null=True)
    markers = MarkersOutSerializer(allow_null=True)
    family_knows = serializers.CharField(allow_null=True)
    consent_status = serializers.CharField(allow_null=True)
    triage = TriageOutSerializer(
        allow_null=True, help_text="The MASH's progress, for the referring agency."
    )


class ConcernReceiptSerializer(serializers.Serializer):
    """The answer to a submission: which concern holds it. Read it back with GET .../{id}/."""

    id = serializers.IntegerField()
    external_reference = serializers.CharField()
    child_id = serializers.IntegerField()
    result = serializers.ChoiceField(choices=["created", "existing"])
    url = serializers.CharField()


@extend_schema_serializer(many=False)  # a page object, not a list, though the action is "list"
class ConcernPageSerializer(serializers.Serializer):
    results = ConcernOutSerializer(many=True)
    next_after = serializers.IntegerField(allow_null=True)


class ProblemItemSerializer(serializers.Serializer):
    path = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_reference = serializers.CharField(allow_null=True)
    result = serializers.ChoiceField(
        choices=["created", "existing", "invalid", "conflict", "refused"]
    )
    status = serializers.IntegerField(help_text="The status a single submission would have had.")
    concern_id = serializers.IntegerField(allow_null=True)
    errors = ProblemItemSerializer(many=True)


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkItemResultSerializer(many=True)


class ChronologySerializer(serializers.Serializer):
    child_id = serializers.IntegerField()
    entries = ConcernOutSerializer(many=True)


class HexField(serializers.CharField):
    """A hash as lower-case hex, whether the model holds hex text or raw bytes."""

    def to_representation(self, value: Any) -> str:
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value).hex()
        return str(value)


class AuditEventOutSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    at = UtcDateTimeField()
    actor_type = serializers.CharField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_username = serializers.CharField()
    actor_agency_id = serializers.IntegerField(allow_null=True)
    actor_agency_code = serializers.CharField()
    actor_role = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    child_id = serializers.IntegerField(allow_null=True)
    lawful_basis = serializers.CharField()
    justification = serializers.CharField()
    details = serializers.JSONField()
    request_id = serializers.CharField()
    client_ip = serializers.IPAddressField(allow_null=True)
    prev_hash = HexField()
    hash = HexField()


class AuditPageSerializer(serializers.Serializer):
    results = AuditEventOutSerializer(many=True)
    next_after = serializers.IntegerField(allow_null=True)


class ChainStatusSerializer(serializers.Serializer):
    intact = serializers.BooleanField()
    events_checked = serializers.IntegerField()
    last_seq = serializers.IntegerField(allow_null=True)
    first_broken_seq = serializers.IntegerField(allow_null=True)
    problems = serializers.ListField(child=serializers.CharField())
    checked_at = UtcDateTimeField()


class RiskContributionSerializer(serializers.Serializer):
    """One concern the assessment counted, at the reader's visibility level."""

    concern_id = serializers.IntegerField()
    visibility = serializers.ChoiceField(choices=["existence", "summary", "full"])
    agency_name = serializers.CharField()
    category = serializers.CharField(allow_null=True)
    level = serializers.IntegerField(allow_null=True)
    occurred_at = UtcDateTimeField(allow_null=True)
    weight = serializers.FloatField()
    via = serializers.CharField()


class RiskRuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    detail = serializers.CharField()


class ChildRiskSerializer(serializers.Serializer):
    """A child's combined-risk explanation as the reader may see it. Score, band and parameter
    version are shown only to the MASH staff of the child's area (null for everyone else); a
    contribution the reader may not see is only counted in `hidden_contributions`."""

    child_id = serializers.IntegerField()
    assessed_at = UtcDateTimeField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    band = serializers.CharField(allow_null=True)
    parameter_version = serializers.IntegerField(allow_null=True)
    contributions = RiskContributionSerializer(many=True)
    hidden_contributions = serializers.IntegerField()
    rules = RiskRuleSerializer(many=True)
