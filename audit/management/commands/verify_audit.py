"""`python manage.py verify_audit`: check the whole chain against every checkpoint.

Prints `OK: N events, head <hash>` or the first broken sequence number and what is wrong;
exits 1 on any failure.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from audit.verify import verify_chain


class Command(BaseCommand):
    help = "Verify the audit hash chain and its checkpoints (exit 1 on any failure)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-parallel", action="store_true", help="Do not let PostgreSQL use parallel workers."
        )
        parser.add_argument("--timing", action="store_true", help="Print how long it took.")

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        result = verify_chain(parallel=not options["no_parallel"])
        elapsed = time.perf_counter() - started
        if result.ok:
            self.stdout.write(result.summary())
            if result.checkpoint_seq is not None:
                self.stdout.write(f"Checked against checkpoints up to seq {result.checkpoint_seq}")
            else:
                self.stdout.write("No checkpoint yet: a cut-off tail cannot be detected")
        else:
            self.stdout.write(result.summary())
            for problem in result.problems[1:10]:
                self.stdout.write(f"  also: {problem}")
        if options["timing"]:
            self.stdout.write(f"Verified in {elapsed:.2f} s")
        if not result.ok:
            raise SystemExit(1)
