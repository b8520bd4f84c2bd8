"""
PostgreSQL's plans for the article list and its tag filters: every query a list
page runs reads articles and tag links through an index, never by scanning the
whole table. The archive is a synthetic one of a few thousand articles with
fresh statistics, so the planner weighs real sizes.
"""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import synthetic
from articles.models import TaggedArticle
from register.models import Tag

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's"),
]

SEQUENTIAL_SCANS = ("Seq Scan on articles_article", "Seq Scan on articles_taggedarticle")


@pytest.fixture(scope="module")
def _synthetic_archive(django_db_setup, django_db_blocker):
    """Generated once for the module inside a transaction rolled back at its end."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        synthetic.generate_archive(articles=3000, seed=1)
        per_tag = list(TaggedArticle.objects.values("tag").annotate(n=Count("*")).order_by("-n", "tag"))
        slugs = dict(Tag.objects.values_list("pk", "slug"))
        mid = min(per_tag, key=lambda row: abs(row["n"] - 30))
        rare = min((row for row in per_tag if row["n"] >= 5), key=lambda row: row["n"])
        yield {"popular": slugs[per_tag[0]["tag"]], "mid": slugs[mid["tag"]], "rare": slugs[rare["tag"]]}
        transaction.set_rollback(True)


@pytest.fixture
def archive(_synthetic_archive, db, settings):
    settings.ARCHIVE_PAGE_CACHE = False
    return _synthetic_archive


def plans(client, url) -> list[tuple[str, str]]:
    """The plan of every query the page runs once its counts are cached."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    found = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if query["sql"].startswith("SELECT"):
                cursor.execute("EXPLAIN " + query["sql"])
                found.append((query["sql"], "\n".join(row[0] for row in cursor.fetchall())))
    assert found
    return found


def assert_indexed(client, url):
    for sql, plan in plans(client, url):
        for scan in SEQUENTIAL_SCANS:
            assert scan not in plan, f"{url}\n{sql}\n{plan}"


def test_article_list_reads_articles_and_tag_links_through_indexes(client, archive):
    assert_indexed(client, reverse("articles:list"))


def test_deep_list_page_reads_through_indexes(client, archive, settings):
    settings.ARCHIVE_PAGE_SIZE = 10
    assert_indexed(client, reverse("articles:list") + "?page=40")


@pytest.mark.parametrize("frequency", ["popular", "mid", "rare"])
def test_tag_filter_reads_through_indexes(client, archive, frequency):
    assert_indexed(client, reverse("articles:list") + "?" + urlencode({"tag": archive[frequency]}))


def test_two_tag_filter_reads_through_indexes(client, archive):
    query = urlencode([("tag", archive["popular"]), ("tag", archive["mid"])])
    assert_indexed(client, reverse("articles:list") + "?" + query)


@pytest.mark.parametrize("frequency", ["popular", "mid", "rare"])
def test_tag_list_reads_the_newest_links_of_its_tag_first(client, archive, frequency, settings):
    """The page's rows come from the (tag, dated, article) index, on the first page and on a deep one."""
    settings.ARCHIVE_PAGE_SIZE = 5
    for page in (1, 8):
        url = reverse("articles:list") + "?" + urlencode({"tag": archive[frequency], "page": page})
        if client.get(url).status_code == 404:
            continue
        listing = [plan for sql, plan in plans(client, url) if '"articles_article"."title"' in sql]
        assert listing and "tagged_article_tag_dated" in listing[0], f"{url}\n{listing}"


@pytest.mark.parametrize("model_name", ["actor", "place"])
def test_the_register_admin_search_can_answer_from_trigram_indexes(archive, rf, model_name):
    """Each id set of a name or alias search has an index to come from, whatever the register's size."""
    from django.contrib import admin
    from django.contrib.auth.models import User

    from register.models import Actor, Place

    model = {"actor": Actor, "place": Place}[model_name]
    request = rf.get("/admin/")
    request.user = User(is_superuser=True, is_staff=True)
    found, _ = admin.site.get_model_admin(model).get_search_results(request, model.objects.all(), "ahme")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = found.values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for index in (
        f"{model_name}_name_trigrams",
        f"{model_name}_name_key_trigrams",
        f"{model_name}_alias_name_key_trigrams",
    ):
        assert index in plan, plan
    assert f"Seq Scan on register_{model_name}alias" not in plan, plan
