"""The register's admin lists count each record's links; its autocompletes and forms count nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .accounts import make_user
from .conftest import link_actor, link_event, make_actor, make_article, make_event, make_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def haftar():
    actor = make_actor(name="Khalifa Haftar", slug="khalifa-haftar", aliases=["Hafter"])
    for _ in range(3):
        link_actor(make_article(permitted=True), actor)
    link_event(
        make_article(permitted=True),
        make_event(place=make_place(name="Benghazi"), participants=[(actor, "actor_1", "initiator")]),
    )
    return actor


def test_actor_list_shows_link_counts(editor_client, haftar):
    response = editor_client.get(reverse("admin:register_actor_changelist"))
    row = next(obj for obj in response.context["cl"].result_list if obj.pk == haftar.pk)
    assert (row.article_count, row.event_count) == (3, 1)
    assert "Hafter" in response.content.decode()


def test_actor_autocomplete_finds_by_alias_and_counts_no_links(editor_client, haftar):
    url = reverse("admin:autocomplete")
    params = {"app_label": "articles", "model_name": "articleactor", "field_name": "actor", "term": "hafter"}
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(url, params)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(haftar.pk)]
    linked = [q["sql"] for q in queries.captured_queries if "articles_articleactor" in q["sql"]]
    assert linked == []


@pytest.mark.parametrize("term", ["khalifa", "KHALIFA haftar", "hafter", '"Khalifa Haftar"', "Ḥaftar"])
def test_actor_search_finds_by_name_slug_alias_and_spelling_without_duplicates(editor_client, haftar, term):
    make_actor(name="Khalifa Ghwell", aliases=["Khalifa al-Ghawil"])
    response = editor_client.get(reverse("admin:register_actor_changelist"), {"q": term})
    found = [obj.pk for obj in response.context["cl"].result_list]
    assert haftar.pk in found and len(found) == len(set(found))


REGISTER = {
    "Fayez al-Serraj": ["Sarraj", "al-Sarraj"],
    "Khalifa Haftar": ["Hafter", "Khalifa Belqasim Haftar"],
    "Ahmed al-Mismari": [],
    "Ahmad Maiteeq": ["Ahmed Maitig"],
    "Ṣabrī Council": ["Sabri Municipal Council"],
    "Khalifa Ghwell": ["Khalifa al-Ghawil"],
}


def make_records(model, records) -> None:
    """Actors or places, each (name, aliases)."""
    from register.models import Actor, PlaceAlias

    for name, aliases in records:
        if model is Actor:
            make_actor(name=name, aliases=aliases)
        else:
            place = make_place(name=name)
            for alias in aliases:
                PlaceAlias.objects.create(place=place, name=alias)


def matching(model, term: str) -> list:
    """
    The records the register's search finds for `term`, in name and id order, by its
    definition: each word in the name or an alias (as Django's admin searches), or the
    normalised term in either.
    """
    from django.utils.text import smart_split, unescape_string_literal

    from register.text import normalize_name

    words = [unescape_string_literal(w) if w[0] in "'\"" and w[0] == w[-1] else w for w in smart_split(term)]
    key = normalize_name(term)
    found = []
    for record in model.objects.prefetch_related("aliases").order_by("name", "pk"):
        names = [record.name, *(alias.name for alias in record.aliases.all())]
        keys = [record.name_key, *(alias.name_key for alias in record.aliases.all())]
        if (key and any(key in k for k in keys)) or all(any(w.lower() in n.lower() for n in names) for w in words):
            found.append(record)
    return found


def offered(model, term: str) -> list:
    """What an autocomplete offers for `term`: the matches whose name begins with the normalised term, then the rest."""
    from register.text import normalize_name

    key = normalize_name(term)
    found = matching(model, term)
    leading = [record for record in found if key and record.name_key.startswith(key)]
    return leading + [record for record in found if record not in leading]


@pytest.mark.parametrize(
    "term",
    [
        "ahme",
        "Ahmed",
        "haftar khalifa",
        "khalifa hafter",
        "belqasim haftar",
        "al serraj",
        "serraj",
        "sabri",
        "ahmed mismari",
        "mismari ahmed",
        "ahm mait",
        "council sabri",
        "khalifa-ghawil",
        "Sabri's council",
        "sabri council.",
        "al",
        "x",
        '"Khalifa Haftar"',
    ],
)
@pytest.mark.parametrize("model_name", ["actor", "place"])
def test_register_search_finds_what_each_word_or_the_spelling_names(model_name, term, rf):
    """Each word of the term in the name or an alias (as Django's admin searches), or the normalised term in either."""
    from django.contrib import admin
    from django.contrib.auth.models import User

    from register.models import Actor, Place

    model = {"actor": Actor, "place": Place}[model_name]
    make_records(model, REGISTER.items())
    expected = {record.pk for record in matching(model, term)}
    request = rf.get("/admin/")
    request.user = User(is_superuser=True, is_staff=True)
    found, duplicates = admin.site.get_model_admin(model).get_search_results(request, model.objects.all(), term)
    assert not duplicates
    assert sorted(found.values_list("pk", flat=True)) == sorted(expected)


def test_actor_autocomplete_pages_without_counting_every_match(editor_client):
    for n in range(25):
        make_actor(name=f"Brigade {n:02d}", aliases=[f"Katiba {n:02d}", f"Kateeba {n:02d}"])
    url = reverse("admin:autocomplete")
    params = {"app_label": "articles", "model_name": "articleactor", "field_name": "actor", "term": "katiba"}
    with CaptureQueriesContext(connection) as queries:
        first = editor_client.get(url, params).json()
    assert len(first["results"]) == 20 and first["pagination"]["more"] is True
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"] or "DISTINCT" in q["sql"]]
    second = editor_client.get(url, {**params, "page": 2}).json()
    assert len(second["results"]) == 5 and second["pagination"]["more"] is False
    names = [item["text"] for item in first["results"] + second["results"]]
    assert names == [f"Brigade {n:02d}" for n in range(25)]
    assert editor_client.get(url, {**params, "page": 3}).status_code == 404


@pytest.mark.parametrize("model_name", ["actor", "place"])
def test_autocomplete_pages_are_the_leading_names_then_the_other_matches_in_name_order(
    editor_client, monkeypatch, model_name
):
    """
    Page after page, an autocomplete shows the search's matches whose name begins with
    the term, then the others, each in name and id order, for terms of a letter or two
    (asked of each record in name order) and longer ones (gathered from the names and
    aliases): names and aliases drawn from a few syllables, some accented, so that terms
    match often, by name, by alias and by the normalised term, interleaved, and some
    names repeat; the leading names end within a page, at its end, and pages before.
    """
    import random

    from django.contrib.admin.views.autocomplete import AutocompleteJsonView

    from register.models import Actor, Place

    model = {"actor": Actor, "place": Place}[model_name]
    draw = random.Random(model_name)
    syllables = ["ab", "ka", "ṣa", "sa", "al-", "ri", "bī", "bi"]

    def words(count):
        return " ".join("".join(draw.choices(syllables, k=draw.randint(1, 3))) for _ in range(count))

    records = [
        (words(draw.randint(1, 3)), {words(draw.randint(1, 2)) for _ in range(draw.randint(0, 2))}) for _ in range(70)
    ]
    # "sa bi" finds these by the normalised term alone, and the ones after them by each word.
    records += [(f"ab sa bī {n}", set()) for n in range(4)] + [(f"ab sa kabi {n}", set()) for n in range(8)]
    records += [("ab ka", {"ri"})] * 3
    make_records(model, records)
    monkeypatch.setattr(AutocompleteJsonView, "paginate_by", 5)  # many pages
    url = reverse("admin:autocomplete")
    params = {"app_label": "articles", "model_name": f"article{model_name}", "field_name": model_name}
    terms = ["a", "sa", "ṣa", "bi", "ri", "ab ka", "sa bi", "ka sa", "al", "zz", "abka", "sabi", "ṣab", "kabi ab"]
    terms += ["ab", "ab sa", "ab sa kabi", "ka", "sab"]
    for term in terms + [words(2) for _ in range(6)]:
        shown, page, more = [], 1, True
        while more:
            response = editor_client.get(url, {**params, "term": term, "page": page})
            assert response.status_code == 200, (term, page)
            results = response.json()["results"]
            assert len(results) <= 5
            shown += [int(item["id"]) for item in results]
            more, page = response.json()["pagination"]["more"], page + 1
        assert shown == [record.pk for record in offered(model, term)], term


@pytest.mark.parametrize(
    ("term", "gathered"), [("a", False), ("al sa", False), ("ahmed al", False), ("ahme", True), ("ahmed mismari", True)]
)
def test_a_term_with_a_word_too_short_for_a_trigram_is_asked_of_each_record(editor_client, term, gathered):
    """
    Such a word reads every name however asked: it is checked record by record in name order, not
    gathered. The names that begin with the term are asked first, and are too few here to fill the page.
    """
    make_actor(name="Ahmed al-Mismari", aliases=["Ahmad Mismari"])
    params = {"app_label": "articles", "model_name": "articleactor", "field_name": "actor", "term": term}
    with CaptureQueriesContext(connection) as queries:
        assert editor_client.get(reverse("admin:autocomplete"), params).status_code == 200
    leading, sql = [q["sql"] for q in queries.captured_queries if 'FROM "register_actor"' in q["sql"]]
    assert "UNION" not in leading and "EXISTS" not in leading
    assert ("UNION" in sql) is gathered
    assert ("EXISTS" in sql) is not gathered


def test_an_autocomplete_offers_the_names_that_begin_with_the_term_first_without_gathering_the_rest(editor_client):
    """
    A common term's matches grow with the register; the names that begin with it fill an
    autocomplete's first page through the name key's prefix, and the others (a later word, an
    alias) are gathered only for a page the leading names do not fill.
    """
    from register.models import Actor

    for n in range(25):
        make_actor(name=f"Ahmed Brigade {n:02d}", aliases=[])
    make_actor(name="Abdelhakim Ahmed al-Mismari", aliases=[])
    make_actor(name="Zintan Council", aliases=["Ahmed's men"])
    url = reverse("admin:autocomplete")
    params = {"app_label": "articles", "model_name": "articleactor", "field_name": "actor", "term": "ahme"}
    with CaptureQueriesContext(connection) as queries:
        first = editor_client.get(url, params).json()
    asked = [q["sql"] for q in queries.captured_queries if 'FROM "register_actor"' in q["sql"]]
    assert len(asked) == 1 and "UNION" not in asked[0] and "COUNT(" not in asked[0]
    assert [item["text"] for item in first["results"]] == [f"Ahmed Brigade {n:02d}" for n in range(20)]
    assert first["pagination"]["more"] is True
    second = editor_client.get(url, {**params, "page": 2}).json()
    names = ["Ahmed Brigade 20", "Ahmed Brigade 21", "Ahmed Brigade 22", "Ahmed Brigade 23", "Ahmed Brigade 24"]
    assert [item["text"] for item in second["results"]] == [*names, "Abdelhakim Ahmed al-Mismari", "Zintan Council"]
    assert second["pagination"]["more"] is False
    assert [actor.name for actor in offered(Actor, "ahme")][20:] == [item["text"] for item in second["results"]]
    # The admin's own list keeps plain name order.
    listed = editor_client.get(reverse("admin:register_actor_changelist"), {"q": "ahme"})
    assert [actor.name for actor in listed.context["cl"].result_list][:2] == [
        "Abdelhakim Ahmed al-Mismari",
        "Ahmed Brigade 00",
    ]


@pytest.mark.parametrize("name", ["actor", "place", "event"])
def test_change_forms_count_no_links(editor_client, haftar, name):
    obj = {"actor": haftar, "place": make_place(name="Sirte"), "event": make_event()}[name]
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(reverse(f"admin:register_{name}_change", args=[obj.pk]))
    assert response.status_code == 200
    table = f"register_{name}"
    own = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(f'SELECT "{table}"."id"')]
    assert own and not [sql for sql in own if "COUNT(" in sql]
