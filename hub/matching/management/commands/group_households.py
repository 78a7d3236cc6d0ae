"""Put people whose agency records share a normalised address and postcode into households.

    python manage.py group_households --username mash-manager

Runs as the named user (the memberships are recorded and audited as theirs through
`concerns.services.household_link`). Safe to run again: existing memberships are kept.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from agencies.models import User
from hub.matching import services


class Command(BaseCommand):
    help = "Group people at the same normalised address into households."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", required=True, help="the MASH user it runs as")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None or not user.is_mash_staff:
            raise CommandError("Give the username of a MASH triager or manager")
        created = services.households_group_by_address(actor=user)
        self.stdout.write(f"{created} household memberships created")
