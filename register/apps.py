from django.apps import AppConfig


class RegisterConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "register"
    verbose_name = "register of actors, places and events"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import participant_dates

        post_migrate.connect(participant_dates.ensure_triggers, sender=self, dispatch_uid="register.participant_dates")
