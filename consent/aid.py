"""The decision aid: the seven golden rules of information sharing (HM Government, 2024
wording) as seven steps, each with plain-English guidance beside it, ending in a recorded
decision through `consent.services.sharing_decision_record`.

Not legal advice: the guidance points practitioners to their designated lead, their
information-governance lead and their legal team when in doubt (golden rule 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from agencies.models import Agency, Area, User
from consent.models import Article6, Article9, Schedule1Reason
from consent.policy import Visibility

YES_NO = [("yes", "Yes"), ("no", "No")]


class ScopeForm(forms.Form):
    scope = forms.ChoiceField(
        label="What are you deciding about?",
        choices=[("concern", "This concern only"), ("child", "All our concerns about the child")],
        widget=forms.RadioSelect,
    )
    up_to = forms.DateField(
        label="Up to which date (whole record only)?",
        required=False,
        help_text="Concerns recorded by the end of this day. Leave blank for today.",
        widget=forms.DateInput(
            attrs={"type": "date", "class": "govuk-input govuk-input--width-10"}
        ),
    )
    recipient_kind = forms.ChoiceField(
        label="Who is it for?",
        choices=[
            ("agency", "Another agency"),
            ("area", "An area's MASH"),
            ("user", "A named person"),
        ],
        widget=forms.RadioSelect,
    )
    recipient_agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(is_active=True),
        required=False,
        label="Agency",
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    recipient_area = forms.ModelChoiceField(
        queryset=Area.objects.all(),
        required=False,
        label="Area (its MASH)",
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    recipient_username = forms.CharField(
        required=False,
        label="Named person's username",
        max_length=150,
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20"}),
    )
    purpose = forms.CharField(
        label="What is the information needed for?",
        widget=forms.Textarea(attrs={"rows": 3, "class": "govuk-textarea"}),
    )

    def clean(self):
        data = super().clean()
        kind = data.get("recipient_kind")
        if kind == "agency" and not data.get("recipient_agency"):
            self.add_error("recipient_agency", "Choose the agency")
        if kind == "area" and not data.get("recipient_area"):
            self.add_error("recipient_area", "Choose the area")
        if kind == "user":
            username = (data.get("recipient_username") or "").strip()
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                self.add_error("recipient_username", "There is no active user with that username")
            else:
                data["recipient_user_id"] = user.pk
        return data


class SafetyForm(forms.Form):
    safety = forms.CharField(
        label="What could happen to the child if you share, and if you do not?",
        widget=forms.Textarea(attrs={"rows": 5, "class": "govuk-textarea"}),
    )


class BasisForm(forms.Form):
    article6 = forms.ChoiceField(
        label="Lawful basis (UK GDPR Article 6)",
        choices=[("", "Not sharing / not applicable"), *Article6.choices],
        required=False,
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    article9 = forms.ChoiceField(
        label="Condition for health or other special-category data (Article 9)",
        choices=[("", "None needed"), *Article9.choices],
        required=False,
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    schedule1_reason = forms.ChoiceField(
        label="Why consent is not being relied on (Schedule 1 paragraph 18)",
        choices=[("", "Not applicable"), *Schedule1Reason.choices],
        required=False,
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    article10 = forms.BooleanField(
        label="Criminal-offence data: Article 10 condition (DPA 2018 s10(5), Schedule 1) applies",
        required=False,
    )
    dpa_part3 = forms.BooleanField(
        label="Police law-enforcement processing: DPA 2018 Part 3, Schedule 8 paragraph 4",
        required=False,
    )


class ProportionForm(forms.Form):
    level = forms.TypedChoiceField(
        label="How much to share",
        coerce=int,
        choices=[
            (int(Visibility.EXISTENCE), "Only that we hold information (and whom to contact)"),
            (int(Visibility.SUMMARY), "A summary: category, level and date"),
            (int(Visibility.FULL), "The full record"),
        ],
        widget=forms.RadioSelect,
    )
    necessity = forms.CharField(
        label="Why is this necessary and proportionate? (Or: why are you not sharing?)",
        widget=forms.Textarea(attrs={"rows": 5, "class": "govuk-textarea"}),
    )
    review_on = forms.DateField(
        label="Review date (access ends after it)",
        required=False,
        widget=forms.DateInput(
            attrs={"type": "date", "class": "govuk-input govuk-input--width-10"}
        ),
    )
    lift_marker_cap = forms.BooleanField(
        label="Let the recipient past the police-investigation / do-not-disclose-to-family "
        "marker for this share",
        required=False,
    )


class FamilyForm(forms.Form):
    family_told = forms.ChoiceField(
        label="Has the family been told?", choices=YES_NO, widget=forms.RadioSelect
    )
    family_not_told_reason = forms.CharField(
        label="If not, why not?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "govuk-textarea"}),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("family_told") == "no"
            and not (data.get("family_not_told_reason") or "").strip()
        ):
            self.add_error("family_not_told_reason", "Say why the family was not told")
        return data


class AdviceForm(forms.Form):
    advice = forms.CharField(
        label="Whom did you ask for advice, and what did they say? (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "govuk-textarea"}),
    )


class RecordForm(forms.Form):
    share = forms.ChoiceField(
        label="Your decision",
        choices=[("yes", "Share"), ("no", "Do not share")],
        widget=forms.RadioSelect,
    )


@dataclass(frozen=True)
class Step:
    number: int
    rule: str
    title: str
    guidance: tuple[str, ...]
    form: type[forms.Form]


STEPS: tuple[Step, ...] = (
    Step(
        1,
        "Data protection law is not a barrier to sharing information to keep a child safe.",
        "What and with whom",
        (
            "The UK GDPR and the Data Protection Act 2018 support sharing to protect children. "
            "They ask you to be clear what you share, with whom, and why.",
            "Share with the people who need it for the child's safety: an agency, the MASH for "
            "the child's area, or a named worker.",
        ),
        ScopeForm,
    ),
    Step(
        2,
        "Base your decision on the child's safety and wellbeing, and that of others.",
        "Safety and wellbeing",
        (
            "Think about what could happen to the child if the information is not shared, and "
            "what could happen if it is.",
            "Protecting a child comes before privacy where sharing is needed to keep them safe.",
        ),
        SafetyForm,
    ),
    Step(
        3,
        "Share with consent where appropriate; where it is not, share without it when there is "
        "a lawful basis and it is justified.",
        "Lawful basis",
        (
            "Consent is usually not the best basis for safeguarding: most public bodies share "
            "under 'public task' (Article 6(1)(e)).",
            "Health information is special-category data: use Article 9(2)(g) with Schedule 1 "
            "paragraph 18 (say why consent is not relied on: it cannot be given, cannot "
            "reasonably be obtained, or asking would put the child at risk), or 9(2)(h) with "
            "paragraph 2 for health and social care.",
            "Information about crimes needs the Article 10 condition; the police, processing for "
            "law enforcement, use DPA 2018 Part 3 with Schedule 8 paragraph 4.",
        ),
        BasisForm,
    ),
    Step(
        4,
        "Share only what is necessary, proportionate, relevant, adequate, accurate, timely and "
        "secure.",
        "Necessary and proportionate",
        (
            "Share the least that meets the need: often that you hold something (and whom to "
            "ask) or a summary is enough at first.",
            "Explain in your own words why this much is necessary (Human Rights Act, Article 8). "
            "Set a review date: access ends after it.",
        ),
        ProportionForm,
    ),
    Step(
        5,
        "Be open and honest with the child and family about what you share and why, unless "
        "that would be unsafe or inappropriate.",
        "Telling the family",
        (
            "Tell the family unless doing so could put the child or others at risk, or "
            "prejudice a police investigation. If you do not tell them, record why.",
        ),
        FamilyForm,
    ),
    Step(
        6,
        "Seek advice from your designated lead, information-governance lead or legal team "
        "when in doubt, without identifying the person where you can.",
        "Advice",
        ("Asking is good practice, not a weakness. Note whom you asked and what they said.",),
        AdviceForm,
    ),
    Step(
        7,
        "Record the decision and the reasons for it, whether or not you share.",
        "Record the decision",
        (
            "A decision not to share must be recorded with its reasons too.",
            "Your record shows what you knew, the basis you used and why: you can print it.",
        ),
        RecordForm,
    ),
)
