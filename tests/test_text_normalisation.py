"""
Text is normalised once, at the edge (the admin's text fields, the importer): a
change form posted back unchanged, as a browser posts it, writes nothing.
"""

import unicodedata

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from articles.importer import import_articles
from articles.models import Article, ProvenanceActivity, Status, normalize_text

from .accounts import make_user
from .browser_form import posted_form
from .conftest import link_actor, link_event, link_place, make_actor, make_article, make_event, make_place

pytestmark = pytest.mark.django_db

BODY = "Fighting resumed in Ganfuda on Monday, said the café owner.\n\nResidents fled west towards the coast."


def everything() -> dict[str, list]:
    """Every row of the archive, its history and the admin's log, by model."""
    return {
        model._meta.label: sorted(map(repr, model._default_manager.values()))
        for model in apps.get_models()
        if model._meta.app_label in ("articles", "register", "admin")
    }


def annotated_article(**kwargs) -> Article:
    article = make_article(
        body=BODY,
        standfirst="Fighting resumed.\nResidents fled.",
        editor_notes="Check the date.\n\nAsk the author.",
        tags=["Ganfuda", "Benghazi"],
        **kwargs,
    )
    link_actor(article, make_actor(name="Libyan National Army"))
    link_place(article, make_place(name="Ganfuda"))
    link_event(article, make_event(), excerpt="Residents fled west\ntowards the coast.")
    return article


def post_back(client, article, **changes):
    url = reverse("admin:articles_article_change", args=[article.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = posted_form(page.content.decode(), "article_form")
    assert "\r\n" in data["body"][0]
    data.update({name: [value] for name, value in changes.items()})
    data["_save"] = ["Save"]
    return client.post(url, data)


@pytest.mark.parametrize(("role", "status"), [("editor", Status.DRAFT), ("publisher", Status.PUBLISHED)])
def test_saving_the_change_form_unchanged_as_a_browser_posts_it_writes_nothing(client, role, status):
    article = annotated_article(status=status, permitted=status == Status.PUBLISHED)
    client.force_login(make_user(role))
    before = everything()
    response = post_back(client, article)
    assert response.status_code == 302
    assert everything() == before
    assert list(article.provenance.values_list("activity", flat=True)) == [ProvenanceActivity.IMPORTED]


def test_a_changed_text_saved_through_the_form_is_recorded_once_normalised(client):
    article = annotated_article()
    client.force_login(make_user("editor"))
    decomposed = unicodedata.normalize("NFD", BODY + "\r\n\r\nA correction.  \r\n")
    assert post_back(client, article, body=decomposed).status_code == 302
    article.refresh_from_db()
    assert article.body == BODY + "\n\nA correction."
    activities = list(article.provenance.values_list("activity", flat=True))
    assert activities == [ProvenanceActivity.IMPORTED, ProvenanceActivity.CORRECTED]
    assert article.provenance.get(activity=ProvenanceActivity.CORRECTED).sha256 == article.body_sha256
    assert LogEntry.objects.count() == 1
    # The same text posted again is no change.
    assert post_back(client, article).status_code == 302
    assert article.provenance.count() == 2


def test_the_importer_normalises_as_the_form_does(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(unicodedata.normalize("NFD", "A title\r\n\r\nThe café burned.\r\rAgain.\r\n").encode())
    (article,) = import_articles(paths=[str(path)]).created
    assert article.body == "A title\n\nThe café burned.\n\nAgain."
    assert article.body == normalize_text(article.body)
