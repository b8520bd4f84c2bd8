"""Atom feeds and the sitemap: valid XML listing public items only."""

import xml.etree.ElementTree as ET

import pytest

from tests.conftest import link_actor, make_actor, make_article
from tests.research_data import DOOMED, HIDE, build_research_archive

pytestmark = pytest.mark.django_db

ATOM = {"atom": "http://www.w3.org/2005/Atom"}
SITEMAP = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def archive():
    return build_research_archive()


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 (the archive's own output, under test)


def feed(client, path) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"].startswith("application/atom+xml")
    return parse_xml(response.content)


def entry_titles(client, path) -> list[str]:
    return [entry.findtext("atom:title", namespaces=ATOM) for entry in feed(client, path).findall("atom:entry", ATOM)]


def sitemap_locations(client) -> list[str]:
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    locations = []
    for section in parse_xml(index.content).findall("sm:sitemap/sm:loc", SITEMAP):
        response = client.get(section.text.removeprefix("http://testserver"))
        assert response.status_code == 200, section.text
        locations += [loc.text for loc in parse_xml(response.content).findall("sm:url/sm:loc", SITEMAP)]
    return locations


def all_feeds(archive) -> list[str]:
    return [
        "/feeds/articles/",
        "/feeds/tags/benghazi/",
        "/feeds/actors/libyan-national-army/",
        "/feeds/events/battles/",
        "/feeds/events/violence_against_civilians/",
    ]


# --------------------------------------------------------------------------
# Feeds
# --------------------------------------------------------------------------


def test_latest_articles_feed_lists_public_articles_most_recently_published_first(client, archive):
    assert entry_titles(client, "/feeds/articles/") == [
        f"{DOOMED} report",
        "Army gains in Benghazi",
        "Battles continue in Khribish",
    ]


def test_feed_entry_links_to_the_article_and_names_author_date_and_tags(client, archive):
    root = feed(client, "/feeds/articles/")
    assert root.findtext("atom:title", namespaces=ATOM) == "Libya reporting archive: latest articles"
    entry = next(
        e
        for e in root.findall("atom:entry", ATOM)
        if e.findtext("atom:title", namespaces=ATOM) == "Battles continue in Khribish"
    )
    assert entry.find("atom:link", ATOM).get("href") == "http://testserver" + archive["brief"].get_absolute_url()
    assert entry.findtext("atom:author/atom:name", namespaces=ATOM) == "Jason Pack"
    assert entry.findtext("atom:published", namespaces=ATOM)
    assert {c.get("term") for c in entry.findall("atom:category", ATOM)} == {"Benghazi", "ISIS"}


def test_tag_feed_lists_the_articles_with_the_tag(client, archive):
    assert entry_titles(client, "/feeds/tags/isis/") == ["Battles continue in Khribish"]
    assert set(entry_titles(client, "/feeds/tags/benghazi/")) == {
        "Battles continue in Khribish",
        "Army gains in Benghazi",
    }


def test_actor_feed_lists_the_articles_naming_the_actor(client, archive):
    assert entry_titles(client, "/feeds/actors/khalifa-haftar/") == ["Battles continue in Khribish"]
    assert set(entry_titles(client, "/feeds/actors/libyan-national-army/")) == {
        "Battles continue in Khribish",
        "Army gains in Benghazi",
    }


def test_event_type_feed_lists_events_of_that_type_with_date_place_and_figures(client, archive):
    root = feed(client, "/feeds/events/battles/")
    (entry,) = root.findall("atom:entry", ATOM)
    assert entry.findtext("atom:title", namespaces=ATOM) == "Clashes in Khribish"
    summary = entry.findtext("atom:summary", namespaces=ATOM)
    assert "week of 10 July 2017" in summary and "Khribish" in summary and "10–12" in summary
    assert entry_titles(client, "/feeds/events/strategic_developments/") == ["Serraj meets Mogherini"]
    assert entry_titles(client, "/feeds/events/riots/") == []


@pytest.mark.parametrize(
    "path", ["/feeds/tags/no-such-tag/", "/feeds/actors/nobody/", "/feeds/events/picnics/", "/feeds/events/%00/"]
)
def test_feed_of_an_unknown_subject_answers_404(client, archive, path):
    assert client.get(path).status_code == 404


def test_feed_of_an_actor_only_a_draft_names_answers_404(client, archive):
    hidden = make_actor(name="Named in a draft only")
    link_actor(make_article(title="A draft"), hidden)
    assert client.get(f"/feeds/actors/{hidden.slug}/").status_code == 404


def test_pages_announce_their_feeds(client, archive):
    announced = {
        "/": "/feeds/articles/",
        "/tags/benghazi/": "/feeds/tags/benghazi/",
        "/actors/khalifa-haftar/": "/feeds/actors/khalifa-haftar/",
        archive["clashes"].get_absolute_url(): "/feeds/events/battles/",
    }
    for page, feed_path in announced.items():
        html = client.get(page).content.decode()
        assert '<link rel="alternate" type="application/atom+xml" title="' in html
        assert f'href="{feed_path}"' in html, page


# --------------------------------------------------------------------------
# Sitemap
# --------------------------------------------------------------------------


def test_sitemap_lists_every_public_page_and_each_answers_200(client, archive):
    locations = sitemap_locations(client)
    expected = [
        archive["brief"].get_absolute_url(),
        archive["clashes"].get_absolute_url(),
        "/actors/khalifa-haftar/",
        "/places/khribish/",
        "/places/cyrenaica/",
        "/tags/benghazi/",
        "/export/",
    ]
    for path in expected:
        assert "http://testserver" + path in locations
    assert len(locations) == len(set(locations))
    for location in locations:
        assert client.get(location.removeprefix("http://testserver")).status_code == 200, location


def test_sitemap_leaves_out_what_only_drafts_name(client, archive):
    draft = make_article(title="Draft only article")
    link_actor(draft, make_actor(name="Draft only actor"))
    locations = " ".join(sitemap_locations(client))
    assert draft.slug not in locations and "draft-only-actor" not in locations


# --------------------------------------------------------------------------
# Hidden articles
# --------------------------------------------------------------------------


@pytest.mark.parametrize("how", HIDE)
def test_hidden_article_disappears_from_every_feed_and_the_sitemap(client, archive, how):
    assert DOOMED in " ".join(entry_titles(client, "/feeds/articles/"))
    assert any("doomed" in location for location in sitemap_locations(client))
    assert client.get("/feeds/tags/doomed-tag/").status_code == 200

    HIDE[how](archive["doomed"])

    for path in all_feeds(archive):
        assert DOOMED not in client.get(path).content.decode(), path
    assert not any("doomed" in location for location in sitemap_locations(client))
    for path in ["/feeds/tags/doomed-tag/", f"/feeds/actors/{archive['doomed_actor'].slug}/"]:
        assert client.get(path).status_code == 404
