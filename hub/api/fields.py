"""Strict serializer fields: a value of the wrong JSON type is refused, never coerced.

DRF's defaults accept "true" for a boolean, 5 for a string and "3" for an integer. An agency
system that sends the wrong type has a bug we want it to hear about, and the fuzzing checks
that nothing invalid by the schema is accepted.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice whose value must have the JSON type of the choices (no "3" for 3)."""

    def to_internal_value(self, data: Any) -> Any:
        kinds = {type(key) for key in self.choices}
        if isinstance(data, bool) or type(data) not in kinds:
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictDateTimeField(serializers.DateTimeField):
    """RFC 3339 date-time with an offset (the OpenAPI `date-time` format): no naive times."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not RFC3339.match(value):
            self.fail("invalid", format="RFC 3339, e.g. 2026-11-02T14:30:00Z")
        return super().to_internal_value(value)


class StrictDateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not ISO_DATE.match(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)
