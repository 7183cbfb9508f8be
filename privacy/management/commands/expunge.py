"""`manage.py expunge`: run the retention engine now (or count with --dry-run)."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from privacy import retention
from privacy.registry import registry


class Command(BaseCommand):
    help = (
        "Expunge every record past its retention (the nightly job, run now). Active records, "
        "opted-in reading history and records under a legal hold are never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be expunged; change nothing."
        )
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON object with counts per kind."
        )
        parser.add_argument(
            "--kind",
            action="append",
            dest="kinds",
            metavar="KIND",
            help=f"Only this kind (repeatable): {', '.join(retention_kinds())}.",
        )

    def handle(self, *args, dry_run=False, json=False, kinds=None, **options):
        show_progress = not json and sys.stderr.isatty()
        done = {}

        def progress(kind: str, count: int) -> None:
            done[kind] = done.get(kind, 0) + count
            sys.stderr.write(f"\r  {kind}: {done[kind]} expunged ")
            sys.stderr.flush()

        try:
            result = retention.expunge(
                kinds=kinds,
                dry_run=dry_run,
                trigger="command",
                progress=progress if show_progress else None,
            )
        except (ValueError, retention.ExpungeBusy) as error:
            raise CommandError(str(error)) from None
        if show_progress and done:
            sys.stderr.write("\n")
        if json:
            self.stdout.write(
                _json({"dry_run": dry_run, "run": result.run.pk, "counts": result.counts})
            )
            return
        verb = "Would expunge" if dry_run else "Expunged"
        for kind, counts in result.counts.items():
            self.stdout.write(
                f"{kind:<22} {counts['expunged']:>7} deleted  {counts['anonymised']:>7} anonymised"
                f"  {counts['held']:>5} held"
            )
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {result.total} records (run #{result.run.pk}).")
        )


def retention_kinds() -> list[str]:
    return [kind.name for kind in registry if kind.expunge.value != "with_owner"] + [
        retention.AUDIT,
        retention.SIDE_COPIES,
    ]


def _json(data) -> str:
    return json.dumps(data, sort_keys=True)
