import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from circulation.marc import marc_import


class Command(BaseCommand):
    help = (
        "Import titles and items from MARC 21 files (binary .mrc or MARCXML). Items come from "
        "952 holdings (Koha: $p barcode, $a branch code). Items for an unknown branch code are "
        "reported and not created: add the branch first (Circulation → Branches)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--dry-run", action="store_true", help="Read and report; save nothing.")

    def handle(self, *args, files, dry_run=False, **options):
        paths = [Path(name) for name in files]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        show = sys.stderr.isatty()

        def progress(count: int) -> None:
            sys.stderr.write(f"\r  {count} records read")
            sys.stderr.flush()

        result = marc_import(paths=paths, dry_run=dry_run, progress=progress if show else None)
        if show:
            sys.stderr.write("\n")
        for path, position, problem in result.problems:
            self.stderr.write(f"{path}:record {position}: {problem}")
        self.stdout.write(result.summary + (" (dry run: nothing saved)" if dry_run else ""))
