"""
Article.objects.public() and Event.objects.public() are built once per editorial
version and reused (articles.cache.built_once): what they answer must still follow
every change, the clock, and the queryset they are asked of.
"""

import datetime

import pytest
from django.utils import timezone

from articles.models import Article, Status
from articles.workflow import withdraw
from register.models import Event

from .conftest import link_event, make_article, make_event, make_permission, make_publication

pytestmark = pytest.mark.django_db


def public_titles() -> set[str]:
    return set(Article.objects.public().values_list("title", flat=True))


def test_each_call_is_a_new_queryset_answering_for_the_current_version():
    first = make_article(permitted=True, title="First")
    one, two = Article.objects.public(), Article.objects.public()
    assert one is not two
    assert list(one) == [first]
    # A queryset already evaluated keeps its rows; the next call sees the new article.
    make_article(permitted=True, title="Second")
    assert list(one) == [first]
    assert public_titles() == {"First", "Second"}


def test_a_withdrawal_is_seen_by_the_next_call(django_user_model):
    article = make_article(permitted=True, title="Withdrawn later")
    assert public_titles() == {"Withdrawn later"}
    editor = django_user_model.objects.create_superuser("chief", "chief@example.org", "pw")
    withdraw(article=article, user=editor, reason="Permission revoked by the rights holder.")
    assert public_titles() == set()


def test_a_revocation_at_a_set_time_takes_effect_when_the_clock_passes_it(monkeypatch):
    article = make_article(status=Status.PUBLISHED, title="Revoked at noon")
    noon = timezone.now() + datetime.timedelta(hours=2)
    make_permission(article=article, revoked_at=noon, revocation_reason="The agreement ends at noon.")
    assert public_titles() == {"Revoked at noon"}
    monkeypatch.setattr(timezone, "now", lambda: noon + datetime.timedelta(seconds=1))
    assert public_titles() == set()


def test_a_related_manager_keeps_its_own_narrowing():
    ours, theirs = make_publication(), make_publication()
    make_article(permitted=True, title="Ours", publication=ours)
    make_article(permitted=True, title="Theirs", publication=theirs)
    assert public_titles() == {"Ours", "Theirs"}
    assert [a.title for a in ours.articles.public()] == ["Ours"]
    assert [a.title for a in theirs.articles.public()] == ["Theirs"]


def test_an_explicit_moment_is_answered_for_that_moment():
    article = make_article(status=Status.PUBLISHED, title="From 2030")
    make_permission(article=article, granted_on=datetime.date(2030, 1, 1))
    assert public_titles() == set()
    later = timezone.make_aware(datetime.datetime(2030, 6, 1, 12))
    assert list(Article.objects.public(at=later)) == [article]
    assert public_titles() == set()


def test_public_events_follow_their_reports():
    article = make_article(permitted=True)
    event = make_event(title="Clashes in Sirte")
    link_event(article, event)
    assert list(Event.objects.public()) == [event]
    article.permissions.update(expires_on=datetime.date(2017, 6, 30))
    # A bulk update sends no signal: the database moves the version itself.
    assert list(Event.objects.public()) == []


def test_public_in_bulk_answers_as_public_does_at_every_moment():
    """The form counts use (every permission in force read once) admits exactly the articles public() admits."""
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    standing, lapsed, plain = make_publication(), make_publication(), make_publication()
    make_permission(publication=standing, granted_on=today - 30 * day)
    make_permission(publication=lapsed, granted_on=today - 30 * day, expires_on=today - day)
    soon = timezone.now() + datetime.timedelta(hours=30)

    def published(title, publication=plain, status=Status.PUBLISHED, **permission):
        article = make_article(status=status, title=title, publication=publication)
        if permission:
            make_permission(article=article, **permission)
        return article

    published("Standing permission", publication=standing)
    published("Standing permission, draft", publication=standing, status=Status.DRAFT)
    published("Standing permission, withdrawn", publication=standing, status=Status.WITHDRAWN)
    published("Lapsed standing permission", publication=lapsed)
    published("Lapsed standing, own in force", publication=lapsed, granted_on=today - day)
    published("Own permission", granted_on=today)
    published("Own permission in review", status=Status.REVIEW, granted_on=today)
    published("Own permission from tomorrow", granted_on=today + day)
    published("Own permission expired", granted_on=today - 30 * day, expires_on=today - day)
    published("Own permission ends today", granted_on=today - 30 * day, expires_on=today)
    published(
        "Own permission revoked",
        granted_on=today - 30 * day,
        revoked_at=timezone.now() - day,
        revocation_reason="Ended early.",
    )
    published(
        "Own permission revoked tomorrow",
        granted_on=today - 30 * day,
        revoked_at=soon,
        revocation_reason="Ends tomorrow.",
    )
    published("No permission")
    moments = [None, timezone.now() - 40 * day, timezone.now() + 2 * day, timezone.now() + 60 * day]
    for at in moments:
        expected = set(Article.objects.all().public(at=at).values_list("title", flat=True))
        assert set(Article.objects.public_in_bulk(at=at).values_list("title", flat=True)) == expected, at
    assert public_titles() == {
        "Standing permission",
        "Lapsed standing, own in force",
        "Own permission",
        "Own permission ends today",
        "Own permission revoked tomorrow",
    }
