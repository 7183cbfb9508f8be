"""An upgrade from the schema where the circulation app held the statistics tables:
the tables and their rows stay, and the content types (with any permissions)
follow the models to the stats app."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from stats.models import CirculationDay, TitleMonth
from tests.factories import BranchFactory, TitleFactory

BEFORE = [("circulation", "0024_statistics_generalised_rows"), ("stats", "0002_roles")]
MOVED = ("circulationday", "titlemonth", "holdday", "chargeday", "computeruseday")


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_keeps_the_rows_and_moves_the_content_types():
    branch, title = BranchFactory(), TitleFactory()
    day = datetime.date(2025, 3, 4)
    CirculationDay.objects.create(
        day=day, branch=branch, item_type="book", patron_category="adult", checkouts=7
    )
    TitleMonth.objects.create(month=day.replace(day=1), title=title, checkouts=3)

    migrate(BEFORE)
    # As an install made before the move has them: circulation's content types.
    for model in MOVED:
        ContentType.objects.get_or_create(app_label="circulation", model=model)
    assert not ContentType.objects.filter(app_label="stats", model__in=MOVED).exists()
    with connection.cursor() as cursor:  # the table, under its old app's name
        cursor.execute("SELECT checkouts FROM circulation_circulationday")
        assert cursor.fetchall() == [(7,)]

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert CirculationDay.objects.get(day=day, branch=branch).checkouts == 7
    assert TitleMonth.objects.get(title=title).checkouts == 3
    assert not ContentType.objects.filter(app_label="circulation", model__in=MOVED).exists()
    assert set(MOVED) <= set(
        ContentType.objects.filter(app_label="stats").values_list("model", flat=True)
    )
    assert Permission.objects.filter(codename="view_circulationday").count() <= 1
