"""
The query budget of the pages the benchmark measures: a list page runs at most
four queries and a detail page at most six, at page sizes 10 and 100, and the
same number whatever the size of the archive. Counted on a request served
after the first, as readers are served: the first request after an editorial
change also counts the list's total and caches it (and is bounded too).
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article, ArticleActor, TaggedArticle
from register.models import Actor, Tag

pytestmark = pytest.mark.django_db

LIST_BUDGET = 4
DETAIL_BUDGET = 6
# The first request after an editorial change: the total, the tags' or actor's ids, the rows.
FIRST_REQUEST_BUDGET = 8
# The search page shows articles (and their tags), events, and the actors (and their aliases),
# places and tags the query names; its first request also finds them (articles.search.Hits).
SEARCH_BUDGET = 7
FIRST_SEARCH_BUDGET = 14


def generate(articles: int) -> None:
    call_command("generate_archive", articles=articles, seed=1, verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def pages() -> tuple[dict[str, str], dict[str, str]]:
    """The benchmark's pages, on data picked from the archive as bench/run.py picks it."""
    per_tag = list(TaggedArticle.objects.values("tag").annotate(n=Count("*")).order_by("-n", "tag"))
    slugs = dict(Tag.objects.values_list("pk", "slug"))
    popular, rare = slugs[per_tag[0]["tag"]], slugs[per_tag[-1]["tag"]]
    busiest = ArticleActor.objects.values("actor").annotate(n=Count("*")).order_by("-n", "actor").first()["actor"]
    actor = Actor.objects.get(pk=busiest)
    article = Article.objects.public().filter(event_links__isnull=False).order_by("-dated", "-id").first()
    event = article.event_links.select_related("event").first().event
    articles = reverse("articles:list")
    lists = {
        "list": articles,
        "deep page": f"{articles}?page=8",
        "popular tag": f"{articles}?tag={popular}",
        "rare tag": f"{articles}?tag={rare}",
        "two tags": f"{articles}?tag={popular}&tag={rare}",
        "actor": f"{articles}?actor={actor.slug}",
        "events": reverse("articles:event-list"),
        "actors": reverse("articles:actor-list"),
        "tag page": reverse("articles:tag", kwargs={"slug": popular}),
        "API articles": "/api/articles/",
        "API deep page": "/api/articles/?page=8",
        "API actors": "/api/actors/",
        "API tags": "/api/tags/",
    }
    details = {
        "article": article.get_absolute_url(),
        "event": event.get_absolute_url(),
        "actor": actor.get_absolute_url(),
        "API article": f"/api/articles/{article.slug}/",
    }
    return lists, details


def with_size(url: str, size: int) -> str:
    if not url.startswith("/api/"):
        return url
    return f"{url}{'&' if '?' in url else '?'}page_size={size}"


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_ACCEPT="text/html,application/json")
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("size", [10, 100])
def test_list_and_detail_pages_keep_their_budget(client, settings, size):
    settings.ARCHIVE_PAGE_SIZE = size
    settings.ARCHIVE_PAGE_CACHE = False
    generate(2000)
    lists, details = pages()
    for name, url in lists.items():
        url = with_size(url, size)
        first = queries(client, url)
        assert first <= FIRST_REQUEST_BUDGET, (name, first)
        assert queries(client, url) <= LIST_BUDGET, name
    for name, url in details.items():
        queries(client, url)
        assert queries(client, url) <= DETAIL_BUDGET, name


def searches() -> dict[str, str]:
    """The benchmark's two searches: a town's name (a place, and the words of a few articles) and a common word."""
    from register.models import Place, PlaceKind

    town = Place.objects.filter(kind=PlaceKind.CITY, article_links__isnull=False).exclude(name__contains=" ")
    town = town.order_by("pk").first()
    search = reverse("articles:search")
    return {"selective": f"{search}?q={town.name}", "common": f"{search}?q=forces"}


@pytest.mark.parametrize("size", [10, 100])
def test_search_pages_keep_their_budget(client, settings, size):
    settings.ARCHIVE_PAGE_SIZE = size
    settings.ARCHIVE_PAGE_CACHE = False
    generate(2000)
    for name, url in searches().items():
        first = queries(client, url)
        assert first <= FIRST_SEARCH_BUDGET, (name, first)
        assert queries(client, url) <= SEARCH_BUDGET, name
        assert client.get(url).context["article_count"] > 0, name


def test_pages_are_as_long_as_asked(client, settings):
    settings.ARCHIVE_PAGE_SIZE = 100
    settings.ARCHIVE_PAGE_CACHE = False
    generate(2000)
    lists, _ = pages()
    response = client.get(lists["list"])
    assert len(response.context["object_list"]) == 100
    assert len(client.get(with_size(lists["API articles"], 100)).json()["results"]) == 100


def test_budgets_do_not_grow_with_the_archive(client, settings):
    settings.ARCHIVE_PAGE_CACHE = False
    generate(300)
    small_lists, small_details = pages()
    small = {}
    for name, url in {**small_lists, **small_details}.items():
        queries(client, url)
        small[name] = queries(client, url)
    call_command("generate_archive", articles=1500, seed=2, clear=True, verbosity=0)
    large_lists, large_details = pages()
    for name, url in {**large_lists, **large_details}.items():
        queries(client, url)
        assert queries(client, url) == small[name], name
    # A search's count depends on what its words name (an actor, a place, a tag), not on the archive's size.
    for name, url in searches().items():
        queries(client, url)
        assert queries(client, url) <= SEARCH_BUDGET, name


def test_the_article_api_reads_every_link_of_a_page_in_one_query(client, settings):
    settings.ARCHIVE_PAGE_CACHE = False
    generate(300)
    client.get("/api/articles/")
    with CaptureQueriesContext(connection) as captured:
        body = client.get("/api/articles/").json()
    unions = [q["sql"] for q in captured.captured_queries if "UNION ALL" in q["sql"]]
    assert len(unions) == 1
    first = body["results"][0]
    article = Article.objects.get(slug=first["slug"])
    assert sorted(tag["slug"] for tag in first["tags"]) == sorted(article.tags.values_list("slug", flat=True))
    assert [actor["slug"] for actor in first["actors"]] == list(
        article.actors.order_by("name", "id").values_list("slug", flat=True)
    )
    assert [record["position"] for record in first["provenance"]] == list(
        article.provenance.order_by("position").values_list("position", flat=True)
    )
    assert first["permission"]["rights_holder"] == article.current_permission().rights_holder


# The event API reads the editorial version, its events, then their tags, participants, public sources
# and public parents: one query each, whatever the page's length (above the list budget: its links are
# not yet one query).
EVENT_API_BUDGET = 6


@pytest.mark.parametrize("size", [10, 100])
def test_the_event_api_keeps_its_budget_and_shows_public_sources_only(client, settings, size):
    settings.ARCHIVE_PAGE_CACHE = False
    generate(2000)
    url = f"/api/events/?page_size={size}"
    queries(client, url)
    assert queries(client, url) <= EVENT_API_BUDGET
    results = client.get(url).json()["results"]
    public = set(Article.objects.public().values_list("slug", flat=True))
    sources = [source for event in results for source in event["sources"]]
    assert sources and all(source["article"]["slug"] in public for source in sources)
