"""`manage.py import_marc FILE [FILE ...]`: a thin caller of
`circulation.marc.importer.marc_import`; prints the problems, the merged records and the
summary, and writes the merge report."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from circulation.marc.importer import Progress, marc_import
from core import csv_safe

PROGRESS_EVERY = 100  # records between two progress updates on a terminal
BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import titles and items from MARC 21 files, binary (.mrc) or MARCXML, recognised by "
        "their content. A title is matched on 001 + 003 (updated: a re-import), else on ISBN, "
        "ISBN-10 and ISBN-13 alike (merged: another description of the same book); otherwise "
        "it is created. Merged records are listed on standard output (and in --report "
        "FILE). Items come from 952 holdings (Koha: $p barcode, $a home branch code, else "
        "$b). An item whose branch code matches no branch is NOT created: it is reported, and "
        "the rest of its record is imported; add the branch (Circulation > Branches) and "
        "import the file again. Problems are printed as FILE:record N: reason on standard "
        "error; the last line of standard output is 'Imported N, updated N, merged N, skipped N.'. "
        "See docs/catalog-import.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="MARC 21 or MARCXML file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read, match and report everything, then roll back: nothing is saved.",
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            help="Also write the merged records to FILE as CSV (one line per merged record).",
        )

    def handle(self, *args, files: list[str], dry_run: bool = False, report=None, **options):
        paths = [Path(name) for name in files]
        for path in paths:
            if path.is_dir():
                raise CommandError(f"Not a file but a directory: {path}")
            if not path.is_file():
                raise CommandError(f"No such file: {path}")

        show_progress = self.stdout.isatty()
        result = marc_import(
            paths=paths,
            actor=None,
            dry_run=dry_run,
            progress=self._progress if show_progress else None,
        )
        if show_progress:
            self._write_progress("")  # clear the progress line

        for problem in result.problems:
            self.stderr.write(str(problem))
        for merge in result.merges:
            self.stdout.write(str(merge))
        if report:
            self._write_report(Path(report), result.merges)
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

    def _write_report(self, path: Path, merges) -> None:
        try:
            with open(path, "w", newline="", encoding="utf-8") as handle:
                writer = csv_safe.writer(handle)
                writer.writerow(
                    ["file", "record", "isbn_or_control_number", "title_id", "title", "differs_in"]
                )
                for merge in merges:
                    writer.writerow(
                        [
                            merge.file,
                            merge.position,
                            merge.record,
                            merge.title_id,
                            merge.title,
                            " ".join(merge.differences),
                        ]
                    )
        except OSError as error:
            raise CommandError(f"Cannot write the report {path}: {error.strerror}") from None
