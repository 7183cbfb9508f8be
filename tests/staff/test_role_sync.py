"""Syncing the roles on the running site (a command, a test, the demo) leaves the site's
apps as they were, so the next `flush` or `migrate` still keeps the privacy kernel's rows
(record kind names, retention policies) in step."""

import pytest
from django.apps import apps
from django.core.management import call_command

from privacy.models import RecordKindName
from privacy.registry import registry
from staff.roles import sync_roles


@pytest.mark.django_db(transaction=True)
def test_syncing_the_roles_keeps_every_app_in_the_next_post_migrate():
    sync_roles(strict=True)

    assert all(
        config.models_module is not None
        for config in apps.get_app_configs()
        if config.label in {"privacy", "patrons", "circulation", "staff"}
    )
    call_command("flush", interactive=False, verbosity=0)
    # The flush emptied the table and its post_migrate filled it again.
    assert set(RecordKindName.objects.values_list("name", flat=True)) == {
        kind.name for kind in registry
    }
