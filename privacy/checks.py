"""System check: a database restored from a backup opens only once `manage.py restore`
has finished with it (the worker and the SIP2 server run the checks at start; the web
process runs `privacy.backups.refuse_if_restore_pending` in `calumet/wsgi.py`)."""

from django.core import checks


@checks.register()
def restore_finished(app_configs=None, **kwargs):
    from privacy.backups import RESTORE_PENDING_MESSAGE, restore_pending

    if restore_pending():
        return [checks.Error(RESTORE_PENDING_MESSAGE, id="privacy.E001")]
    return []
