"""Tag names at and past the limits: a form error or one tag, never a server error."""

import pytest
from django.urls import reverse

from register.models import Tag

from .accounts import make_user
from .conftest import make_article

pytestmark = pytest.mark.django_db


def add_tag(client, name):
    return client.post(
        reverse("admin:register_tag_add"),
        {"name": name, "slug": "", "aliases-TOTAL_FORMS": 0, "aliases-INITIAL_FORMS": 0},
    )


@pytest.mark.parametrize("length", [101, 1000])
def test_a_tag_name_past_100_characters_is_a_form_error(client, length):
    client.force_login(make_user("editor"))
    response = add_tag(client, "x" * length)
    assert response.status_code == 200
    assert "at most 100 characters" in response.content.decode()
    assert not Tag.objects.exists()


def test_a_tag_name_of_exactly_100_characters_is_one_tag(client):
    client.force_login(make_user("editor"))
    response = add_tag(client, "y" * 100)
    assert response.status_code == 302
    assert Tag.objects.get().name == "y" * 100


@pytest.mark.parametrize("name", ["Benghazi, Sirte", 'the "Third Force"', "Haftar's army", "بنغازي"])
def test_commas_quotes_and_arabic_make_one_tag(client, name):
    client.force_login(make_user("editor"))
    response = add_tag(client, name)
    assert response.status_code == 302
    tag = Tag.objects.get()
    assert tag.name == name
    assert tag.slug


def test_a_case_variant_of_an_existing_tag_is_a_form_error_not_a_second_tag(client):
    Tag.objects.create(name="ISIS")
    client.force_login(make_user("editor"))
    response = add_tag(client, "isis")
    assert response.status_code == 200
    assert Tag.objects.count() == 1


def test_tagging_in_code_with_a_case_variant_reuses_the_tag():
    article = make_article(tags=["ISIS"])
    article.tags.add("Isis")
    assert Tag.objects.count() == 1
    assert list(article.tags.names()) == ["ISIS"]
