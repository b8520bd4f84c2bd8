"""
Search, detail pages and the admin changelist at archive scale: the plans
PostgreSQL picks for search (the stored document's GIN index, never a scan of
every article) and the number of queries each page runs.
"""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from articles import search
from articles.models import Article, ArticleActor
from register.models import Actor

from .accounts import make_user

pytestmark = pytest.mark.django_db

DETAIL_QUERIES = 6
# The editorial version, the article, every link it has in one query (articles.relations), its related
# articles (found, then read).
ARTICLE_QUERIES = 5
# Session, user, permissions, the filters' choices, an estimated count, the rows and their tags.
CHANGELIST_QUERIES = 13


@pytest.fixture
def generated():
    call_command("generate_archive", articles=2000, seed=1, verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the plans of PostgreSQL")


def plan(queryset) -> str:
    """
    The plan with sequential scans priced out: a table of a few thousand rows is
    cheaper to read whole, so this asks whether an index path exists at all, as
    it must for the 100,000-article archive the benchmark measures.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def scans_articles(text: str) -> bool:
    """A sequential scan of the article table itself (not of articles_articleactor and the like)."""
    return re.search(r"Seq Scan on articles_article(?!\w)", text) is not None


def rare_word() -> str:
    """A town's name that a few articles' text holds: a selective search."""
    for article in Article.objects.public().order_by("id")[:50]:
        for word in search.terms(article.title):
            if len(word) > 5 and word[0].isupper():
                return word
    pytest.fail("no capitalised word in the titles")


def test_search_matches_through_the_gin_index_of_the_stored_document(generated):
    postgresql_only()
    word = rare_word()
    # The match alone, unordered: ordered by date, the planner may walk the date index instead.
    matching = (
        Article.objects.order_by().alias(document=search.StoredDocument()).filter(document=search._search_query(word))
    )
    text = plan(matching)
    assert "article_search_document_gin" in text
    assert matching.exists()


def test_selective_search_reads_no_article_table_whole(generated):
    postgresql_only()
    word = rare_word()
    best, matched = search.best_articles(Article.objects.public(), word)
    assert not scans_articles(plan(best[:20]))
    assert not scans_articles(plan(matched.order_by().values("pk")[:101]))
    assert best.exists()


def test_common_search_walks_the_newest_articles_and_ranks_a_bounded_set(generated):
    postgresql_only()
    best, matched = search.best_articles(Article.objects.public(), "forces")
    assert not scans_articles(plan(best[:20]))
    assert search.frequent("forces")
    assert matched.order_by().values("pk")[: search.COUNT_CAP + 1].count() == search.COUNT_CAP + 1


def test_alias_search_finds_every_public_article_linked_to_the_actor(client, generated):
    from register.models import ActorAlias

    alias = ActorAlias.objects.select_related("actor").order_by("id").first()
    response = client.get(reverse("articles:search"), {"q": alias.name})
    assert alias.actor.name in [actor.name for actor in response.context["actors"]]
    _, matched = search.best_articles(Article.objects.public(), alias.name)
    linked = set(Article.objects.public().filter(actor_links__actor=alias.actor).values_list("pk", flat=True))
    assert linked
    assert linked <= set(matched.values_list("pk", flat=True))


def test_detail_pages_run_a_bounded_number_of_queries(client, django_assert_max_num_queries, generated, settings):
    settings.ARCHIVE_PAGE_CACHE = False
    article = Article.objects.public().filter(event_links__isnull=False).order_by("-dated", "-id").first()
    event = article.event_links.select_related("event").first().event
    busiest = ArticleActor.objects.values("actor").order_by("actor").first()["actor"]
    actor = Actor.objects.get(pk=busiest)
    pages = [
        (article.get_absolute_url(), ARTICLE_QUERIES),
        (event.get_absolute_url(), DETAIL_QUERIES),
        (actor.get_absolute_url(), DETAIL_QUERIES),
    ]
    for url, most in pages:
        client.get(url)
        with django_assert_max_num_queries(most):
            response = client.get(url)
        assert response.status_code == 200, url


def test_search_page_runs_a_bounded_number_of_queries(client, django_assert_max_num_queries, generated, settings):
    settings.ARCHIVE_PAGE_CACHE = False
    for query in ("forces", rare_word()):
        with django_assert_max_num_queries(12):
            response = client.get(reverse("articles:search"), {"q": query})
        assert response.status_code == 200


def test_admin_changelist_counts_no_whole_table(client, django_assert_max_num_queries, generated, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    from articles.admin import EstimatedCountPaginator

    # 2,000 articles are counted exactly; make them count as an archive.
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 0)
    client.force_login(make_user("publisher"))
    url = reverse("admin:articles_article_changelist")
    client.get(url)
    with django_assert_max_num_queries(CHANGELIST_QUERIES), CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    whole = [q["sql"] for q in captured.captured_queries if q["sql"].rstrip().endswith('FROM "articles_article"')]
    assert not [sql for sql in whole if sql.startswith("SELECT COUNT(*)")]
    assert len(response.context["cl"].result_list) > 0


def test_related_articles_are_read_by_their_ids_not_by_walking_the_public_ones(generated):
    from articles import relations
    from articles.views import ArticleDetailView

    article = Article.objects.public().filter(event_links__isnull=False).order_by("-dated", "-id").first()
    relations.load([article])
    related = ArticleDetailView().related(article, article.links.events)
    assert related
    if connection.vendor == "postgresql":
        text = plan(related)
        assert not scans_articles(text)
        assert "articles_article_pkey" in text
    else:
        # Without statistics, SQLite walked the status index of every public article instead.
        text = related.explain()
        assert re.search(r"SEARCH articles_article USING INTEGER PRIMARY KEY", text), text
        assert not re.search(r"SCAN articles_article\b", text), text
