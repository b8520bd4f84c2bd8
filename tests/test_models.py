import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.models import (
    Article,
    ArticleActor,
    ArticleEvent,
    ProvenanceActivity,
    ProvenanceRecord,
    RepublicationPermission,
    Status,
)
from register.models import Actor, Affiliation, Event, EventParticipant, Tag
from register.text import make_slug, normalize_name

from .conftest import (
    link_event,
    make_actor,
    make_article,
    make_event,
    make_permission,
    make_place,
    make_publication,
)

pytestmark = pytest.mark.django_db


def refused(func) -> bool:
    """True when the database refuses the write; the transaction is left usable."""
    try:
        with transaction.atomic():
            func()
    except IntegrityError:
        return True
    return False


# --- constraints -----------------------------------------------------------


def test_event_end_before_start_is_refused_by_the_database():
    assert refused(lambda: make_event(start_date=datetime.date(2017, 7, 10), end_date=datetime.date(2017, 7, 9)))
    assert not refused(lambda: make_event(start_date=datetime.date(2017, 7, 10), end_date=datetime.date(2017, 7, 10)))


def test_event_low_fatalities_above_high_are_refused():
    assert refused(lambda: make_event(fatalities_low=12, fatalities_high=10))
    assert not refused(lambda: make_event(fatalities_low=10, fatalities_high=12))
    assert not refused(lambda: make_event(fatalities_low=10))


def test_event_sub_type_must_belong_to_its_type():
    assert refused(lambda: make_event(event_type="battles", sub_event_type="air_drone_strike"))
    assert not refused(lambda: make_event(event_type="explosions", sub_event_type="air_drone_strike"))


def test_slugs_are_unique_for_articles_actors_places_and_events():
    make_article(slug="same")
    assert refused(lambda: Article.objects.create(title="Other", slug="same", body="x", dated=datetime.date.today()))
    make_actor(slug="haftar")
    assert refused(lambda: Actor.objects.create(name="Another", slug="haftar"))
    make_place(slug="sirte")
    assert refused(lambda: make_place(slug="sirte"))
    make_event(slug="clash")
    assert refused(lambda: make_event(slug="clash"))


def test_one_link_per_article_and_actor():
    article, actor = make_article(), make_actor()
    ArticleActor.objects.create(article=article, actor=actor)
    assert refused(lambda: ArticleActor.objects.create(article=article, actor=actor))


def test_one_report_per_article_and_event_with_an_excerpt():
    article, event = make_article(), make_event()
    assert refused(lambda: ArticleEvent.objects.create(article=article, event=event, excerpt=""))
    link_event(article, event)
    assert refused(lambda: link_event(article, event))


def test_one_participation_per_event_and_actor():
    event, actor = make_event(), make_actor()
    EventParticipant.objects.create(event=event, actor=actor)
    assert refused(lambda: EventParticipant.objects.create(event=event, actor=actor, side="actor_2"))


def test_reporting_period_cannot_end_before_it_starts():
    assert refused(lambda: make_article(period_start=datetime.date(2017, 7, 16), period_end=datetime.date(2017, 7, 10)))


def test_a_permission_covers_an_article_or_a_publication_never_both_or_neither():
    article, publication = make_article(), make_publication()
    assert refused(lambda: make_permission(article=article, publication=publication))
    assert refused(lambda: make_permission(article=None, publication=None))
    assert not refused(lambda: make_permission(publication=publication))


def test_a_revocation_needs_a_reason():
    article = make_article()
    assert refused(lambda: make_permission(article=article, revoked_at=timezone.now()))
    assert not refused(lambda: make_permission(article=article, revoked_at=timezone.now(), revocation_reason="Asked"))


def test_a_permission_cannot_expire_before_it_is_granted():
    article = make_article()
    assert refused(
        lambda: make_permission(
            article=article, granted_on=datetime.date(2017, 5, 1), expires_on=datetime.date(2017, 4, 1)
        )
    )


def test_published_and_withdrawn_states_carry_their_dates():
    assert refused(lambda: make_article(status=Status.PUBLISHED, published_at=None))
    assert refused(lambda: make_article(status=Status.WITHDRAWN, withdrawal_reason=""))


def test_affiliation_cannot_end_before_it_starts_or_point_at_itself():
    haftar, lna = make_actor(), make_actor()
    assert refused(
        lambda: Affiliation.objects.create(
            actor=haftar, organisation=lna, start_date=datetime.date(2015, 1, 1), end_date=datetime.date(2014, 1, 1)
        )
    )
    assert refused(lambda: Affiliation.objects.create(actor=haftar, organisation=haftar))


def test_provenance_digest_is_empty_or_a_full_sha256():
    article = make_article()
    sealed = {"previous_digest": "a" * 64, "digest": "b" * 64}
    record = ProvenanceRecord(article=article, position=2, activity=ProvenanceActivity.OTHER, sha256="abc", **sealed)
    assert refused(lambda: ProvenanceRecord.objects.bulk_create([record]))


def test_coordinates_come_in_pairs_and_in_range():
    assert refused(lambda: make_place(latitude=32.1))
    assert refused(lambda: make_place(latitude=95, longitude=20))
    assert not refused(lambda: make_place(latitude=32.1, longitude=20.07))


# --- public() ----------------------------------------------------------------


def test_public_includes_a_published_article_with_a_valid_permission():
    article = make_article(permitted=True)
    assert list(Article.objects.public()) == [article]


def test_public_excludes_drafts_and_articles_in_review_even_with_permission():
    for status in (Status.DRAFT, Status.REVIEW):
        article = make_article(status=status)
        make_permission(article=article)
    assert not Article.objects.public().exists()


def test_public_excludes_a_published_article_without_permission():
    make_article(status=Status.PUBLISHED)
    assert not Article.objects.public().exists()


def test_public_excludes_revoked_and_expired_permissions():
    revoked = make_article(status=Status.PUBLISHED)
    make_permission(article=revoked, revoked_at=timezone.now(), revocation_reason="The author asked.")
    expired = make_article(status=Status.PUBLISHED)
    make_permission(article=expired, granted_on=datetime.date(2017, 1, 1), expires_on=datetime.date(2018, 1, 1))
    assert not Article.objects.public().exists()


def test_public_respects_the_moment_it_is_asked_about():
    article = make_article(status=Status.PUBLISHED)
    make_permission(article=article, granted_on=datetime.date(2017, 1, 1), expires_on=datetime.date(2017, 12, 31))
    moment = timezone.make_aware(datetime.datetime(2017, 6, 1, 12))
    assert list(Article.objects.public(at=moment)) == [article]
    assert not Article.objects.public().exists()


def test_public_excludes_a_permission_not_yet_granted():
    article = make_article(status=Status.PUBLISHED)
    make_permission(article=article, granted_on=timezone.localdate() + datetime.timedelta(days=3))
    assert not Article.objects.public().exists()


def test_public_excludes_withdrawn_articles_whatever_their_permission():
    make_article(permitted=True, status=Status.WITHDRAWN)
    assert not Article.objects.public().exists()


def test_a_standing_permission_covers_every_article_of_its_publication_only():
    outlet, other = make_publication(), make_publication()
    make_permission(publication=outlet)
    covered = make_article(status=Status.PUBLISHED, publication=outlet)
    make_article(status=Status.PUBLISHED, publication=other)
    make_article(status=Status.PUBLISHED)
    assert list(Article.objects.public()) == [covered]


def test_public_lists_each_article_once_with_several_permissions():
    outlet = make_publication()
    article = make_article(permitted=True, publication=outlet)
    make_permission(article=article)
    make_permission(publication=outlet)
    assert Article.objects.public().count() == 1


def test_current_permission_prefers_the_articles_own_full_text_permission():
    outlet = make_publication()
    article = make_article(status=Status.PUBLISHED, publication=outlet)
    make_permission(publication=outlet, attribution="Standing agreement.")
    own = make_permission(article=article, attribution="Republished with explicit permission from the author.")
    assert article.current_permission() == own


def test_events_are_public_only_through_a_public_article():
    hidden = make_event()
    shown = make_event()
    link_event(make_article(), hidden)
    link_event(make_article(permitted=True), shown)
    assert list(Event.objects.public()) == [shown]


def test_missing_fields_names_what_an_editor_must_still_fill_in():
    article = make_article()
    assert article.missing_fields() == [
        "publication",
        "byline",
        "original URL",
        "standfirst",
        "republication permission",
    ]
    make_permission(article=article)
    assert "republication permission" not in article.missing_fields()


def test_permission_state_reads_revoked_expired_and_valid():
    article = make_article()
    valid = make_permission(article=article)
    expired = make_permission(article=article, expires_on=datetime.date(2018, 1, 1))
    revoked = make_permission(article=article, revoked_at=timezone.now(), revocation_reason="Asked")
    assert (valid.state, expired.state, revoked.state) == ("valid", "expired", "revoked")
    assert RepublicationPermission.objects.valid().count() == 1


# --- names, slugs and tags ----------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "other"),
    [
        ("Fayez al-Sarraj", "fayez Al Sarraj"),
        ("al-Sarraj", "Sarraj"),
        ("Al Sarraj", "sarraj"),
        ("Ṣabrī", "Sabri"),
        ("Haftar’s", "Haftar"),
    ],
)
def test_spellings_of_one_name_share_a_key(spelling, other):
    assert normalize_name(spelling) == normalize_name(other)


def test_actor_found_by_any_alias_whatever_its_spelling():
    serraj = make_actor(name="Fayez al-Serraj", aliases=["Fayez al-Sarraj", "Serraj", "Sarraj", "فايز السراج"])
    for spelling in ("al-Sarraj", "SERRAJ", "fayez al serraj", "فايز السراج"):
        assert list(Actor.objects.matching(spelling)) == [serraj]


def test_arabic_tag_names_get_a_non_empty_slug_that_keeps_their_letters():
    tag = Tag.objects.create(name="بنغازي")
    assert tag.slug == "بنغازي"
    assert make_slug("؟!") == "item"


def test_tags_are_case_insensitive_and_unique_per_object():
    article = make_article()
    article.tags.add("ISIS")
    article.tags.add("isis", "Isis")
    assert list(article.tags.names()) == ["ISIS"]
    assert Tag.objects.count() == 1
    assert refused(lambda: Tag.objects.create(name="isis", slug="isis-2"))


def test_article_slug_is_made_from_the_title_and_kept_unique():
    first = make_article(title="Battles continue in Khribish")
    second = make_article(title="Battles continue in Khribish")
    assert first.slug == "battles-continue-in-khribish"
    assert second.slug == "battles-continue-in-khribish-2"


def test_place_hierarchy_reads_from_the_top():
    libya = make_place(name="Libya")
    benghazi = make_place(name="Benghazi", parent=libya)
    khribish = make_place(name="Khribish", parent=make_place(name="Sabri", parent=benghazi))
    assert khribish.hierarchy() == "Libya > Benghazi > Sabri > Khribish"


def test_fatalities_read_as_reported():
    assert make_event(fatalities_low=10, fatalities_high=12).fatalities_display == "10–12"
    assert make_event(fatalities_low=13, fatalities_high=13).fatalities_display == "13"
    assert make_event().fatalities_display == "not reported"


def test_a_text_changed_through_the_application_gets_a_correction_record():
    article = make_article()
    article.body = article.body + "\n\nA correction."
    article.save()
    latest = article.provenance.order_by("-position").first()
    assert latest.activity == ProvenanceActivity.CORRECTED
    assert latest.sha256 == article.body_sha256
