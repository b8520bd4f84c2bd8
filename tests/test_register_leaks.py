"""Nothing only a draft knows reaches readers through the register, its filters or its counts."""

import pytest
from django.urls import reverse

from articles.models import Status
from register.models import Affiliation
from tests.conftest import (
    link_actor,
    link_event,
    link_place,
    make_actor,
    make_article,
    make_event,
    make_permission,
    make_place,
    make_publication,
)

pytestmark = pytest.mark.django_db


def read(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


@pytest.fixture
def archive():
    """A public article about the LNA, and a draft from an outlet, a place, an event and a tag nothing public names."""
    outlet = make_publication(name="Public outlet")
    lna = make_actor(name="Libyan National Army", slug="lna")
    country = make_place(name="Libya")
    town = make_place(name="Public town", parent=country)
    shown = make_article(permitted=True, title="Public report", publication=outlet, tags=["public-tag"])
    link_actor(shown, lna)
    link_place(shown, town)
    link_event(shown, make_event(title="Public battle", place=town))

    secret_outlet = make_publication(name="Secret outlet", slug="secret-outlet")
    brigade = make_actor(name="Secret Brigade", slug="secret-brigade", aliases=["Hidden Brigade"])
    Affiliation.objects.create(actor=brigade, organisation=lna, role="brigade", note="Named in the secret draft.")
    Affiliation.objects.create(actor=lna, organisation=make_actor(name="Secret Alliance"), role="member")
    hamlet = make_place(name="Secret hamlet", slug="secret-hamlet", parent=country)
    draft = make_article(status=Status.DRAFT, title="Secret draft", publication=secret_outlet, tags=["secret-tag"])
    make_permission(article=draft)
    link_actor(draft, brigade)
    link_place(draft, hamlet)
    secret_event = make_event(title="Secret clash", slug="secret-clash", place=hamlet, notes="Read from the draft.")
    link_event(draft, secret_event)
    return {"lna": lna, "draft": draft, "secret_event": secret_event}


def test_affiliations_name_only_actors_something_public_refers_to(client, archive):
    page = client.get(archive["lna"].get_absolute_url()).content.decode()
    assert "Secret Brigade" not in page and "Secret Alliance" not in page
    assert "Named in the secret draft." not in page
    api = client.get("/api/actors/lna/", HTTP_ACCEPT="application/json").content.decode()
    assert "Secret" not in api


SECRET_VALUES = {
    "place": "secret-hamlet",
    "publication": "secret-outlet",
    "actor": "secret-brigade",
    "event": "secret-clash",
    "tag": "secret-tag",
}


@pytest.mark.parametrize("name", SECRET_VALUES)
@pytest.mark.parametrize("path", ["/articles/", "/events/", "/api/articles/", "/api/events/", "/export/events.csv"])
def test_a_filter_naming_what_only_a_draft_knows_answers_as_an_unknown_name(client, archive, name, path):
    def answer(value):
        response = client.get(path, {name: value}, HTTP_ACCEPT="application/json" if "/api/" in path else "text/html")
        body = read(response).replace(value, "VALUE")
        if "/api/" not in path and "export" not in path:
            body = [str(error).replace(value, "VALUE") for error in response.context["filter_errors"]]
        return response.status_code, body

    secret, unknown = answer(SECRET_VALUES[name]), answer("no-such-thing-anywhere")
    assert secret == unknown
    assert secret[0] in (200, 400) and secret[1]


def test_a_name_known_only_from_a_draft_answers_as_an_unknown_one_by_alias_too(client, archive):
    secret = client.get("/api/articles/", {"actor": "Hidden Brigade"}, HTTP_ACCEPT="application/json")
    unknown = client.get("/api/articles/", {"actor": "Nobody Atall"}, HTTP_ACCEPT="application/json")
    assert secret.status_code == unknown.status_code == 400
    assert secret.json()["actor"][0].replace("Hidden Brigade", "X") == unknown.json()["actor"][0].replace(
        "Nobody Atall", "X"
    )


def test_event_notes_are_shown_only_while_every_report_of_the_event_is_public(client, archive):
    public_battle = archive["draft"].event_links.model.objects.get(event__title="Public battle").event
    public_battle.notes = "Figures from the reports, one of them not yet published."
    public_battle.save()
    assert "one of them not yet published" in client.get(public_battle.get_absolute_url()).content.decode()

    link_event(archive["draft"], public_battle)
    for url in [public_battle.get_absolute_url(), f"/api/events/{public_battle.slug}/", "/export/events.csv"]:
        assert "one of them not yet published" not in read(client.get(url)), url


def test_pages_and_counts_never_name_what_only_a_draft_knows(client, archive):
    for url in [
        reverse("articles:home"),
        reverse("articles:list"),
        reverse("articles:event-list"),
        reverse("articles:actor-list"),
        reverse("articles:tag-list"),
        "/places/libya/",
        "/api/places/?page_size=100",
        "/api/tags/?page_size=100",
        "/api/actors/?page_size=100",
        "/export/events.json",
        reverse("articles:search") + "?q=secret",
    ]:
        assert "Secret" not in read(client.get(url)), url
