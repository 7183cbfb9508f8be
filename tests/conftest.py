"""Shared fixtures. Factories live in `tests/factories.py`."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import SuperuserFactory


@pytest.fixture
def now() -> datetime.datetime:
    """A fixed "now" (whole seconds, so it compares equal after a database round trip)."""
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def superuser(db):
    return SuperuserFactory()


@pytest.fixture
def superuser_client(client, superuser):
    # force_login, not login: django-axes' backend needs a request to authenticate.
    client.force_login(superuser)
    return client


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def one_of_everything(db):
    """A patron with one record of each kind, plus what the catalog and statistics hold,
    so that admin lists render real rows."""
    import datetime

    from circulation.models import BranchClosure
    from patrons.models import ExpungeRun
    from tests.factories import PatronFactory, VisitCountFactory, one_record_of_each_kind

    records = one_record_of_each_kind(PatronFactory())
    VisitCountFactory()
    ExpungeRun.objects.create(dry_run=True, counts={"loan": {"expunged": 0}})
    BranchClosure.objects.create(date=datetime.date(2000, 12, 25), yearly=True, reason="Christmas")
    return records


@pytest.fixture(autouse=True)
def fresh_content_type_cache():
    """A transactional test ends with a flush that recreates content types under new ids;
    the cache of the old ids would make the next audit entry point at a missing row."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()
