"""
The search page keeps what a search found (search.Hits: ids and capped counts)
for the editorial version: the same search again reads only the rows it shows,
and every editorial change (a withdrawal, a new article, a new alias) is seen by
the next search.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import search
from articles.models import Status
from register.models import ActorAlias

from .conftest import link_actor, make_actor, make_article

pytestmark = pytest.mark.django_db

# A repeated search: the articles with their tags' ids, and the events. The actors, places and
# tags it names are kept with its hits (views.named_items).
WARM_BUDGET = 2


@pytest.fixture(autouse=True)
def _rendered(settings):
    settings.ARCHIVE_PAGE_CACHE = False


def searched(client, query):
    response = client.get(reverse("articles:search"), {"q": query})
    assert response.status_code == 200
    context = response.context
    return {
        "articles": [article.title for article in context["articles"]],
        "article_count": context["article_count"],
        "events": [event.title for event in context["events"]],
        "actors": [actor.name for actor in context["actors"]],
        "aliases": [list(actor.aliases) for actor in context["actors"]],
        "snippets": [str(article.snippet) for article in context["articles"]],
    }


@pytest.mark.parametrize("size", [10, 100])
def test_a_repeated_search_shows_the_same_and_reads_only_what_it_shows(client, settings, size):
    settings.ARCHIVE_PAGE_SIZE = size
    brigade = make_actor(name="Ganfouda Brigade")
    for n in range(size + 5):
        article = make_article(
            permitted=True,
            title=f"Shelling near Ganfouda {n}",
            body=f"Shelling was heard near Ganfouda on day {n}.",
            tags=["benghazi", f"day-{n}"],
        )
        link_actor(article, brigade)
    first = searched(client, "Ganfouda")
    assert len(first["articles"]) == size
    assert first["article_count"] == min(size + 5, search.COUNT_CAP + 1)
    assert first["actors"] == ["Ganfouda Brigade"]
    assert all("<mark>Ganfouda</mark>" in snippet for snippet in first["snippets"])
    with CaptureQueriesContext(connection) as queries:
        again = searched(client, "Ganfouda")
    assert again == first
    assert len(queries) <= WARM_BUDGET, [query["sql"][:120] for query in queries.captured_queries]


def test_the_best_match_stays_first_when_the_hits_come_from_the_cache(client):
    for n in range(5):
        make_article(permitted=True, title=f"Report {n}", body="Derna was quiet. " * (n + 1))
    first = searched(client, "Derna")
    assert searched(client, "Derna")["articles"] == first["articles"]
    assert len(first["articles"]) == 5


def test_an_article_withdrawn_after_a_search_leaves_the_next_one(client):
    kept = make_article(permitted=True, title="Sirte port reopens")
    gone = make_article(permitted=True, title="Sirte curfew lifted")
    assert set(searched(client, "Sirte")["articles"]) == {kept.title, gone.title}
    gone.status = Status.WITHDRAWN
    gone.withdrawal_reason = "Permission revoked by the rights holder."
    gone.withdrawn_at = timezone.now()
    gone.save()
    after = searched(client, "Sirte")
    assert after["articles"] == [kept.title]
    assert after["article_count"] == 1


def test_an_article_published_after_a_search_is_found_by_the_next_one(client):
    make_article(permitted=True, title="Ajdabiya market")
    assert searched(client, "Ajdabiya")["article_count"] == 1
    make_article(permitted=True, title="Ajdabiya checkpoint")
    assert searched(client, "Ajdabiya")["article_count"] == 2


def test_a_new_alias_is_found_by_the_next_search(client):
    actor = make_actor(name="Libyan National Army")
    link_actor(make_article(permitted=True, title="Advance in Ganfouda"), actor)
    assert searched(client, "Haftar forces")["actors"] == []
    ActorAlias.objects.create(actor=actor, name="Haftar forces")
    assert searched(client, "Haftar forces")["actors"] == ["Libyan National Army"]


def test_a_named_actors_new_name_shows_at_the_next_search(client):
    actor = make_actor(name="Libyan National Army")
    link_actor(make_article(permitted=True, title="Advance in Ganfouda"), actor)
    assert searched(client, "Libyan National Army")["aliases"] == [[]]
    ActorAlias.objects.create(actor=actor, name="LNA")
    assert searched(client, "Libyan National Army")["aliases"] == [["LNA"]]
    actor.name = "Libyan Arab Armed Forces"
    actor.save()
    assert searched(client, "LNA")["actors"] == ["Libyan Arab Armed Forces"]


def test_different_queries_and_page_sizes_are_kept_apart(client, settings):
    make_article(permitted=True, title="Tobruk talks")
    make_article(permitted=True, title="Tripoli clashes")
    assert searched(client, "Tobruk")["articles"] == ["Tobruk talks"]
    assert searched(client, "Tripoli")["articles"] == ["Tripoli clashes"]
    settings.ARCHIVE_PAGE_SIZE = 1
    assert searched(client, "Tobruk")["articles"] == ["Tobruk talks"]
