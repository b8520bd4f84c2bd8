"""
The admin's article changelist: each filter answers with the right rows, the tag and
actor filters take a typed name and say when it names nothing, the page runs the same
number of queries whatever the size of the archive, and PostgreSQL reads the first page
through the index on the list's order.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import synthetic
from articles.models import Article, Status
from register.models import ActorAlias, Tag, TagAlias

from .accounts import make_user
from .conftest import link_actor, make_actor, make_article, make_permission, make_publication

pytestmark = pytest.mark.django_db

URL = reverse("admin:articles_article_changelist")
# Session, user, the editor's permissions (user and group), the publications that have
# articles, the first and last dates, the estimated count and, for an archive this small,
# the exact one, the rows, and their tags' names.
CHANGELIST_QUERIES = 11


@pytest.fixture
def editor(client):
    client.force_login(make_user("editor"))
    return client


def titles(response) -> list[str]:
    assert response.status_code == 200
    return [row.title for row in response.context["cl"].result_list]


def filter_box(response, parameter: str) -> str:
    """The form of one typed filter, as the sidebar renders it."""
    html = response.content.decode()
    match = re.search(
        rf'<form method="get" class="archive-typed-filter">(?:(?!</form>).)*name="{parameter}"', html, re.S
    )
    assert match, f"no {parameter} box"
    return html[match.start() : html.index("</form>", match.start())]


def test_changelist_lists_newest_first_with_counts_and_tags(editor):
    older = make_article(title="Older", original_date=datetime.date(2016, 3, 1), tags=["Benghazi", "army"])
    newer = make_article(title="Newer", original_date=datetime.date(2017, 9, 1), permitted=True)
    link_actor(older, make_actor())

    response = editor.get(URL)

    assert titles(response) == ["Newer", "Older"]
    rows = {row.title: row for row in response.context["cl"].result_list}
    assert rows["Older"].actor_count == 1
    assert rows["Newer"].permission_state == "valid"
    assert rows["Older"].permission_state == "none"
    html = response.content.decode()
    assert "army, Benghazi" in html
    change = reverse("admin:articles_article_change", args=[newer.pk])
    assert f'<a href="{change}">Newer</a>' in html
    assert f'name="_selected_action" value="{newer.pk}" class="action-select"' in html


def test_editors_page_through_fifty_articles_at_a_time(editor):
    for day in range(1, 52):
        make_article(title=f"Day {day}", original_date=datetime.date(2017, 1, 1) + datetime.timedelta(days=day))

    first, second = editor.get(URL), editor.get(URL, {"p": "2"})

    assert titles(first) == [f"Day {day}" for day in range(51, 1, -1)]
    assert titles(second) == ["Day 1"]
    assert '<a href="?p=2" class="end">2</a>' in first.content.decode()


def test_status_and_publication_filters(editor):
    outlet = make_publication(name="Libya Herald")
    draft = make_article(title="Draft", publication=outlet)
    make_article(title="Published elsewhere", permitted=True, publication=make_publication())

    assert titles(editor.get(URL, {"status__exact": Status.DRAFT})) == ["Draft"]
    assert titles(editor.get(URL, {"publication__id__exact": outlet.pk})) == [draft.title]
    assert "Libya Herald" in editor.get(URL).content.decode()


def test_permission_filter_tells_valid_lapsed_and_none_apart(editor):
    valid = make_article(title="Valid", permitted=True)
    lapsed = make_article(title="Lapsed")
    make_permission(article=lapsed, expires_on=datetime.date(2017, 2, 1))
    standing = make_publication()
    make_permission(publication=standing)
    by_publication = make_article(title="Standing", publication=standing)
    make_article(title="None")

    assert sorted(titles(editor.get(URL, {"permission": "valid"}))) == sorted([valid.title, by_publication.title])
    assert titles(editor.get(URL, {"permission": "lapsed"})) == ["Lapsed"]
    assert titles(editor.get(URL, {"permission": "none"})) == ["None"]


@pytest.mark.parametrize("typed", ["bani-walid", "Bani Walid", "BANI WALID", "  bani walid  ", "Beni Walid"])
def test_tag_filter_takes_a_slug_or_a_name_in_any_case_or_a_kept_spelling(editor, typed):
    tagged = make_article(title="Tagged", tags=["Bani Walid"])
    make_article(title="Other", tags=["Misrata"])
    TagAlias.objects.create(tag=Tag.objects.get(name="Bani Walid"), name="Beni Walid")

    response = editor.get(URL, {"tag": typed})

    assert titles(response) == [tagged.title]
    assert "Showing “Bani Walid”." in response.content.decode()


def test_unknown_tag_says_so_and_lists_nothing(editor):
    make_article(tags=["Benghazi"])

    response = editor.get(URL, {"tag": "Atlantis"})

    assert titles(response) == []
    assert "There is no tag “Atlantis” in the register." in response.content.decode()


@pytest.mark.parametrize("typed", ["khalifa haftar", "Haftar", "KHALIFA HAFTAR", "خليفة حفتر", "khalifa-haftar"])
def test_actor_filter_takes_any_spelling_or_the_slug(editor, typed):
    haftar = make_actor(name="Khalifa Haftar", aliases=["Haftar", "خليفة حفتر"])
    linked = make_article(title="Linked")
    link_actor(linked, haftar)
    link_actor(make_article(title="Someone else"), make_actor(name="Fayez al-Sarraj"))

    response = editor.get(URL, {"actor": typed})

    assert titles(response) == ["Linked"]
    assert "Showing “Khalifa Haftar”." in response.content.decode()


def test_actor_filter_keeps_the_id_parameter_and_shows_the_name(editor):
    haftar = make_actor(name="Khalifa Haftar")
    link_actor(make_article(title="Linked"), haftar)
    make_article(title="Not linked")

    response = editor.get(URL, {"actors__id__exact": haftar.pk})

    assert titles(response) == ["Linked"]
    assert 'value="Khalifa Haftar"' in filter_box(response, "actor")


def test_a_name_shared_by_two_actors_lists_the_articles_of_both(editor):
    first, second = make_actor(name="Ahmed Ali"), make_actor(name="Ahmed Ali")
    link_actor(make_article(title="First"), first)
    link_actor(make_article(title="Second"), second)
    make_article(title="Neither")

    response = editor.get(URL, {"actor": "ahmed ali"})

    assert sorted(titles(response)) == ["First", "Second"]
    assert "names 2 actors" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"actor": "Nobody at all"},
        {"actor": "x" * 500},
        {"actor": "nul\x00byte"},
        {"actors__id__exact": "99999999"},
        {"actors__id__exact": "not a number"},
        {"actors__id__exact": "9" * 40},
        {"tag": "nul\x00byte"},
        {"tag": "t" * 500},
    ],
)
def test_unknown_or_malformed_names_list_nothing_with_a_message(editor, params):
    link_actor(make_article(tags=["Benghazi"]), make_actor())

    response = editor.get(URL, params)

    assert titles(response) == []
    assert "in the register." in response.content.decode()


def test_typed_filter_keeps_the_other_parameters_as_hidden_inputs(editor):
    make_article(status=Status.DRAFT, tags=["Benghazi"])

    response = editor.get(URL, {"status__exact": "draft", "q": "army", "o": "2", "tag": "benghazi", "p": "1"})

    box = filter_box(response, "actor")
    assert '<input type="hidden" name="status__exact" value="draft">' in box
    assert '<input type="hidden" name="q" value="army">' in box
    assert '<input type="hidden" name="o" value="2">' in box
    assert '<input type="hidden" name="tag" value="benghazi">' in box
    # A new filter starts again from the first page.
    assert 'name="p"' not in box
    tag_box = filter_box(response, "tag")
    assert 'name="tag" value="benghazi"' in tag_box
    assert '<input type="hidden" name="tag"' not in tag_box


def test_date_filter_offers_the_years_between_the_first_and_last_dates_then_their_months(editor):
    make_article(title="2016", original_date=datetime.date(2016, 11, 5))
    make_article(title="2017 March", original_date=datetime.date(2017, 3, 9))
    make_article(title="2017 July", original_date=datetime.date(2017, 7, 1))

    everything = editor.get(URL).content.decode()
    assert "?dated__year=2017" in everything and "?dated__year=2016" in everything
    assert "?dated__year=2015" not in everything

    assert titles(editor.get(URL, {"dated__year": "2017"})) == ["2017 July", "2017 March"]
    assert titles(editor.get(URL, {"dated__year": "2017", "dated__month": "3"})) == ["2017 March"]
    in_2016 = editor.get(URL, {"dated__year": "2016"}).content.decode()
    assert "November 2016" in in_2016 and "December 2016" in in_2016 and "October 2016" not in in_2016


@pytest.mark.parametrize(
    "params", [{"dated__year": "twenty"}, {"dated__year": "0"}, {"dated__year": "2017", "dated__month": "13"}]
)
def test_a_malformed_date_sends_back_to_the_whole_list(editor, params):
    make_article()

    response = editor.get(URL, params)

    assert response.status_code == 302
    assert response.url == URL + "?e=1"


def test_filters_combine(editor):
    haftar = make_actor(name="Khalifa Haftar")
    both = make_article(title="Both", status=Status.DRAFT, tags=["Benghazi"], original_date=datetime.date(2017, 5, 1))
    link_actor(both, haftar)
    link_actor(make_article(title="Actor only", status=Status.DRAFT), haftar)
    make_article(title="Tag only", status=Status.DRAFT, tags=["Benghazi"])

    response = editor.get(
        URL,
        {
            "status__exact": "draft",
            "tag": "Benghazi",
            "actor": "khalifa haftar",
            "dated__year": "2017",
            "permission": "none",
        },
    )

    assert titles(response) == ["Both"]


def changelist_queries(client):
    """The number of queries of the changelist once warm, and its response."""
    client.get(URL)  # the session and the content types, once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)
    assert response.status_code == 200
    return len(captured.captured_queries), response


def test_changelist_queries_do_not_grow_with_the_archive(editor, django_assert_max_num_queries):
    article = make_article(title="Small archive", tags=["Small archive tag"])
    link_actor(article, make_actor(name="A small archive's actor"))
    small, _ = changelist_queries(editor)

    synthetic.generate_archive(articles=1200, seed=1)
    assert Tag.objects.count() > 200
    assert ActorAlias.objects.exists()
    large, response = changelist_queries(editor)
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        editor.get(URL, {"p": "2"})

    assert small == large == CHANGELIST_QUERIES
    assert len(response.context["cl"].result_list) == 50
    # The sidebar does not list the register: no link per tag or per actor.
    sidebar = response.content.decode().split('id="changelist-filter"')[1]
    assert "tag=" not in sidebar.split("</nav>")[0]
    assert "actors__id__exact=" not in sidebar.split("</nav>")[0]


# --------------------------------------------------------------------------
# PostgreSQL's plan of the page at archive scale
# --------------------------------------------------------------------------


@pytest.fixture
def generated():
    synthetic.generate_archive(articles=2000, seed=1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plans of PostgreSQL")
def test_first_page_walks_the_index_on_the_order_and_probes_permissions_per_row(client, generated):
    client.force_login(make_user("editor"))
    client.get(URL)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    rows = [q["sql"] for q in captured.captured_queries if '"permission_state"' in q["sql"]]
    assert len(rows) == 1

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (VERBOSE) " + rows[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Scan Backward using article_dated on public.articles_article" in plan, plan
    assert not re.search(r"Seq Scan on (public\.)?articles_article(?!\w)", plan), plan
    assert "Sort Key" not in plan, plan
    # A hashed subplan reads every permission before the first row.
    assert "hashed SubPlan" not in plan, plan
    assert Article.objects.count() == 2000
