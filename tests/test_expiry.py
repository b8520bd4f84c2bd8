"""A permission that expires hides its article from the next request, with no job to run."""

import datetime

import pytest
from django.utils import timezone

from .conftest import link_actor, link_event, make_actor, make_article, make_event, make_permission

pytestmark = pytest.mark.django_db


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def expiring(db):
    article = make_article(status="published", published_at=timezone.now(), title="Expiring brief", tags=["Sirte"])
    make_permission(article=article, granted_on=datetime.date(2017, 1, 1), expires_on=datetime.date(2030, 6, 30))
    actor = make_actor(name="Ghassan Salame", slug="ghassan-salame")
    event = make_event(title="Salame reports to the Security Council", slug="salame-reports")
    link_actor(article, actor)
    link_event(article, event)
    return article


# Each path, and what it shows of the article while the article is public.
PATHS = {
    "/articles/": b"expiring-brief",
    "/tags/": b"Sirte",
    "/search/?q=Expiring": b"expiring-brief",
    "/api/articles/": b"expiring-brief",
    "/feeds/articles/": b"expiring-brief",
    "/sitemap-articles.xml": b"expiring-brief",
    "/export/events.csv": b"salame-reports",
}


def read(client, path) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_an_expired_permission_hides_the_article_everywhere_from_the_day_after(client, expiring, monkeypatch):
    detail = expiring.get_absolute_url()

    monkeypatch.setattr(timezone, "now", lambda: at(datetime.date(2030, 6, 30)))
    assert client.get(detail).status_code == 200
    for path, marker in PATHS.items():
        assert marker in read(client, path), path
    assert client.get("/events/salame-reports/").status_code == 200
    assert client.get("/actors/ghassan-salame/").status_code == 200

    monkeypatch.setattr(timezone, "now", lambda: at(datetime.date(2030, 7, 1)))
    # Lapsed, not unknown: the article and what only it named answer 410 Gone.
    assert client.get(detail).status_code == 410
    for path, marker in PATHS.items():
        assert marker not in read(client, path), path
    assert client.get("/events/salame-reports/").status_code == 410
    assert client.get("/actors/ghassan-salame/").status_code == 410
    assert client.get(f"/api/articles/{expiring.slug}/").status_code == 410
