"""`manage.py seed_demo`: load the demo library (calumet/demo.py); refuses without debug."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from calumet import demo, demo_data


class Command(BaseCommand):
    help = (
        "Load the demo library (3 branches, 200+ titles, staff users and demo patrons). "
        "Safe to run again: existing demo data is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load demo data even though DEBUG is off. Never do this on a live library.",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: this looks like a production "
                "server. Use --force only on a test installation."
            )
        result = demo.seed()
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo library created: {result.titles} titles, {result.items} items, "
                    f"{result.patrons} patrons."
                )
            )
        else:
            self.stdout.write(
                "Demo data already present; staff passwords and SIP2 secrets reset, "
                "calendar completed."
            )
        password = demo_data.DEMO_PASSWORD
        self.stdout.write(f"\nStaff sign-in at /admin/ (password for all: {password})")
        for username, _first, _last, group in demo_data.STAFF:
            self.stdout.write(f"  {username:<10} {group}")
        self.stdout.write("\nDemo patron cards (portal sign-in):")
        for number, pin, what in demo_data.DEMO_CARDS:
            self.stdout.write(f"  card {number}  PIN {pin}  ({what})")
        self.stdout.write(
            f"\nSIP2 terminals (manage.py sip2server, 127.0.0.1:{settings.CALUMET_SIP2_PORT}; "
            f"secret for all: {demo_data.DEMO_SIP2_SECRET}):"
        )
        for name, login, _allowed in demo_data.DEMO_TERMINALS:
            self.stdout.write(f"  login {login:<8} {name}")
