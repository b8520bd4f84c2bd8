"""The register's admin lists count each record's links; its autocompletes and forms count nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .accounts import make_user
from .conftest import link_actor, link_event, make_actor, make_article, make_event, make_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def haftar():
    actor = make_actor(name="Khalifa Haftar", slug="khalifa-haftar", aliases=["Hafter"])
    for _ in range(3):
        link_actor(make_article(permitted=True), actor)
    link_event(
        make_article(permitted=True),
        make_event(place=make_place(name="Benghazi"), participants=[(actor, "actor_1", "initiator")]),
    )
    return actor


def test_actor_list_shows_link_counts(editor_client, haftar):
    response = editor_client.get(reverse("admin:register_actor_changelist"))
    row = next(obj for obj in response.context["cl"].result_list if obj.pk == haftar.pk)
    assert (row.article_count, row.event_count) == (3, 1)
    assert "Hafter" in response.content.decode()


def test_actor_autocomplete_finds_by_alias_and_counts_no_links(editor_client, haftar):
    url = reverse("admin:autocomplete")
    params = {"app_label": "articles", "model_name": "articleactor", "field_name": "actor", "term": "hafter"}
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(url, params)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(haftar.pk)]
    linked = [q["sql"] for q in queries.captured_queries if "articles_articleactor" in q["sql"]]
    assert linked == []


@pytest.mark.parametrize("name", ["actor", "place", "event"])
def test_change_forms_count_no_links(editor_client, haftar, name):
    obj = {"actor": haftar, "place": make_place(name="Sirte"), "event": make_event()}[name]
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(reverse(f"admin:register_{name}_change", args=[obj.pk]))
    assert response.status_code == 200
    table = f"register_{name}"
    own = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(f'SELECT "{table}"."id"')]
    assert own and not [sql for sql in own if "COUNT(" in sql]
