"""
Every URL of the site, the API, the feeds and the exports, with every HTTP
method, and hypothesis-made slugs, query strings and form bodies: bad dates,
huge numbers, NUL and other control bytes, invalid UTF-8, repeated keys and
long text get an answer below 500, every time. FUZZ_EXAMPLES raises the count;
tests/test_fuzz_admin.py does the same for the admin.
"""

import os
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import link_actor, link_event, link_place, make_actor, make_article, make_event, make_place

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "10")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FILTER_NAMES = ["tag", "actor", "event", "place", "publication", "type", "after", "before", "q", "page", "format"]

# Every method a client may send, an unknown one included.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW"]
CONTROL_CHARACTERS = [chr(c) for c in range(32)] + ["\x7f"]

control_text = st.lists(
    st.one_of(st.sampled_from(CONTROL_CHARACTERS), st.text(max_size=3)), min_size=1, max_size=6
).map("".join)
hostile_text = st.one_of(
    st.text(max_size=30),
    control_text,
    st.sampled_from(["2017-02-30", "2017-13-01", "0000-00-00", "99999-01-01", "-1", "1e309", "NaN", "∞", "'", '"']),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(min_size=300, max_size=3000),
    st.just("\x00"),
    st.dates().map(str),
)
raw_bytes = st.binary(max_size=20)  # may not be UTF-8 at all


def encode(value) -> str:
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_from_bytes(data, safe="")


# A path segment in place of a slug or an id: control bytes, overlong, invalid UTF-8 once decoded.
hostile_segments = st.one_of(
    control_text.map(encode),
    st.sampled_from(["%00", "%FF", "%C0%AF", "%E2%82", "%ED%A0%80", "x%00y", "..", "%2e%2e", "%0A", "%7F"]),
    st.text(min_size=300, max_size=3000).map(encode),
    raw_bytes.filter(bool).map(encode),
)


def send(client, method: str, path: str, body: str = ""):
    """One request as a browser or a script would send it, with a form body where the method has one."""
    return client.generic(method, path, data=body.encode("ascii"), content_type="application/x-www-form-urlencoded")


query_strings = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(FILTER_NAMES), st.text(max_size=10), raw_bytes),
        st.one_of(hostile_text, raw_bytes),
    ),
    max_size=8,
).map(lambda pairs: "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs))


@pytest.fixture
def small_archive(db):
    actor = make_actor(name="Khalifa Haftar", slug="khalifa-haftar", aliases=["Haftar"])
    place = make_place(name="Benghazi", slug="benghazi")
    event = make_event(title="Clashes in Khribish", slug="clashes-in-khribish", place=place)
    for n in range(3):
        article = make_article(permitted=True, title=f"Brief {n}", slug=f"brief-{n}", tags=["Benghazi", f"t{n}"])
        link_actor(article, actor)
        link_place(article, place)
        if n == 0:
            link_event(article, event)
    return {"article": "brief-0", "event": event.slug, "actor": actor.slug, "place": place.slug, "tag": "benghazi"}


PATHS = [
    "/",
    "/articles/",
    "/articles/brief-0/",
    "/events/",
    "/events/clashes-in-khribish/",
    "/actors/",
    "/actors/khalifa-haftar/",
    "/places/benghazi/",
    "/tags/",
    "/tags/benghazi/",
    "/search/",
    "/sitemap.xml",
    "/feeds/articles/",
    "/feeds/tags/benghazi/",
    "/feeds/actors/khalifa-haftar/",
    "/feeds/events/battles/",
    "/export/events.csv",
    "/export/events.json",
    "/api/articles/",
    "/api/articles/brief-0/",
    "/api/events/",
    "/api/events/clashes-in-khribish/",
    "/api/actors/",
    "/api/actors/khalifa-haftar/",
    "/api/places/",
    "/api/places/benghazi/",
    "/api/tags/",
    "/api/tags/benghazi/",
    "/api/schema/",
]


# Every route outside the admin, by name (the pattern where it has none), with an address of it.
SITE_URLS = {
    "healthz": "/healthz",
    "api:api-root": "/api/",
    "api:article-list": "/api/articles/",
    "api:article-detail": "/api/articles/brief-0/",
    "api:event-list": "/api/events/",
    "api:event-detail": "/api/events/clashes-in-khribish/",
    "api:actor-list": "/api/actors/",
    "api:actor-detail": "/api/actors/khalifa-haftar/",
    "api:place-list": "/api/places/",
    "api:place-detail": "/api/places/benghazi/",
    "api:tag-list": "/api/tags/",
    "api:tag-detail": "/api/tags/benghazi/",
    "api:schema": "/api/schema/",
    "api:docs": "/api/docs/",
    "exports:codebook": "/export/",
    "exports:events-csv": "/export/events.csv",
    "exports:events-json": "/export/events.json",
    "feeds:articles": "/feeds/articles/",
    "feeds:tag": "/feeds/tags/benghazi/",
    "feeds:actor": "/feeds/actors/khalifa-haftar/",
    "feeds:event-type": "/feeds/events/battles/",
    "sitemap.xml": "/sitemap.xml",
    "sitemap": "/sitemap-articles.xml",
    "articles:home": "/",
    "articles:list": "/articles/",
    "articles:detail": "/articles/brief-0/",
    "articles:event-list": "/events/",
    "articles:event-detail": "/events/clashes-in-khribish/",
    "articles:actor-list": "/actors/",
    "articles:actor-detail": "/actors/khalifa-haftar/",
    "articles:place-detail": "/places/benghazi/",
    "articles:tag-list": "/tags/",
    "articles:tag": "/tags/benghazi/",
    "articles:search": "/search/",
}


def site_routes(patterns=None, namespace=""):
    """The name (or pattern) of every route of the site, the API, feeds and exports."""
    from django.urls import URLResolver, get_resolver

    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":
                prefix = f"{pattern.namespace}:" if pattern.namespace else ""
                yield from site_routes(pattern.url_patterns, namespace + prefix)
        else:
            yield namespace + pattern.name if pattern.name else str(pattern.pattern)


def test_every_route_of_the_site_is_fuzzed():
    assert set(site_routes()) == set(SITE_URLS)


@pytest.mark.parametrize("method", METHODS)
def test_every_url_of_the_site_answers_every_method_below_500(client, small_archive, method):
    for path in SITE_URLS.values():
        response = send(client, method, path, "q=%00&tag=%FF&page=%00")
        assert response.status_code < 500, (method, path, response.status_code)
        if method not in ("GET", "HEAD", "POST", "OPTIONS"):
            assert response.status_code == 405
            assert response["Allow"] == "GET, HEAD, POST, OPTIONS"


def slug_in(path: str) -> str | None:
    parts = path.strip("/").split("/")
    return parts[-1] if len(parts) > 1 and "." not in parts[-1] else None


@pytest.mark.parametrize("path", [path for path in SITE_URLS.values() if slug_in(path)])
def test_a_hostile_slug_gets_an_answer_below_500(client, small_archive, path):
    slug = slug_in(path)
    for segment in ["%00", f"{slug}%00", "%01%1F%7F", "%FF", "%C0%AF", "%ED%A0%80", "x" * 5000, "%E2%82"]:
        response = client.get(path.replace(f"/{slug}/", f"/{segment}/"))
        assert response.status_code in (400, 404), (path, segment, response.status_code)

    @FUZZ
    @given(segment=hostile_segments, method=st.sampled_from(METHODS))
    def probe(segment, method):
        target = path.replace(f"/{slug}/", f"/{segment}/")
        response = send(client, method, target)
        assert response.status_code < 500, (method, target, response.status_code)

    probe()


@pytest.mark.parametrize("path", PATHS)
def test_hostile_query_strings_never_get_a_server_error(client, small_archive, path):
    assert client.get(path).status_code == 200, path

    @FUZZ
    @given(query=query_strings, method=st.sampled_from(["GET", "GET", "HEAD", "POST", "OPTIONS"]), body=query_strings)
    def probe(query, method, body):
        response = send(client, method, f"{path}?{query}", body)
        assert response.status_code < 500, (method, path, query, body, response.status_code)

    probe()


@pytest.mark.parametrize("path", ["/articles/", "/events/", "/api/articles/", "/api/events/"])
def test_a_page_number_that_is_too_big_or_not_a_number_is_404_not_500(client, small_archive, path):
    for page in ["999999999999999999999999", "-1", "0", "abc", "1.5", "\x00"]:
        response = client.get(path, {"page": page})
        assert response.status_code == 404, (path, page, response.status_code)
