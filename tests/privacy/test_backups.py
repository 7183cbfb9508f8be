"""Backups that obey the retention policy: encrypted dumps, and a restore that brings
nothing back that was expunged or erased after the backup was taken
(privacy.backups, privacy.erasures; docs/deployment.md, "Backups")."""

import datetime
import io
import subprocess

import psycopg
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.utils import timezone

from circulation.models import Loan, NoticeSent, Visit
from circulation.services.loans import history_entry_delete
from patrons.models import Card
from patrons.services import card_report_lost, reading_history_set
from privacy import backup_crypto, backups, restores, retention
from privacy.erasures import replay
from privacy.models import ErasureAction, ErasureJournal, RestorePending, RetentionPolicy
from privacy.services import legal_hold_place, legal_hold_release
from tests.factories import (
    CardFactory,
    LoanFactory,
    PatronFactory,
    StaffUserFactory,
    VisitFactory,
)

DAYS = datetime.timedelta(days=1)


@pytest.fixture
def backup_settings(settings, tmp_path):
    settings.CALUMET_BACKUP_DIR = str(tmp_path / "backups")
    settings.CALUMET_BACKUP_KEY_FILE = str(tmp_path / "keys" / "backup.key")
    backup_crypto.new_key(tmp_path / "keys" / "backup.key")
    return settings


def returned_loan(patron, days_ago=3):
    back = timezone.now() - days_ago * DAYS
    return LoanFactory(patron=patron, checked_out_at=back - 7 * DAYS, returned_at=back)


# -- the encrypted file ---------------------------------------------------------------------


def test_a_backup_file_decrypts_only_whole_and_with_its_key(tmp_path):
    key = backup_crypto.load_key(backup_crypto.new_key(tmp_path / "k"))
    data = b"patron 42 borrowed a book\n" * 100_000  # several chunks
    sealed = io.BytesIO()
    backup_crypto.encrypt_stream(io.BytesIO(data), sealed, key, {"taken_at": "now"})
    assert b"patron 42" not in sealed.getvalue()

    meta, chunks = backup_crypto.decrypt_stream(io.BytesIO(sealed.getvalue()), key)
    assert b"".join(chunks) == data and meta["taken_at"] == "now"

    other = backup_crypto.load_key(backup_crypto.new_key(tmp_path / "other"))
    with pytest.raises(backup_crypto.BackupError, match="another key"):
        backup_crypto.decrypt_stream(io.BytesIO(sealed.getvalue()), other)

    cut = sealed.getvalue()[: len(sealed.getvalue()) // 2]
    with pytest.raises(backup_crypto.BackupError, match=r"cut short|damaged"):
        b"".join(backup_crypto.decrypt_stream(io.BytesIO(cut), key)[1])

    flipped = bytearray(sealed.getvalue())
    flipped[-20] ^= 1
    with pytest.raises(backup_crypto.BackupError, match="damaged"):
        b"".join(backup_crypto.decrypt_stream(io.BytesIO(bytes(flipped)), key)[1])


def test_a_key_is_never_overwritten_nor_kept_beside_the_backups(tmp_path, settings):
    path = backup_crypto.new_key(tmp_path / "k")
    with pytest.raises(backup_crypto.BackupError, match="never overwritten"):
        backup_crypto.new_key(path)
    settings.CALUMET_BACKUP_DIR = str(tmp_path)
    settings.CALUMET_BACKUP_KEY_FILE = str(path)
    with pytest.raises(backup_crypto.BackupError, match="in the backup folder"):
        backups._check_key_not_beside(tmp_path)


@pytest.mark.django_db
def test_backups_are_kept_no_longer_than_the_longest_retention(settings):
    settings.CALUMET_BACKUP_KEEP_DAYS = None
    assert backups.keep_days() == 1825  # the disclosure register's
    settings.CALUMET_BACKUP_KEEP_DAYS = 10_000
    assert backups.keep_days() == 1825
    settings.CALUMET_BACKUP_KEEP_DAYS = 35
    assert backups.keep_days() == 35


@pytest.mark.django_db
def test_pruning_deletes_old_backups_and_the_journal_no_backup_needs(backup_settings, tmp_path):
    backup_settings.CALUMET_BACKUP_KEEP_DAYS = 30
    folder = tmp_path / "backups"
    folder.mkdir()
    now = timezone.now()
    names = {}
    for age in (40, 20, 1):
        taken = now - age * DAYS
        stamp = taken.astimezone(datetime.UTC).strftime(backups.STAMP)
        for suffix in (backups.SUFFIX_DUMP, backups.SUFFIX_JOURNAL):
            (folder / f"calumet-{stamp}{suffix}").write_bytes(b"x")
        names[age] = stamp
    for age in (35, 15):
        ErasureJournal.objects.create(action=ErasureAction.CARD_LOST, ref=age, at=now - age * DAYS)

    gone = backups.prune(now=now, folder=folder, actor=None)

    assert sorted(path.name for path in gone) == sorted(
        f"calumet-{names[40]}{suffix}" for suffix in (backups.SUFFIX_DUMP, backups.SUFFIX_JOURNAL)
    )
    assert [found.taken_at.date() for found in backups.backups(folder)] == [
        (now - 20 * DAYS).astimezone(datetime.UTC).date(),
        (now - 1 * DAYS).astimezone(datetime.UTC).date(),
    ]
    # The oldest backup kept is 20 days old: the entry of 35 days ago is needed by none.
    assert list(ErasureJournal.objects.values_list("ref", flat=True)) == [15]


def test_backups_need_postgresql(backup_settings):
    if connection.vendor == "postgresql":
        assert backups.require_postgresql()["NAME"]  # the tests below make backups
        return
    with pytest.raises(backup_crypto.BackupError, match="PostgreSQL"):
        backups.backup(actor=None)


# -- the journal ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_erasure_ahead_of_the_policy_is_journaled_with_ids_only():
    staff = StaffUserFactory()
    reader = PatronFactory(keep_reading_history=True)
    kept = returned_loan(reader)
    history_entry_delete(loan=kept, actor=reader)
    reading_history_set(patron=reader, keep=False, actor=reader)
    card = CardFactory()
    card_report_lost(patron=card.patron, actor=staff)
    hold = legal_hold_place(patron=reader, reason="Subpoena 12", actor=staff)
    legal_hold_release(hold=hold, actor=staff)
    policy = RetentionPolicy.objects.get(kind="notice_sent")
    policy.days = 7
    policy.save()

    rows = list(ErasureJournal.objects.values_list("action", "kind", "ref"))
    assert rows == [
        (ErasureAction.RECORD_ERASED, "loan", kept.pk),
        (ErasureAction.HISTORY_OFF, "", reader.pk),
        (ErasureAction.CARD_LOST, "", card.pk),
        (ErasureAction.HOLD_RELEASED, "", hold.pk),
        (ErasureAction.RETENTION_CHANGED, "notice_sent", 7),
    ]
    # The day only, never the moment the patron was at the desk or in the portal.
    for at in ErasureJournal.objects.values_list("at", flat=True):
        assert timezone.localtime(at).time() == datetime.time(0, 0)
    text = " ".join(str(value) for row in ErasureJournal.objects.values() for value in row.values())
    for secret in (reader.first_name, reader.last_name, card.number, "Subpoena"):
        assert secret not in text


@pytest.mark.django_db
def test_a_replay_makes_each_erasure_again_and_changes_nothing_twice():
    reader = PatronFactory(keep_reading_history=True)
    history = [returned_loan(reader), returned_loan(reader)]
    card = CardFactory()
    since = timezone.now() - DAYS
    ErasureJournal.objects.create(action=ErasureAction.HISTORY_OFF, ref=reader.pk)
    ErasureJournal.objects.create(action=ErasureAction.CARD_LOST, ref=card.pk)
    ErasureJournal.objects.create(action=ErasureAction.CARD_LOST, ref=999_999)  # gone since
    ErasureJournal.objects.create(action=ErasureAction.RETENTION_CHANGED, kind="notice_sent", ref=3)

    assert replay(since=since) == 4
    assert replay(since=since) == 4  # again: nothing more changes

    assert not Loan.objects.filter(pk__in=[loan.pk for loan in history], patron=reader).exists()
    reader.refresh_from_db()
    assert reader.keep_reading_history is False
    card.refresh_from_db()
    assert card.status == Card.Status.LOST
    assert RetentionPolicy.objects.get(kind="notice_sent").days == 3


# -- the site refuses a restore not finished ------------------------------------------------


@pytest.mark.django_db
def test_nothing_opens_on_a_restored_database_until_the_restore_is_finished():
    assert not [error for error in run_checks() if error.id == "privacy.E001"]
    RestorePending.objects.create(backup_taken_at=timezone.now() - DAYS)

    errors = [error for error in run_checks() if error.id == "privacy.E001"]
    assert errors and "restore --finish" in errors[0].msg
    with pytest.raises(ImproperlyConfigured, match="restored from a backup"):
        restores.refuse_if_restore_pending()
    # The worker and the SIP2 server run the checks at start: they refuse.
    for command in ("qcluster", "sip2server"):
        with pytest.raises(SystemCheckError, match="restored from a backup"):
            call_command(command, skip_checks=False)

    restores.finish_restore(out=io.StringIO(), actor=None)
    assert not RestorePending.objects.exists()
    restores.refuse_if_restore_pending()


# -- the whole story, on PostgreSQL ---------------------------------------------------------


def _restored(name: str):
    db = connection.settings_dict
    params = {"dbname": name}
    for key, setting in (("host", "HOST"), ("port", "PORT"), ("user", "USER")):
        if db.get(setting):
            params[key] = str(db[setting])
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    return psycopg.connect(**params, autocommit=True)


def _drop(name: str) -> None:
    env = backups.pg_env(connection.settings_dict, name="postgres")
    subprocess.run(
        [backups.pg_tool("dropdb"), "--if-exists", "--force", "--", name],
        env=env,
        check=False,
        capture_output=True,
    )


@pytest.fixture
def restored_name():
    name = f"{connection.settings_dict['NAME']}_restored"
    _drop(name)
    yield name
    _drop(name)


@pytest.mark.postgres("pg_dump and pg_restore")
@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_brings_back_nothing_expunged_or_erased_since(
    backup_settings, restored_name, tmp_path
):
    staff = StaffUserFactory()
    reader = PatronFactory(keep_reading_history=True)  # will erase the history
    kept = [returned_loan(reader), returned_loan(reader)]
    chooser = PatronFactory(keep_reading_history=True)  # will remove one entry
    removed, stays = returned_loan(chooser), returned_loan(chooser)
    loser = CardFactory()  # will report the card lost
    visitor = PatronFactory()
    visit = VisitFactory(patron=visitor)  # expunged by the next nightly run
    noticed = PatronFactory()
    notice = NoticeSent.objects.create(
        patron=noticed, day=timezone.now() - 5 * DAYS, kind="overdue", ok=True
    )  # kept 30 days: until the policy is shortened
    session = SessionStore()
    session["desk_patron"] = reader.pk
    session.create()

    made = backups.backup(actor=None)
    assert made.path.exists() and made.journal_path.exists()
    assert made.path.stat().st_mode & 0o077 == 0  # its owner's only
    assert b"Philippa" not in made.path.read_bytes()

    # After the backup: activity, erasures, a shorter retention, the nightly expunge.
    reading_history_set(patron=reader, keep=False, actor=reader)
    history_entry_delete(loan=removed, actor=chooser)
    card_report_lost(patron=loser.patron, actor=staff)
    policy = RetentionPolicy.objects.get(kind="notice_sent")
    policy.days = 0
    policy.save()
    retention.expunge()
    assert not Visit.objects.filter(pk=visit.pk).exists()
    assert not NoticeSent.objects.filter(pk=notice.pk).exists()

    out = io.StringIO()
    call_command("restore", str(made.path), into=restored_name, stdout=out)
    assert "The database is ready" in out.getvalue()

    with _restored(restored_name) as db:

        def count(sql, *params):
            return db.execute(sql, params).fetchone()[0]

        kept_ids = [loan.pk for loan in kept]
        assert (
            count("SELECT count(*) FROM circulation_loan WHERE patron_id = %s", reader.pk) == 0
        ), "the erased reading history came back"
        assert (
            count("SELECT keep_reading_history::int FROM patrons_patron WHERE id = %s", reader.pk)
            == 0
        )
        assert (
            count(
                "SELECT count(*) FROM circulation_loan"
                " WHERE id = ANY(%s) AND patron_id IS NOT NULL",
                kept_ids,
            )
            == 0
        )
        assert (
            count(
                "SELECT count(*) FROM circulation_loan WHERE id = %s AND patron_id IS NOT NULL",
                removed.pk,
            )
            == 0
        ), "the removed history entry came back"
        assert (
            count(
                "SELECT count(*) FROM circulation_loan WHERE id = %s AND patron_id = %s",
                stays.pk,
                chooser.pk,
            )
            == 1
        ), "a kept entry was lost"
        assert count("SELECT status FROM patrons_card WHERE id = %s", loser.pk) == "lost"
        assert count("SELECT count(*) FROM circulation_visit WHERE id = %s", visit.pk) == 0
        assert count("SELECT count(*) FROM circulation_noticesent WHERE id = %s", notice.pk) == 0
        assert count("SELECT count(*) FROM django_session") == 0
        assert count("SELECT count(*) FROM privacy_restorepending") == 0
        assert count("SELECT days FROM patrons_retentionpolicy WHERE kind = 'notice_sent'") == 0


@pytest.mark.postgres("pg_dump and pg_restore")
@pytest.mark.django_db(transaction=True)
def test_a_restore_with_the_wrong_key_is_refused_and_creates_nothing(
    backup_settings, restored_name, tmp_path
):
    made = backups.backup(actor=None)
    wrong = backup_crypto.new_key(tmp_path / "wrong.key")

    with pytest.raises(CommandError, match="wrong key"):
        call_command("restore", str(made.path), into=restored_name, key_file=str(wrong))

    with pytest.raises(psycopg.OperationalError):
        _restored(restored_name).close()
