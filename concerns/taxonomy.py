"""The hub's common vocabulary: categories of concern and the continuum of need.

The four statutory categories come from *Working Together to Safeguard Children*; the contextual
factors are those practice adds (see docs/domain.md). Agencies map their own terms onto these
through `AgencyTerm` in the admin.
"""

from django.db import models


class Category(models.TextChoices):
    # Statutory categories of abuse
    PHYSICAL_ABUSE = "physical_abuse", "Physical abuse"
    EMOTIONAL_ABUSE = "emotional_abuse", "Emotional abuse"
    SEXUAL_ABUSE = "sexual_abuse", "Sexual abuse"
    NEGLECT = "neglect", "Neglect"
    # Contextual factors
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    PARENTAL_SUBSTANCE_MISUSE = "parental_substance_misuse", "Parental substance misuse"
    PARENTAL_MENTAL_HEALTH = "parental_mental_health", "Parental mental ill-health"
    CHILD_SEXUAL_EXPLOITATION = "child_sexual_exploitation", "Child sexual exploitation"
    CHILD_CRIMINAL_EXPLOITATION = "child_criminal_exploitation", "Child criminal exploitation"
    MISSING_FROM_HOME = "missing_from_home", "Missing from home or care"
    MISSING_FROM_EDUCATION = "missing_from_education", "Missing from education"
    RADICALISATION = "radicalisation", "Radicalisation"
    SELF_HARM = "self_harm", "Self-harm"
    WAS_NOT_BROUGHT = "was_not_brought", "Was not brought to a health appointment"
    FALTERING_GROWTH = "faltering_growth", "Faltering weight or growth"
    INJURY = "injury", "Injury (explained or not)"
    OTHER = "other", "Other"


STATUTORY_CATEGORIES = frozenset(
    {Category.PHYSICAL_ABUSE, Category.EMOTIONAL_ABUSE, Category.SEXUAL_ABUSE, Category.NEGLECT}
)


class Level(models.IntegerChoices):
    """The continuum of need."""

    UNIVERSAL = 1, "Level 1 – universal"
    EARLY_HELP = 2, "Level 2 – early help (additional needs)"
    TARGETED = 3, "Level 3 – targeted or complex needs (child in need, s17)"
    SPECIALIST = 4, "Level 4 – specialist or acute (risk of significant harm, s47)"


class ConsentStatus(models.TextChoices):
    GIVEN = "given", "Given"
    REFUSED = "refused", "Refused"
    NOT_SOUGHT = "not_sought", "Not sought"
    NOT_SAFE = "not_safe", "Not safe to seek"


class FamilyKnows(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Not known"
