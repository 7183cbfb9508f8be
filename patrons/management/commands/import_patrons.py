"""manage.py import_patrons FILE.csv: bring patrons over from another system."""

import csv
import io
import sys

from django.core.management.base import BaseCommand, CommandError

from patrons.importing import MAPPINGS, import_rows


class Command(BaseCommand):
    help = (
        "Import patrons and their cards from a UTF-8 CSV export (see docs/desk.md). All or "
        "nothing: every row is checked first, and if any is refused (reported with its row "
        "number and the reason) nothing is imported. A card number already here, of the "
        "same patron, is left unchanged, so the import can be run again. PINs are never "
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
        text = self._read(file)
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
            header = set(reader.fieldnames or [])
        except (csv.Error, TypeError) as error:
            raise CommandError(f"The file is not a readable CSV: {error}") from None
        missing = [columns[f] for f in ("card_number", "last_name", "first_name")]
        missing = [name for name in missing if name not in header]
        if missing:
            raise CommandError(f"The file has no column {', '.join(missing)} (mapping {mapping}).")
        total = max(text.rstrip("\n").count("\n"), 0)  # lines, less the header
        try:
            result = import_rows(
                reader,
                mapping=columns,
                actor=None,
                dry_run=dry_run,
                progress=self._bar(total),
            )
        except csv.Error as error:
            self._close_bar()
            raise CommandError(
                f"The file is not a readable CSV (line {reader.line_num}): {error}. "
                "Nothing was imported."
            ) from None
        self._close_bar()
        for row, reason in result.refused:
            self.stdout.write(f"row {row}: refused: {reason}")
        if result.refused:
            raise CommandError(
                f"{len(result.refused)} refused: nothing was imported (an import is all or "
                f"nothing). Fix the rows above and run the import again; the other "
                f"{result.imported} would be imported and {result.unchanged} are already "
                "here (unchanged)."
            )
        verb = "would be imported" if dry_run else "imported"
        self.stdout.write(
            f"{result.imported} {verb}, {result.unchanged} already here (unchanged), 0 refused."
        )

    def _read(self, file) -> str:
        """The whole file as text (UTF-8, with or without a byte-order mark), or a
        CommandError naming the line that is not UTF-8."""
        try:
            with open(file, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise CommandError(
                f"Line {line} of the file is not UTF-8 text (byte 0x{data[error.start]:02x}): "
                "the import reads UTF-8 only. Save the file as UTF-8 (in a spreadsheet: "
                '"CSV UTF-8"; or iconv -f LATIN1 -t UTF-8) and run it again. '
                "Nothing was imported."
            ) from None

    def _bar(self, total: int):
        try:
            from tqdm import tqdm  # noqa: PLC0415 (optional: a development tool)
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
