"""`python manage.py seed_demo [--children N --concerns M] [--mode auto|services|bulk]`.

Creates synthetic demo data (docs/demo-data.md) if it is missing and prints the demo sign-ins.
Refuses to run with DEBUG off unless `--allow-non-debug` is given: the demo passwords are
published, and must not reach a live system.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from concerns.demo.plan import DEFAULT_SEED
from concerns.demo.seed import SERVICES_LIMIT, demo_seed


class Command(BaseCommand):
    help = "Create synthetic demo agencies, users, children and concerns (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--children", type=int, default=200)
        parser.add_argument("--concerns", type=int, default=1_000)
        parser.add_argument(
            "--mode",
            choices=("auto", "services", "bulk"),
            default="auto",
            help=f"services: through the services, one audit event per record; bulk: COPY, one "
            f"summary audit event; auto: services up to {SERVICES_LIMIT:,} concerns",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
        parser.add_argument(
            "--allow-non-debug",
            action="store_true",
            help="run even though DEBUG is off (never on a live system: the passwords are public)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_non_debug"]:
            raise CommandError(
                "seed_demo creates users with published passwords, so it runs only with DEBUG "
                "on. Set DEBUG=1 for a development database, or pass --allow-non-debug if you "
                "are sure this is not a live system."
            )
        if options["children"] < 1 or options["concerns"] < 0:
            raise CommandError("--children must be at least 1 and --concerns at least 0")
        self.stdout.write(
            f"Seeding demo data: {options['children']:,} children, about "
            f"{options['concerns']:,} concerns (seed {options['seed']})..."
        )
        result = demo_seed(
            children=options["children"],
            concerns=options["concerns"],
            mode=options["mode"],
            seed=options["seed"],
            progress=self.stdout.write,
        )
        created = {k: v for k, v in result.created.items() if v}
        if result.changed:
            made = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in created.items())
            self.stdout.write(self.style.SUCCESS(f"Created {made}."))
        else:
            self.stdout.write("The demo data was already there: nothing changed.")
        if result.skipped_households:
            self.stdout.write(
                f"{result.skipped_households:,} of {result.plan_households:,} households were "
                "already there and were left as they are."
            )
        if result.mode == "bulk":
            self.stdout.write(
                "Bulk mode: rows were written by COPY, so the services' per-record audit events "
                f"were NOT written; {result.audit_events} summary audit event(s) record the run."
            )
        else:
            self.stdout.write(
                f"Services mode: every record went through the services "
                f"({result.audit_events:,} audit events written)."
            )
        rate = result.created.get("concerns", 0) / result.seconds if result.seconds else 0
        self.stdout.write(
            f"Plan: {result.plan_households:,} households, {result.plan_people:,} people, "
            f"{result.plan_concerns:,} concerns. Took {result.seconds:.1f}s "
            f"({rate:,.0f} concerns/s)."
        )
        for tag, person_id, reference in result.special:
            what = {
                "jigsaw": "jigsaw child (school, GP and police each hold one low-level concern "
                "from the last few weeks)",
                "control": "control family (one explained accident)",
            }[tag]
            self.stdout.write(f"  person {person_id} (GP reference {reference}): {what}")

        self.stdout.write("")
        self.stdout.write("Demo sign-ins (synthetic data; never use these on a live system):")
        widths = [max(len(str(row[k])) for row in result.users) for k in range(4)]
        header = ("username", "password", "role", "agency")
        widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
        for row in (header, tuple("-" * w for w in widths), *result.users):
            cells = (str(v).ljust(w) for v, w in zip(row, widths, strict=True))
            self.stdout.write(("  " + "  ".join(cells)).rstrip())
