"""
Hostile text in every field never comes out live.

Each payload of tests/data/xss_payloads.txt is written into every text field
an editor or an import can fill (titles, bodies in both formats, bylines,
tags, actors, places, events, provenance, permissions). Every page, feed,
export and API response is then read as a browser or feed reader would: no
script, no event handler, no javascript: link may appear that the archive
did not put there itself.
"""

import datetime
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

from articles.models import BodyFormat, ProvenanceActivity, ProvenanceRecord
from register.models import ActorAlias, EventParticipant, PlaceAlias

from .conftest import link_actor, link_event, link_place, make_actor, make_article, make_event, make_place

pytestmark = pytest.mark.django_db

PAYLOADS = [
    line for line in (Path(__file__).parent / "data" / "xss_payloads.txt").read_text().splitlines() if line.strip()
]
DANGEROUS_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "background", "xlink:href", "srcdoc", "poster"}


class LiveMarkupFinder(HTMLParser):
    """Collects every piece of markup in a document that a browser would act on."""

    def __init__(self, *, allowed_links=()):
        super().__init__(convert_charrefs=True)
        self.allowed_links = allowed_links
        self.found: list[str] = []
        self.in_style = False

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        # A style sheet of the page's own is harmless; one that imports or runs script is not.
        if self.in_style and any(word in data.lower() for word in ("javascript:", "@import", "expression(")):
            self.found.append(f"<style>{data[:60]}")

    def dangerous(self, tag: str, attributes: dict) -> bool:
        if tag == "link":
            return not (attributes.get("href") or "").startswith(self.allowed_links)
        if tag == "meta":
            return (attributes.get("http-equiv") or "").lower() == "refresh"
        if tag == "style":
            self.in_style = True
            return False
        return tag in DANGEROUS_TAGS

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            kind = (attributes.get("type") or "").lower()
            source = attributes.get("src") or ""
            if kind not in {"application/ld+json", "application/json"} and not source.startswith("/static/"):
                self.found.append(f"<script {attrs}>")
        if self.dangerous(tag, attributes):
            self.found.append(f"<{tag} {attrs}>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name.lower() in URL_ATTRIBUTES and value:
                squashed = "".join(value.split()).lower()
                if squashed.startswith(("javascript:", "data:text/html", "vbscript:")):
                    self.found.append(f"{tag}[{name}={value!r}]")
            if name.lower() == "style" and "javascript:" in (value or "").lower():
                self.found.append(f"{tag}[style={value!r}]")


def live_markup(html: str) -> list[str]:
    finder = LiveMarkupFinder(allowed_links=("/static/", "/feeds/", "http://testserver/feeds/", "/api/"))
    finder.feed(html)
    finder.close()
    return finder.found


@pytest.fixture
def hostile_archive(db):
    """Every payload in every field, all of it public."""
    objects = {"articles": [], "events": [], "actors": [], "places": [], "tags": []}
    for n, payload in enumerate(PAYLOADS):
        actor = make_actor(name=f"{payload} {n}", description=payload, naming_note=payload, aliases=[f"{payload} a{n}"])
        place = make_place(name=f"{payload} {n}", description=payload)
        PlaceAlias.objects.create(place=place, name=f"{payload} p{n}")
        event = make_event(
            title=f"{payload} {n}",
            description=payload,
            notes=payload,
            place=place,
            start_date=datetime.date(2017, 1, 1) + datetime.timedelta(days=n),
        )
        EventParticipant.objects.create(event=event, actor=actor, side="actor_1", role="initiator")
        tag = f"{payload[:90]} {n}"
        event.tags.add(tag)
        article = make_article(
            permitted=True,
            title=f"{payload} {n}",
            standfirst=payload,
            byline=payload,
            original_title=payload,
            body=f"Opening {payload}\n\nSecond paragraph {payload} ends here.",
            body_format=BodyFormat.MARKDOWN if n % 2 else BodyFormat.PLAIN,
            tags=[tag],
        )
        permission = article.permissions.get()
        permission.attribution, permission.evidence, permission.rights_holder = payload, payload, payload
        permission.save()
        ProvenanceRecord.objects.append(
            article=article, activity=ProvenanceActivity.FIRST_PUBLISHED, agent=payload, note=payload
        )
        link_actor(article, actor)
        link_place(article, place)
        link_event(article, event, excerpt=f"Second paragraph {payload} ends here.")
        objects["articles"].append(article)
        objects["events"].append(event)
        objects["actors"].append(actor)
        objects["places"].append(place)
        objects["tags"].append(event.tags.get())
    assert ActorAlias.objects.count() == len(PAYLOADS)
    return objects


def optional_reverse(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def urls_to_read(objects) -> list[str]:
    urls = ["/", "/articles/", "/events/", "/actors/", "/tags/", "/search/?q=alert", "/search/?q=%3Cscript%3E"]
    urls += ["/articles/?q=script", "/sitemap.xml", "/feeds/articles/", "/export/events.csv", "/export/events.json"]
    urls += ["/api/articles/", "/api/events/", "/api/actors/", "/api/places/", "/api/tags/", "/api/schema/"]
    for article in objects["articles"]:
        urls.append(article.get_absolute_url())
        urls.append(f"/api/articles/{article.slug}/")
    for event in objects["events"]:
        urls += [event.get_absolute_url(), f"/api/events/{event.slug}/", f"/feeds/events/{event.event_type}/"]
    for actor in objects["actors"]:
        urls += [actor.get_absolute_url(), f"/feeds/actors/{actor.slug}/", f"/api/actors/{actor.slug}/"]
    for place in objects["places"]:
        urls.append(place.get_absolute_url())
    for tag in objects["tags"]:
        urls += [tag.get_absolute_url(), f"/feeds/tags/{tag.slug}/"]
    return list(dict.fromkeys(urls))


def check_feed(body: bytes, url: str) -> list[str]:
    """Atom and RSS entries marked as HTML are rendered by feed readers: read them as HTML too."""
    problems = []
    root = ET.fromstring(body)  # noqa: S314 - the archive's own response
    for element in root.iter():
        if element.get("type") in {"html", "xhtml"} or element.tag.endswith("description"):
            problems += [f"{url} {element.tag}: {p}" for p in live_markup(element.text or "")]
    return problems


def test_no_payload_comes_out_live_anywhere(client, hostile_archive):
    problems, read = [], 0
    for url in urls_to_read(hostile_archive):
        response = client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
        if response.status_code == 404 and not url.startswith(("/articles/", "/events/", "/actors/")):
            continue  # an interface another part of the archive has not grown yet
        assert response.status_code == 200, (url, response.status_code)
        read += 1
        content_type = response.headers["Content-Type"].split(";")[0]
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if content_type == "text/html":
            problems += [f"{url}: {p}" for p in live_markup(body.decode())]
        elif content_type.endswith("xml"):
            problems += check_feed(body, url)
        elif content_type == "application/json":
            json.loads(body)
        elif content_type not in {"text/csv", "application/vnd.oai.openapi"}:
            problems.append(f"{url}: unexpected content type {content_type}")
        assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert read > 4 * len(PAYLOADS)
    assert problems == []


def test_the_checker_itself_catches_live_markup():
    assert live_markup("<p>fine</p><script>alert(1)</script>")
    assert live_markup('<img src=x onerror="alert(1)">')
    assert live_markup('<a href=" javascript:alert(1)">x</a>')
    assert live_markup('<iframe srcdoc="x"></iframe>')
    assert live_markup("<style>@import 'javascript:alert(1)';</style>")
    assert live_markup('<meta http-equiv="refresh" content="0;url=/">')
    assert not live_markup('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><a href="/articles/">ok</a>')
    assert not live_markup('<script type="application/ld+json">{"a": "\\u003c/script\\u003e"}</script>')
