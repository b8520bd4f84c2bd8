"""
Hypothesis-made query strings against every public URL and API endpoint:
bad dates, huge numbers, NUL bytes, invalid UTF-8, repeated keys and long
text get an answer below 500, every time. FUZZ_EXAMPLES raises the count.
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

hostile_text = st.one_of(
    st.text(max_size=30),
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


@pytest.mark.parametrize("path", PATHS)
def test_hostile_query_strings_never_get_a_server_error(client, small_archive, path):
    assert client.get(path).status_code == 200, path

    @FUZZ
    @given(query=query_strings)
    def probe(query):
        response = client.get(f"{path}?{query}")
        assert response.status_code < 500, (path, query, response.status_code)

    probe()


@pytest.mark.parametrize("path", ["/articles/", "/events/", "/api/articles/", "/api/events/"])
def test_a_page_number_that_is_too_big_or_not_a_number_is_404_not_500(client, small_archive, path):
    for page in ["999999999999999999999999", "-1", "0", "abc", "1.5", "\x00"]:
        response = client.get(path, {"page": page})
        assert response.status_code == 404, (path, page, response.status_code)
