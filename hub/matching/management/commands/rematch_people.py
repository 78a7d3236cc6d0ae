"""Look for duplicates among the people the hub already holds and queue them for MASH review.

    python manage.py rematch_people

Run after `train_matching`, or periodically: it never merges anything itself.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hub.matching import services


class Command(BaseCommand):
    help = "Queue possible duplicate people for review (never merges by itself)."

    def handle(self, *args: Any, **opts: Any) -> None:
        opened = services.rematch_existing(actor=None)
        self.stdout.write(f"{opened} possible matches queued for review")
