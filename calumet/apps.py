from django.apps import AppConfig


class CalumetConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "calumet"
    verbose_name = "Calumet"
