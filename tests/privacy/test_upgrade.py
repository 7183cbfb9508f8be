"""An upgrade from the schema where the patrons app held the privacy kernel's models
(retention policies, expunge runs, record kind names and sets, legal holds): the rows stay,
their content types follow them to the privacy app, and with them the staff roles'
permissions and the audit log's entries."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from privacy.models import LegalHold, RetentionPolicy
from privacy.policy import ensure_retention_policies
from privacy.services import legal_hold_place
from staff.roles import LIBRARY_ADMINISTRATOR, sync_roles
from tests.factories import PatronFactory
from tests.helpers import make_staff

BEFORE = [
    ("patrons", "0018_patron_language"),
    ("disclosures", "0002_request_patrons_named"),
    ("privacy", None),
]
MOVED = ("retentionpolicy", "expungerun", "legalhold", "recordkindname", "recordkindset")


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_keeps_the_rows_permissions_and_audit_entries():
    # A transactional test may start after another one's flush emptied these.
    sync_roles(strict=True)
    ensure_retention_policies()
    hold = legal_hold_place(patron=PatronFactory(), reason="Subpoena", actor=None)
    RetentionPolicy.objects.filter(kind="loan").update(days=30)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(LegalHold), object_pk=str(hold.pk)
    ).count()
    assert entries  # the hold's creation is in the audit log

    migrate(BEFORE)
    # As an install made before the move has them: the patrons app's content types.
    assert set(MOVED) <= set(
        ContentType.objects.filter(app_label="patrons").values_list("model", flat=True)
    )
    assert not ContentType.objects.filter(app_label="privacy").exists()

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert LegalHold.objects.get(pk=hold.pk).reason == "Subpoena"
    assert RetentionPolicy.objects.get(kind="loan").days == 30
    assert not ContentType.objects.filter(app_label="patrons", model__in=MOVED).exists()
    held = ContentType.objects.get(app_label="privacy", model="legalhold")
    assert LogEntry.objects.filter(content_type=held, object_pk=str(hold.pk)).count() == entries
    administrators = Group.objects.get(name=LIBRARY_ADMINISTRATOR)
    assert administrators.permissions.filter(
        content_type__app_label="privacy", codename="change_retentionpolicy"
    ).exists()
    assert Permission.objects.filter(codename="view_legalhold").count() == 1
    director = Client()
    director.force_login(make_staff("director", LIBRARY_ADMINISTRATOR))
    page = director.get(f"/admin/privacy/legalhold/{hold.pk}/change/")
    assert page.status_code == 200
