"""A lapse answers 410: what readers saw keeps a tombstone when its permission ends; what they never saw stays 404."""

import datetime

import pytest
from django.utils import timezone

from articles.models import Article, Status
from tests.conftest import (
    link_actor,
    link_event,
    link_place,
    make_actor,
    make_article,
    make_event,
    make_permission,
    make_place,
    make_publication,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def published_long_ago(**kwargs):
    """A published article readers have seen for a year, with no permission yet."""
    kwargs.setdefault("published_at", timezone.now() - datetime.timedelta(days=365))
    return make_article(status=Status.PUBLISHED, body="Secret first paragraph.\n\nSecret second paragraph.", **kwargs)


def revoke(permission, when=None):
    permission.revoked_at = when or timezone.now() - DAY
    permission.revocation_reason = "The rights holder asked us to stop."
    permission.save()


def test_article_whose_permission_was_revoked_answers_410_saying_why_and_since_when(client):
    article = published_long_ago(title="Revoked report", original_url="https://example.org/revoked")
    permission = make_permission(article=article, granted_on=datetime.date(2020, 1, 1))
    assert client.get(article.get_absolute_url()).status_code == 200
    revoke(permission, timezone.now() - 2 * DAY)

    response = client.get(article.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 410
    assert "Revoked report" in page
    assert "permission to republish it was revoked" in page
    assert timezone.localdate(permission.revoked_at).strftime("%-d %B %Y") in page
    assert "https://example.org/revoked" in page
    assert article.body_sha256 in page  # its provenance stays
    assert "Secret" not in page


def test_article_whose_permission_expired_answers_410_from_the_day_after_its_last(client):
    article = published_long_ago(title="Expired report")
    last_day = timezone.localdate() - 3 * DAY
    make_permission(article=article, granted_on=datetime.date(2020, 1, 1), expires_on=last_day)

    response = client.get(article.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 410
    assert "permission to republish it expired" in page
    assert (last_day + DAY).strftime("%-d %B %Y") in page
    assert "Secret" not in page


def test_article_lapsed_under_a_standing_agreement_answers_410(client):
    outlet = make_publication(name="Standing outlet")
    article = published_long_ago(publication=outlet)
    revoke(make_permission(publication=outlet, granted_on=datetime.date(2020, 1, 1)))
    assert client.get(article.get_absolute_url()).status_code == 410


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REVIEW])
def test_article_never_published_answers_404_whatever_its_permission(client, status):
    article = make_article(status=status)
    make_permission(article=article, granted_on=datetime.date(2020, 1, 1), expires_on=timezone.localdate() - DAY)
    assert client.get(article.get_absolute_url()).status_code == 404


def test_article_whose_permission_ended_before_it_was_published_answers_404(client):
    article = make_article(status=Status.PUBLISHED, published_at=timezone.now())
    make_permission(article=article, granted_on=datetime.date(2017, 1, 1), expires_on=datetime.date(2017, 12, 31))
    revoked = make_article(status=Status.PUBLISHED, published_at=timezone.now())
    revoke(make_permission(article=revoked), timezone.now() - DAY)
    assert client.get(article.get_absolute_url()).status_code == 404
    assert client.get(revoked.get_absolute_url()).status_code == 404


def test_lapsed_is_one_queryset_and_excludes_what_is_public_now():
    lapsed = published_long_ago()
    revoke(make_permission(article=lapsed, granted_on=datetime.date(2020, 1, 1)))
    renewed = published_long_ago()
    revoke(make_permission(article=renewed, granted_on=datetime.date(2020, 1, 1)))
    make_permission(article=renewed)
    never = make_article(status=Status.PUBLISHED)
    assert list(Article.objects.lapsed()) == [lapsed]
    assert set(Article.objects.once_public()) == {lapsed}
    assert never not in Article.objects.once_public()
    assert lapsed.lapse().reason == "revoked"


def test_api_article_detail_answers_410_with_a_short_body_and_no_text(client):
    article = published_long_ago(title="Lapsed in the API")
    make_permission(article=article, granted_on=datetime.date(2020, 1, 1), expires_on=timezone.localdate() - DAY)
    response = client.get(f"/api/articles/{article.slug}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 410
    assert response.json() == {
        "detail": "This article is no longer shown: the permission to republish it expired.",
        "slug": article.slug,
        "not_shown_since": timezone.localdate().isoformat(),
    }
    never = make_article(status=Status.PUBLISHED)
    assert client.get(f"/api/articles/{never.slug}/", HTTP_ACCEPT="application/json").status_code == 404


def register_of(article):
    """An event, an actor and a place that only `article` refers to."""
    place = make_place(name="Lonely place")
    actor = make_actor(name="Lonely actor")
    event = make_event(title="Lonely event", place=make_place(name="Lonely site", parent=place))
    link_event(article, event)
    link_actor(article, actor)
    link_place(article, place)
    return event, actor, place


def test_register_pages_that_lost_their_last_public_source_answer_410_with_a_sentence(client):
    article = published_long_ago()
    permission = make_permission(article=article, granted_on=datetime.date(2020, 1, 1))
    event, actor, place = register_of(article)
    pages = [event.get_absolute_url(), actor.get_absolute_url(), place.get_absolute_url()]
    assert [client.get(url).status_code for url in pages] == [200, 200, 200]
    revoke(permission)

    for url, name, sentence in [
        (pages[0], "Lonely event", "The articles that reported this event are no longer shown"),
        (pages[1], "Lonely actor", "The articles and events that named this actor are no longer shown"),
        (pages[2], "Lonely place", "The articles and events that named this place"),
    ]:
        response = client.get(url)
        assert response.status_code == 410, url
        assert name in response.content.decode() and sentence in response.content.decode()
    for endpoint, item in [("events", event), ("actors", actor), ("places", place)]:
        response = client.get(f"/api/{endpoint}/{item.slug}/", HTTP_ACCEPT="application/json")
        assert response.status_code == 410
        assert response.json()["slug"] == item.slug


def test_register_pages_of_a_withdrawn_article_answer_410(client):
    article = make_article(status=Status.WITHDRAWN)
    make_permission(article=article)
    event, actor, place = register_of(article)
    assert [client.get(item.get_absolute_url()).status_code for item in (event, actor, place)] == [410] * 3


def test_register_pages_only_drafts_refer_to_answer_404(client):
    draft = make_article(status=Status.DRAFT)
    make_permission(article=draft)
    event, actor, place = register_of(draft)
    assert [client.get(item.get_absolute_url()).status_code for item in (event, actor, place)] == [404] * 3
    for endpoint, item in [("events", event), ("actors", actor), ("places", place)]:
        assert client.get(f"/api/{endpoint}/{item.slug}/", HTTP_ACCEPT="application/json").status_code == 404
