"""Forms for the practitioner pages. They parse and check what a person typed, with GOV.UK
error messages; the services in `concerns.services` remain the authority (their
`ValidationError`s are shown beside the same fields by the views)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import cached_property

from concerns.models import AgencyTerm, Concern, Person, SubjectRecord
from concerns.services import AMENDABLE_FIELDS, MAX_TEXT
from concerns.taxonomy import (
    STATUTORY_CATEGORIES,
    Category,
    ConsentStatus,
    FamilyKnows,
    Level,
)
from concerns.validators import normalise_nhs_number, normalise_postcode, normalise_upn

# ---------------------------------------------------------------------------------------------
# GOV.UK date input: three boxes (day, month, year) posted as <name>_day, _month, _year.


class DateInputWidget(forms.MultiWidget):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {"day": forms.TextInput(), "month": forms.TextInput(), "year": forms.TextInput()},
            attrs,
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class GovukDateField(forms.Field):
    """A date from the three boxes, with the GOV.UK pattern's error messages."""

    widget = DateInputWidget

    def __init__(self, *, noun: str, past_only: bool = True, **kwargs: Any) -> None:
        self.noun = noun  # "Date of birth", "The date"
        self.past_only = past_only
        kwargs.setdefault("error_messages", {"required": f"Enter {noun[0].lower()}{noun[1:]}"})
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, date):
            return value
        parts = [str(v or "").strip() for v in (value or [None, None, None])]
        if not any(parts):
            return None
        missing = [
            name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part
        ]
        if missing:
            raise ValidationError(f"{self.noun} must include a {' and a '.join(missing)}")
        if not all(part.isdigit() for part in parts):
            raise ValidationError(f"{self.noun} must be a real date, in numbers")
        day, month, year = parts
        if len(year) != 4:
            raise ValidationError("Year must include 4 numbers")
        try:
            result = date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(f"{self.noun} must be a real date") from None
        if self.past_only and result > timezone.localdate():
            raise ValidationError(f"{self.noun} must be today or in the past")
        if result.year < 1900:
            raise ValidationError(f"{self.noun} must be after 1900")
        return result


_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})\s*(am|pm)?$|^(\d{1,2})\s*(am|pm)$", re.IGNORECASE)


def parse_time(value: str) -> time | None:
    """'14:30', '2.30pm', '9am' → a time; '' → None; anything else raises ValidationError."""
    value = (value or "").strip()
    if not value:
        return None
    match = _TIME.match(value)
    if not match:
        raise ValidationError("Enter a time like 14:30 or 2:30pm")
    hour = int(match.group(1) or match.group(4))
    minute = int(match.group(2) or 0)
    meridiem = (match.group(3) or match.group(5) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValidationError("Enter a time like 14:30 or 2:30pm")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValidationError("Enter a real time, like 14:30")
    return time(hour, minute)


def local_datetime(day: date, at: time | None) -> datetime:
    """DAY at AT (midnight when no time is known) in the hub's time zone."""
    return timezone.make_aware(datetime.combine(day, at or time(0, 0)))


# ---------------------------------------------------------------------------------------------
# Finding a person


class SubjectSearchForm(forms.Form):
    name = forms.CharField(required=False, max_length=200)
    date_of_birth = GovukDateField(noun="Date of birth", required=False)
    reference = forms.CharField(required=False, max_length=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not (
            (data.get("name") or "").strip() or data.get("date_of_birth") or data.get("reference")
        ):
            self.add_error("name", "Enter a name, a date of birth or a reference to search for")
        return data


# ---------------------------------------------------------------------------------------------
# A new person


class SubjectDetailsForm(forms.Form):
    """Who the concern is about, as the practitioner's agency knows them."""

    prefix = "person"

    kind = forms.ChoiceField(
        choices=Person.Kind.choices,
        initial=Person.Kind.CHILD,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether this is a child or an adult"},
    )
    given_name = forms.CharField(
        max_length=100,
        error_messages={
            "required": "Enter their first name",
            "max_length": "First name must be 100 characters or fewer",
        },
    )
    family_name = forms.CharField(
        max_length=100,
        error_messages={
            "required": "Enter their last name",
            "max_length": "Last name must be 100 characters or fewer",
        },
    )
    other_names = forms.CharField(required=False, max_length=200)
    date_of_birth = GovukDateField(noun="Date of birth", required=False)
    sex = forms.ChoiceField(
        choices=SubjectRecord.Sex.choices,
        initial=SubjectRecord.Sex.UNKNOWN,
        widget=forms.RadioSelect,
        error_messages={"required": "Select their sex, or 'Not known'"},
    )
    nhs_number = forms.CharField(required=False, max_length=20)
    upn = forms.CharField(required=False, max_length=20)
    address = forms.CharField(required=False, max_length=300, widget=forms.Textarea)
    postcode = forms.CharField(required=False, max_length=20)
    school = forms.CharField(required=False, max_length=200)
    external_reference = forms.CharField(required=False, max_length=100)

    # The same normalisers the service uses, so the messages appear with every other error.
    def clean_nhs_number(self) -> str:
        return normalise_nhs_number(self.cleaned_data["nhs_number"])

    def clean_upn(self) -> str:
        return normalise_upn(self.cleaned_data["upn"])

    def clean_postcode(self) -> str:
        return normalise_postcode(self.cleaned_data["postcode"])

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


# ---------------------------------------------------------------------------------------------
# The concern


def category_choices() -> list[tuple[str, Any]]:
    statutory = [(c.value, c.label) for c in Category if c in STATUTORY_CATEGORIES]
    contextual = [(c.value, c.label) for c in Category if c not in STATUTORY_CATEGORIES]
    return [
        ("", "Choose a category"),
        ("Categories of abuse (Working Together)", statutory),
        ("Contextual factors", contextual),
    ]


LEVEL_HINTS = {
    Level.UNIVERSAL: "Needs are met by everyday services such as school, the GP or a health "
    "visitor. Record it so the picture builds up.",
    Level.EARLY_HELP: "Extra needs that your agency or another can help with, with the "
    "family's agreement.",
    Level.TARGETED: "Complex needs that need several agencies or a social care assessment: "
    "the child may be a child in need.",
    Level.SPECIALIST: "The child may be suffering, or likely to suffer, significant harm. "
    "Also phone the MASH now; if they are in immediate danger, call 999.",
}

CONSENT_HINTS = {
    ConsentStatus.GIVEN: "The family agreed to this being shared.",
    ConsentStatus.REFUSED: "The family was asked and said no. You may still be able to share "
    "where there is a lawful basis.",
    ConsentStatus.NOT_SOUGHT: "Nobody has asked the family yet.",
    ConsentStatus.NOT_SAFE: "Asking could put the child or someone else at risk, or prejudice "
    "an enquiry.",
}

MARKERS = (
    (
        "marker_health",
        "Health information",
        "Special-category data (UK GDPR Article 9). Other agencies see it only when a recorded "
        "sharing decision gives the condition for sharing it.",
    ),
    (
        "marker_do_not_disclose_family",
        "Do not disclose to the family",
        "Kept out of anything shown or sent to the family, for example a subject access "
        "response, until it has been reviewed.",
    ),
    (
        "marker_police_investigation",
        "Active police investigation",
        "Do not tip anyone off: other agencies are told only that information is held, and "
        "must speak to the police before acting on it or telling the family.",
    ),
    (
        "marker_sealed",
        "Sealed",
        "Not visible outside your agency at all, not even that it exists. Use only when even "
        "that would put someone at risk.",
    ),
)


class TextField(forms.CharField):
    """Free text whose line breaks count as one character each, as the character count on the
    page counts them (browsers post CRLF)."""

    def to_python(self, value: Any) -> str:
        return super().to_python(value).replace("\r\n", "\n")


class ConcernFieldsForm(forms.Form):
    """The fields of a concern, shared by recording and amending."""

    category = forms.ChoiceField(
        choices=category_choices,
        required=False,
        error_messages={"invalid_choice": "Select a category from the list"},
    )
    level = forms.TypedChoiceField(
        choices=Level.choices,
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select a level from 1 to 4"},
    )
    text = TextField(
        max_length=MAX_TEXT,
        strip=False,
        widget=forms.Textarea,
        error_messages={
            "required": "Enter what was seen or heard",
            "max_length": f"What was seen or heard must be {MAX_TEXT:,} characters or fewer",
        },
    )
    occurred_on = GovukDateField(noun="The date it happened")
    occurred_time = forms.CharField(required=False, max_length=10)
    family_knows = forms.ChoiceField(
        choices=FamilyKnows.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the family knows about this concern"},
    )
    consent_status = forms.ChoiceField(
        choices=ConsentStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the consent status at the time"},
    )
    marker_health = forms.BooleanField(required=False)
    marker_do_not_disclose_family = forms.BooleanField(required=False)
    marker_police_investigation = forms.BooleanField(required=False)
    marker_sealed = forms.BooleanField(required=False)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if not text.strip():
            raise ValidationError("Enter what was seen or heard")
        return text

    def clean_occurred_time(self) -> time | None:
        return parse_time(self.cleaned_data["occurred_time"])

    def _require_category_and_level(self, data: dict[str, Any]) -> None:
        if "category" not in self.errors and not data.get("category"):
            self.add_error("category", "Select a category")
        if "level" not in self.errors and not data.get("level"):
            self.add_error("level", "Select the level of need")

    def _combine_occurred_at(self, data: dict[str, Any]) -> None:
        day = data.get("occurred_on")
        if day is None or "occurred_time" in self.errors:
            return
        occurred_at = local_datetime(day, data.get("occurred_time"))
        if occurred_at > timezone.now():
            self.add_error("occurred_time", "The time must be now or in the past")
            return
        data["occurred_at"] = occurred_at

    def concern_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "category": data["category"],
            "level": data["level"],
            "text": data["text"],
            "occurred_at": data["occurred_at"],
            "family_knows": data["family_knows"],
            "consent_status": data["consent_status"],
            "marker_health": data["marker_health"],
            "marker_do_not_disclose_family": data["marker_do_not_disclose_family"],
            "marker_police_investigation": data["marker_police_investigation"],
            "marker_sealed": data["marker_sealed"],
        }


class ConcernForm(ConcernFieldsForm):
    """Recording a new concern. `submission_token` is fixed when the form is first shown, so a
    refresh or a second click sends the same token and the service returns the first concern."""

    prefix = "concern"
    field_order = ["agency_term", "category", "level"]

    agency_term = forms.ModelChoiceField(
        queryset=AgencyTerm.objects.none(),
        required=False,
        empty_label="None – I will choose below",
        error_messages={"invalid_choice": "Select one of your agency's terms from the list"},
    )
    submission_token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "The form has expired: check the details and submit it again",
            "invalid": "The form has expired: check the details and submit it again",
        },
    )

    def __init__(self, *args: Any, agency_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        terms = AgencyTerm.objects.filter(agency_id=agency_id).order_by("term")
        field = self.fields["agency_term"]
        field.queryset = terms  # type: ignore[attr-defined]
        field.label_from_instance = _term_label  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        term: AgencyTerm | None = data.get("agency_term")
        # An agency's own term fills whichever of category and level the person left blank;
        # a choice made on the form wins.
        if term is not None:
            if not data.get("category") and term.category:
                data["category"] = term.category
            if not data.get("level") and term.level:
                data["level"] = term.level
        self._require_category_and_level(data)
        self._combine_occurred_at(data)
        return data

    @property
    def has_terms(self) -> bool:
        return bool(self.term_mapping)

    @cached_property
    def term_mapping(self) -> dict[str, dict[str, Any]]:
        """{term id: {"category", "level"}} for the page's script that fills in the form."""
        return {
            str(term.pk): {"category": term.category, "level": term.level}
            for term in self.fields["agency_term"].queryset  # type: ignore[attr-defined]
        }


def _term_label(term: AgencyTerm) -> str:
    mapped = []
    if term.category:
        mapped.append(term.get_category_display())
    if term.level:
        mapped.append(f"level {term.level}")
    return f"{term.term} ({', '.join(mapped)})"


class ConcernAmendForm(ConcernFieldsForm):
    """A correction: only fields that differ from the current values are sent, with a reason."""

    prefix = "amend"

    reason = forms.CharField(
        max_length=2_000,
        widget=forms.Textarea,
        error_messages={
            "required": "Say why you are amending this concern",
            "max_length": "The reason must be 2,000 characters or fewer",
        },
    )

    @classmethod
    def initial_for(cls, concern: Concern) -> dict[str, Any]:
        local = timezone.localtime(concern.occurred_at)
        initial: dict[str, Any] = {field: getattr(concern, field) for field in AMENDABLE_FIELDS}
        initial.pop("occurred_at")
        initial["occurred_on"] = local.date()
        initial["occurred_time"] = (
            local.strftime("%H:%M") if (local.hour, local.minute) != (0, 0) else ""
        )
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._require_category_and_level(data)
        self._combine_occurred_at(data)
        return data

    def changes(self) -> dict[str, Any]:
        """The amendable fields whose values differ from what the concern holds now."""
        changed = set(self.changed_data)
        values = self.concern_kwargs()
        result = {f: v for f, v in values.items() if f in changed}
        if changed & {"occurred_on", "occurred_time"}:
            result["occurred_at"] = values["occurred_at"]
        return result


class WithdrawForm(forms.Form):
    prefix = "withdraw"

    reason = forms.CharField(
        max_length=2_000,
        widget=forms.Textarea,
        error_messages={
            "required": "Say why you are withdrawing this concern",
            "max_length": "The reason must be 2,000 characters or fewer",
        },
    )


# The service's field names, where a form names the same thing differently.
SERVICE_FIELD_ALIASES = {"occurred_at": "occurred_on"}


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError beside the matching fields of FORM (else at the top)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            name = SERVICE_FIELD_ALIASES.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
