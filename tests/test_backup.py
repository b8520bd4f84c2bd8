"""A backup restored into an empty database gives back the same archive."""

import hashlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.fixity import check_fixity
from articles.models import Article


def table_fingerprints() -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row, per table, independent of insertion order."""
    prints = {}
    for model in apps.get_models():
        if model._meta.app_label in {"contenttypes", "sessions"} or model._meta.label == "auth.Permission":
            continue
        rows = sorted(repr(sorted(row.items())) for row in model._default_manager.values())
        prints[model._meta.label] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return prints


def public_pages(client) -> dict[str, bytes]:
    paths = ["/", "/articles/", "/events/", "/actors/", "/tags/"]
    paths += [article.get_absolute_url() for article in Article.objects.all()]
    pages = {}
    for path in paths:
        response = client.get(path)
        pages[path] = (response.status_code, response.content)
    return pages


def test_a_backup_restored_into_an_empty_database_gives_equal_tables_and_pages(transactional_db, tmp_path, client):
    call_command("load_sample", verbosity=0)
    before_tables, before_pages = table_fingerprints(), public_pages(client)
    assert before_tables["articles.Article"][0] == 5

    backup = tmp_path / "archive.xml.gz"
    call_command("backup_archive", output=str(backup), verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)  # recreates the content types and permissions, as on a fresh database
    assert not Article.objects.exists()

    call_command("restore_archive", str(backup), verbosity=0)
    assert table_fingerprints() == before_tables
    assert public_pages(client) == before_pages
    # The chains come back verbatim, the original files with them, and still verify.
    result = check_fixity()
    assert (result.records, result.originals, result.findings) == (15, 5, [])


def test_restore_refuses_a_database_that_holds_articles(transactional_db, tmp_path):
    call_command("load_sample", verbosity=0)
    backup = tmp_path / "archive.xml.gz"
    call_command("backup_archive", output=str(backup), verbosity=0)
    with pytest.raises(CommandError, match="holds articles already"):
        call_command("restore_archive", str(backup))
