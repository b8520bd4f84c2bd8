"""The sample archive that ships with the project: what it holds and how it links up."""

from pathlib import Path

import pytest
from django.core.management import call_command

from articles.fixity import check_fixity
from articles.importer import import_articles
from articles.models import Article, ArticleEvent, ProvenanceActivity, Status
from register.models import Actor, Event, Place

pytestmark = pytest.mark.django_db

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
PUBLISHED = {
    "weekly-brief-khribish-kanna-algiers-mayors-brussels",
    "weekly-brief-airstrikes-south-of-sirte-serraj-sullivan-salame",
    "weekly-brief-isis-attack-al-fugaha-johnson-haftar-paris",
}


def test_the_sample_holds_five_articles_three_public_and_two_drafts_awaiting_permission(sample_archive):
    assert Article.objects.count() == 5
    assert set(Article.objects.public().values_list("slug", flat=True)) == PUBLISHED
    drafts = Article.objects.exclude(slug__in=PUBLISHED)
    assert {a.status for a in drafts} == {Status.DRAFT}
    for draft in drafts:
        assert "republication permission" in draft.missing_fields()
        assert not draft.permissions.exists()


def test_the_published_articles_carry_the_permission_statement_as_evidence(sample_archive):
    for article in Article.objects.public():
        permission = article.current_permission()
        assert permission.evidence == "This article was republished with explicit permission from the author."
        assert permission.attribution == "Republished with explicit permission from the author."
        assert permission.evidence_kind == "statement"


def test_the_register_is_annotated(sample_archive):
    assert Actor.objects.count() >= 50
    assert Place.objects.count() >= 30
    assert Event.objects.count() >= 30
    assert ArticleEvent.objects.count() >= 35
    for article in Article.objects.all():
        assert article.event_links.exists(), article.slug
        assert article.actor_links.exists(), article.slug
        assert article.place_links.exists(), article.slug
        assert article.tags.exists(), article.slug


@pytest.mark.parametrize(
    ("slug", "spellings"),
    [
        ("fayez-al-sarraj", ["al-Sarraj", "al-Serraj", "Serraj", "Sarraj", "Fayez al-Serraj"]),
        ("khalifa-haftar", ["Haftar", "General Haftar", "Khalifa Haftar"]),
        ("ahmed-al-mismari", ["Ahmed al-Mismari", "Ahmed Mismari"]),
        ("islamic-state", ["ISIS", "the Islamic State", "Islamic State Group"]),
        ("libyan-national-army", ["LNA", "Libyan Army"]),
    ],
)
def test_every_spelling_in_the_texts_finds_the_same_actor(sample_archive, slug, spellings):
    for spelling in spellings:
        assert [a.slug for a in Actor.objects.matching(spelling)] == [slug], spelling


def test_khribish_is_found_as_akhribish_and_sits_in_sabri_in_benghazi(sample_archive):
    [khribish] = Place.objects.matching("Akhribish")
    assert khribish.hierarchy() == "Libya > Benghazi > Sabri > Khribish"


def test_every_event_link_quotes_its_article_word_for_word(sample_archive):
    for link in ArticleEvent.objects.select_related("article"):
        body = " ".join(link.article.body.split())
        assert " ".join(link.excerpt.split()) in body
        paragraph = link.article.paragraphs()[link.paragraph - 1]
        assert " ".join(link.excerpt.split()) in " ".join(paragraph.split())


def test_the_khribish_fighting_is_one_event_reported_by_two_articles(sample_archive):
    event = Event.objects.get(slug="khribish-siege-and-clashes-2017-07")
    assert event.articles.count() == 2
    assert event.parent is not None


def test_events_and_sub_events_link_up(sample_archive):
    campaign = Event.objects.get(slug="lna-campaign-for-benghazi-2014-05")
    assert campaign.sub_events.exists()
    assert all(event.start_date >= campaign.start_date for event in campaign.sub_events.all())


def test_dates_say_no_more_than_the_texts_support(sample_archive):
    undated = Article.objects.get(slug="army-territorial-gains-haftar-russia")
    assert undated.original_date_precision == "year"
    for event in undated.events.all():
        assert event.date_precision in {"month", "year"}


def test_the_provenance_records_the_received_file_and_the_import(sample_archive):
    for article in Article.objects.all():
        activities = [record.activity for record in article.provenance.all()]
        assert activities[-1] == ProvenanceActivity.IMPORTED
        assert ProvenanceActivity.RECEIVED in activities
    assert check_fixity().findings == []


def test_importing_the_raw_seeds_after_the_sample_changes_nothing(sample_archive):
    report = import_articles(paths=[str(SEEDS)])
    assert report.created == []
    assert len(report.skipped) == 5


def test_loading_the_sample_twice_changes_nothing(sample_archive):
    counts = (Article.objects.count(), Actor.objects.count(), Event.objects.count(), ArticleEvent.objects.count())
    call_command("load_sample", verbosity=0)
    assert (Article.objects.count(), Actor.objects.count(), Event.objects.count(), ArticleEvent.objects.count()) == (
        counts
    )


def test_load_sample_if_empty_leaves_an_archive_with_articles_alone(sample_archive, capsys):
    call_command("load_sample", if_empty=True)
    assert "the sample was not loaded" in capsys.readouterr().out
