import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from articles import workflow
from articles.models import Article, ProvenanceActivity, RepublicationPermission, Status

from .accounts import make_user
from .conftest import make_article, make_permission, make_publication

pytestmark = pytest.mark.django_db


def complete_draft(**kwargs):
    kwargs.setdefault("status", Status.DRAFT)
    kwargs.setdefault("publication", make_publication())
    kwargs.setdefault("byline", "Staff")
    kwargs.setdefault("original_url", "https://example.org/a")
    kwargs.setdefault("standfirst", "What happened.")
    return make_article(**kwargs)


def test_editor_submits_a_draft_for_review():
    article = complete_draft()
    editor = make_user("editor")

    workflow.submit_for_review(article=article, user=editor)

    article.refresh_from_db()
    assert article.status == Status.REVIEW
    assert article.history.first().history_user == editor


def test_editor_cannot_publish_even_with_a_permission_in_force():
    article = complete_draft()
    make_permission(article=article)

    with pytest.raises(PermissionDenied):
        workflow.publish(article=article, user=make_user("editor"))

    article.refresh_from_db()
    assert article.status == Status.DRAFT
    assert not Article.objects.public().exists()


def test_publisher_cannot_publish_without_permission_record_and_is_told_what_is_missing():
    article = complete_draft()

    with pytest.raises(ValidationError) as caught:
        workflow.publish(article=article, user=make_user("publisher"))

    assert "republication permission" in caught.value.messages[0]
    article.refresh_from_db()
    assert article.status == Status.DRAFT


def test_publish_names_every_missing_field():
    article = make_article(status=Status.DRAFT)

    with pytest.raises(ValidationError) as caught:
        workflow.publish(article=article, user=make_user("publisher"))

    message = caught.value.messages[0]
    for missing in ("publication", "byline", "original URL", "standfirst", "republication permission"):
        assert missing in message


def test_revoked_or_expired_permission_does_not_allow_publishing():
    article = complete_draft()
    make_permission(article=article, revoked_at=timezone.now(), revocation_reason="Asked to take it down.")
    make_permission(article=article, granted_on=datetime.date(2016, 1, 1), expires_on=datetime.date(2016, 12, 31))

    with pytest.raises(ValidationError):
        workflow.publish(article=article, user=make_user("publisher"))


def test_publisher_publishes_with_a_standing_permission_and_history_names_them():
    article = complete_draft()
    make_permission(publication=article.publication)
    publisher = make_user("publisher")

    workflow.publish(article=article, user=publisher)

    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert article.published_at is not None
    assert list(Article.objects.public()) == [article]
    record = article.history.first()
    assert record.status == Status.PUBLISHED
    assert record.history_user == publisher


def test_withdraw_requires_a_reason():
    article = make_article(permitted=True)

    with pytest.raises(ValidationError):
        workflow.withdraw(article=article, user=make_user("publisher"), reason="  ")

    article.refresh_from_db()
    assert article.status == Status.PUBLISHED


def test_withdraw_records_reason_date_and_provenance():
    article = make_article(permitted=True)
    publisher = make_user("publisher")

    workflow.withdraw(article=article, user=publisher, reason="The rights holder asked us to.")

    article.refresh_from_db()
    assert article.status == Status.WITHDRAWN
    assert article.withdrawn_at is not None
    assert article.withdrawal_reason == "The rights holder asked us to."
    last = article.provenance.order_by("-position").first()
    assert last.activity == ProvenanceActivity.WITHDRAWN
    assert last.recorded_by == publisher
    assert last.note == "The rights holder asked us to."
    assert article.history.first().history_user == publisher
    assert not Article.objects.public().exists()


def test_editor_cannot_withdraw():
    article = make_article(permitted=True)

    with pytest.raises(PermissionDenied):
        workflow.withdraw(article=article, user=make_user("editor"), reason="Mistake.")


def test_publisher_records_and_revokes_a_permission():
    article = complete_draft(status=Status.REVIEW)
    publisher = make_user("publisher")

    permission = workflow.record_permission(
        user=publisher,
        article=article,
        rights_holder="Libya-Analysis",
        granted_on=datetime.date(2017, 7, 20),
        evidence="Republished with explicit permission from the author.",
        attribution="Republished with explicit permission from the author.",
    )
    workflow.publish(article=article, user=publisher)
    assert Article.objects.public().count() == 1

    workflow.revoke_permission(permission=permission, user=publisher, reason="Permission withdrawn by e-mail.")

    permission.refresh_from_db()
    assert permission.created_by == publisher
    assert permission.revocation_reason == "Permission withdrawn by e-mail."
    assert permission.history.first().history_user == publisher
    assert not Article.objects.public().exists()


def test_editor_cannot_record_or_revoke_permissions():
    article = complete_draft()
    editor = make_user("editor")
    permission = make_permission(article=article)

    with pytest.raises(PermissionDenied):
        workflow.record_permission(
            user=editor,
            article=article,
            rights_holder="x",
            granted_on=datetime.date(2017, 1, 1),
            evidence="x",
            attribution="x",
        )
    with pytest.raises(PermissionDenied):
        workflow.revoke_permission(permission=permission, user=editor, reason="No.")

    assert RepublicationPermission.objects.get().revoked_at is None


def test_saving_a_draft_as_published_without_permission_is_refused_by_the_model():
    article = complete_draft()
    article.status = Status.PUBLISHED
    article.published_at = timezone.now()

    with pytest.raises(ValidationError):
        article.save()

    assert Article.objects.get().status == Status.DRAFT


def test_every_save_counts_a_version():
    article = complete_draft()
    first = article.version

    article.title = "New title"
    article.save()

    assert Article.objects.get().version == first + 1
