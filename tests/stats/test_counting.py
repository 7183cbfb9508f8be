"""The anonymous statistics: counted when events happen, kept whole by the expunge's
rewrite, never holding more than their keys (property-based)."""

import datetime

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from stats import counting
from stats.models import CirculationDay, TitleMonth
from tests.factories import BranchFactory, ItemFactory

pytestmark = pytest.mark.django_db

EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["checkout", "renewal", "checkin"]),
        st.integers(min_value=0, max_value=40),  # days back
        st.integers(min_value=0, max_value=86399),  # second of the day
        st.integers(min_value=0, max_value=2),  # which copy
        st.sampled_from(["adult", "child", "senior"]),
    ),
    max_size=40,
)


@hyp_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=EVENTS, since_back=st.integers(min_value=0, max_value=45))
def test_counts_add_up_and_survive_the_rewrite(events, since_back):
    CirculationDay.objects.all().delete()
    TitleMonth.objects.all().delete()
    branch = BranchFactory()
    items = [ItemFactory(branch=branch) for _ in range(3)]
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    expected = {"checkout": 0, "renewal": 0, "checkin": 0}
    for name, days_back, second, copy, category in events:
        when = today - datetime.timedelta(days=days_back) + datetime.timedelta(seconds=second)
        getattr(counting, name)(
            item=items[copy], branch_id=branch.pk, patron_category=category, now=when
        )
        expected[name] += 1
    before = sorted(
        CirculationDay.objects.values_list(
            "day", "item_type", "patron_category", "checkouts", "renewals", "returns"
        )
    )
    counting.reorder_since(timezone.localdate() - datetime.timedelta(days=since_back))
    after = sorted(
        CirculationDay.objects.values_list(
            "day", "item_type", "patron_category", "checkouts", "renewals", "returns"
        )
    )
    assert before == after
    totals = CirculationDay.objects.aggregate(
        c=Sum("checkouts"), r=Sum("renewals"), i=Sum("returns")
    )
    assert (totals["c"] or 0, totals["r"] or 0, totals["i"] or 0) == (
        expected["checkout"],
        expected["renewal"],
        expected["checkin"],
    )
    assert (TitleMonth.objects.aggregate(n=Sum("checkouts"))["n"] or 0) == expected["checkout"]
    # Rows are in key order after the rewrite, whatever order the events came in.
    ids = list(CirculationDay.objects.order_by("id").values_list("id", flat=True))
    keyed = CirculationDay.objects.order_by(*counting.key_order(CirculationDay), "id")
    rewritten = [pk for pk in keyed.values_list("id", flat=True)]
    since = timezone.localdate() - datetime.timedelta(days=since_back)
    recent = set(CirculationDay.objects.filter(day__gte=since).values_list("id", flat=True))
    assert [pk for pk in ids if pk in recent] == [pk for pk in rewritten if pk in recent]
