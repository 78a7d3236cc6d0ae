"""The baseline for `manage.py bench_api`: a bare DRF create of the same rows (person, subject
record, concern) with no resolution, consent policy, audit, idempotency, throttling or enqueue.

The subject record gets its normalised names like any other (two string functions): the rows
stay in the database, and a record without them is a nameless candidate that later submissions
on the same date of birth were queued for review against (until 4 Dec 2026 this depressed every
repeated run's hub figures).

It breaks the hub's rules on purpose, to measure what the rules cost. It is mounted only when
`API_BENCH_BARE` is set, which only the benchmark's own gunicorn does; never in a deployment.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import generics, serializers

from concerns.models import Concern, Person, SubjectRecord
from concerns.validators import normalise_name
from hub.api.base import ApiViewMixin
from hub.api.models import Scope


class BareSubjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubjectRecord
        fields = ["external_reference", "given_name", "family_name", "date_of_birth", "postcode"]


class BareConcernSerializer(serializers.ModelSerializer):
    subject = BareSubjectSerializer()

    class Meta:
        model = Concern
        fields = [
            "id",
            "external_reference",
            "subject",
            "category",
            "level",
            "text",
            "occurred_at",
            "consent_status",
        ]

    def create(self, validated_data: dict[str, Any]) -> Concern:
        user = self.context["request"].user
        subject_data = validated_data.pop("subject")
        now = timezone.now()
        with transaction.atomic():
            person = Person.objects.create()
            subject = SubjectRecord.objects.create(
                agency_id=user.agency_id,
                person=person,
                given_name_norm=normalise_name(subject_data["given_name"]),
                family_name_norm=normalise_name(subject_data["family_name"]),
                **subject_data,
            )
            return Concern.objects.create(
                agency_id=user.agency_id,
                author=user,
                subject=subject,
                recorded_at=now,
                updated_at=now,
                **validated_data,
            )


class BareConcernCreate(ApiViewMixin, generics.CreateAPIView):
    serializer_class = BareConcernSerializer
    throttle_classes: list = []
    required_scopes = {"post": (Scope.CONCERNS_WRITE,)}

    def get_queryset(self):  # pragma: no cover - create only
        return Concern.objects.none()
