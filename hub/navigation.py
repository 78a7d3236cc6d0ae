"""The service navigation: a small registry of (label, URL name, roles).

Each app appends its own pages with `register(...)` (from its `AppConfig.ready()` or a module
it imports at start-up), so `templates/base.html` never needs editing when a page is added.
An entry whose URL name does not resolve yet is skipped, so registering ahead of wiring is safe.
Access is still enforced by each view: the navigation only hides links a role cannot use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from agencies.models import User

RECORDING_ROLES = frozenset(
    {
        User.Role.PRACTITIONER,
        User.Role.DESIGNATED_LEAD,
        User.Role.MASH_TRIAGER,
        User.Role.MASH_MANAGER,
    }
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    # None: every signed-in member of an agency; otherwise the roles that see the link.
    roles: frozenset[str] | None = None
    # A short line for the start page's list of things to do.
    description: str = ""


NAVIGATION: list[NavItem] = [
    NavItem(
        "Log a concern",
        "concerns:find",
        RECORDING_ROLES,
        "Find a child or adult your agency already knows, or enter their details, then record "
        "what you saw or heard.",
    ),
    NavItem(
        "Recent concerns",
        "concerns:recent",
        None,
        "The concerns your agency recorded most recently, newest first.",
    ),
    NavItem(
        "Upload a file",
        "concerns_upload:upload",
        frozenset({User.Role.PRACTITIONER, User.Role.DESIGNATED_LEAD}),
        "Send many concerns at once from a JSON Lines or CSV file, with a report for every row.",
    ),
]


def register(
    label: str, url_name: str, roles: Iterable[str] | None = None, description: str = ""
) -> NavItem:
    """Add a page to the navigation (idempotent: the same URL name is registered once)."""
    item = NavItem(label, url_name, frozenset(roles) if roles is not None else None, description)
    for index, existing in enumerate(NAVIGATION):
        if existing.url_name == url_name:
            NAVIGATION[index] = item
            return item
    NAVIGATION.append(item)
    return item


@dataclass(frozen=True)
class NavLink:
    url_name: str
    label: str
    href: str
    current: bool
    description: str


def links_for(user, path: str = "") -> list[NavLink]:
    """The navigation USER sees, with the entry for PATH marked current."""
    if user is None or not user.is_authenticated or getattr(user, "agency_id", None) is None:
        return []
    links = []
    for item in NAVIGATION:
        if item.roles is not None and user.role not in item.roles:
            continue
        try:
            href = reverse(item.url_name)
        except NoReverseMatch:
            continue
        links.append(
            NavLink(
                item.url_name,
                item.label,
                href,
                bool(path) and path.startswith(href),
                item.description,
            )
        )
    return links
