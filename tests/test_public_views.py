"""The reader site: pages, filters, search, and what readers must never see."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import ArticleEvent, BodyFormat, Status
from articles.rendering import render_body
from register.models import Affiliation, EventParticipant, PlaceAlias
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


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def hidden_articles(**kwargs):
    """One article for each way of not being public, all sharing `kwargs`."""
    now = timezone.now()
    draft = make_article(title="Hidden draft", status=Status.DRAFT, **kwargs)
    make_permission(article=draft)
    review = make_article(title="Hidden in review", status=Status.REVIEW, **kwargs)
    make_permission(article=review)
    unpermitted = make_article(title="Hidden without permission", status=Status.PUBLISHED, **kwargs)
    revoked = make_article(title="Hidden revoked", status=Status.PUBLISHED, **kwargs)
    make_permission(article=revoked, revoked_at=now - datetime.timedelta(days=1), revocation_reason="Asked to stop.")
    expired = make_article(title="Hidden expired", status=Status.PUBLISHED, **kwargs)
    make_permission(article=expired, expires_on=datetime.date(2017, 12, 31))
    future = make_article(title="Hidden not yet granted", status=Status.PUBLISHED, **kwargs)
    make_permission(article=future, granted_on=timezone.localdate() + datetime.timedelta(days=30))
    withdrawn = make_article(title="Hidden withdrawn", status=Status.WITHDRAWN, **kwargs)
    make_permission(article=withdrawn)
    return [draft, review, unpermitted, revoked, expired, future, withdrawn]


def titles(response):
    return [article.title for article in response.context["object_list"]]


def build_archive():
    """A small archive: Benghazi > Sabri > Khribish, Haftar and al-Serraj, two outlets."""
    libya = make_place(name="Libya", kind="country")
    benghazi = make_place(name="Benghazi", kind="city", parent=libya)
    sabri = make_place(name="Sabri", kind="district", parent=benghazi)
    khribish = make_place(name="Khribish", kind="neighbourhood", parent=sabri)
    PlaceAlias.objects.create(place=khribish, name="Akhribish")
    tripoli = make_place(name="Tripoli", kind="city", parent=libya)
    haftar = make_actor(name="Khalifa Haftar", kind="person", aliases=["Haftar", "General Haftar"])
    lna = make_actor(name="Libyan National Army", kind="state_force", aliases=["LNA"])
    serraj = make_actor(name="Fayez al-Serraj", kind="person", aliases=["al-Sarraj", "Sarraj", "فايز السراج"])
    Affiliation.objects.create(actor=haftar, organisation=lna, role="commander")
    analysis = make_publication(name="Libya-Analysis")
    channel = make_publication(name="Libya Channel")
    clashes = make_event(
        title="Clashes in Khribish",
        place=khribish,
        start_date=datetime.date(2017, 7, 10),
        end_date=datetime.date(2017, 7, 16),
        date_precision="week",
        fatalities_low=10,
        fatalities_high=12,
        verification="multiple_sources",
        participants=[(lna, "actor_1", "initiator")],
    )
    clashes.tags.add("Benghazi")
    meeting = make_event(
        title="Sarraj meets Mogherini",
        event_type="strategic_developments",
        sub_event_type="other",
        place=tripoli,
        start_date=datetime.date(2017, 6, 20),
        participants=[(serraj, "actor_1", "host")],
    )
    brief = make_article(
        permitted=True,
        title="Battles continue in Khribish",
        publication=analysis,
        byline="Libya-Analysis staff",
        original_date=datetime.date(2017, 7, 20),
        body="Battles continue in the final area (Khribish) of Benghazi.\n\n"
        "Federica Mogherini meets Fayez al-Sarraj in Tripoli.",
        tags=["Benghazi", "ISIS"],
    )
    link_event(brief, clashes, excerpt="Battles continue in the final area (Khribish)")
    link_event(brief, meeting, excerpt="Federica Mogherini meets Fayez al-Sarraj")
    link_actor(brief, haftar)
    link_actor(brief, serraj)
    link_place(brief, khribish)
    report = make_article(
        permitted=True,
        title="Army gains in Benghazi",
        publication=channel,
        original_date=datetime.date(2017, 11, 29),
        body="The army has seized new territory in Benghazi.\n\nThe head of the GNA, Serraj, held a meeting.",
        tags=["Benghazi"],
    )
    link_event(report, clashes, excerpt="The army has seized new territory in Benghazi.")
    link_actor(report, lna)
    link_actor(report, serraj)
    link_place(report, benghazi)
    return {
        "benghazi": benghazi,
        "khribish": khribish,
        "tripoli": tripoli,
        "haftar": haftar,
        "lna": lna,
        "serraj": serraj,
        "analysis": analysis,
        "channel": channel,
        "clashes": clashes,
        "meeting": meeting,
        "brief": brief,
        "report": report,
    }


@pytest.fixture
def archive():
    return build_archive()


# --------------------------------------------------------------------------
# Every page answers
# --------------------------------------------------------------------------


def test_every_public_page_answers_200(client, archive):
    urls = [
        reverse("articles:home"),
        reverse("articles:list"),
        archive["brief"].get_absolute_url(),
        reverse("articles:event-list"),
        archive["clashes"].get_absolute_url(),
        reverse("articles:actor-list"),
        archive["serraj"].get_absolute_url(),
        archive["khribish"].get_absolute_url(),
        archive["benghazi"].get_absolute_url(),
        reverse("articles:tag-list"),
        reverse("articles:tag", kwargs={"slug": "benghazi"}),
        reverse("articles:search") + "?q=Benghazi",
        reverse("articles:search"),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_pages_answer_200_on_an_empty_archive(client):
    for name in ("home", "list", "event-list", "actor-list", "tag-list", "search"):
        assert client.get(reverse(f"articles:{name}")).status_code == 200


def test_reader_can_follow_links_from_home_to_tag_article_event_actor_and_another_article(client, archive):
    home = client.get(reverse("articles:home")).content.decode()
    tag_url = reverse("articles:tag", kwargs={"slug": "benghazi"})
    assert f'href="{tag_url}"' in home
    tag_page = client.get(tag_url).content.decode()
    assert f'href="{archive["brief"].get_absolute_url()}"' in tag_page
    article_page = client.get(archive["brief"].get_absolute_url()).content.decode()
    assert f'href="{archive["meeting"].get_absolute_url()}"' in article_page
    event_page = client.get(archive["meeting"].get_absolute_url()).content.decode()
    assert f'href="{archive["serraj"].get_absolute_url()}"' in event_page
    actor_page = client.get(archive["serraj"].get_absolute_url()).content.decode()
    assert f'href="{archive["report"].get_absolute_url()}"' in actor_page


# --------------------------------------------------------------------------
# Article detail
# --------------------------------------------------------------------------


def test_article_page_shows_provenance_attribution_and_annotations(client, archive):
    brief = archive["brief"]
    page = client.get(brief.get_absolute_url()).content.decode()
    assert "Libya-Analysis staff" in page
    assert brief.body_sha256 in page
    assert "Republished with explicit permission from the author." in page
    assert "Imported" in page
    assert archive["haftar"].get_absolute_url() in page
    assert archive["khribish"].get_absolute_url() in page
    assert reverse("articles:tag", kwargs={"slug": "isis"}) in page
    assert "20 July 2017" in page


def test_article_body_has_paragraph_anchors_and_event_passages_link_to_events(client, archive):
    page = client.get(archive["brief"].get_absolute_url()).content.decode()
    assert 'id="p-1"' in page
    assert 'id="p-2"' in page
    assert "<mark" in page
    assert f'<a href="{archive["clashes"].get_absolute_url()}" title="Event: Clashes in Khribish">' in page
    assert "Battles continue in the final area (Khribish)</a></mark>" in page


def test_article_page_lists_related_articles_sharing_actors_or_events(client, archive):
    response = client.get(archive["brief"].get_absolute_url())
    assert [a.title for a in response.context["related"]] == ["Army gains in Benghazi"]


def test_related_articles_leave_out_hidden_ones(client, archive):
    for hidden in hidden_articles():
        link_actor(hidden, archive["serraj"])
    response = client.get(archive["brief"].get_absolute_url())
    assert [a.title for a in response.context["related"]] == ["Army gains in Benghazi"]


def test_plain_text_body_is_escaped():
    article = make_article(permitted=True, body="<script>alert(1)</script> & more\n\nSecond <b>para</b>")
    html = render_body(article)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert '<p id="p-2">Second &lt;b&gt;para&lt;/b&gt;' in html


def test_markdown_body_is_sanitised_and_anchored():
    article = make_article(
        permitted=True,
        body_format=BodyFormat.MARKDOWN,
        body='## Heading\n\nSome *emphasis* <script>alert(1)</script> <a href="javascript:x()" onclick="y()">bad</a>'
        "\n\n- one\n- two",
    )
    html = render_body(article)
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onclick" not in html
    assert '<h2 id="p-1">Heading</h2>' in html
    assert '<p id="p-2">Some <em>emphasis</em>' in html
    assert '<ul id="p-3">' in html


def test_markdown_passage_is_marked_and_linked():
    event = make_event(title="Strike")
    article = make_article(permitted=True, body_format=BodyFormat.MARKDOWN, body="A *word*. The strike hit the port.")
    link = ArticleEvent.objects.create(article=article, event=event, excerpt="The strike hit the port.")
    html = render_body(article, [link])
    assert f'<mark class="passage" id="passage-{link.pk}"><a href="{event.get_absolute_url()}"' in html


def test_passage_running_over_a_paragraph_break_is_marked_in_both_paragraphs():
    event = make_event()
    article = make_article(permitted=True, body="One two three.\n\nFour five six.")
    link = ArticleEvent.objects.create(article=article, event=event, excerpt="two three. Four five")
    html = render_body(article, [link])
    assert html.count("<mark") == 2
    assert f'id="passage-{link.pk}"' in html


def test_excerpt_only_permission_shows_only_the_first_paragraph(client):
    article = make_article(title="Excerpt", body="Opening words.\n\nThe rest of the text.", status=Status.PUBLISHED)
    make_permission(article=article, scope="excerpt")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Opening words." in page
    assert "The rest of the text." not in page
    assert "excerpt only" in page


def test_standing_permission_for_the_publication_makes_an_article_public(client):
    outlet = make_publication(name="Standing Outlet")
    make_permission(publication=outlet, attribution="Republished under a standing agreement.")
    article = make_article(title="Covered by agreement", status=Status.PUBLISHED, publication=outlet)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Republished under a standing agreement." in page


# --------------------------------------------------------------------------
# 404 and 410
# --------------------------------------------------------------------------


def test_withdrawn_article_answers_410_with_a_tombstone_and_not_its_text(client):
    article = make_article(
        title="Withdrawn report",
        status=Status.WITHDRAWN,
        body="Secret text of the withdrawn report.",
        withdrawal_reason="The rights holder revoked permission.",
        original_url="https://example.org/withdrawn",
    )
    make_permission(article=article)
    response = client.get(article.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 410
    assert "Withdrawn report" in page
    assert "The rights holder revoked permission." in page
    assert article.withdrawn_at.strftime("%-d %B %Y") in page
    assert "https://example.org/withdrawn" in page
    assert article.body_sha256 in page
    assert "Secret text" not in page


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REVIEW, Status.PUBLISHED])
def test_article_without_valid_permission_answers_404(client, status):
    article = make_article(status=status, body="Not for readers.")
    response = client.get(article.get_absolute_url())
    assert response.status_code == 404
    assert "Not for readers." not in response.content.decode()


def test_revoked_and_expired_articles_answer_404(client):
    for article in hidden_articles()[3:6]:
        assert client.get(article.get_absolute_url()).status_code == 404


def test_unknown_slugs_answer_404(client, archive):
    for name in ("detail", "event-detail", "actor-detail", "place-detail", "tag"):
        assert client.get(reverse(f"articles:{name}", kwargs={"slug": "no-such-thing"})).status_code == 404


def test_not_found_page_is_friendly(client):
    response = client.get("/articles/no-such-thing/")
    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()


def test_register_entries_with_nothing_public_answer_404(client):
    hidden = make_article(status=Status.DRAFT)
    actor = make_actor(name="Only In A Draft")
    place = make_place(name="Draft Place")
    event = make_event(title="Draft-only event", place=place)
    link_actor(hidden, actor)
    link_place(hidden, place)
    link_event(hidden, event)
    hidden.tags.add("draft-only")
    assert client.get(actor.get_absolute_url()).status_code == 404
    assert client.get(place.get_absolute_url()).status_code == 404
    assert client.get(event.get_absolute_url()).status_code == 404
    assert client.get(reverse("articles:tag", kwargs={"slug": "draft-only"})).status_code == 404


def test_place_with_public_content_only_inside_it_answers_200(client, archive):
    # Sabri holds Khribish, where the clashes were: its page gathers them.
    sabri = archive["khribish"].parent
    response = client.get(sabri.get_absolute_url())
    assert response.status_code == 200
    assert "Clashes in Khribish" in [e.title for e in response.context["events"]]
    assert archive["khribish"] in list(response.context["children"])


# --------------------------------------------------------------------------
# Public only, everywhere
# --------------------------------------------------------------------------


def test_hidden_articles_appear_nowhere(client, archive):
    hidden = hidden_articles(publication=archive["analysis"], tags=["Benghazi", "Hidden tag"])
    for article in hidden:
        link_actor(article, archive["serraj"])
        link_place(article, archive["khribish"])
        link_event(article, archive["clashes"])
    urls = [
        reverse("articles:home"),
        reverse("articles:list"),
        reverse("articles:list") + "?tag=benghazi",
        reverse("articles:list") + "?q=Hidden",
        reverse("articles:list") + "?actor=sarraj",
        archive["brief"].get_absolute_url(),
        reverse("articles:event-list"),
        archive["clashes"].get_absolute_url(),
        reverse("articles:actor-list"),
        archive["serraj"].get_absolute_url(),
        archive["khribish"].get_absolute_url(),
        reverse("articles:tag-list"),
        reverse("articles:tag", kwargs={"slug": "benghazi"}),
        reverse("articles:search") + "?q=Hidden",
        reverse("articles:search") + "?q=Sarraj",
    ]
    for url in urls:
        page = client.get(url).content.decode()
        for article in hidden:
            assert article.title not in page, url
            assert article.get_absolute_url() not in page, url
        assert "hidden-tag" not in page, url


def test_tag_cloud_counts_public_items_only(client, archive):
    hidden_articles(tags=["Benghazi"])
    response = client.get(reverse("articles:tag-list"))
    counts = {tag.name: (tag.article_count, tag.event_count) for tag in response.context["tags"]}
    assert counts == {"Benghazi": (2, 1), "ISIS": (1, 0)}


def test_tag_cloud_counts_only_events_a_public_article_reports(client, archive):
    for article in hidden_articles():
        event = make_event(title=f"Unreported {article.pk}")
        event.tags.add("Benghazi", "Unreported")
        link_event(article, event)
    response = client.get(reverse("articles:tag-list"))
    counts = {tag.name: (tag.article_count, tag.event_count) for tag in response.context["tags"]}
    assert counts == {"Benghazi": (2, 1), "ISIS": (1, 0)}


def test_tag_used_only_by_hidden_articles_is_not_in_the_cloud(client, archive):
    hidden_articles(tags=["Secret"])
    response = client.get(reverse("articles:tag-list"))
    assert "Secret" not in [tag.name for tag in response.context["tags"]]


def test_actor_list_counts_public_articles_and_events_only(client, archive):
    for article in hidden_articles():
        link_actor(article, archive["serraj"])
    hidden_only = make_actor(name="Drafted Person")
    link_actor(hidden_articles()[0], hidden_only)
    response = client.get(reverse("articles:actor-list"))
    counts = {actor.name: (actor.article_count, actor.event_count) for actor in response.context["object_list"]}
    assert counts["Fayez al-Serraj"] == (2, 1)
    assert "Drafted Person" not in counts


def test_event_reported_only_by_hidden_articles_is_not_listed(client, archive):
    secret = make_event(title="Secret event")
    for article in hidden_articles():
        link_event(article, secret)
    response = client.get(reverse("articles:event-list"))
    assert "Secret event" not in [e.title for e in response.context["object_list"]]
    # Readers saw it while the withdrawn article was public: gone, not unknown.
    assert client.get(secret.get_absolute_url()).status_code == 410
    assert "Secret event" not in client.get(reverse("articles:event-list")).content.decode()


def test_event_page_lists_only_public_source_articles_with_their_excerpts(client, archive):
    for article in hidden_articles():
        link_event(article, archive["clashes"])
    response = client.get(archive["clashes"].get_absolute_url())
    sources = [link.article.title for link in response.context["event"].sources]
    assert sources == ["Battles continue in Khribish", "Army gains in Benghazi"]
    page = response.content.decode()
    assert "Battles continue in the final area (Khribish)" in page
    assert "10–12" in page
    assert "Multiple sources" in page
    assert "week of 10 July 2017" in page
    assert "Libya</a> › <a" in page


def test_event_page_names_its_place_and_ancestors_as_they_are_now(
    client, archive, settings, django_assert_max_num_queries
):
    settings.ARCHIVE_PAGE_CACHE = False
    event = archive["clashes"]
    chain = [*reversed(event.place.ancestors()), event.place]
    assert len(chain) >= 2
    page = client.get(event.get_absolute_url()).content.decode()
    assert " › ".join(f'<a href="{p.get_absolute_url()}">{p.name}</a>' for p in chain) in page
    top = chain[0]
    top.name = "State of Libya"
    top.save()
    page = client.get(event.get_absolute_url()).content.decode()
    assert f'<a href="{top.get_absolute_url()}">State of Libya</a> › ' in page
    with django_assert_max_num_queries(6) as captured:
        client.get(event.get_absolute_url())
    assert "register_place" not in captured.captured_queries[0]["sql"]


def test_an_event_at_a_place_newer_than_the_kept_places_still_names_it(client, archive, settings, monkeypatch):
    from articles import public

    settings.ARCHIVE_PAGE_CACHE = False
    event = archive["clashes"]
    monkeypatch.setattr(public, "places_by_id", lambda: {})  # kept before the place was made
    page = client.get(event.get_absolute_url()).content.decode()
    assert f'<a href="{event.place.get_absolute_url()}">{event.place.name}</a>' in page


def test_a_much_reported_event_lists_a_page_of_reports_and_links_to_them_all(client, settings):
    settings.ARCHIVE_PAGE_SIZE = 5
    settings.ARCHIVE_PAGE_CACHE = False
    event = make_event(title="Battle for Ganfouda")
    for n in range(7):
        article = make_article(permitted=True, title=f"Report {n}", original_date=datetime.date(2017, 8, 1 + n))
        link_event(article, event, excerpt=f"Passage {n}")
    response = client.get(event.get_absolute_url())
    assert [link.article.title for link in response.context["event"].sources] == [f"Report {n}" for n in range(5)]
    all_reports = f"{reverse('articles:list')}?event={event.slug}"
    assert f'<a href="{all_reports}">' in response.content.decode()
    listed = client.get(all_reports).context["paginator"].count
    assert listed == 7
    settings.ARCHIVE_PAGE_SIZE = 7
    response = client.get(event.get_absolute_url())
    assert len(response.context["event"].sources) == 7
    assert all_reports not in response.content.decode()


def test_event_page_shows_actors_by_side_parent_and_sub_events(client, archive):
    campaign = make_event(title="Benghazi campaign", start_date=datetime.date(2014, 5, 16), date_precision="month")
    link_event(archive["report"], campaign, excerpt="The army has seized new territory")
    archive["clashes"].parent = campaign
    archive["clashes"].save()
    hidden_sub = make_event(title="Hidden sub-event", parent=campaign)
    link_event(hidden_articles()[0], hidden_sub)
    campaign_page = client.get(campaign.get_absolute_url())
    assert [e.title for e in campaign_page.context["event"].children] == ["Clashes in Khribish"]
    clashes_page = client.get(archive["clashes"].get_absolute_url())
    assert clashes_page.context["parent"] == campaign
    assert list(clashes_page.context["sides"]) == ["actor 1"]
    assert "initiator" in clashes_page.content.decode()


def test_parent_event_without_public_report_is_not_linked(client, archive):
    secret_parent = make_event(title="Unreported campaign")
    archive["clashes"].parent = secret_parent
    archive["clashes"].save()
    response = client.get(archive["clashes"].get_absolute_url())
    assert response.context["parent"] is None
    assert "Unreported campaign" not in response.content.decode()


def test_actor_page_shows_aliases_affiliations_events_and_articles(client, archive):
    response = client.get(archive["haftar"].get_absolute_url())
    page = response.content.decode()
    assert "General Haftar" in page
    assert "Commander of" in page
    assert archive["lna"].get_absolute_url() in page
    assert [a.title for a in response.context["articles"]] == ["Battles continue in Khribish"]
    lna = client.get(archive["lna"].get_absolute_url())
    assert [p.event.title for p in lna.context["participations"]] == ["Clashes in Khribish"]
    assert "Khalifa Haftar" in lna.content.decode()
    assert "<svg" in lna.content.decode()
    clashes = lna.context["participations"][0].event
    assert lna.context["event_count"] == 1
    assert [(bar.month, bar.count) for bar in lna.context["timeline"].bars] == [(clashes.start_date.replace(day=1), 1)]


def test_actor_page_counts_and_draws_only_events_a_public_article_reports(client, archive):
    lna = archive["lna"]
    for article in hidden_articles():
        event = make_event(
            title=f"Unreported {article.pk}",
            start_date=datetime.date(2016, 1, 5),
            participants=[(lna, "actor_1", "initiator")],
        )
        link_event(article, event)
    response = client.get(lna.get_absolute_url())
    assert response.context["event_count"] == 1
    assert [bar.count for bar in response.context["timeline"].bars] == [1]
    assert "Unreported" not in response.content.decode()


def test_place_page_gathers_articles_and_events_within_it(client, archive):
    response = client.get(archive["benghazi"].get_absolute_url())
    assert {a.title for a in response.context["articles"]} == {"Battles continue in Khribish", "Army gains in Benghazi"}
    assert [e.title for e in response.context["events"]] == ["Clashes in Khribish"]
    assert "Libya" in [p.name for p in response.context["hierarchy"]]


def test_tag_page_lists_public_articles_and_events(client, archive):
    hidden_articles(tags=["Benghazi"])
    response = client.get(reverse("articles:tag", kwargs={"slug": "benghazi"}))
    assert {a.title for a in response.context["articles"]} == {"Battles continue in Khribish", "Army gains in Benghazi"}
    assert [e.title for e in response.context["events"]] == ["Clashes in Khribish"]


def test_home_shows_latest_articles_recent_events_tags_and_actors(client, archive):
    hidden_articles(tags=["Benghazi"])
    response = client.get(reverse("articles:home"))
    assert [a.title for a in response.context["latest"]] == ["Army gains in Benghazi", "Battles continue in Khribish"]
    assert [e.title for e in response.context["events"]] == ["Clashes in Khribish", "Sarraj meets Mogherini"]
    assert response.context["tags"][0].name == "Benghazi"
    assert response.context["tags"][0].item_count == 3
    assert response.context["actors"][0].name == "Fayez al-Serraj"


# --------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------


def test_list_shows_all_public_articles_newest_first(client, archive):
    assert titles(client.get(reverse("articles:list"))) == ["Army gains in Benghazi", "Battles continue in Khribish"]


def test_repeated_tag_requires_every_tag(client, archive):
    url = reverse("articles:list")
    assert len(titles(client.get(url + "?tag=benghazi"))) == 2
    assert titles(client.get(url + "?tag=benghazi&tag=isis")) == ["Battles continue in Khribish"]
    make_article(permitted=True, title="Only ISIS", tags=["ISIS"])
    assert titles(client.get(url + "?tag=benghazi&tag=isis")) == ["Battles continue in Khribish"]


def test_tag_filter_accepts_a_name_in_any_case(client, archive):
    assert titles(client.get(reverse("articles:list") + "?tag=ISIS")) == ["Battles continue in Khribish"]
    assert titles(client.get(reverse("articles:list") + "?tag=isis")) == ["Battles continue in Khribish"]


def test_actor_filter_by_slug_and_by_any_alias(client, archive):
    url = reverse("articles:list")
    by_slug = titles(client.get(url + f"?actor={archive['haftar'].slug}"))
    assert by_slug == ["Battles continue in Khribish"]
    assert titles(client.get(url + "?actor=General+Haftar")) == by_slug
    assert len(titles(client.get(url + "?actor=sarraj"))) == 2


def test_event_filter(client, archive):
    url = reverse("articles:list") + f"?event={archive['meeting'].slug}"
    assert titles(client.get(url)) == ["Battles continue in Khribish"]


def test_place_filter_includes_places_within(client, archive):
    url = reverse("articles:list")
    assert titles(client.get(url + "?place=khribish")) == ["Army gains in Benghazi", "Battles continue in Khribish"]
    assert titles(client.get(url + "?place=akhribish")) == ["Army gains in Benghazi", "Battles continue in Khribish"]
    assert len(titles(client.get(url + "?place=benghazi"))) == 2
    assert titles(client.get(url + "?place=tripoli")) == ["Battles continue in Khribish"]


def test_publication_filter(client, archive):
    url = reverse("articles:list") + f"?publication={archive['channel'].slug}"
    assert titles(client.get(url)) == ["Army gains in Benghazi"]


def test_type_filter(client, archive):
    url = reverse("articles:list") + "?type=strategic_developments"
    assert titles(client.get(url)) == ["Battles continue in Khribish"]


def test_date_filters(client, archive):
    url = reverse("articles:list")
    assert titles(client.get(url + "?after=2017-08-01")) == ["Army gains in Benghazi"]
    assert titles(client.get(url + "?before=2017-07-20")) == ["Battles continue in Khribish"]
    assert titles(client.get(url + "?after=2017-07-20&before=2017-07-20")) == ["Battles continue in Khribish"]


def test_text_filter(client, archive):
    assert titles(client.get(reverse("articles:list") + "?q=territory")) == ["Army gains in Benghazi"]


def test_combined_filters_tag_actor_and_date_range(client, archive):
    url = reverse("articles:list") + "?tag=benghazi&actor=sarraj&after=2017-07-01&before=2017-07-31"
    assert titles(client.get(url)) == ["Battles continue in Khribish"]
    url = reverse("articles:list") + "?tag=benghazi&actor=lna&publication=" + archive["channel"].slug + "&q=army"
    assert titles(client.get(url)) == ["Army gains in Benghazi"]


def test_active_filters_are_shown_and_each_removes_only_itself(client, archive):
    response = client.get(reverse("articles:list") + "?tag=benghazi&tag=isis&actor=sarraj&page=1")
    chips = response.context["chips"]
    assert [(c["name"], c["value"]) for c in chips] == [
        ("Tag", "Benghazi"),
        ("Tag", "ISIS"),
        ("Actor", "Fayez al-Serraj"),
    ]
    assert chips[0]["url"] == "/articles/?tag=isis&actor=sarraj"
    assert chips[1]["url"] == "/articles/?tag=benghazi&actor=sarraj"
    assert chips[2]["url"] == "/articles/?tag=benghazi&tag=isis"
    page = response.content.decode()
    assert 'aria-label="Remove filter Actor: Fayez al-Serraj"' in page


def test_event_list_filters(client, archive):
    url = reverse("articles:event-list")
    assert [e.title for e in client.get(url + "?actor=sarraj").context["object_list"]] == ["Sarraj meets Mogherini"]
    assert [e.title for e in client.get(url + "?place=benghazi").context["object_list"]] == ["Clashes in Khribish"]
    assert [e.title for e in client.get(url + "?type=battles").context["object_list"]] == ["Clashes in Khribish"]
    assert [e.title for e in client.get(url + "?tag=benghazi").context["object_list"]] == ["Clashes in Khribish"]
    assert [e.title for e in client.get(url + "?after=2017-07-12").context["object_list"]] == ["Clashes in Khribish"]
    assert [e.title for e in client.get(url + "?before=2017-06-30").context["object_list"]] == [
        "Sarraj meets Mogherini"
    ]
    by_channel = client.get(url + f"?publication={archive['channel'].slug}").context["object_list"]
    assert [e.title for e in by_channel] == ["Clashes in Khribish"]
    assert [e.title for e in client.get(url + "?q=Mogherini").context["object_list"]] == ["Sarraj meets Mogherini"]


def test_event_list_groups_by_month_with_a_timeline(client, archive):
    page = client.get(reverse("articles:event-list")).content.decode()
    assert "<h2" in page and "July 2017" in page and "June 2017" in page
    assert "<svg" in page
    assert "?after=2017-07-01&amp;before=2017-07-31" in page


# --------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Sarraj", "al-Sarraj", "Serraj", "al-Serraj", "Fayez al-Serraj", "فايز السراج"])
def test_alias_search_finds_the_actor_and_all_his_public_articles(client, archive, spelling):
    hidden = hidden_articles()
    for article in hidden:
        link_actor(article, archive["serraj"])
    response = client.get(reverse("articles:search"), {"q": spelling})
    assert [actor.name for actor in response.context["actors"]] == ["Fayez al-Serraj"]
    assert {a.title for a in response.context["articles"]} == {"Battles continue in Khribish", "Army gains in Benghazi"}
    assert [e.title for e in response.context["events"]] == ["Sarraj meets Mogherini"]


def test_search_finds_places_by_alias(client, archive):
    response = client.get(reverse("articles:search"), {"q": "Akhribish"})
    assert [place.name for place in response.context["places"]] == ["Khribish"]
    assert "Battles continue in Khribish" in [a.title for a in response.context["articles"]]


def test_search_finds_words_in_the_text_with_a_marked_snippet(client, archive):
    response = client.get(reverse("articles:search"), {"q": "territory"})
    assert [a.title for a in response.context["articles"]] == ["Army gains in Benghazi"]
    assert "<mark>territory</mark>" in response.content.decode()


def test_search_without_matches_says_so(client, archive):
    response = client.get(reverse("articles:search"), {"q": "zeppelin"})
    assert response.status_code == 200
    assert "No article matches" in response.content.decode()


def test_search_text_is_escaped_in_snippets(client):
    make_article(permitted=True, title="Escaping", body="A <script>payload</script> near the word.")
    page = client.get(reverse("articles:search"), {"q": "payload"}).content.decode()
    assert "<script>payload" not in page


# --------------------------------------------------------------------------
# Bad input never gives a 500
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "tag=no-such-tag",
        "actor=nobody",
        "place=atlantis",
        "event=nothing",
        "publication=none",
        "type=picnic",
        "after=yesterday",
        "before=2017-13-45",
        "after=17/07/2017",
        "after=2017-08-01&before=2017-07-01",
        "tag=" + "x" * 300,
        "actor=%00",
        "q=%00",
        "tag=%00",
        "after=%00",
        "type=%00",
    ],
)
def test_invalid_filter_value_gives_a_message_and_no_results(client, archive, query):
    for name in ("list", "event-list"):
        response = client.get(reverse(f"articles:{name}") + "?" + query)
        assert response.status_code == 200
        assert response.context["filter_errors"]
        assert list(response.context["object_list"]) == []
        assert 'role="alert"' in response.content.decode()


def test_too_many_tags_is_a_message(client, archive):
    query = "&".join(f"tag=t{n}" for n in range(11))
    response = client.get(reverse("articles:list") + "?" + query)
    assert response.status_code == 200
    assert any("at most" in message for message in response.context["filter_errors"])


def test_over_long_query_gives_a_message(client, archive):
    for url in (reverse("articles:search"), reverse("articles:list")):
        response = client.get(url, {"q": "Benghazi " * 30})
        assert response.status_code == 200
        assert "at most 200 characters" in response.content.decode()


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999", "%00", "1.5"])
def test_invalid_page_number_answers_404(client, archive, page):
    for name in ("list", "event-list", "actor-list"):
        assert client.get(reverse(f"articles:{name}") + f"?page={page}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/articles/%00/",
        "/events/a%00b/",
        "/actors/%ff/",
        "/tags/%00/",
        "/places/..%2f/",
        "/search/?q=%00",
        "/search/?q=%ff%fe",
        "/search/?q=%22%27%3C%3E",
        "/search/?q=(((",
        "/search/?q=-",
        "/search/?q=" + "a" * 5000,
        "/articles/?q=%22unterminated",
        "/articles/?q=or%20and%20not%20-",
        "/articles/?tag=&tag=&actor=",
        "/events/?page=&q=",
    ],
)
def test_odd_input_never_gives_a_server_error(client, archive, path):
    assert client.get(path).status_code in (200, 400, 404)


def test_arabic_slugs_are_reachable(client, archive):
    archive["brief"].tags.add("بنغازي")
    response = client.get(reverse("articles:tag", kwargs={"slug": "بنغازي"}))
    assert response.status_code == 200


# --------------------------------------------------------------------------
# A bounded number of queries whatever the page size
# --------------------------------------------------------------------------


def populate(n, prefix="Bulk"):
    """n public articles, each tagged, linked to an actor, a place and an event, all in one web."""
    outlet = make_publication(name=f"{prefix} outlet")
    actor = make_actor(name=f"{prefix} actor", aliases=[f"{prefix}y"])
    place = make_place(name=f"{prefix} place")
    parent = make_event(title=f"{prefix} campaign", place=place)
    events, articles = [], []
    for i in range(n):
        article = make_article(
            permitted=True, publication=outlet, title=f"Bulk article {i}", tags=["bulk", f"bulk-{i}"]
        )
        event = make_event(
            title=f"Bulk event {i}",
            place=place,
            parent=parent,
            start_date=datetime.date(2016, 1, 1) + datetime.timedelta(days=7 * i),
            participants=[(actor, "actor_1", "initiator"), (make_actor(name=f"Bulk other {i}"), "actor_2", "target")],
        )
        event.tags.add("bulk")
        link_event(article, event)
        link_event(article, parent)
        link_actor(article, actor)
        link_place(article, place)
        events.append(event)
        articles.append(article)
    # The first article reports every event and names every actor: its page lists n of each.
    first = articles[0]
    for i, event in enumerate(events[1:], start=1):
        link_event(first, event)
        first.tags.add(f"bulk-{i}")
    for participant in EventParticipant.objects.filter(event__in=events, side="actor_2"):
        link_actor(first, participant.actor)
    return {"outlet": outlet, "actor": actor, "place": place, "parent": parent, "events": events, "articles": articles}


def page_urls(data):
    first = data["articles"][0]
    return [
        reverse("articles:home"),
        reverse("articles:list"),
        reverse("articles:list") + "?tag=bulk&actor=bulky&place=bulk-place&after=2016-01-01&q=article",
        first.get_absolute_url(),
        reverse("articles:event-list"),
        reverse("articles:event-list") + "?tag=bulk&actor=bulk-actor&type=battles",
        data["events"][0].get_absolute_url(),
        data["parent"].get_absolute_url(),
        reverse("articles:actor-list"),
        data["actor"].get_absolute_url(),
        data["place"].get_absolute_url(),
        reverse("articles:tag-list"),
        reverse("articles:tag", kwargs={"slug": "bulk"}),
        reverse("articles:search") + "?q=bulk",
    ]


MAX_QUERIES = 12


@pytest.mark.parametrize("size", [10, 100])
def test_pages_run_a_bounded_number_of_queries(client, django_assert_max_num_queries, size, settings):
    # Pages as long as the archive, so every item is on the page being counted; rendered, not from the page cache.
    settings.ARCHIVE_PAGE_SIZE = size
    settings.ARCHIVE_PAGE_CACHE = False
    data = populate(size)
    for url in page_urls(data):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(url)
        assert response.status_code == 200, url
    listed = client.get(reverse("articles:list")).context["object_list"]
    assert len(listed) == size
    first = client.get(data["articles"][0].get_absolute_url()).context
    assert len(first["event_links"]) == size + 1


def test_query_counts_do_not_grow_with_the_archive(client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    data = populate(10)
    small = {}
    for url in page_urls(data):
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        small[url] = len(captured)
    more = populate(40, prefix="More")
    for url in page_urls(data):
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        assert len(captured) == small[url], url
    assert more["articles"]


# --------------------------------------------------------------------------
# PostgreSQL full-text search
# --------------------------------------------------------------------------


def test_postgres_text_search_uses_the_gin_index():
    from django.contrib.postgres.search import SearchQuery
    from django.db import connection

    from articles.models import Article
    from articles.search import ARTICLE_VECTOR

    if connection.vendor != "postgresql":
        pytest.skip("the full-text index exists on PostgreSQL only")
    article = make_article(permitted=True, body="Airstrikes south of Sirte.")
    matching = Article.objects.annotate(document=ARTICLE_VECTOR).filter(
        document=SearchQuery("airstrike", search_type="websearch", config="english")
    )
    with connection.cursor() as cursor:
        # A table this small is cheaper to scan whole: leave the planner only bitmap scans.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = matching.explain()
    assert "article_search_gin" in plan
    assert matching.filter(pk=article.pk).exists()


def test_postgres_search_uses_websearch_syntax_and_ranks_title_first(client):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("websearch syntax is PostgreSQL's")
    make_article(permitted=True, title="Ceasefire talks", body="Delegates met in Cairo.")
    make_article(permitted=True, title="Port reopens", body="After the ceasefire the port reopened.")
    make_article(permitted=True, title="Ceasefire collapses", body="Militias clashed in Tripoli.")
    response = client.get(reverse("articles:list"), {"q": "ceasefire -Tripoli"})
    assert titles(response) == ["Ceasefire talks", "Port reopens"]


def test_related_articles_rank_by_actors_and_events_shared_then_newest(client):
    actors = [make_actor(name=name) for name in ("Related A", "Related B", "Related C")]
    event = make_event(title="Shared clash")
    article = make_article(permitted=True, title="The article", original_date=datetime.date(2017, 3, 1))
    for actor in actors:
        link_actor(article, actor)
    link_event(article, event)

    def other(title, date, *shared):
        found = make_article(permitted=True, title=title, original_date=date)
        for linked in shared:
            (link_event if linked is event else link_actor)(found, linked)
        return found

    a, b, c = actors
    other("Shares A", datetime.date(2017, 9, 1), a)
    other("Shares A and B", datetime.date(2017, 1, 1), a, b)
    other("Shares A, B and the event", datetime.date(2016, 6, 1), a, b, event)
    other("Shares C", datetime.date(2017, 8, 1), c)
    other("Shares B", datetime.date(2017, 5, 1), b)
    for day in (1, 2, 3):
        other(f"Older, shares A ({day})", datetime.date(2016, 1, day), a)
    other("Shares nothing", datetime.date(2017, 10, 1))
    for hidden in hidden_articles(original_date=datetime.date(2017, 11, 1)):
        for linked in (*actors, event):
            (link_event if linked is event else link_actor)(hidden, linked)
    related = client.get(article.get_absolute_url()).context["related"]
    assert [(other.title, other.shared) for other in related] == [
        ("Shares A, B and the event", 3),
        ("Shares A and B", 2),
        ("Shares A", 1),
        ("Shares C", 1),
        ("Shares B", 1),
        ("Older, shares A (3)", 1),
    ]


# --------------------------------------------------------------------------
# The sample archive, by links alone. Last in the module: the sample stays
# loaded from its first use until the module ends.
# --------------------------------------------------------------------------


def links_to(page, prefix):
    import re

    return [href for href in re.findall(r'href="([^"#?]+)"', page) if href.startswith(prefix) and href != prefix]


def test_sample_archive_home_to_tag_to_article_to_event_to_actor_to_another_article(client, sample_archive):
    home = client.get(reverse("articles:home")).content.decode()
    for tag_url in links_to(home, "/tags/"):
        tag_page = client.get(tag_url)
        assert tag_page.status_code == 200
        for article_url in links_to(tag_page.content.decode(), "/articles/"):
            article_page = client.get(article_url).content.decode()
            for event_url in links_to(article_page, "/events/"):
                event_page = client.get(event_url).content.decode()
                for actor_url in links_to(event_page, "/actors/"):
                    actor_page = client.get(actor_url).content.decode()
                    others = [url for url in links_to(actor_page, "/articles/") if url != article_url]
                    if others:
                        assert client.get(others[0]).status_code == 200
                        return
    pytest.fail("no path home → tag → article → event → actor → another article")


def test_sample_archive_pages_never_show_drafts(client, sample_archive):
    from articles.models import Article

    hidden = Article.objects.exclude(pk__in=Article.objects.public())
    assert hidden.exists()
    for url in (reverse("articles:home"), reverse("articles:list"), reverse("articles:tag-list")):
        page = client.get(url).content.decode()
        for article in hidden:
            assert article.get_absolute_url() not in page
    for article in hidden:
        assert client.get(article.get_absolute_url()).status_code in (404, 410)


def test_sample_archive_alias_search_finds_the_same_articles_whatever_the_spelling(client, sample_archive):
    found = {}
    for spelling in ("Sarraj", "Serraj", "al-Sarraj", "Fayez al-Serraj"):
        response = client.get(reverse("articles:search"), {"q": spelling})
        found[spelling] = {a.slug for a in response.context["articles"]}
    assert found["Sarraj"]
    assert all(slugs == found["Sarraj"] for slugs in found.values())
