"""`manage.py import_marc FILE [FILE ...]`: a thin caller of `circulation.marc.marc_import`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from circulation.marc import Progress, marc_import

PROGRESS_EVERY = 100  # records between two progress updates on a terminal
BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import titles and items from MARC 21 files, binary (.mrc) or MARCXML, recognised by "
        "their content. A title is matched on 001, else on ISBN, and updated; otherwise it is "
        "created. Items come from 952 holdings (Koha: $p barcode, $a home branch code, else "
        "$b). An item whose branch code matches no branch is NOT created: it is reported, and "
        "the rest of its record is imported; add the branch (Circulation > Branches) and "
        "import the file again. Problems are printed as FILE:record N: reason on standard "
        "error; the last line of standard output is 'Imported N, updated N, skipped N.'. "
        "See docs/catalog-import.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="MARC 21 or MARCXML file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read, match and report everything, then roll back: nothing is saved.",
        )

    def handle(self, *args, files: list[str], dry_run: bool = False, **options):
        paths = [Path(name) for name in files]
        for path in paths:
            if path.is_dir():
                raise CommandError(f"Not a file but a directory: {path}")
            if not path.is_file():
                raise CommandError(f"No such file: {path}")

        show_progress = self.stdout.isatty()
        result = marc_import(
            paths=paths, dry_run=dry_run, progress=self._progress if show_progress else None
        )
        if show_progress:
            self._write_progress("")  # clear the progress line

        for path, position, reason in result.problems:
            self.stderr.write(f"{path}:record {position}: {reason}")
        if dry_run:
            self.stdout.write(f"{result.summary} (dry run: nothing saved)")
        else:
            self.stdout.write(result.summary)

    def _progress(self, progress: Progress) -> None:
        if progress.records % PROGRESS_EVERY and progress.fraction < 1:
            return
        filled = round(progress.fraction * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self._write_progress(
            f"{progress.path.name}: [{bar}] {progress.fraction:4.0%}  "
            f"{progress.records} records read"
        )

    def _write_progress(self, text: str) -> None:
        # In place: carriage return, the text, and spaces over what a longer line left.
        self.stderr.write(f"\r{text:<79}\r" if not text else f"\r{text:<79}", lambda s: s, "")
        self.stderr.flush()
