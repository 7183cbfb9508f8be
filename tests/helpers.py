"""Small helpers shared by the test modules."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction


def pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@contextmanager
def database_refuses(errors=IntegrityError):
    """The block must fail with the database's own error (model validation is not
    involved: write with .objects.create, .update or bulk_create). The savepoint keeps the
    test's transaction usable afterwards."""
    with pytest.raises(errors), transaction.atomic():
        yield
