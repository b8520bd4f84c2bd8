"""The JSON API: public items only, the site's filters, clear errors, bounded queries, no server error."""

import datetime
from unittest import mock

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from articles.api.serializers import current_permission
from articles.models import Article, PermissionScope, Status
from tests.conftest import link_event, make_article, make_permission, make_publication
from tests.research_data import DOOMED, HIDE, build_research_archive, populate

pytestmark = pytest.mark.django_db

ENDPOINTS = ["articles", "events", "actors", "places", "tags"]


@pytest.fixture
def archive():
    return build_research_archive()


def get_json(client, path, **params):
    response = client.get(path, params, HTTP_ACCEPT="application/json")
    assert response["Content-Type"].startswith("application/json"), path
    return response


def slugs(client, endpoint, **params):
    params.setdefault("page_size", 100)
    response = get_json(client, f"/api/{endpoint}/", **params)
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


# --------------------------------------------------------------------------
# What each item carries
# --------------------------------------------------------------------------


def test_api_root_links_every_list(client):
    root = get_json(client, "/api/").json()
    assert sorted(root) == sorted(ENDPOINTS)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_list_item_links_to_its_detail_and_its_page(client, archive, endpoint):
    results = get_json(client, f"/api/{endpoint}/").json()["results"]
    assert results
    for item in results:
        assert get_json(client, item["api_url"]).json()["slug"] == item["slug"]
        assert client.get(item["url"]).status_code == 200


def test_article_carries_provenance_permission_tags_and_linked_items(client, archive):
    brief = archive["brief"]
    data = get_json(client, f"/api/articles/{brief.slug}/").json()
    assert data["original_url"] == "https://www.libya-analysis.com/weekly-brief-khribish/"
    assert data["byline"] == "Jason Pack"
    assert data["publication"]["name"] == "Libya-Analysis"
    assert data["permission"]["attribution"] == "Republished with explicit permission from the author."
    assert data["permission"]["standing"] is False
    assert [record["activity"] for record in data["provenance"]] == ["imported"]
    assert data["provenance"][0]["sha256"] == brief.body_sha256
    assert {tag["slug"] for tag in data["tags"]} == {"benghazi", "isis"}
    assert {actor["slug"] for actor in data["actors"]} == {"khalifa-haftar", "libyan-national-army", "fayez-al-serraj"}
    assert [place["slug"] for place in data["places"]] == ["khribish"]
    assert all(actor["url"].endswith(f"/actors/{actor['slug']}/") for actor in data["actors"])
    reported = {link["event"]["slug"]: link["excerpt"] for link in data["events"]}
    assert reported[archive["clashes"].slug] == "Battles continue in the final area (Khribish)"
    assert data["body"] == brief.body
    assert data["body_sha256"] == brief.body_sha256


def test_event_carries_participants_place_hierarchy_dates_fatalities_grade_and_sources(client, archive):
    data = get_json(client, f"/api/events/{archive['clashes'].slug}/").json()
    assert (data["start_date"], data["end_date"], data["date_precision"]) == ("2017-07-10", "2017-07-16", "week")
    assert (data["fatalities_low"], data["fatalities_high"]) == (10, 12)
    assert data["verification"] == "multiple_sources"
    assert data["event_type_label"] == "Battles"
    sides = {(p["actor"]["slug"], p["side"], p["role"]) for p in data["participants"]}
    assert sides == {
        ("libyan-national-army", "actor_1", "initiator"),
        ("khalifa-haftar", "associated_1", "initiator"),
        ("islamic-state", "actor_2", "target"),
    }
    assert [p["name"] for p in data["place"]["hierarchy"]] == ["Libya", "Cyrenaica", "Benghazi", "Khribish"]
    sources = {source["article"]["slug"]: source["excerpt"] for source in data["sources"]}
    assert sources == {
        archive["brief"].slug: "Battles continue in the final area (Khribish)",
        archive["report"].slug: "The army has seized new territory in Benghazi.",
    }


def test_event_sources_leave_out_articles_readers_cannot_see(client, archive):
    draft = make_article(title="Draft on the clashes", status=Status.DRAFT)
    make_permission(article=draft)
    link_event(draft, archive["clashes"])
    data = get_json(client, f"/api/events/{archive['clashes'].slug}/").json()
    assert draft.slug not in {source["article"]["slug"] for source in data["sources"]}


def test_actor_and_place_and_tag_details(client, archive):
    haftar = get_json(client, "/api/actors/khalifa-haftar/").json()
    assert {alias["name"] for alias in haftar["aliases"]} == {"Haftar", "General Haftar"}
    assert (haftar["article_count"], haftar["event_count"]) == (1, 1)
    benghazi = get_json(client, "/api/places/benghazi/").json()
    assert [p["slug"] for p in benghazi["hierarchy"]] == ["libya", "cyrenaica", "benghazi"]
    tag = get_json(client, "/api/tags/benghazi/").json()
    assert (tag["article_count"], tag["event_count"]) == (2, 1)


def test_places_include_the_places_that_hold_public_ones(client, archive):
    assert {"libya", "cyrenaica", "benghazi", "khribish", "tripoli"} <= set(slugs(client, "places"))


def test_excerpt_only_permission_gives_only_the_first_paragraph(client):
    article = make_article(title="Excerpt only", status=Status.PUBLISHED, body="First words.\n\nSecond, not ours.")
    make_permission(article=article, scope=PermissionScope.EXCERPT)
    data = get_json(client, f"/api/articles/{article.slug}/").json()
    assert data["excerpt_only"] is True
    assert data["body"] == "First words."
    assert "Second" not in str(data)


def test_list_shows_the_permission_current_permission_would_choose(client):
    outlet = make_publication(name="Standing outlet")
    make_permission(publication=outlet, attribution="Standing agreement.", granted_on=datetime.date(2016, 1, 1))
    standing_only = make_article(title="Standing only", status=Status.PUBLISHED, publication=outlet)
    own_too = make_article(title="Own too", status=Status.PUBLISHED, publication=outlet)
    make_permission(article=own_too, attribution="Own excerpt.", scope=PermissionScope.EXCERPT)
    two_own = make_article(title="Two own", permitted=True)
    make_permission(article=two_own, attribution="Older excerpt.", scope=PermissionScope.EXCERPT)
    listed = {item["slug"]: item["permission"] for item in get_json(client, "/api/articles/").json()["results"]}
    for article in (standing_only, own_too, two_own):
        chosen = Article.objects.get(pk=article.pk).current_permission()
        assert listed[article.slug]["attribution"] == chosen.attribution
    assert listed[standing_only.slug]["standing"] is True
    assert listed[own_too.slug]["attribution"] == "Own excerpt."
    assert current_permission(Article.objects.get(pk=two_own.pk)).scope == PermissionScope.FULL_TEXT


# --------------------------------------------------------------------------
# The same filters as the site
# --------------------------------------------------------------------------

ARTICLE_QUERIES = [
    {},
    {"tag": "benghazi"},
    {"tag": ["benghazi", "isis"]},
    {"tag": "ISIS"},
    {"actor": "haftar"},
    {"actor": "libyan-national-army"},
    {"place": "benghazi"},
    {"place": "akhribish"},
    {"event": "clashes-in-khribish-2017-07-10"},
    {"publication": "libya-analysis"},
    {"type": "strategic_developments"},
    {"after": "2017-08-01"},
    {"before": "2017-08-01", "after": "2017-01-01"},
    {"q": "army"},
    {"q": "Sarraj"},
    {"tag": "benghazi", "actor": "lna", "after": "2017-07-01"},
]

EVENT_QUERIES = [
    {},
    {"tag": "benghazi"},
    {"actor": "isis"},
    {"actor": "fayez-al-serraj"},
    {"place": "benghazi"},
    {"place": "libya"},
    {"publication": "libya-analysis"},
    {"type": "battles"},
    {"after": "2017-07-01"},
    {"before": "2017-06-30"},
    {"q": "clashes"},
]


@pytest.mark.parametrize("query", ARTICLE_QUERIES, ids=str)
def test_article_filters_give_the_same_articles_as_the_html_list(client, archive, query):
    page = client.get(reverse("articles:list"), query)
    assert page.status_code == 200
    html = [article.slug for article in page.context["object_list"]]
    assert html
    assert slugs(client, "articles", **query) == html


@pytest.mark.parametrize("query", EVENT_QUERIES, ids=str)
def test_event_filters_give_the_same_events_as_the_html_list(client, archive, query):
    page = client.get(reverse("articles:event-list"), query)
    assert page.status_code == 200
    html = [event.slug for event in page.context["object_list"]]
    assert html
    assert slugs(client, "events", **query) == html


def test_repeated_tag_requires_every_tag(client, archive):
    assert slugs(client, "articles", tag=["benghazi", "isis"]) == [archive["brief"].slug]


# --------------------------------------------------------------------------
# Public items only
# --------------------------------------------------------------------------


def everything_listed(client) -> str:
    return "".join(get_json(client, f"/api/{endpoint}/", page_size=100).content.decode() for endpoint in ENDPOINTS)


@pytest.mark.parametrize("how", HIDE)
def test_hidden_article_and_what_only_it_names_disappear_from_the_api(client, archive, how):
    doomed = archive["doomed"]
    details = [
        f"/api/articles/{doomed.slug}/",
        f"/api/events/{archive['doomed_event'].slug}/",
        f"/api/actors/{archive['doomed_actor'].slug}/",
        f"/api/places/{archive['doomed_place'].slug}/",
        "/api/tags/doomed-tag/",
    ]
    assert DOOMED in everything_listed(client)
    assert all(get_json(client, path).status_code == 200 for path in details)

    HIDE[how](doomed)

    assert DOOMED not in everything_listed(client)
    # What readers saw answers 410 Gone, a tag 404.
    assert [get_json(client, path).status_code for path in details] == [410] * 4 + [404]
    assert DOOMED not in get_json(client, details[0]).content.decode()
    assert slugs(client, "articles", q="ambushed") == []


def test_withdrawn_article_answers_410_without_its_title_or_text(client, archive):
    HIDE["withdrawn"](archive["doomed"])
    response = get_json(client, f"/api/articles/{archive['doomed'].slug}/")
    assert response.status_code == 410
    assert response.json()["detail"] == "This article has been withdrawn."
    assert "convoy" not in response.content.decode()


def test_filter_naming_a_hidden_item_is_a_400(client, archive):
    HIDE["withdrawn"](archive["doomed"])
    response = get_json(client, "/api/articles/", actor=archive["doomed_actor"].slug)
    assert response.status_code == 400
    assert list(response.json()) == ["actor"]


# --------------------------------------------------------------------------
# Bad input: a 400 naming the parameter, a 404 for a page, never a 500
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "query", "parameter"),
    [
        ("articles", {"tag": "no-such-tag"}, "tag"),
        ("articles", {"tag": [f"t{i}" for i in range(11)]}, "tag"),
        ("articles", {"actor": "nobody-at-all"}, "actor"),
        ("articles", {"place": "atlantis"}, "place"),
        ("articles", {"event": "x"}, "event"),
        ("articles", {"publication": "none"}, "publication"),
        ("articles", {"type": "picnic"}, "type"),
        ("articles", {"after": "2017-02-30"}, "after"),
        ("articles", {"before": "yesterday"}, "before"),
        ("articles", {"after": "2017-09-01", "before": "2017-01-01"}, "before"),
        ("articles", {"q": "x" * 201}, "q"),
        ("articles", {"q": "nul\x00byte"}, "q"),
        ("events", {"actor": "a" * 500}, "actor"),
        ("events", {"type": "'; DROP TABLE"}, "type"),
        ("events", {"after": "0000-00-00"}, "after"),
    ],
)
def test_bad_filter_value_answers_400_json_naming_the_parameter(client, archive, endpoint, query, parameter):
    response = get_json(client, f"/api/{endpoint}/", **query)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [parameter]
    assert all(isinstance(message, str) and message for message in body[parameter])


@pytest.mark.parametrize("page", ["0", "-1", "99", "abc", "1.5", "9" * 30, "\x00"])
def test_bad_page_answers_404_json(client, archive, page):
    response = get_json(client, "/api/articles/", page=page)
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_page_size_is_capped(client):
    populate(3)
    data = get_json(client, "/api/articles/", page_size=1).json()
    assert (data["count"], len(data["results"])) == (3, 1)
    assert "page=2" in data["next"]
    assert len(get_json(client, "/api/articles/", page_size=10_000).json()["results"]) == 3


def test_unknown_slug_answers_404_json(client, archive):
    response = get_json(client, "/api/events/no-such-event/")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(client, archive, method):
    for path in ("/api/articles/", f"/api/articles/{archive['brief'].slug}/"):
        response = getattr(client, method)(path, {}, content_type="application/json")
        assert response.status_code == 405
    assert Article.objects.filter(pk=archive["brief"].pk).exists()


def test_browsable_page_is_served_for_a_browser(client, archive):
    response = client.get("/api/articles/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Battles continue in Khribish" in response.content


def test_schema_documents_every_endpoint_and_filter(client):
    schema = get_json(client, "/api/schema/", format="json").json()
    assert {path.split("/")[2] for path in schema["paths"]} == set(ENDPOINTS)
    assert not any(method != "get" for path in schema["paths"].values() for method in path if method != "parameters")
    names = {p["name"] for p in schema["paths"]["/api/articles/"]["get"]["parameters"]}
    filters = {"tag", "actor", "event", "place", "publication", "type", "after", "before", "q"}
    assert names == {*filters, "page", "page_size"}


def test_docs_page_loads_its_scripts_from_this_server(client):
    response = client.get("/api/docs/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>" not in page and "<style>" not in page
    assert "https://" not in page and "http://" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


# --------------------------------------------------------------------------
# A bounded number of queries per page
# --------------------------------------------------------------------------

MAX_QUERIES = 12


@pytest.mark.parametrize("size", [10, 100])
def test_list_pages_run_a_bounded_number_of_queries(client, django_assert_max_num_queries, size):
    populate(size)
    for endpoint in ENDPOINTS:
        with django_assert_max_num_queries(MAX_QUERIES):
            response = get_json(client, f"/api/{endpoint}/", page_size=size)
        assert response.status_code == 200
        assert len(response.json()["results"]) >= min(size, 3), endpoint


def test_filtered_lists_run_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    populate(100)
    for endpoint, query in [
        ("articles", {"tag": "Bulk", "actor": "bulk-alias", "place": "bulk-country", "q": "article"}),
        ("events", {"tag": "Bulk", "actor": "bulk-actor", "type": "battles", "after": "2016-01-01"}),
    ]:
        with django_assert_max_num_queries(MAX_QUERIES + 4):
            response = get_json(client, f"/api/{endpoint}/", page_size=100, **query)
        assert len(response.json()["results"]) == 100


# --------------------------------------------------------------------------
# Generated requests from the schema find no server error
# --------------------------------------------------------------------------


@pytest.fixture
def api_schema(db):
    build_research_archive()
    # Requests go through the real WSGI handler, which closes the database connection at
    # each request's start and end; that would end the test's transaction on PostgreSQL.
    # Django's test client holds these signals back in the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
        # The coverage phase tries every boundary of every parameter: minutes, not seconds. The
        # fuzzing phase alone, bounded by max_examples, keeps this test inside the suite's budget.
        loaded.config.phases.coverage.enabled = False
        yield loaded
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_generated_requests_never_get_a_server_error(case):
    case.call_and_validate(checks=[not_a_server_error])


@pytest.mark.parametrize("kind", ["tag", "actor", "place", "event"])
def test_links_are_what_the_declared_fields_give(client, archive, kind):
    """Links are built in one step for speed; the generic serializer must agree with them."""
    from rest_framework import serializers as drf
    from rest_framework.test import APIRequestFactory

    from articles.api import serializers
    from register.models import Actor, Event, Place, Tag

    fast_class, model, path = {
        "tag": (serializers.TagLinkSerializer, Tag, "tags"),
        "actor": (serializers.ActorLinkSerializer, Actor, "actors"),
        "place": (serializers.PlaceLinkSerializer, Place, "places"),
        "event": (serializers.EventLinkSerializer, Event, "events"),
    }[kind]

    class Generic(fast_class):
        class Meta(fast_class.Meta):
            pass

    request = APIRequestFactory().get("/api/articles/")
    items = list(model.objects.order_by("slug"))
    generic_path = mock.patch.object(drf.Serializer, "to_representation", side_effect=AssertionError("generic"))
    with generic_path:  # the fast path takes no field object
        fast = fast_class(items, many=True, context={"request": request}).data
    generic = Generic(items, many=True, context={"request": request}).data
    assert items and fast == generic
    assert fast[0]["api_url"] == f"http://testserver/api/{path}/{items[0].slug}/"
    listed = get_json(client, "/api/articles/").json()["results"]
    assert all(tag["api_url"].startswith("http://testserver/api/tags/") for a in listed for tag in a["tags"])
