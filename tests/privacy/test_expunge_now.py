"""The expunge from the staff site: a dry-run preview, a run through
the worker, each run's counts as a table in the kinds' staff names."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from circulation.models import Loan
from privacy import services, tasks
from privacy.models import ExpungeRun
from tests.factories import LoanFactory

pytestmark = pytest.mark.django_db
PAGE = reverse("admin:privacy_expunge_now")
RUNS = reverse("admin:privacy_expungerun_changelist")


@pytest.fixture
def old_loan():
    long_ago = timezone.now() - datetime.timedelta(days=4000)
    return LoanFactory(
        checked_out_at=long_ago,
        due_at=long_ago + datetime.timedelta(days=21),
        returned_at=long_ago + datetime.timedelta(days=7),
    )


def test_a_preview_counts_per_kind_and_removes_nothing(director_client, old_loan):
    response = director_client.post(PAGE, {"action": "preview"}, follow=True)
    html = response.content.decode()
    run = ExpungeRun.objects.get()
    assert run.dry_run and run.trigger == "preview" and run.counts["loan"]["anonymised"] == 1
    assert Loan.objects.get(pk=old_loan.pk).patron_id == old_loan.patron_id  # untouched
    assert "a dry run: nothing was removed" in html
    assert '<th scope="row">Loans</th><td class="number">0</td><td class="number">1</td>' in html
    assert "Run the expunge now" in html


def test_run_now_queues_the_worker_which_leaves_its_run(director_client, old_loan, monkeypatch):
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda name, **kwargs: queued.append(name))
    with_commit = director_client.post(PAGE, {"action": "run"}, follow=True)
    assert "The expunge is queued" in with_commit.content.decode()
    # (the test's transaction never commits: run what would have been queued)
    assert queued in ([], ["privacy.tasks.staff_expunge"])
    assert tasks.staff_expunge() >= 1
    run = ExpungeRun.objects.get(dry_run=False)
    assert run.trigger == "staff" and run.finished_at is not None
    assert run.counts["loan"]["anonymised"] == 1


def test_run_now_is_queued_on_commit(director, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda name, **kwargs: queued.append(name))
    with django_capture_on_commit_callbacks(execute=True):
        services.expunge_queue(actor=director)
    assert queued == ["privacy.tasks.staff_expunge"]


def test_a_run_shows_its_counts_as_a_table_not_json(director_client):
    run = ExpungeRun.objects.create(
        counts={
            "loan": {"expunged": 3, "anonymised": 0, "held": 2},
            "audit_entry": {"expunged": 7},
        },
        finished_at=timezone.now(),
    )
    html = director_client.get(reverse("admin:privacy_expungerun_change", args=[run.pk])).content
    html = html.decode()
    assert '{"loan"' not in html and "&quot;expunged&quot;" not in html
    assert '<th scope="row">Loans</th><td class="number">3</td><td class="number">0</td>' in html
    assert "Kept (legal hold)" in html and "Audit log entries past their retention" in html
    listing = director_client.get(RUNS).content.decode()
    assert "Run the expunge…" in listing


@pytest.mark.parametrize("who", ["clerk_client", "librarian_client"])
def test_only_the_administrator_runs_it_and_is_named(who, request, old_loan):
    client = request.getfixturevalue(who)
    response = client.post(PAGE, {"action": "run"})
    assert response.status_code == 403
    assert "Only the role Library administrator may." in response.content.decode()
    assert not ExpungeRun.objects.exists()


def test_a_bad_action_is_refused_and_changes_nothing(director_client, old_loan):
    response = director_client.post(PAGE, {"action": "melt"}, follow=True)
    assert "Choose to preview or to run the expunge." in response.content.decode()
    assert not ExpungeRun.objects.exists()
    response = director_client.get(PAGE, {"preview": "nonsense"})
    assert response.status_code == 200
