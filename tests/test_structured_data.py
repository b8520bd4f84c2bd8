"""JSON-LD on the detail pages: parseable, naming the original source, never for hidden articles."""

import json
import re

import pytest
from django.template import Context, Template

from articles.models import Article, Status
from tests.conftest import link_actor, make_actor, make_article, make_permission
from tests.research_data import HIDE, build_research_archive

pytestmark = pytest.mark.django_db

LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


@pytest.fixture
def archive():
    return build_research_archive()


def structured(client, path) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, path
    return [json.loads(block) for block in LD_JSON.findall(response.content.decode())]


def test_article_page_describes_a_news_article_based_on_the_original(client, archive):
    brief = archive["brief"]
    (data,) = structured(client, brief.get_absolute_url())
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["url"] == "http://testserver" + brief.get_absolute_url()
    assert data["isBasedOn"]["url"] == "https://www.libya-analysis.com/weekly-brief-khribish/"
    assert data["isBasedOn"]["publisher"]["name"] == "Libya-Analysis"
    assert data["author"] == {"@type": "Person", "name": "Jason Pack"}
    assert data["datePublished"] == "2017-07-20"
    assert data["copyrightHolder"]["name"] == "The author"
    assert data["creditText"] == data["copyrightNotice"] == "Republished with explicit permission from the author."
    assert data["publisher"]["name"] == "Libya reporting archive"
    assert {event["name"] for event in data["about"]} == {"Clashes in Khribish", "Serraj meets Mogherini"}
    mentioned = {(thing["@type"], thing["name"]) for thing in data["mentions"]}
    assert mentioned == {
        ("Person", "Khalifa Haftar"),
        ("GovernmentOrganization", "Libyan National Army"),
        ("Person", "Fayez al-Serraj"),
        ("Place", "Khribish"),
    }
    assert set(data["keywords"]) == {"Benghazi", "ISIS"}


def test_date_is_no_more_precise_than_its_source(client):
    article = make_article(permitted=True, original_date_precision="month")
    (data,) = structured(client, article.get_absolute_url())
    assert data["datePublished"] == article.original_date.strftime("%Y-%m")


def test_event_page_describes_an_event_at_a_place_within_places(client, archive):
    (data,) = structured(client, archive["clashes"].get_absolute_url())
    assert data["@type"] == "Event"
    assert (data["name"], data["startDate"], data["endDate"]) == ("Clashes in Khribish", "2017-07-10", "2017-07-16")
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    location = data["location"]
    assert location["name"] == "Khribish"
    assert location["containedInPlace"]["name"] == "Benghazi"
    assert location["containedInPlace"]["containedInPlace"]["containedInPlace"]["name"] == "Libya"
    assert {actor["name"] for actor in data["attendee"]} == {"Libyan National Army", "Khalifa Haftar", "Islamic State"}
    assert {source["headline"] for source in data["subjectOf"]} == {
        "Battles continue in Khribish",
        "Army gains in Benghazi",
    }


def test_event_location_carries_coordinates(client, archive):
    (data,) = structured(client, archive["meeting"].get_absolute_url())
    assert data["location"]["geo"] == {"@type": "GeoCoordinates", "latitude": "32.88722", "longitude": "13.19133"}


def test_actor_pages_describe_a_person_or_an_organization_with_other_names(client, archive):
    (haftar,) = structured(client, archive["haftar"].get_absolute_url())
    assert haftar["@type"] == "Person"
    assert set(haftar["alternateName"]) == {"Haftar", "General Haftar"}
    (isis,) = structured(client, archive["isis"].get_absolute_url())
    assert isis["@type"] == "Organization"
    assert set(isis["alternateName"]) == {"ISIS", "Daesh"}
    (serraj,) = structured(client, archive["serraj"].get_absolute_url())
    assert "فايز السراج" in serraj["alternateName"]


def test_place_page_describes_a_place_with_its_parents(client, archive):
    (data,) = structured(client, archive["benghazi"].get_absolute_url())
    assert (data["@type"], data["name"]) == ("Place", "Benghazi")
    assert data["geo"]["latitude"] == "32.11667"
    assert data["containedInPlace"]["name"] == "Cyrenaica"


def test_text_that_would_end_the_script_is_escaped(client):
    title = "Ends here </script><script>alert(1)</script> <!-- & more"
    article = make_article(permitted=True, title=title, byline="</SCRIPT><img src=x onerror=alert(1)>")
    page = client.get(article.get_absolute_url()).content.decode()
    (block,) = LD_JSON.findall(page)
    assert "<" not in block and ">" not in block and "&" not in block
    data = json.loads(block)
    assert data["headline"] == title
    assert data["author"]["name"] == "</SCRIPT><img src=x onerror=alert(1)>"


@pytest.mark.parametrize("how", HIDE)
def test_hidden_article_has_no_structured_data_anywhere(client, archive, how):
    doomed = archive["doomed"]
    assert structured(client, doomed.get_absolute_url())
    HIDE[how](doomed)
    response = client.get(doomed.get_absolute_url())
    assert response.status_code == 410
    assert not LD_JSON.findall(response.content.decode())
    # The events it no longer supports are gone; those others report no longer cite it.
    assert client.get(archive["doomed_event"].get_absolute_url()).status_code == 410
    assert not LD_JSON.findall(client.get(archive["doomed_event"].get_absolute_url()).content.decode())
    for path in [archive["haftar"].get_absolute_url(), archive["clashes"].get_absolute_url()]:
        assert "Doomed" not in json.dumps(structured(client, path))


def test_tag_renders_nothing_for_an_article_readers_cannot_see():
    draft = make_article(title="Not public", status=Status.DRAFT)
    make_permission(article=draft)
    link_actor(draft, make_actor())
    rendered = Template("{% load structured_data %}{% structured_data article %}").render(
        Context({"article": Article.objects.get(pk=draft.pk)})
    )
    assert rendered == ""


def test_detail_pages_run_no_more_queries_for_their_structured_data(client, archive, django_assert_max_num_queries):
    for path in [archive["brief"].get_absolute_url(), archive["clashes"].get_absolute_url(), "/actors/khalifa-haftar/"]:
        with django_assert_max_num_queries(12):
            assert client.get(path).status_code == 200
