"""`manage.py retention_report`: the retention periods in force, per kind of record."""

from django.core.management.base import BaseCommand

from privacy.models import RetentionPolicy
from privacy.policy import RULES_BY_KIND
from privacy.selectors import describe_days


class Command(BaseCommand):
    help = (
        "Print the retention periods in force and the longest of them. A backup older than "
        "the longest retention holds records the policy says must be gone: destroy it."
    )

    def handle(self, *args, **options):
        rows = list(RetentionPolicy.objects.order_by("-days", "kind"))
        for row in rows:
            rule = RULES_BY_KIND.get(row.kind)
            label = rule.label if rule else row.kind
            self.stdout.write(f"{row.days:>6} days  {row.kind:<22} {label}")
        if rows:
            longest = rows[0]
            self.stdout.write(
                self.style.WARNING(
                    f"Longest retention in force: {longest.days} days "
                    f"({describe_days(longest.days)}, {longest.kind}). Destroy backups older "
                    "than this."
                )
            )
