"""The night's work under faults: the disk filling up during the expunge, and the clock
moving across a DST change (docs/deployment.md, "Fault drills")."""

import datetime
import zoneinfo
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.utils import timezone
from django_q.models import Schedule

from circulation.models import Visit
from core.schedules import keep_local_time
from privacy import retention
from privacy.models import ExpungeRun
from privacy.registry import RecordKind
from privacy.schedules import NIGHTLY_EXPUNGE, ensure_schedules
from tests.factories import VisitFactory

pytestmark = pytest.mark.django_db
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def test_a_full_disk_stops_the_expunge_cleanly_and_the_next_run_finishes(settings):
    visits = [
        VisitFactory(visited_at=timezone.now() - datetime.timedelta(days=2)) for _ in range(6)
    ]
    real = RecordKind.expunge_ids
    batches = []

    def disk_fills_on_the_second_batch(kind, ids, now=None):
        if kind.name == "visit":
            batches.append(ids)
            if len(batches) == 2:
                raise OperationalError("could not extend file: No space left on device")
        return real(kind, ids, now)

    with (
        mock.patch.object(RecordKind, "expunge_ids", disk_fills_on_the_second_batch),
        pytest.raises(OperationalError, match="No space left"),
    ):
        retention.expunge(batch_size=2)

    # The first batch is gone, the second untouched (its transaction rolled back), the
    # rest not begun; the run is left unfinished, and the lock released.
    left = set(Visit.objects.values_list("pk", flat=True))
    assert left == {visit.pk for visit in visits} - set(batches[0])
    assert set(batches[1]) <= left
    assert ExpungeRun.objects.get().finished_at is None

    result = retention.expunge(batch_size=2)  # space freed: the next run finishes the job
    assert result.counts["visit"]["expunged"] + result.counts["visit"]["anonymised"] == 4
    assert not Visit.objects.exists()
    assert ExpungeRun.objects.filter(finished_at__isnull=False).count() == 1


@pytest.mark.parametrize(
    "first_night",
    [datetime.date(2027, 3, 11), datetime.date(2027, 11, 4)],
    ids=["spring-forward", "fall-back"],
)
def test_the_nightly_expunge_keeps_its_local_time_across_a_dst_change(settings, first_night):
    """The worker's scheduler and the task, night after night across the change: one run
    every local night, at 02:30 (03:30 the night 02:30 does not exist)."""
    settings.TIME_ZONE = "America/Chicago"
    settings.CALUMET_EXPUNGE_TIME = "02:30"
    ensure_schedules()
    schedule = Schedule.objects.get(name=NIGHTLY_EXPUNGE)
    run = datetime.datetime.combine(first_night, datetime.time(2, 30), tzinfo=CHICAGO)
    Schedule.objects.filter(pk=schedule.pk).update(next_run=run)
    nights = []
    for _ in range(6):
        schedule.refresh_from_db()
        at = schedule.next_run
        nights.append(timezone.localtime(at, CHICAGO))
        # What django-q2's scheduler does when it queues the run, then the task itself.
        Schedule.objects.filter(pk=schedule.pk).update(next_run=schedule.calculate_next_run(at))
        keep_local_time(NIGHTLY_EXPUNGE, settings.CALUMET_EXPUNGE_TIME, now=at)

    dates = [night.date() for night in nights]
    assert dates == [first_night + datetime.timedelta(days=n) for n in range(6)]
    times = {night.strftime("%H:%M") for night in nights}
    assert times <= {"02:30", "03:30"}
    assert sum(night.strftime("%H:%M") == "03:30" for night in nights) <= 1
