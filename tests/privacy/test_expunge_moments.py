"""The expunge reads when each batch's records began as text and keeps the least: the
text must sort as the moments do, on either database, fractions of a second included."""

import datetime

import pytest
from django.db.models import TextField
from django.db.models.functions import Cast

from circulation.models import Loan
from privacy.retention import _moment
from tests.factories import LoanFactory

pytestmark = pytest.mark.django_db


def test_the_least_text_is_the_earliest_moment():
    base = datetime.datetime(2025, 3, 1, 12, 0, 0, tzinfo=datetime.UTC)
    moments = [
        base + datetime.timedelta(seconds=1),
        base + datetime.timedelta(microseconds=500_000),
        base,  # whole seconds: written without a fraction
        base + datetime.timedelta(days=40, microseconds=1),
    ]
    for moment in moments:
        LoanFactory(checked_out_at=moment)
    texts = list(
        Loan.objects.annotate(t=Cast("checked_out_at", output_field=TextField())).values_list(
            "t", flat=True
        )
    )
    assert sorted(_moment(text) for text in texts) == sorted(moments)
    assert _moment(min(texts)) == base
    assert _moment(max(texts)) == moments[-1]
    assert _moment(None) is None
