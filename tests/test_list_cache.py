"""Cached counts and pages on the public lists: fast, and never stale for readers."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import cache, public, workflow
from articles.models import Article, Status
from tests.accounts import make_user
from tests.conftest import make_article, make_permission, make_publication
from tests.test_public_views import populate as populate_web

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    reverse("articles:home"),
    reverse("articles:list"),
    reverse("articles:list") + "?tag=bulk",
    reverse("articles:list") + "?tag=bulk&tag=common",
    reverse("articles:list") + "?page=2",
    reverse("articles:event-list"),
    reverse("articles:actor-list"),
    reverse("articles:tag-list"),
    reverse("articles:tag", kwargs={"slug": "bulk"}),
]


def titles(response):
    return [article.title for article in response.context["object_list"]]


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.fixture
def uncached_pages(settings):
    settings.ARCHIVE_PAGE_CACHE = False
    return settings


def test_withdrawn_article_leaves_the_cached_list_at_the_next_request(client):
    publisher = make_user("publisher")
    kept = make_article(permitted=True, title="Kept report", tags=["benghazi"])
    gone = make_article(permitted=True, title="Report to withdraw", tags=["benghazi"])
    url = reverse("articles:list") + "?tag=benghazi"
    first = client.get(url)
    assert {"Kept report", "Report to withdraw"} <= set(titles(first))
    assert client.get(url).content == first.content  # served from the page cache
    workflow.withdraw(article=gone, user=publisher, reason="The rights holder asked us to.")
    for page in (url, reverse("articles:list"), reverse("articles:home")):
        assert "Report to withdraw" not in client.get(page).content.decode(), page
    assert "Kept report" in client.get(url).content.decode()
    assert client.get(reverse("articles:tag", kwargs={"slug": "benghazi"})).context["tag"].article_count == 1
    assert kept.pk in Article.objects.public().values_list("pk", flat=True)


def test_revoked_permission_empties_the_cached_counts_and_cloud(client):
    article = make_article(title="Only report", tags=["misrata"], status=Status.PUBLISHED)
    permission = make_permission(article=article)
    assert "misrata" in client.get(reverse("articles:tag-list")).content.decode()
    assert "1 article" in client.get(reverse("articles:list")).content.decode()
    permission.revoked_at = timezone.now()
    permission.revocation_reason = "Asked to stop."
    permission.save()
    assert "misrata" not in client.get(reverse("articles:tag-list")).content.decode()
    assert "0 articles" in client.get(reverse("articles:list")).content.decode()
    assert client.get(reverse("articles:tag", kwargs={"slug": "misrata"})).status_code == 404
    assert client.get(reverse("articles:list") + "?tag=misrata").context["filter_errors"]


def test_a_revocation_set_for_later_takes_effect_when_its_time_comes(client, monkeypatch):
    article = make_article(title="Report until noon", status=Status.PUBLISHED)
    soon = timezone.now() + datetime.timedelta(minutes=5)
    make_permission(article=article, revoked_at=soon, revocation_reason="Agreed end of the licence.")
    assert titles(client.get(reverse("articles:list"))) == ["Report until noon"]
    later = soon + datetime.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert titles(client.get(reverse("articles:list"))) == []


def test_a_new_tag_link_shows_at_once(client):
    article = make_article(permitted=True, title="Tagged later")
    assert client.get(reverse("articles:list") + "?tag=sirte").context["filter_errors"]
    article.tags.add("Sirte")
    assert titles(client.get(reverse("articles:list") + "?tag=sirte")) == ["Tagged later"]
    assert "Sirte" in client.get(reverse("articles:tag-list")).content.decode()


def test_a_bulk_generated_archive_replaces_the_version(client):
    token = cache.version()
    from articles import synthetic

    synthetic.generate_archive(articles=20, seed=3)
    assert cache.version() != token
    assert client.get(reverse("articles:list")).context["paginator"].count == Article.objects.public().count()


def version_reads(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "archive_editorial_version" in query["sql"]]


def test_anonymous_pages_are_served_from_the_cache_after_one_read_of_the_version(client):
    make_article(permitted=True, title="Cached report")
    client.get(reverse("articles:list"))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("articles:list")).status_code == 200
    assert len(captured) == 1 and len(version_reads(captured)) == 1


def test_a_kept_page_costs_one_read_of_the_cache(client, monkeypatch):
    from django.core.cache import cache as default_cache

    make_article(permitted=True, title="Cached report")
    first = client.get(reverse("articles:list"))
    reads, depth = [], []

    def counted(name, original):
        def read(*args, **kwargs):
            if not depth:  # the local-memory cache's get_many calls its own get for each key
                reads.append(name)
            depth.append(name)
            try:
                return original(*args, **kwargs)
            finally:
                depth.pop()

        return read

    for name in ("get", "get_many", "has_key"):
        monkeypatch.setattr(default_cache, name, counted(name, getattr(default_cache, name)))
    with CaptureQueriesContext(connection) as captured:
        again = client.get(reverse("articles:list"))
    assert again.content == first.content
    assert reads == ["get_many"] and len(captured) == len(version_reads(captured)) == 1


def test_a_page_that_varies_on_a_header_is_not_kept(client, monkeypatch):
    from django.http import HttpResponse

    from articles import middleware

    response = HttpResponse("varies")
    response["Vary"] = "Accept-Language"
    request = client.get(reverse("articles:list")).wsgi_request
    assert middleware.cacheable_response(request, HttpResponse("plain"))
    assert not middleware.cacheable_response(request, response)


def test_signed_in_readers_never_get_a_cached_page(client):
    make_article(permitted=True, title="Report for staff")
    client.force_login(make_user("editor"))
    client.get(reverse("articles:list"))
    assert queries(client, reverse("articles:list")) > 0


def test_the_page_cache_can_be_turned_off(client, uncached_pages):
    make_article(permitted=True, title="Uncached report")
    client.get(reverse("articles:list"))
    assert queries(client, reverse("articles:list")) > 0


def test_deep_pages_found_by_key_match_pages_found_by_offset(client, uncached_pages):
    uncached_pages.ARCHIVE_PAGE_SIZE = 3
    outlet = make_publication(name="Dated outlet")
    make_permission(publication=outlet)
    day = datetime.date(2017, 3, 1)
    # Several articles share each date, so the id breaks ties across page boundaries.
    for i in range(40):
        make_article(
            title=f"Report {i:02}",
            status=Status.PUBLISHED,
            publication=outlet,
            original_date=day - datetime.timedelta(i // 4),
        )
    expected = list(Article.objects.public().order_by("-dated", "-id").values_list("title", flat=True))
    pages = [titles(client.get(reverse("articles:list"), {"page": n})) for n in range(1, 15)]
    assert [title for page in pages for title in page] == expected
    assert client.get(reverse("articles:list"), {"page": 15}).status_code == 404
    assert client.get(reverse("articles:list"), {"page": 9}).context["page_obj"].start_index() == 25


def test_tag_filter_resolves_each_tag_once_and_ands_them(client):
    both = make_article(permitted=True, title="Both tags", tags=["Benghazi", "ISIS"])
    make_article(permitted=True, title="One tag", tags=["Benghazi"])
    make_article(title="Hidden both", status=Status.DRAFT, tags=["Benghazi", "ISIS"])
    response = client.get(reverse("articles:list"), {"tag": ["benghazi", "ISIS"]})
    assert titles(response) == [both.title]
    assert [chip["value"] for chip in response.context["chips"]] == ["Benghazi", "ISIS"]


def test_tag_counts_are_one_group_by_per_version(django_assert_max_num_queries):
    make_article(permitted=True, tags=["a", "b"])
    make_article(permitted=True, tags=["a"])
    make_article(status=Status.DRAFT, tags=["a", "c"])
    with cache.one_version():
        cache.version()
        with django_assert_max_num_queries(2):
            counts = public.tag_counts()
        with django_assert_max_num_queries(0):
            assert public.tag_counts() == counts
    assert sorted(counts.values()) == [(1, 0), (2, 0)]


def populate(n, prefix="Bulk"):
    data = populate_web(n, prefix=prefix)
    for article in data["articles"][: n // 2]:
        article.tags.add("common")
    return data


@pytest.mark.parametrize("size", [10, 100])
def test_list_pages_run_at_most_four_queries_once_counts_are_cached(client, uncached_pages, size):
    uncached_pages.ARCHIVE_PAGE_SIZE = size
    populate(size * 2 + 1)
    for url in LIST_PAGES:
        client.get(url)
        assert queries(client, url) <= 4, url


def test_list_query_counts_do_not_grow_with_the_archive(client, uncached_pages):
    uncached_pages.ARCHIVE_PAGE_SIZE = 5
    populate(12)
    small = {url: (client.get(url), queries(client, url))[1] for url in LIST_PAGES}
    populate(30, prefix="More")
    for url in LIST_PAGES:
        client.get(url)
        assert queries(client, url) == small[url], url


def test_totals_and_deep_page_keys_are_computed_once_per_version(client, uncached_pages):
    uncached_pages.ARCHIVE_PAGE_SIZE = 2
    for _ in range(16):
        make_article(permitted=True, tags=["bulk"])
    for url in (reverse("articles:list") + "?page=7", reverse("articles:list") + "?tag=bulk&page=7"):
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        sql = " ".join(query["sql"] for query in captured.captured_queries)
        assert "COUNT(" not in sql, url
        assert "OFFSET" not in sql, url
        # The editorial version, and the page's rows, each with its tag ids.
        assert len(captured) == 2 and len(version_reads(captured)) == 1, url


def count_version_reads(monkeypatch) -> list:
    reads = []
    original = cache._read_version

    def read(*args):
        reads.append(1)
        return original(*args)

    monkeypatch.setattr(cache, "_read_version", read)
    return reads


def test_a_request_asks_the_cache_for_the_version_once(client, uncached_pages, monkeypatch):
    make_article(permitted=True, tags=["bulk"])
    url = reverse("articles:list") + "?tag=bulk"
    client.get(url)
    reads = count_version_reads(monkeypatch)
    assert client.get(url).status_code == 200
    assert len(reads) == 1


def test_within_one_version_a_write_is_seen_and_outside_every_read_asks(monkeypatch):
    reads = count_version_reads(monkeypatch)
    with cache.one_version():
        first = cache.version()
        assert cache.version() == first and len(reads) == 1
        make_article(permitted=True, title="Written within the request")
        changed = cache.version()
        assert changed != first and len(reads) == 2
        assert cache.version() == changed and len(reads) == 2
    assert cache.version() == changed
    assert cache.version() == changed
    assert len(reads) == 4


def test_a_change_by_raw_sql_is_seen_by_the_next_request(client):
    make_article(permitted=True, title="First report")
    url = reverse("articles:list")
    assert "First report" in client.get(url).content.decode()
    assert "First report" in client.get(url).content.decode()  # from the page cache
    with connection.cursor() as cursor:
        cursor.execute("UPDATE articles_article SET title = %s WHERE title = %s", ["Renamed report", "First report"])
    assert "Renamed report" in client.get(url).content.decode()


def test_a_filtered_list_is_built_once_per_version_and_set_of_filters(client, uncached_pages, monkeypatch):
    built = []
    original = public.articles_tagged

    def articles_tagged(articles, tags):
        built.append(tuple(tag_id for tag_id, _ in tags))
        return original(articles, tags)

    monkeypatch.setattr(public, "articles_tagged", articles_tagged)
    make_article(permitted=True, title="Bulk report", tags=["bulk", "common"], original_date=datetime.date(2017, 1, 1))
    make_article(permitted=True, title="Common report", tags=["common"], original_date=datetime.date(2017, 1, 2))
    one, two = reverse("articles:list") + "?tag=bulk", reverse("articles:list") + "?tag=common&tag=bulk"
    for _ in range(3):
        assert titles(client.get(one)) == ["Bulk report"]
        assert titles(client.get(two)) == ["Bulk report"]
        assert set(titles(client.get(reverse("articles:list") + "?tag=common"))) == {"Bulk report", "Common report"}
    assert len(built) == 3
    make_article(permitted=True, title="Newer bulk report", tags=["bulk"], original_date=datetime.date(2017, 2, 1))
    assert titles(client.get(one))[0] == "Newer bulk report"
    assert len(built) == 4


def test_each_filter_set_gets_its_own_filters_bound_to_it():
    from articles.filters import ArticleFilter
    from articles.models import Article

    first = ArticleFilter({"tag": "x"}, queryset=Article.objects.none())
    second = ArticleFilter({}, queryset=Article.objects.none())
    for name, declared in ArticleFilter.base_filters.items():
        one, other = first.filters[name], second.filters[name]
        assert one is not declared and one is not other
        assert one.parent is first and other.parent is second
        assert not hasattr(declared, "parent")
        if declared.method:
            assert one.filter.f is one and other.filter.f is other
            assert one.filter.method == getattr(first, declared.method)


def test_filter_forms_share_their_fields_and_keep_their_own_values_and_errors():
    from articles.filters import ArticleFilter

    first = ArticleFilter({"tag": ["nowhere"], "after": "2017-01-01"}, queryset=Article.objects.none())
    second = ArticleFilter({"after": "not a date"}, queryset=Article.objects.none())
    for name in ArticleFilter.base_filters:
        assert first.form.fields[name] is second.form.fields[name]
    assert not first.is_valid() and not second.is_valid()
    assert set(first.form.errors) == {"tag"} and set(second.form.errors) == {"after"}
    assert first.form.cleaned_data["after"] == datetime.date(2017, 1, 1)
    assert "after" not in second.form.cleaned_data
    assert 'value="2017-01-01"' in str(first.form["after"]) and 'value="not a date"' in str(second.form["after"])


def test_a_filter_value_is_resolved_once_per_version(django_assert_num_queries):
    from articles.filters import ArticleFilter

    make_article(permitted=True, title="Bulk report", tags=["bulk"])

    def resolved():
        filterset = ArticleFilter({"tag": ["bulk"], "publication": "nowhere"}, queryset=Article.objects.none())
        assert not filterset.is_valid()
        assert [tag.slug for tag in filterset.form.cleaned_data["tag"]] == ["bulk"]
        assert set(filterset.form.errors) == {"publication"}

    with cache.one_version():
        cache.version()  # read once in a request, with the scheduled revocations it knows of
        with django_assert_num_queries(2):  # the tag, and the publication that is not found
            resolved()
        with django_assert_num_queries(1):  # a value that names nothing is asked again
            resolved()
        make_publication(name="Another outlet")
        with django_assert_num_queries(4):  # the version after the change, its revocations, and the two values
            resolved()


def test_filtered_querysets_beyond_the_kept_number_are_built_again(monkeypatch):
    monkeypatch.setattr(cache, "_filtered", cache.Recent(2))
    built = []

    def build(n):
        built.append(n)
        return Article.objects.filter(pk=n)

    for n in (1, 2, 1, 3, 1, 2):
        assert list(cache.filtered_once(("test", n), lambda n=n: build(n)).values_list("pk", flat=True)) == []
    # 1 and 2 built; 1 used again (kept, now the most recent); 3 evicts 2; 1 kept; 2 built again.
    assert built == [1, 2, 3, 2]
    assert len(cache._filtered) == 2


def test_list_items_name_their_publication_without_joining_it(client, uncached_pages):
    outlet = make_publication(name="Libya Observer")
    make_article(title="With an outlet", publication=outlet, permitted=True)
    make_article(title="Without one", permitted=True)
    url = reverse("articles:list")
    client.get(url)  # every publication is read once per version and process
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    assert "Libya Observer" in page
    assert not [q["sql"] for q in captured.captured_queries if "articles_publication" in q["sql"]]
    outlet.name = "The Libya Observer"
    outlet.save()  # an editorial change: the next request reads them again
    assert "The Libya Observer" in client.get(url).content.decode()
