"""
Every article tag link carries its article's date, kept by the database
(articles.tag_dates), whichever way the link or the article is written; tag
lists read a tag's newest articles from it, page after page.
"""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from articles import tag_dates
from articles.models import Article, Status, TaggedArticle
from register.models import Tag

from .conftest import make_article, make_permission, make_publication

pytestmark = pytest.mark.django_db


def link_dates(article) -> set:
    return set(TaggedArticle.objects.filter(content_object=article).values_list("dated", flat=True))


def test_links_added_through_taggit_carry_the_article_date():
    article = make_article(original_date=datetime.date(2017, 3, 4), tags=["Sirte", "oil"])
    assert link_dates(article) == {datetime.date(2017, 3, 4)}


def test_a_new_date_reaches_every_link_by_save_and_by_update():
    article = make_article(original_date=datetime.date(2017, 3, 4), tags=["Sirte", "oil"])
    article.original_date = datetime.date(2016, 12, 1)
    article.save()
    assert link_dates(article) == {datetime.date(2016, 12, 1)}
    Article.objects.filter(pk=article.pk).update(dated=datetime.date(2015, 5, 5))
    assert link_dates(article) == {datetime.date(2015, 5, 5)}


def test_bulk_created_and_rewritten_links_carry_the_article_date():
    article = make_article(original_date=datetime.date(2017, 6, 1))
    tag = Tag.objects.create(name="Ajdabiya")
    TaggedArticle.objects.bulk_create([TaggedArticle(tag=tag, content_object=article)])
    assert link_dates(article) == {datetime.date(2017, 6, 1)}
    link = TaggedArticle.objects.get(content_object=article)
    link.dated = datetime.date(1999, 1, 1)  # not editable: the database puts the article's date back
    link.save()
    assert link_dates(article) == {datetime.date(2017, 6, 1)}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite drops a table's triggers when it rebuilds it")
def test_triggers_dropped_by_a_table_rebuild_come_back_with_every_date():
    article = make_article(original_date=datetime.date(2017, 3, 4), tags=["Sirte"])
    with connection.cursor() as cursor:
        for name in tag_dates.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute("UPDATE articles_taggedarticle SET dated = NULL")
    tag_dates.ensure_triggers()
    assert link_dates(article) == {datetime.date(2017, 3, 4)}
    article.original_date = datetime.date(2017, 1, 1)
    article.save()
    assert link_dates(article) == {datetime.date(2017, 1, 1)}


def test_a_synthetic_archive_loads_its_links_dated_and_keeps_the_triggers():
    from django.db.models import F

    from articles import synthetic

    synthetic.generate_archive(articles=60, seed=5)
    links = TaggedArticle.objects.all()
    assert links.exists()
    assert not links.exclude(dated=F("content_object__dated")).exists()
    article = Article.objects.filter(tags__isnull=False).first()
    Article.objects.filter(pk=article.pk).update(dated=datetime.date(2001, 2, 3))
    assert link_dates(article) == {datetime.date(2001, 2, 3)}
    tag = Tag.objects.create(name="Zliten")
    TaggedArticle.objects.create(tag=tag, content_object=article, dated=datetime.date(1999, 1, 1))
    assert link_dates(article) == {datetime.date(2001, 2, 3)}


def test_triggers_suspended_for_a_load_that_fails_are_back_after_it():
    from django.db import transaction

    article = make_article(original_date=datetime.date(2017, 6, 1))
    with pytest.raises(ValueError), transaction.atomic(), tag_dates.suspended(connection):
        raise ValueError("the load failed")
    TaggedArticle.objects.bulk_create([TaggedArticle(tag=Tag.objects.create(name="Derna"), content_object=article)])
    assert link_dates(article) == {datetime.date(2017, 6, 1)}


def test_tag_list_pages_found_by_key_match_the_whole_list(client, settings):
    settings.ARCHIVE_PAGE_SIZE = 3
    settings.ARCHIVE_PAGE_CACHE = False
    outlet = make_publication(name="Dated outlet")
    make_permission(publication=outlet)
    day = datetime.date(2017, 3, 1)
    for i in range(40):
        # Several articles share each date, so the id breaks ties across page boundaries.
        tags = ["Benghazi", "oil"] if i % 3 else ["Benghazi"]
        make_article(
            title=f"Report {i:02}",
            status=Status.PUBLISHED,
            publication=outlet,
            original_date=day - datetime.timedelta(i // 4),
            tags=tags,
        )
    make_article(title="Draft", status=Status.DRAFT, publication=outlet, original_date=day, tags=["Benghazi"])
    for query, tags in (({"tag": "benghazi"}, {"Benghazi"}), ({"tag": ["benghazi", "oil"]}, {"Benghazi", "oil"})):
        tagged = Article.objects.public()
        for name in tags:
            tagged = tagged.filter(tags__name=name)
        expected = list(tagged.order_by("-dated", "-id").values_list("title", flat=True))
        pages, number = [], 1
        while True:
            response = client.get(reverse("articles:list"), {**query, "page": number})
            if response.status_code == 404:
                break
            pages.append([a.title for a in response.context["object_list"]])
            number += 1
        assert number > 7  # past the pages reached by OFFSET
        assert [title for page in pages for title in page] == expected


def test_list_items_show_their_tags_by_name(client):
    make_article(permitted=True, title="Tagged in no order", tags=["zawiya", "Ajdabiya", "misrata"])
    page = client.get(reverse("articles:list")).content.decode()
    positions = [page.index(f">{name}</a>") for name in ("Ajdabiya", "misrata", "zawiya")]
    assert positions == sorted(positions)
