"""The tag list shows every public tag by name, in pages, each sized against the most used tag of all."""

import pytest
from django.urls import reverse

from articles.views import TagListView

from .conftest import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def tags(settings, monkeypatch):
    settings.ARCHIVE_PAGE_CACHE = False
    monkeypatch.setattr(TagListView, "paginate_by", 2)
    for _ in range(3):
        make_article(permitted=True, tags=["Benghazi"])
    make_article(permitted=True, tags=["Ajdabiya", "Derna", "Sirte", "Tobruk"])
    make_article(tags=["Draft only"])  # not public: never listed


def names(response) -> list[str]:
    return [tag.name for tag in response.context["tags"]]


def test_tags_come_by_name_in_pages_and_a_page_past_the_last_is_404(client, tags):
    url = reverse("articles:tag-list")
    pages = [client.get(url, {"page": n}) for n in (1, 2, 3)]
    assert [names(page) for page in pages] == [["Ajdabiya", "Benghazi"], ["Derna", "Sirte"], ["Tobruk"]]
    assert client.get(url, {"page": 4}).status_code == 404
    assert 'rel="next">Next →</a>' in pages[0].content.decode()
    assert "Page 2 of 3" in pages[1].content.decode()


def test_a_tag_is_sized_against_the_most_used_tag_on_every_page(client, tags):
    url = reverse("articles:tag-list")
    assert client.get(url, {"page": 2}).context["peak"] == 3
    assert "cloud__tag--5" not in client.get(url, {"page": 2}).content.decode()
    assert "cloud__tag--5" in client.get(url, {"page": 1}).content.decode()


def test_a_page_read_again_reads_back_its_own_rows_not_every_tag(client, tags, monkeypatch):
    from articles import public

    url = reverse("articles:tag-list")
    first = names(client.get(url, {"page": 2}))

    def every_tag():
        raise AssertionError("every tag read back for one page")

    with monkeypatch.context() as patched:
        patched.setattr(public, "tag_cloud_rows", every_tag)
        assert names(client.get(url, {"page": 2})) == first == ["Derna", "Sirte"]
    make_article(permitted=True, tags=["Brega"])  # an editorial change: the pages are read anew
    assert names(client.get(url, {"page": 2})) == ["Brega", "Derna"]
    assert client.get(url, {"page": 1}).context["peak"] == 3


def test_home_shows_the_most_used_tags_first(client, tags):
    home = client.get(reverse("articles:home"))
    assert [tag.name for tag in home.context["tags"]][:2] == ["Benghazi", "Ajdabiya"]
