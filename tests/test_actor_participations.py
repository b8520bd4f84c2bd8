"""
An actor's page lists the first page of its public participations by side, role
and newest event, asked of the first few pages' worth in that order; when those
hold too few public ones, of all of them. Either way, the list is the one the
whole question gives.
"""

import datetime

import pytest
from django.urls import reverse

from articles import visibility
from register.models import EventParticipant

from .conftest import link_actor, link_event, make_actor, make_article, make_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rendered(settings):
    settings.ARCHIVE_PAGE_CACHE = False


def expected(actor, size):
    """The page, asked of every participation."""
    public = EventParticipant.objects.filter(actor=actor).filter(visibility.public_event("event_id"))
    ordered = public.order_by("side", "role", "-event__start_date", "-event__id")
    return [participation.event.title for participation in ordered[:size]]


def shown(client, actor):
    response = client.get(reverse("articles:actor-detail", kwargs={"slug": actor.slug}))
    assert response.status_code == 200
    return [participation.event.title for participation in response.context["participations"]]


def build(actor, reported, count):
    """`count` events of the actor, one a day from 2016-01-01; those `reported(n)` says have a public report."""
    article = make_article(permitted=True, title="Weekly brief")
    link_actor(article, actor)
    for n in range(count):
        event = make_event(
            title=f"Clash {n:03d}",
            start_date=datetime.date(2016, 1, 1) + datetime.timedelta(days=n),
            participants=[(actor, "actor_1", "primary")],
        )
        if reported(n):
            link_event(article, event)


def test_the_newest_public_participations_come_first(client, settings):
    settings.ARCHIVE_PAGE_SIZE = 10  # events are listed 50 at a time at least
    actor = make_actor(name="Misrata brigades")
    build(actor, lambda n: n % 3 == 0, 180)
    page = shown(client, actor)
    assert len(page) == 50
    assert page == expected(actor, 50)
    assert page[0] == "Clash 177"


def test_public_participations_beyond_the_first_pages_are_found(client, settings):
    settings.ARCHIVE_PAGE_SIZE = 10
    actor = make_actor(name="Benghazi Defence Brigades")
    # The 210 newest events have no public report: the first four pages' worth hold none.
    build(actor, lambda n: n < 20, 230)
    page = shown(client, actor)
    assert page == expected(actor, 50)
    assert page == [f"Clash {n:03d}" for n in range(19, -1, -1)]
