"""Event exports: documented columns in CSV and JSON, the site's filters, public events only."""

import csv
import io
import json

import pytest
from django.urls import reverse

from articles import exports
from tests.conftest import link_event, make_article, make_event
from tests.research_data import DOOMED, HIDE, build_research_archive, populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    return build_research_archive()


def body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def csv_rows(client, **params) -> list[dict]:
    response = client.get("/export/events.csv", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    reader = csv.DictReader(io.StringIO(body(response)))
    assert reader.fieldnames == exports.COLUMN_NAMES
    return list(reader)


def json_rows(client, **params) -> list[dict]:
    response = client.get("/export/events.json", params)
    assert response.status_code == 200
    rows = json.loads(body(response))
    assert all(list(row) == exports.COLUMN_NAMES for row in rows)
    return rows


def test_csv_has_the_documented_columns_and_a_row_per_public_event(client, archive):
    rows = csv_rows(client)
    assert [row["event_id"] for row in rows] == [
        archive["doomed_event"].slug,
        archive["clashes"].slug,
        archive["meeting"].slug,
    ]


def test_csv_row_carries_actors_by_side_place_levels_coordinates_figures_and_sources(client, archive):
    row = next(row for row in csv_rows(client) if row["event_id"] == archive["clashes"].slug)
    assert row["event_url"] == "http://testserver" + archive["clashes"].get_absolute_url()
    assert (row["event_date"], row["end_date"], row["date_precision"]) == ("2017-07-10", "2017-07-16", "week")
    assert (row["event_type"], row["sub_event_type"]) == ("Battles", "Armed clash")
    assert (row["actor1"], row["assoc_actor_1"], row["actor2"], row["assoc_actor_2"]) == (
        "Libyan National Army",
        "Khalifa Haftar",
        "Islamic State",
        "",
    )
    assert (row["country"], row["admin1"], row["city"], row["location"]) == (
        "Libya",
        "Cyrenaica",
        "Benghazi",
        "Khribish",
    )
    # Khribish has no coordinates of its own: Benghazi's place it only within the city.
    assert (row["latitude"], row["longitude"], row["geo_precision"]) == ("32.11667", "20.06667", "region")
    assert (row["fatalities_low"], row["fatalities_high"], row["verification"]) == ("10", "12", "multiple_sources")
    assert row["sources"] == "Battles continue in Khribish; Army gains in Benghazi"
    assert row["source_urls"].split("; ") == [
        "http://testserver" + archive["brief"].get_absolute_url(),
        "http://testserver" + archive["report"].get_absolute_url(),
    ]
    assert row["tags"] == "Benghazi"


def test_event_at_a_place_with_coordinates_keeps_its_precision(client, archive):
    row = next(row for row in csv_rows(client) if row["event_id"] == archive["meeting"].slug)
    assert (row["city"], row["location"], row["latitude"], row["geo_precision"]) == (
        "Tripoli",
        "Tripoli",
        "32.88722",
        "exact",
    )
    assert row["fatalities_low"] == row["fatalities_high"] == ""


def test_json_has_the_same_columns_with_lists_and_numbers(client, archive):
    rows = {row["event_id"]: row for row in json_rows(client)}
    clashes = rows[archive["clashes"].slug]
    assert clashes["actor1"] == ["Libyan National Army"]
    assert clashes["sources"] == ["Battles continue in Khribish", "Army gains in Benghazi"]
    assert (clashes["fatalities_low"], clashes["latitude"]) == (10, 32.11667)
    assert clashes["notes"].startswith("=HYPERLINK")
    assert [row["event_id"] for row in json_rows(client)] == [row["event_id"] for row in csv_rows(client)]


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_csv_quotes_cells_a_spreadsheet_would_run(client, prefix):
    event = make_event(title=f"{prefix}cmd|' /C calc'!A0", notes=f"{prefix}1+1")
    link_event(make_article(permitted=True, title=f"{prefix}SUM(A1:A9)"), event)
    (row,) = csv_rows(client)
    assert row["title"] == f"'{prefix}cmd|' /C calc'!A0"
    assert row["notes"] == f"'{prefix}1+1"
    assert row["sources"] == f"'{prefix}SUM(A1:A9)"


def test_formula_in_notes_is_quoted_in_csv(client, archive):
    row = next(row for row in csv_rows(client) if row["event_id"] == archive["clashes"].slug)
    assert row["notes"].startswith("'=HYPERLINK")


@pytest.mark.parametrize(
    "query",
    [
        {"type": "battles"},
        {"actor": "isis"},
        {"actor": "al-sarraj"},
        {"place": "benghazi"},
        {"tag": "benghazi"},
        {"after": "2017-07-01", "before": "2017-07-31"},
        {"q": "ambush"},
        {"publication": "libya-analysis"},
    ],
    ids=str,
)
def test_exports_take_the_filters_of_the_event_list(client, archive, query):
    page = client.get(reverse("articles:event-list"), query)
    listed = [event.slug for event in page.context["object_list"]]
    assert listed
    assert [row["event_id"] for row in csv_rows(client, **query)] == listed
    assert [row["event_id"] for row in json_rows(client, **query)] == listed


@pytest.mark.parametrize("path", ["/export/events.csv", "/export/events.json"])
@pytest.mark.parametrize(
    ("query", "parameter"),
    [({"type": "picnic"}, "type"), ({"actor": "nobody"}, "actor"), ({"after": "2017-13-01"}, "after")],
)
def test_bad_filter_answers_400_json_naming_the_parameter(client, archive, path, query, parameter):
    response = client.get(path, query)
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


@pytest.mark.parametrize("how", HIDE)
def test_events_of_a_hidden_article_disappear_from_the_exports(client, archive, how):
    assert DOOMED in body(client.get("/export/events.csv"))
    HIDE[how](archive["doomed"])
    assert DOOMED not in body(client.get("/export/events.csv"))
    assert DOOMED not in body(client.get("/export/events.json"))
    assert len(csv_rows(client)) == 2


def test_sources_list_public_articles_only(client, archive):
    HIDE["revoked"](archive["report"])
    row = next(row for row in csv_rows(client) if row["event_id"] == archive["clashes"].slug)
    assert row["sources"] == "Battles continue in Khribish"


def test_empty_archive_exports_a_header_and_an_empty_list(client):
    assert csv_rows(client) == []
    assert json_rows(client) == []


def test_codebook_explains_every_column_and_links_the_downloads(client):
    response = client.get(reverse("exports:codebook"))
    assert response.status_code == 200
    page = response.content.decode()
    for column in exports.COLUMNS:
        assert f'id="column-{column.name}"' in page
        assert column.meaning.split(".")[0].replace("'", "&#x27;") in page
    assert 'href="/export/events.csv"' in page and 'href="/export/events.json"' in page


def test_export_runs_a_fixed_number_of_queries_per_chunk(client, django_assert_max_num_queries, monkeypatch):
    populate(60)
    with django_assert_max_num_queries(8):
        assert len(csv_rows(client)) == 61
    monkeypatch.setattr(exports, "CHUNK_SIZE", 20)
    # The filter check and the id list, the register of places, then four queries a chunk.
    with django_assert_max_num_queries(4 + 4 * 4):
        assert len(json_rows(client)) == 61
