"""
The provenance chain is a record: append-only on every path (admin, ORM, raw SQL),
hash-chained so verify_fixity names any change made behind the guard, with the
bytes of each imported file kept; and an article that was ever public is never deleted.
"""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from articles import chain
from articles.fixity import CHANGED, ORIGINAL, REMOVED, REORDERED, TEXT, check_fixity
from articles.importer import import_articles
from articles.models import (
    AppendOnly,
    Article,
    OriginalFile,
    ProvenanceActivity,
    ProvenanceRecord,
    Status,
)

from .accounts import make_user
from .conftest import make_article

pytestmark = pytest.mark.django_db

FILE = """+++
title = "Clashes in Ganfuda"
+++
Fighting resumed in Ganfuda on Monday.

Residents fled west.
"""


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def refused_by_database(statement: str, params=()) -> bool:
    try:
        with transaction.atomic():
            sql(statement, params)
    except IntegrityError:
        return True
    return False


def imported(tmp_path, name="ganfuda.md", text=FILE) -> Article:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    (article,) = import_articles(paths=[str(path)]).created
    return article


def chained_article(**kwargs) -> Article:
    """An article with a chain of three records: imported, first published, withdrawn-like note."""
    article = make_article(**kwargs)
    ProvenanceRecord.objects.append(article=article, activity=ProvenanceActivity.REPUBLISHED, agent="Outlet")
    ProvenanceRecord.objects.append(article=article, activity=ProvenanceActivity.OTHER, note="Checked.")
    return article


def verify(capsys) -> str:
    """verify_fixity's report of problems; empty when it passes."""
    try:
        call_command("verify_fixity")
    except CommandError:
        return capsys.readouterr().err
    return ""


# --------------------------------------------------------------------------
# Appending
# --------------------------------------------------------------------------


def test_each_record_holds_the_digest_of_the_one_before():
    article = chained_article()
    records = list(article.provenance.order_by("position"))
    assert [r.position for r in records] == [1, 2, 3]
    assert records[0].previous_digest == ""
    assert [r.previous_digest for r in records[1:]] == [r.digest for r in records[:-1]]
    assert records[0].sha256 == article.body_sha256
    assert check_fixity().findings == []


def test_the_archive_computes_the_text_digest_and_refuses_a_typed_one():
    article = make_article()
    with pytest.raises(ValueError, match="computed by the archive"):
        ProvenanceRecord.objects.append(article=article, activity=ProvenanceActivity.CORRECTED, sha256="0" * 64)


def test_the_import_keeps_the_file_as_received_and_links_it_from_its_record(tmp_path):
    article = imported(tmp_path)
    original = OriginalFile.objects.get(article=article)
    assert bytes(original.content) == FILE.encode("utf-8")
    assert original.sha256 == hashlib.sha256(FILE.encode("utf-8")).hexdigest()
    record = article.provenance.get(activity=ProvenanceActivity.IMPORTED)
    assert record.original == original
    assert record.sha256 == article.body_sha256


def test_the_same_file_imported_again_is_recognised_by_its_sha256(tmp_path, capsys):
    article = imported(tmp_path)
    call_command("import_articles", str(tmp_path / "ganfuda.md"))
    assert f"its SHA-256 is that of {article.slug}" in capsys.readouterr().out
    assert Article.objects.count() == 1


# --------------------------------------------------------------------------
# No path changes or deletes a record
# --------------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_a_record():
    article = chained_article()
    record = article.provenance.first()
    record.sha256 = "0" * 64
    with pytest.raises(AppendOnly):
        record.save()
    with pytest.raises(AppendOnly):
        record.delete()
    with pytest.raises(AppendOnly):
        ProvenanceRecord.objects.filter(article=article).update(sha256="0" * 64)
    with pytest.raises(AppendOnly):
        article.provenance.all().delete()
    with pytest.raises(AppendOnly, match=r"objects\.append"):
        ProvenanceRecord.objects.create(article=article, position=9, activity=ProvenanceActivity.OTHER)
    assert article.provenance.count() == 3


def test_the_database_refuses_to_change_or_delete_a_record_or_an_original_file(tmp_path):
    article = imported(tmp_path)
    assert refused_by_database("UPDATE articles_provenancerecord SET sha256 = %s", ["0" * 64])
    assert refused_by_database("DELETE FROM articles_provenancerecord WHERE article_id = %s", [article.pk])
    assert refused_by_database("UPDATE articles_originalfile SET content = %s", [b"forged"])
    assert refused_by_database("DELETE FROM articles_originalfile")
    assert article.provenance.count() == 1
    assert check_fixity().findings == []


@pytest.mark.parametrize("role", ["editor", "publisher", "superuser"])
def test_no_one_adds_changes_or_deletes_a_record_in_the_admin(client, role):
    article = make_article(permitted=True)
    record = article.provenance.get()
    client.force_login(make_user(role))
    add = reverse("admin:articles_provenancerecord_add")
    change = reverse("admin:articles_provenancerecord_change", args=[record.pk])
    delete = reverse("admin:articles_provenancerecord_delete", args=[record.pk])
    forged = {"article": article.pk, "position": 2, "activity": "corrected", "sha256": "0" * 64}
    assert client.get(add).status_code == 403
    assert client.post(add, forged).status_code == 403
    assert client.get(change).status_code == 200
    assert client.post(change, forged).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert list(article.provenance.values_list("position", "sha256")) == [(1, article.body_sha256)]
    page = client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert 'name="provenance-0-sha256"' not in page
    assert article.body_sha256 in page


# --------------------------------------------------------------------------
# verify_fixity names whatever was done behind the guard
# --------------------------------------------------------------------------


def drop_guard() -> None:
    """The guard dropped, as the database's owner could; the test's rollback restores it."""
    chain.drop(connection)


def test_a_flipped_byte_whose_digest_was_rewritten_is_reported(capsys):
    article = make_article(status=Status.PUBLISHED)
    drop_guard()
    flipped = article.body.replace("First", "Firsu", 1)
    sql("UPDATE articles_article SET body = %s WHERE id = %s", [flipped, article.pk])
    forged = hashlib.sha256(flipped.encode()).hexdigest()
    sql("UPDATE articles_provenancerecord SET sha256 = %s WHERE article_id = %s", [forged, article.pk])
    assert f"CHANGED {article.slug} #1: sha256 changed since it was written" in verify(capsys)


def test_a_changed_text_is_reported(capsys):
    article = chained_article()
    drop_guard()
    sql("UPDATE articles_article SET body = body || 'x' WHERE id = %s", [article.pk])
    report = verify(capsys)
    assert f"TEXT CHANGED {article.slug}: the text's SHA-256 is" in report
    assert [f.kind for f in check_fixity().findings] == [TEXT]


def test_a_record_removed_from_the_middle_is_reported(capsys):
    article = chained_article()
    drop_guard()
    sql("DELETE FROM articles_provenancerecord WHERE article_id = %s AND position = 2", [article.pk])
    assert f"REMOVED {article.slug} #2: record 2 is missing from the chain" in verify(capsys)
    assert [(f.position, f.kind) for f in check_fixity().findings] == [(2, REMOVED)]


def test_a_record_removed_from_the_end_is_reported(capsys):
    article = chained_article()
    drop_guard()
    sql("DELETE FROM articles_provenancerecord WHERE article_id = %s AND position = 3", [article.pk])
    assert f"REMOVED {article.slug} #3: record 3 is missing from the end of the chain" in verify(capsys)


def test_reordered_records_are_reported(capsys):
    article = chained_article()
    drop_guard()
    # Through a free position, as the unique (article, position) constraint asks.
    for old, new in ((2, 99), (3, 2), (99, 3)):
        sql(
            "UPDATE articles_provenancerecord SET position = %s WHERE article_id = %s AND position = %s",
            [new, article.pk, old],
        )
    report = verify(capsys)
    assert f"REORDERED {article.slug} #2: the other record written at position 3 now stands at 2" in report
    assert f"REORDERED {article.slug} #3: the republished record written at position 2 now stands at 3" in report
    assert {f.kind for f in check_fixity().findings} == {REORDERED}


def test_a_changed_record_is_reported_with_the_fields_that_differ(capsys):
    article = chained_article()
    drop_guard()
    sql(
        "UPDATE articles_provenancerecord SET agent = 'Someone else' WHERE article_id = %s AND position = 2",
        [article.pk],
    )
    assert f"CHANGED {article.slug} #2: agent changed since it was written" in verify(capsys)
    assert [(f.position, f.kind) for f in check_fixity().findings] == [(2, CHANGED)]


def test_a_changed_original_file_is_reported(tmp_path, capsys):
    article = imported(tmp_path)
    drop_guard()
    sql("UPDATE articles_originalfile SET content = %s WHERE article_id = %s", [b"forged bytes", article.pk])
    assert f"ORIGINAL CHANGED {article.slug}: ganfuda.md: its bytes hash to" in verify(capsys)
    assert [f.kind for f in check_fixity().findings] == [ORIGINAL]


def test_verify_fixity_passes_an_untouched_archive(tmp_path, capsys):
    imported(tmp_path)
    chained_article(permitted=True)
    call_command("verify_fixity")
    assert (
        "2 article(s), 4 provenance record(s) and 1 original file(s) checked: 0 problem(s)" in capsys.readouterr().out
    )


# --------------------------------------------------------------------------
# Nothing that was ever public is deleted
# --------------------------------------------------------------------------


def ever_public_articles():
    published = make_article(permitted=True)
    withdrawn = make_article(status=Status.WITHDRAWN)
    unpublished = make_article(permitted=True)
    Article.objects.filter(pk=unpublished.pk).update(status=Status.DRAFT)
    return [published, withdrawn, unpublished]


def test_the_orm_refuses_to_delete_an_article_that_was_ever_public():
    for article in ever_public_articles():
        with pytest.raises(PermissionDenied, match="never deleted"):
            article.delete()
        with pytest.raises(PermissionDenied, match="never deleted"):
            Article.objects.filter(pk=article.pk).delete()
    assert Article.objects.count() == 3


def test_the_database_refuses_to_delete_an_article_that_was_ever_public_or_to_unpublish_it():
    for article in ever_public_articles():
        assert refused_by_database("DELETE FROM articles_article WHERE id = %s", [article.pk])
        if article.published_at is not None:
            assert refused_by_database("UPDATE articles_article SET published_at = NULL WHERE id = %s", [article.pk])
    assert Article.objects.count() == 3


def test_the_admin_refuses_to_delete_a_public_article_by_view_or_action(client):
    published, withdrawn, _ = ever_public_articles()
    client.force_login(make_user("superuser"))
    for article in (published, withdrawn):
        delete = reverse("admin:articles_article_delete", args=[article.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:articles_article_changelist")
    data = {"action": "delete_selected", "_selected_action": [published.pk, withdrawn.pk], "post": "yes"}
    response = client.post(changelist, data, follow=True)
    assert "an article that was ever public is never deleted" in response.content.decode()
    assert Article.objects.filter(pk__in=[published.pk, withdrawn.pk]).count() == 2
    assert client.get(withdrawn.get_absolute_url()).status_code == 410


def test_a_publisher_deletes_a_never_public_draft_with_its_chain_and_its_history_says_so(client, tmp_path):
    draft = imported(tmp_path)
    publisher = make_user("publisher")
    client.force_login(publisher)
    response = client.post(reverse("admin:articles_article_delete", args=[draft.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=draft.pk).exists()
    assert not ProvenanceRecord.objects.filter(article_id=draft.pk).exists()
    assert not OriginalFile.objects.filter(article_id=draft.pk).exists()
    deletion = Article.history.filter(id=draft.pk).latest("history_date")
    assert (deletion.history_type, deletion.history_user) == ("-", publisher)
    assert check_fixity().findings == []


def test_an_editor_cannot_delete_a_draft(client):
    draft = make_article()
    client.force_login(make_user("editor"))
    assert client.post(reverse("admin:articles_article_delete", args=[draft.pk]), {"post": "yes"}).status_code == 403
    assert Article.objects.filter(pk=draft.pk).exists()


def test_flush_erases_the_database_and_puts_the_guard_back(transactional_db):
    # Committed rows, as a flush meets them. Not a serialized rollback: reloading the saved rows after
    # an earlier transactional test's flush would meet content types made again under other ids.
    make_article(permitted=True)
    call_command("flush", interactive=False, verbosity=0)
    assert not Article.objects.exists()
    article = make_article(permitted=True)
    assert refused_by_database("DELETE FROM articles_article WHERE id = %s", [article.pk])
    assert refused_by_database("UPDATE articles_provenancerecord SET note = 'x'")
