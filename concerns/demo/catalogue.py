"""The fixed cast of the demo: two local-authority areas, their agencies, one police force
serving both, one user per role, and a few agency terms."""

from __future__ import annotations

from dataclasses import dataclass

from agencies.models import Agency, User

# Printed by seed_demo. The command refuses to run with DEBUG off (unless told to), so this
# password cannot reach a live system by accident.
DEMO_PASSWORD = "demo-hub-password"  # noqa: S105 - a published demo credential


@dataclass(frozen=True)
class AreaSpec:
    code: str
    name: str
    districts: tuple[str, ...]


@dataclass(frozen=True)
class AgencySpec:
    code: str
    name: str
    kind: str
    areas: tuple[str, ...]
    # What the demo uses the agency for: "primary", "secondary", "school" (all-through), "gp",
    # "health_visiting", "csc", "housing", "probation", "police".
    role: str
    ref_prefix: str


@dataclass(frozen=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    agency: str
    role: str
    job_title: str


AREA_ONE = AreaSpec("demo-fernleigh", "Fernleigh (demo area)", ("ZX1", "ZX2", "ZX3", "ZX4"))
AREA_TWO = AreaSpec("demo-brackenmoor", "Brackenmoor (demo area)", ("ZY1", "ZY2", "ZY3", "ZY4"))
AREAS = (AREA_ONE, AREA_TWO)

_E, _H, _C = Agency.Kind.EDUCATION, Agency.Kind.HEALTH, Agency.Kind.CHILDRENS_SOCIAL_CARE
_F, _B = (AREA_ONE.code,), (AREA_TWO.code,)
AGENCIES = (
    AgencySpec(
        "demo-marchshire-police",
        "Marchshire Constabulary (demo)",
        Agency.Kind.POLICE,
        (AREA_ONE.code, AREA_TWO.code),
        "police",
        "MCP",
    ),
    AgencySpec("demo-fern-oakfield", "Oakfield Primary School (demo)", _E, _F, "primary", "OPS"),
    AgencySpec("demo-fern-high", "Fernleigh High School (demo)", _E, _F, "secondary", "FHS"),
    AgencySpec("demo-fern-gp", "Fernleigh Medical Practice (demo)", _H, _F, "gp", "FMP"),
    AgencySpec(
        "demo-fern-hv", "Fernleigh Health Visiting (demo)", _H, _F, "health_visiting", "FHV"
    ),
    AgencySpec("demo-fern-csc", "Fernleigh Children's Social Care (demo)", _C, _F, "csc", "FCS"),
    AgencySpec(
        "demo-fern-housing", "Fernleigh Homes (demo)", Agency.Kind.HOUSING, _F, "housing", "FHO"
    ),
    AgencySpec(
        "demo-fern-probation",
        "Fernleigh Probation Delivery Unit (demo)",
        Agency.Kind.PROBATION,
        _F,
        "probation",
        "FPD",
    ),
    AgencySpec("demo-brack-academy", "Brackenmoor Academy (demo)", _E, _B, "school", "BKA"),
    AgencySpec("demo-brack-gp", "Brackenmoor Health Centre (demo)", _H, _B, "gp", "BHC"),
    AgencySpec(
        "demo-brack-hv", "Brackenmoor Health Visiting (demo)", _H, _B, "health_visiting", "BHV"
    ),
    AgencySpec("demo-brack-csc", "Brackenmoor Children's Services (demo)", _C, _B, "csc", "BCS"),
    AgencySpec(
        "demo-brack-housing",
        "Brackenmoor Housing (demo)",
        Agency.Kind.HOUSING,
        _B,
        "housing",
        "BHO",
    ),
    AgencySpec(
        "demo-brack-probation",
        "Brackenmoor Probation Office (demo)",
        Agency.Kind.PROBATION,
        _B,
        "probation",
        "BPO",
    ),
)
AGENCY_BY_CODE = {a.code: a for a in AGENCIES}

_P, _L = User.Role.PRACTITIONER, User.Role.DESIGNATED_LEAD
# username, first, last, agency, role, job title
_USERS = [
    ("police-officer", "Priya", "Constable", "demo-marchshire-police", _P, "Police officer"),
    ("police-lead", "Morgan", "Sergeant", "demo-marchshire-police", _L, "Safeguarding lead"),
    ("oakfield-teacher", "Tom", "Teacher", "demo-fern-oakfield", _P, "Class teacher"),
    ("oakfield-dsl", "Dana", "Lead", "demo-fern-oakfield", _L, "Designated safeguarding lead"),
    ("fernhigh-teacher", "Sam", "Tutor", "demo-fern-high", _P, "Form tutor"),
    ("fernhigh-dsl", "Drew", "Lead", "demo-fern-high", _L, "Designated safeguarding lead"),
    ("fern-gp", "Gita", "Doctor", "demo-fern-gp", _P, "GP"),
    ("fern-gp-lead", "Nadia", "Named", "demo-fern-gp", _L, "Named GP for safeguarding"),
    ("fern-hv", "Holly", "Visitor", "demo-fern-hv", _P, "Health visitor"),
    ("fern-hv-lead", "Hana", "Lead", "demo-fern-hv", _L, "Safeguarding lead nurse"),
    ("fern-sw", "Sol", "Worker", "demo-fern-csc", _P, "Social worker"),
    ("fern-csc-lead", "Cara", "Lead", "demo-fern-csc", _L, "Safeguarding lead"),
    ("fern-housing", "Hugo", "Officer", "demo-fern-housing", _P, "Housing officer"),
    ("fern-housing-lead", "Hattie", "Lead", "demo-fern-housing", _L, "Safeguarding lead"),
    ("fern-probation", "Pat", "Officer", "demo-fern-probation", _P, "Probation officer"),
    ("fern-probation-lead", "Paz", "Lead", "demo-fern-probation", _L, "Safeguarding lead"),
    ("brack-teacher", "Bea", "Teacher", "demo-brack-academy", _P, "Class teacher"),
    ("brack-dsl", "Bo", "Lead", "demo-brack-academy", _L, "Designated safeguarding lead"),
    ("brack-gp", "Ravi", "Doctor", "demo-brack-gp", _P, "GP"),
    ("brack-gp-lead", "Rita", "Named", "demo-brack-gp", _L, "Named GP for safeguarding"),
    ("brack-hv", "Iris", "Visitor", "demo-brack-hv", _P, "Health visitor"),
    ("brack-hv-lead", "Ines", "Lead", "demo-brack-hv", _L, "Safeguarding lead nurse"),
    ("brack-sw", "Kit", "Worker", "demo-brack-csc", _P, "Social worker"),
    ("brack-csc-lead", "Kay", "Lead", "demo-brack-csc", _L, "Safeguarding lead"),
    ("brack-housing", "Omar", "Officer", "demo-brack-housing", _P, "Housing officer"),
    ("brack-housing-lead", "Ola", "Lead", "demo-brack-housing", _L, "Safeguarding lead"),
    ("brack-probation", "Lee", "Officer", "demo-brack-probation", _P, "Probation officer"),
    ("brack-probation-lead", "Lou", "Lead", "demo-brack-probation", _L, "Safeguarding lead"),
    ("fern-mash-triager", "Tess", "Triager", "demo-fern-csc", User.Role.MASH_TRIAGER,
     "MASH social worker"),
    ("fern-mash-manager", "Max", "Manager", "demo-fern-csc", User.Role.MASH_MANAGER,
     "MASH team manager"),
    ("brack-mash-triager", "Tara", "Triager", "demo-brack-csc", User.Role.MASH_TRIAGER,
     "MASH social worker"),
    ("brack-mash-manager", "Mo", "Manager", "demo-brack-csc", User.Role.MASH_MANAGER,
     "MASH team manager"),
    ("ig-lead", "Ingrid", "Governance", "demo-fern-csc", User.Role.IG_LEAD,
     "Information-governance lead"),
    ("hub-admin", "Ada", "Admin", "demo-fern-csc", User.Role.ADMINISTRATOR,
     "Hub administrator"),
]  # fmt: skip
USERS = tuple(UserSpec(*u) for u in _USERS)

# The practitioner who records each agency's concerns in the demo.
RECORDER = {u.agency: u.username for u in USERS if u.role == User.Role.PRACTITIONER}

# Agencies' own words, mapped onto the common levels and categories (editable in the admin).
TERMS = (
    ("demo-fern-gp", "acute", "", 3, "GP: an acute concern"),
    ("demo-fern-gp", "chronic", "", 2, "GP: a long-standing concern"),
    ("demo-brack-gp", "acute", "", 3, "GP: an acute concern"),
    ("demo-brack-gp", "chronic", "", 2, "GP: a long-standing concern"),
    ("demo-marchshire-police", "significant harm", "", 4, "Police: risk of significant harm"),
    ("demo-marchshire-police", "DA incident", "domestic_abuse", 2, "Police: domestic incident"),
    ("demo-marchshire-police", "MFH", "missing_from_home", 2, "Police: missing from home"),
)
