"""`manage.py backup`: an encrypted PostgreSQL dump, then the pruning of old backups."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy import backup_crypto, backups


class Command(BaseCommand):
    help = (
        "Write an encrypted dump of the database into CALUMET_BACKUP_DIR (key: "
        "CALUMET_BACKUP_KEY_FILE), then delete backups older than the retention allows and "
        "the erasure journal entries no kept backup needs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key",
            metavar="PATH",
            help="Only write a new random key to PATH (never over an existing file).",
        )
        parser.add_argument(
            "--prune-only", action="store_true", help="Only delete what is too old."
        )

    def handle(self, *args, new_key=None, prune_only=False, **options):
        try:
            if new_key:
                path = backup_crypto.new_key(Path(new_key))
                self.stdout.write(
                    self.style.SUCCESS(
                        f"New backup key in {path}. Keep a copy away from the server and "
                        "from the backups: without it no backup can be restored."
                    )
                )
                return
            if prune_only:
                gone = backups.prune(actor=None)
            else:
                made = backups.backup(actor=None)
                self.stdout.write(f"Backup written: {made.path}")
                gone = backups.prune(actor=None)
        except backup_crypto.BackupError as error:
            raise CommandError(str(error)) from None
        for path in gone:
            self.stdout.write(f"Deleted (older than {backups.keep_days()} days): {path.name}")
        self.stdout.write(self.style.SUCCESS(f"Backups kept: {len(backups.backups())}."))
