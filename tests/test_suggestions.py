import re

import pytest
from django.urls import reverse

from articles.models import Article, ArticleActor, ArticlePlace, Status
from articles.suggestions import NameIndex, find_dates, suggest
from register.models import Actor
from register.text import normalize_name, strip_diacritics

from .accounts import make_user
from .conftest import link_actor, make_actor, make_article, make_place

pytestmark = pytest.mark.django_db

SARRAJ_TEXT = (
    "Prime Minister Fayez al-Sarraj met the envoy on 15 November. Al Serraj said that SARRAJ's plan stood, "
    "and Serraj’s office agreed.\n\nIn Arabic the papers wrote فايز السراج. Later Fāyez as-Sarrāj left for Tunis. "
    "The US and the LNA were not there; they met us in Akhribish in August 2017."
)


def sarraj():
    return make_actor(name="Fayez al-Sarraj", aliases=["al-Serraj", "Sarraj", "فايز السراج"])


def test_suggestions_find_every_spelling_of_a_known_actor():
    actor = sarraj()
    article = make_article(body=SARRAJ_TEXT, status=Status.DRAFT)

    found = suggest(article)

    match = next(m for m in found.unlinked_actors if m.obj == actor)
    assert match.variants == [
        "Fayez al-Sarraj",
        "Al Serraj",
        "SARRAJ's",
        "Serraj’s",
        "فايز السراج",
        "Fāyez as-Sarrāj",
    ]


def test_suggestions_match_whole_words_only_and_acronyms_in_capitals():
    make_actor(name="United States", aliases=["US", "U.S."])
    make_actor(name="Sirte Council")
    make_place(name="Sirt")
    article = make_article(body="Officials told us the U.S. envoy reached Sirte; Sirtean fighters left.")

    found = suggest(article)

    assert [(str(m.obj), m.variants) for m in found.actors] == [("United States", ["U.S."])]
    assert found.places == []


def test_linked_actors_are_not_suggested_again_but_still_highlighted():
    actor = sarraj()
    lna = make_actor(name="Libyan National Army", aliases=["LNA"])
    article = make_article(body=SARRAJ_TEXT)
    link_actor(article, lna)

    found = suggest(article)

    assert [m.obj for m in found.unlinked_actors] == [actor]
    html = str(found.highlighted_body())
    assert (
        '<mark class="mention mention-actor mention-linked" title="actor Libyan National Army (linked)">LNA</mark>'
        in html
    )
    assert "mention-unlinked" in html


def test_nested_names_are_suggested_too():
    un = make_actor(name="United Nations", aliases=["UN"])
    gna = make_actor(name="Government of National Accord", aliases=["UN-backed Government of National Accord"])
    article = make_article(body="The UN-backed Government of National Accord met.")

    found = suggest(article)

    assert {m.obj for m in found.actors} == {un, gna}


def test_candidate_new_actors_are_capitalised_names_not_in_the_register():
    sarraj()
    article = make_article(
        body="The Presidential Council met Fayez al-Sarraj. On Monday the Benghazi Revolutionaries Shura Council "
        "fought. Prime Minister Sarraj spoke. It was Monday."
    )

    found = suggest(article)

    assert [c.name for c in found.candidates] == ["Benghazi Revolutionaries Shura Council", "Presidential Council"]


def test_dates_in_the_text_are_read_with_their_precision():
    import datetime

    found = find_dates(
        "On 23 August fighting resumed; on August 24, 2017 it stopped; in July 2017 and 2017-08-01.",
        reference=datetime.date(2017, 8, 28),
    )

    assert [(d.text, d.value, d.precision) for _, _, d in found] == [
        ("23 August", datetime.date(2017, 8, 23), "day"),
        ("August 24, 2017", datetime.date(2017, 8, 24), "day"),
        ("July 2017", datetime.date(2017, 7, 1), "month"),
        ("2017-08-01", datetime.date(2017, 8, 1), "day"),
    ]


def test_suggestions_are_computed_in_a_bounded_number_of_queries(django_assert_max_num_queries):
    for n in range(30):
        make_actor(name=f"Commander Number {n}", aliases=[f"Cmdr {n}"])
    article = make_article(body=SARRAJ_TEXT * 20)

    with django_assert_max_num_queries(8):
        suggest(article)


# --------------------------------------------------------------------------
# In the admin
# --------------------------------------------------------------------------


def test_change_page_shows_suggestions_and_links_one_on_click(client):
    actor = sarraj()
    place = make_place(name="Khribish")
    place.aliases.create(name="Akhribish")
    article = make_article(body=SARRAJ_TEXT, status=Status.DRAFT)
    editor = make_user("editor")
    client.force_login(editor)
    url = reverse("admin:articles_article_change", args=[article.pk])
    link_url = reverse("admin:articles_article_link_suggestion", args=[article.pk])

    page = client.get(url).content.decode()
    assert "Fayez al-Sarraj" in page and "Khribish" in page
    assert f'action="{link_url}"' in page
    assert not ArticleActor.objects.exists()

    response = client.post(link_url, {"actor": actor.pk})
    client.post(link_url, {"place": place.pk})
    client.post(link_url, {"new_actor": "Presidential Council"})

    assert response.status_code == 302
    assert set(article.actors.values_list("name", flat=True)) == {"Fayez al-Sarraj", "Presidential Council"}
    assert list(article.places.all()) == [place]
    assert ArticleActor.objects.first().history.get().history_user == editor


def test_linking_a_suggestion_needs_post_csrf_and_change_permission(client):
    actor = sarraj()
    published = make_article(body=SARRAJ_TEXT, permitted=True)
    link_url = reverse("admin:articles_article_link_suggestion", args=[published.pk])

    client.force_login(make_user("editor"))
    got = client.get(link_url)
    refused = client.post(link_url, {"actor": actor.pk})
    client.logout()
    anonymous = client.post(link_url, {"actor": actor.pk})
    csrf_client = client.__class__(enforce_csrf_checks=True)
    csrf_client.force_login(make_user("publisher"))
    no_token = csrf_client.post(link_url, {"actor": actor.pk})

    assert got.status_code == 405
    assert refused.status_code == 302  # back to the article, with a message naming publishers
    assert anonymous.status_code == 302
    assert no_token.status_code == 403
    assert not ArticleActor.objects.exists()
    assert not ArticlePlace.objects.exists()


def test_new_actor_from_a_suggestion_reuses_a_known_spelling(client):
    actor = sarraj()
    article = make_article(body=SARRAJ_TEXT, status=Status.DRAFT)
    client.force_login(make_user("editor"))

    client.post(reverse("admin:articles_article_link_suggestion", args=[article.pk]), {"new_actor": "al-Serraj"})

    assert Actor.objects.count() == 1
    assert list(article.actors.all()) == [actor]


# --------------------------------------------------------------------------
# The sample archive
# --------------------------------------------------------------------------


def _mentioned(name: str, text: str, normalized_text: str) -> bool:
    """An independent reading: does the text spell this name, as whole words?"""
    if len(name) <= 5 and name.upper() == name and re.fullmatch(r"[A-Z0-9&.\-]+", name):
        return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None
    key = normalize_name(name)
    return bool(key) and f" {key} " in normalized_text


def test_suggestions_find_every_alias_variant_of_the_actors_annotated_in_each_sample_article(sample_archive):
    index = NameIndex()
    articles = list(Article.objects.prefetch_related("actors__aliases"))
    assert len(articles) == 5

    for article in articles:
        found = suggest(article, index)
        variants = {match.obj.pk: {normalize_name(v) for v in match.variants} for match in found.actors}
        checked = 0
        for actor in article.actors.all():
            for name in actor.all_names():
                for text in (article.title, article.standfirst, article.body):
                    normalized = f" {normalize_name(text)} "
                    # A name the text spells only across a full stop or a comma is not one mention.
                    if _mentioned(name, text, normalized) and _spelled_in_one_run(name, text):
                        checked += 1
                        # Found as spelled, or inside a longer spelling of the same actor ("Col. al-Sweti").
                        key = f" {normalize_name(name)} "
                        spelled = variants.get(actor.pk, set())
                        assert any(key in f" {variant} " for variant in spelled), (article.title, name)
        assert checked, article.title
        assert all(match.linked for match in found.actors if match.obj in article.actors.all())


def _spelled_in_one_run(name: str, text: str) -> bool:
    words = [re.escape(word) for word in re.findall(r"\w+", normalize_name(name))]
    joiner = r"(?:['’]s)?[\s\-'’.()]*(?:(?:al|el|as|ad|ar|at|az|an|ash)[\s\-]+)?"
    pattern = r"(?<!\w)" + joiner.join(words) + r"(?!\w)"
    return re.search(pattern, strip_diacritics(text).casefold()) is not None
