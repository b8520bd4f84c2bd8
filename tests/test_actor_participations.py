"""
An actor's page lists the first page of its public participations by side, role
and newest event, asked of the first few pages' worth in that order; when those
hold too few public ones, of all of them. Either way, the list is the one the
whole question gives.
"""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from articles import visibility
from register import participant_dates as participant_dates_module
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


# --------------------------------------------------------------------------
# Each participant carries its event's start date (register.participant_dates)
# --------------------------------------------------------------------------


def participant_dates(event) -> set:
    return set(EventParticipant.objects.filter(event=event).values_list("event_start", flat=True))


def test_participants_carry_their_events_date_however_written():
    first, second = make_actor(name="Tariq Bin Ziyad"), make_actor(name="Rada")
    event = make_event(start_date=datetime.date(2017, 5, 2), participants=[(first, "actor_1", "primary")])
    EventParticipant.objects.bulk_create([EventParticipant(event=event, actor=second, side="actor_2")])
    assert participant_dates(event) == {datetime.date(2017, 5, 2)}
    participant = EventParticipant.objects.get(event=event, actor=first)
    participant.event_start = datetime.date(1999, 1, 1)  # not editable: the database puts the event's date back
    participant.save()
    assert participant_dates(event) == {datetime.date(2017, 5, 2)}
    event.start_date = datetime.date(2017, 6, 9)
    event.save()
    assert participant_dates(event) == {datetime.date(2017, 6, 9)}
    type(event).objects.filter(pk=event.pk).update(start_date=datetime.date(2017, 7, 1))
    assert participant_dates(event) == {datetime.date(2017, 7, 1)}
    other = make_event(start_date=datetime.date(2016, 1, 1))
    EventParticipant.objects.filter(event=event, actor=second).update(event=other)
    assert participant_dates(other) == {datetime.date(2016, 1, 1)}


def test_a_synthetic_archive_loads_its_participants_dated():
    from django.db.models import F

    from articles import synthetic

    synthetic.generate_archive(articles=60, seed=5)
    participants = EventParticipant.objects.all()
    assert participants.exists()
    assert not participants.exclude(event_start=F("event__start_date")).exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite drops a table's triggers when it rebuilds it")
def test_triggers_dropped_by_a_table_rebuild_come_back_with_every_date():
    actor = make_actor(name="Sabratha brigade")
    event = make_event(start_date=datetime.date(2017, 3, 4), participants=[(actor, "actor_1", "primary")])
    with connection.cursor() as cursor:
        for name in participant_dates_module.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute("UPDATE register_eventparticipant SET event_start = NULL")
    participant_dates_module.ensure_triggers()
    assert participant_dates(event) == {datetime.date(2017, 3, 4)}
    event.start_date = datetime.date(2017, 1, 1)
    event.save()
    assert participant_dates(event) == {datetime.date(2017, 1, 1)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's")
def test_an_actors_first_participations_are_read_from_their_index_in_order():
    actor = make_actor(name="Central Security")
    for n in range(300):
        make_event(
            start_date=datetime.date(2016, 1, 1) + datetime.timedelta(days=n),
            participants=[(actor, "actor_1", "primary")],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE register_eventparticipant")
        # A test archive is small enough to read whole: ask whether an index gives the order by itself.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    mine = EventParticipant.objects.filter(actor=actor)
    candidates = mine.order_by("side", "role", "-event_start", "-event_id").values("event_id")[:200]
    plan = candidates.explain()
    assert "using participant_actor_order" in plan, plan
    assert "Sort" not in plan and "register_event " not in plan, plan
