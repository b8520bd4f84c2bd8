"""Shared test data helpers: small factories with sensible defaults."""

import datetime
import itertools

import pytest
from django.utils import timezone

from articles.models import (
    Article,
    ArticleActor,
    ArticleEvent,
    ArticlePlace,
    ProvenanceActivity,
    ProvenanceRecord,
    Publication,
    RepublicationPermission,
    Status,
)
from register.models import Actor, ActorAlias, Event, EventParticipant, Place

_counter = itertools.count(1)


def make_publication(**kwargs) -> Publication:
    n = next(_counter)
    kwargs.setdefault("name", f"Outlet {n}")
    return Publication.objects.create(**kwargs)


def make_permission(**kwargs) -> RepublicationPermission:
    if "article" not in kwargs and "publication" not in kwargs:
        raise ValueError("a permission covers an article or a publication")
    kwargs.setdefault("rights_holder", "The author")
    kwargs.setdefault("granted_on", datetime.date(2017, 1, 1))
    kwargs.setdefault("evidence", "This article was republished with explicit permission from the author.")
    kwargs.setdefault("attribution", "Republished with explicit permission from the author.")
    return RepublicationPermission.objects.create(**kwargs)


def make_article(*, permitted: bool = False, tags=(), **kwargs) -> Article:
    """An article; `permitted=True` adds a valid permission, status defaults to published then."""
    n = next(_counter)
    kwargs.setdefault("title", f"Article {n}")
    kwargs.setdefault("body", f"First paragraph of article {n}.\n\nSecond paragraph of article {n}.")
    kwargs.setdefault("original_date", datetime.date(2017, 7, 1) + datetime.timedelta(days=n % 300))
    if permitted:
        kwargs.setdefault("status", Status.PUBLISHED)
    if kwargs.get("status") == Status.PUBLISHED:
        kwargs.setdefault("published_at", timezone.now())
    if kwargs.get("status") == Status.WITHDRAWN:
        kwargs.setdefault("withdrawn_at", timezone.now())
        kwargs.setdefault("withdrawal_reason", "Permission revoked by the rights holder.")
    article = Article.objects.create(**kwargs)
    ProvenanceRecord.objects.append(article=article, activity=ProvenanceActivity.IMPORTED, agent="test")
    if permitted:
        make_permission(article=article)
    if tags:
        article.tags.add(*tags)
    return article


def make_actor(**kwargs) -> Actor:
    aliases = kwargs.pop("aliases", ())
    kwargs.setdefault("name", f"Actor {next(_counter)}")
    actor = Actor.objects.create(**kwargs)
    for alias in aliases:
        ActorAlias.objects.create(actor=actor, name=alias)
    return actor


def make_place(**kwargs) -> Place:
    kwargs.setdefault("name", f"Place {next(_counter)}")
    return Place.objects.create(**kwargs)


def make_event(*, participants=(), **kwargs) -> Event:
    kwargs.setdefault("title", f"Event {next(_counter)}")
    kwargs.setdefault("event_type", "battles")
    kwargs.setdefault("sub_event_type", "armed_clash")
    kwargs.setdefault("start_date", datetime.date(2017, 7, 10))
    event = Event.objects.create(**kwargs)
    for actor, side, role in participants:
        EventParticipant.objects.create(event=event, actor=actor, side=side, role=role)
    return event


def link_actor(article, actor) -> ArticleActor:
    return ArticleActor.objects.create(article=article, actor=actor)


def link_place(article, place) -> ArticlePlace:
    return ArticlePlace.objects.create(article=article, place=place)


def link_event(article, event, excerpt=None) -> ArticleEvent:
    return ArticleEvent.objects.create(article=article, event=event, excerpt=excerpt or article.paragraphs()[0])


@pytest.fixture(scope="module")
def _sample_archive_for_module(request, django_db_setup, django_db_blocker):
    """
    Loads the sample archive once per test module inside a transaction that is
    rolled back when the module ends; each test runs in a savepoint within it.
    """
    from django.core.management import call_command
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_sample", verbosity=0)
        request.module._sample_archive_loaded = True
        yield
        request.module._sample_archive_loaded = False
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with nothing cached, whatever an earlier test kept under its own version."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_sample_archive_by_accident(request):
    """Tests after the sample archive's first use in a module would see it: make that loud."""
    if getattr(request.module, "_sample_archive_loaded", False) and "sample_archive" not in request.fixturenames:
        pytest.fail(
            "The sample archive is loaded in this module from an earlier test: put the tests that use "
            "sample_archive after the others, or in a module of their own."
        )


@pytest.fixture
def sample_archive(_sample_archive_for_module, db):
    """The shipped sample archive, loaded as `make run` loads it."""
    return Article.objects.all()
