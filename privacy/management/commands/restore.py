"""`manage.py restore`: a backup into a fresh database, brought up to date before anything
may open on it."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy import restores
from privacy.backup_crypto import BackupError


class Command(BaseCommand):
    help = (
        "Restore an encrypted backup into a new database, make again every erasure made "
        "since it was taken, run the expunge as of now and end every session; until then the "
        "site, the worker and SIP2 refuse to start on it. --finish does the last part again "
        "on the configured database (after an interruption)."
    )
    # It must run on a database the checks refuse (a restore not yet finished).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("backup", nargs="?", help="The .dump.enc file.")
        parser.add_argument("--into", help="The name of the new database (must not exist).")
        parser.add_argument("--key-file", help="The key (default: CALUMET_BACKUP_KEY_FILE).")
        parser.add_argument(
            "--no-live-journal",
            action="store_true",
            help="Do not read the erasure journal of the configured database.",
        )
        parser.add_argument(
            "--finish",
            action="store_true",
            help="Finish a restore on the configured database (journal rows as JSON on stdin).",
        )

    def handle(self, *args, backup=None, into=None, key_file=None, finish=False, **options):
        try:
            if finish:
                rows = [] if sys.stdin.isatty() else json.loads(sys.stdin.read() or "[]")
                restores.finish_restore(journal_rows=rows, out=self.stdout, actor=None)
                return
            if not backup or not into:
                raise CommandError("Name the backup file and --into a new database.")
            done = restores.restore(
                Path(backup),
                into=into,
                key_file=Path(key_file) if key_file else None,
                use_live_journal=not options["no_live_journal"],
                out=self.stdout,
                actor=None,
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored into {done['into']}. Point DATABASE_URL at it and start the site."
            )
        )
