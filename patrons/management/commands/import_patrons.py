"""manage.py import_patrons FILE.csv: bring patrons over from another system."""

import csv
import sys

from django.core.management.base import BaseCommand, CommandError

from patrons.importing import MAPPINGS, import_rows


class Command(BaseCommand):
    help = (
        "Import patrons and their cards from a CSV export (see docs/desk.md). A card number "
        "already here is left unchanged, so the import can be run again. PINs are never "
        "imported: patrons set one through a reset link or at the desk."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file with a header row (UTF-8).")
        parser.add_argument(
            "--mapping",
            choices=sorted(MAPPINGS),
            default="calumet",
            help="Which columns hold which field: calumet (our own names) or koha "
            "(a Koha borrowers export).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row; import nothing."
        )
        parser.add_argument("--delimiter", default=",", help="Column separator (default ,).")

    def handle(self, *args, file, mapping, dry_run=False, delimiter=",", **options):
        columns = MAPPINGS[mapping]
        try:
            handle = open(file, newline="", encoding="utf-8-sig")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        with handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            header = set(reader.fieldnames or [])
            missing = [columns[f] for f in ("card_number", "last_name", "first_name")]
            missing = [name for name in missing if name not in header]
            if missing:
                raise CommandError(
                    f"The file has no column {', '.join(missing)} (mapping {mapping})."
                )
            total = max(sum(1 for _ in handle) - 1, 0)  # lines, less the header
            handle.seek(0)
            reader = csv.DictReader(handle, delimiter=delimiter)
            try:
                result = import_rows(
                    reader, mapping=columns, dry_run=dry_run, progress=self._bar(total)
                )
            except (csv.Error, UnicodeDecodeError) as error:
                raise CommandError(f"The file is not a readable CSV: {error}") from None
        self._close_bar()
        for row, reason in result.refused:
            self.stdout.write(f"row {row}: refused: {reason}")
        verb = "would be imported" if dry_run else "imported"
        self.stdout.write(
            f"{result.imported} {verb}, {result.unchanged} already here (unchanged), "
            f"{len(result.refused)} refused."
        )

    def _bar(self, total: int):
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            self._tqdm = tqdm(total=total, unit="row", file=sys.stderr, disable=None)
            return self._tqdm.update
        self._tqdm = None
        done = [0]

        def progress(step: int) -> None:
            done[0] += step
            if done[0] % 500 == 0 or done[0] == total:
                sys.stderr.write(f"\r{done[0]}/{total} rows")
                sys.stderr.flush()

        return progress

    def _close_bar(self):
        if self._tqdm is not None:
            self._tqdm.close()
        else:
            sys.stderr.write("\n")
