from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "articles"

    def ready(self):
        from django.db.models.signals import post_migrate

        from archive import editorial_version

        from . import chain, locking, search_index, signals, tag_dates  # noqa: F401

        locking.install()

        post_migrate.connect(search_index.ensure_index, sender=self, dispatch_uid="articles.search_index")
        post_migrate.connect(tag_dates.ensure_triggers, sender=self, dispatch_uid="articles.tag_dates")
        post_migrate.connect(chain.ensure_guard, sender=self, dispatch_uid="articles.chain")
        post_migrate.connect(editorial_version.ensure_installed, sender=self, dispatch_uid="archive.editorial_version")
