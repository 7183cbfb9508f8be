"""System check: a database restored from a backup opens only once `manage.py restore`
has finished with it (the worker and the SIP2 server run the checks at start; the web
process runs `privacy.restores.refuse_if_restore_pending` in `calumet/wsgi.py`)."""

from django.core import checks

from privacy.restores import RESTORE_PENDING_MESSAGE, restore_pending


@checks.register()
def restore_finished(app_configs=None, **kwargs):
    if restore_pending():
        return [checks.Error(RESTORE_PENDING_MESSAGE, id="privacy.E001")]
    return []
