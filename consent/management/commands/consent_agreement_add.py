"""`python manage.py consent_agreement_add --area CODE --title TITLE [--article6 public_task] ...`

Records an area's information-sharing agreement (the data behind the MASH rule) through
`consent.services.area_sharing_agreement_create`, which audits it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agencies.models import Area
from consent.models import AreaSharingAgreement, Article6, Article9
from consent.services import area_sharing_agreement_create


class Command(BaseCommand):
    help = "Record an area's MASH information-sharing agreement."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--area", required=True, help="the area's code")
        parser.add_argument("--title", required=True)
        parser.add_argument("--article6", default=Article6.PUBLIC_TASK, choices=Article6.values)
        parser.add_argument("--article9", default="", choices=["", *Article9.values])
        parser.add_argument("--gateways", default="Children Act 2004 ss10, 11, 16H")
        parser.add_argument("--from", dest="effective_from", default=None, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="effective_to", default=None, help="YYYY-MM-DD")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing if the area already has an agreement with this title (for set-up "
            "scripts that run more than once)",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        area = Area.objects.filter(code=o["area"]).first()
        if area is None:
            raise CommandError(f"No area with code {o['area']!r}")
        try:
            start = dt.date.fromisoformat(o["effective_from"]) if o["effective_from"] else None
            end = dt.date.fromisoformat(o["effective_to"]) if o["effective_to"] else None
        except ValueError as exc:
            raise CommandError(f"Dates are YYYY-MM-DD: {exc}") from exc
        if (
            o["if_missing"]
            and AreaSharingAgreement.objects.filter(area=area, title=o["title"].strip()).exists()
        ):
            self.stdout.write(f"{area.code} already has the agreement {o['title']!r}")
            return
        try:
            agreement = area_sharing_agreement_create(
                actor=None,
                area=area,
                title=o["title"],
                article6=o["article6"],
                article9=o["article9"],
                statutory_gateways=o["gateways"],
                effective_from=start or timezone.localdate(),
                effective_to=end,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Agreement {agreement.pk} recorded for {area.code}")
