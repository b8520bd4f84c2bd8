from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "articles"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import search_index, signals  # noqa: F401

        post_migrate.connect(search_index.ensure_index, sender=self, dispatch_uid="articles.search_index")
