"""Excerpt-only means excerpt only: no surface shows, finds or quotes an article's text past its excerpt."""

import html
import json
import re

import pytest
from django.urls import reverse

from articles.models import Article, ArticleEvent, PermissionScope, RepublicationPermission, excerpt_expression
from register.models import Actor, Event

pytestmark = pytest.mark.django_db

WINDOW = 6


def words(text: str) -> list[str]:
    """The words of a text or a page, its markup and escapes aside."""
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    return re.findall(r"\w[\w'’-]*", text.casefold())


def windows(text: str) -> set[str]:
    found = words(text)
    return {" ".join(found[i : i + WINDOW]) for i in range(len(found) - WINDOW + 1)}


def surfaces(client, article) -> dict[str, str]:
    """Every public response that could carry the article's text, by address."""
    events = list(Event.objects.filter(article_links__article=article))
    urls = [
        "/",
        reverse("articles:list"),
        article.get_absolute_url(),
        f"/api/articles/{article.slug}/",
        "/api/articles/?page_size=100",
        "/api/events/?page_size=100",
        "/feeds/articles/",
        "/export/events.csv",
        "/export/events.json",
        "/sitemap.xml",
        *(f"/feeds/tags/{tag.slug}/" for tag in article.tags.all()),
        *(event.get_absolute_url() for event in events),
        *(f"/api/events/{event.slug}/" for event in events),
    ]
    pages = {}
    for url in urls:
        response = client.get(url, HTTP_ACCEPT="application/json" if url.startswith("/api/") else "text/html")
        assert response.status_code == 200, url
        content = b"".join(response.streaming_content) if response.streaming else response.content
        pages[url] = json.dumps(json.loads(content)) if url.startswith("/api/") or url.endswith(".json") else content
        pages[url] = pages[url].decode() if isinstance(pages[url], bytes) else pages[url]
    return pages


@pytest.fixture
def excerpted(sample_archive):
    """The first public sample article that reports events past its first paragraph, as an excerpt only."""
    for article in Article.objects.public().order_by("pk"):
        if (
            any(article.excerpt() not in link.excerpt for link in article.event_links.all())
            and len(article.paragraphs()) > 2
        ):
            break
    RepublicationPermission.objects.filter(article=article).update(scope=PermissionScope.EXCERPT)
    return Article.objects.get(pk=article.pk)


def secret_windows(article) -> set[str]:
    """Runs of words found past the excerpt and nowhere else readers may read them."""
    shown = windows(" ".join([article.title, article.standfirst, article.excerpt()]))
    elsewhere = set()
    for other in Article.objects.public().exclude(pk=article.pk):
        elsewhere |= windows(" ".join([other.title, other.standfirst, other.body]))
    for event in Event.objects.all():
        elsewhere |= windows(" ".join([event.title, event.description, event.notes]))
    for actor in Actor.objects.all():
        elsewhere |= windows(" ".join([actor.description, actor.naming_note]))
    past = windows(" ".join(article.paragraphs()[1:]))
    return past - shown - elsewhere


def test_no_surface_shows_text_past_the_excerpt(client, excerpted):
    secrets = secret_windows(excerpted)
    assert len(secrets) > 50
    for url, page in surfaces(client, excerpted).items():
        flat = " ".join(words(page))
        leaked = [secret for secret in secrets if secret in flat]
        assert not leaked, (url, leaked[:3])
    page = client.get(excerpted.get_absolute_url()).content.decode()
    assert " ".join(words(excerpted.excerpt())) in " ".join(words(page))
    assert "The rights holder permits an excerpt only." in page


def test_event_passages_past_the_excerpt_are_not_quoted_on_event_pages_or_in_the_api(client, excerpted):
    past = [
        link for link in ArticleEvent.objects.filter(article=excerpted) if not excerpted.shows_passage(link.excerpt)
    ]
    inside = [link for link in ArticleEvent.objects.filter(article=excerpted) if excerpted.shows_passage(link.excerpt)]
    assert past and inside
    for link in past:
        page = " ".join(client.get(link.event.get_absolute_url()).content.decode().split())
        assert excerpted.title in page  # still listed as a source
        assert " ".join(link.excerpt.split()) not in page
        sources = client.get(f"/api/events/{link.event.slug}/", HTTP_ACCEPT="application/json").json()["sources"]
        assert [s["excerpt"] for s in sources if s["article"]["slug"] == excerpted.slug] == [""]
    for link in inside:
        page = " ".join(client.get(link.event.get_absolute_url()).content.decode().split())
        assert " ".join(link.excerpt.split()) in page
    detail = client.get(f"/api/articles/{excerpted.slug}/", HTTP_ACCEPT="application/json").json()
    assert detail["excerpt_only"] is True and detail["body"] == excerpted.excerpt()
    assert {e["excerpt"] for e in detail["events"]} <= {"", *(link.excerpt for link in inside)}


def only_past_the_excerpt(article) -> str:
    """A word of the article found past its excerpt and nowhere else in the archive's text."""
    shown = set(words(" ".join([article.title, article.standfirst, article.excerpt()])))
    elsewhere = set()
    for other in Article.objects.exclude(pk=article.pk):
        elsewhere |= set(words(" ".join([other.title, other.standfirst, other.body])))
    candidates = sorted(set(words(" ".join(article.paragraphs()[1:]))) - shown - elsewhere, key=lambda w: (-len(w), w))
    return next(word for word in candidates if word.isalpha())


def test_a_word_only_past_the_excerpt_finds_nothing(client, excerpted):
    word = only_past_the_excerpt(excerpted)
    search = client.get(reverse("articles:search"), {"q": word}).content.decode()
    assert excerpted.title not in search
    listed = client.get(reverse("articles:list"), {"q": word}).content.decode()
    assert excerpted.get_absolute_url() not in listed
    api = client.get("/api/articles/", {"q": word}, HTTP_ACCEPT="application/json").json()
    assert api["results"] == []


def test_a_word_in_the_excerpt_still_finds_it_with_a_snippet_from_the_excerpt(client, excerpted):
    word = max((w for w in words(excerpted.excerpt()) if w.isalpha()), key=len)
    search = client.get(reverse("articles:search"), {"q": word})
    found = {article.pk: article for article in search.context["articles"]}
    assert excerpted.pk in found
    snippet = " ".join(words(str(found[excerpted.pk].snippet)))
    assert snippet.removesuffix(" …") in " ".join(words(excerpted.excerpt()))


def test_the_databases_excerpt_is_the_models(excerpted):
    for article in Article.objects.annotate(shown=excerpt_expression()):
        assert " ".join(article.shown.split()) == article.excerpt()
