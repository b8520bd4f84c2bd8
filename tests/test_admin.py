import datetime

import pytest
from django.contrib import admin
from django.forms import modelform_factory
from django.urls import reverse

from articles.models import (
    Article,
    ArticleActor,
    ArticleEvent,
    ProvenanceActivity,
    RepublicationPermission,
    Status,
    TaggedArticle,
)
from register.models import Actor, ActorAlias, Affiliation, Event, EventParticipant, Place, PlaceAlias, Tag, TagAlias

from .accounts import make_user
from .conftest import (
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


def complete_draft(**kwargs):
    kwargs.setdefault("status", Status.DRAFT)
    kwargs.setdefault("publication", make_publication())
    kwargs.setdefault("byline", "Staff")
    kwargs.setdefault("original_url", "https://example.org/a")
    kwargs.setdefault("standfirst", "What happened.")
    return make_article(**kwargs)


def client_for(client, role):
    if role == "anonymous":
        return client
    client.force_login(make_user(None if role == "reader" else role))
    return client


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def form_data(article, **overrides):
    """What the article's change form posts when saved unchanged."""
    data = {
        "title": article.title,
        "slug": article.slug,
        "standfirst": article.standfirst,
        "body": article.body,
        "body_format": article.body_format,
        "language": article.language,
        "byline": article.byline,
        "expected_version": article.version,
        "publication": article.publication_id or "",
        "original_title": article.original_title,
        "original_url": article.original_url,
        "original_date": article.original_date or "",
        "original_date_precision": article.original_date_precision,
        "period_start": "",
        "period_end": "",
        "editor_notes": article.editor_notes,
    }
    prefixes = ("provenance", "permissions", "actor_links", "place_links", "event_links", "tag_links")
    for prefix in prefixes:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update(overrides)
    return data


# --------------------------------------------------------------------------
# Roles (the whole matrix, URL by URL, is tests/test_admin_matrix.py)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ("editor", "publisher", "superuser"))
def test_every_registered_model_has_a_working_changelist_with_search(client, role):
    client = client_for(client, role)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("articles", "register"):
            continue
        assert model_admin.search_fields, model
        response = client.get(changelist_url(model), {"q": "al-Sarraj"})
        assert response.status_code == 200, model


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(changelist_url(Article))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_editor_sees_published_article_read_only_but_keeps_editing_its_notes(client):
    published = make_article(permitted=True)
    client = client_for(client, "editor")

    page = client.get(change_url(published))
    response = client.post(change_url(published), form_data(published, title="Changed", editor_notes="Check the date."))

    assert b'name="title"' not in page.content and b'name="editor_notes"' in page.content
    assert "only publishers change" in page.content.decode().lower()
    assert response.status_code == 302
    stored = Article.objects.get()
    assert (stored.title, stored.editor_notes) == (published.title, "Check the date.")


def test_changelist_shows_counts_and_permission_state_in_bounded_queries(client, django_assert_max_num_queries):
    for _ in range(3):
        article = make_article(permitted=True, tags=["Benghazi", "ISIS"])
        link_actor(article, make_actor())
        link_place(article, make_place())
        link_event(article, make_event())
    make_article(status=Status.DRAFT)
    client = client_for(client, "editor")
    client.get(changelist_url(Article))  # warm the session and content types

    with django_assert_max_num_queries(15):
        response = client.get(changelist_url(Article))

    rows = response.context["cl"].result_list
    assert sorted(row.permission_state for row in rows) == ["none", "valid", "valid", "valid"]
    assert {row.actor_count for row in rows} == {0, 1}
    assert "Benghazi, ISIS" in response.content.decode()


def test_changelist_filters_by_permission_state_tag_and_actor(client):
    valid = make_article(permitted=True, tags=["ISIS"])
    lapsed = complete_draft()
    make_permission(article=lapsed, expires_on=datetime.date(2017, 2, 1))
    haftar = make_actor(name="Khalifa Haftar")
    link_actor(valid, haftar)
    client = client_for(client, "editor")

    def titles(**params):
        response = client.get(changelist_url(Article), params)
        return [row.title for row in response.context["cl"].result_list]

    assert titles(permission="valid") == [valid.title]
    assert titles(permission="lapsed") == [lapsed.title]
    assert titles(tag="isis") == [valid.title]
    assert titles(actors__id__exact=haftar.pk) == [valid.title]


# --------------------------------------------------------------------------
# An editor makes nothing public
# --------------------------------------------------------------------------


def test_editor_cannot_publish_through_the_action(client):
    article = complete_draft()
    make_permission(article=article)
    client = client_for(client, "editor")

    response = client.post(changelist_url(Article), {"action": "publish", "_selected_action": [article.pk]})

    assert response.status_code == 302
    assert Article.objects.get().status == Status.DRAFT
    assert not Article.objects.public().exists()


def test_editor_does_not_see_publish_or_withdraw_actions(client):
    complete_draft()
    client = client_for(client, "editor")

    response = client.get(changelist_url(Article))

    actions = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert "submit_for_review" in actions
    assert "publish" not in actions
    assert "withdraw" not in actions


def test_editor_cannot_publish_through_the_status_field(client):
    article = complete_draft()
    make_permission(article=article)
    client = client_for(client, "editor")

    response = client.post(
        change_url(article),
        form_data(article, status="published", published_at="2017-08-01 10:00", standfirst="Edited."),
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.standfirst == "Edited."
    assert article.status == Status.DRAFT
    assert not Article.objects.public().exists()


def test_editor_cannot_publish_through_the_publish_button(client):
    article = complete_draft()
    make_permission(article=article)
    client = client_for(client, "editor")

    client.post(change_url(article), form_data(article, _publish="Save and publish"))

    assert Article.objects.get().status == Status.DRAFT


def test_editor_cannot_create_a_published_article(client):
    publication = make_publication()
    make_permission(publication=publication)
    client = client_for(client, "editor")
    data = form_data(
        Article(title="New", body="Text.", publication=publication, version=1), status="published", slug="new"
    )
    del data["expected_version"]

    client.post(reverse("admin:articles_article_add"), data)

    article = Article.objects.get()
    assert article.status == Status.DRAFT
    assert not Article.objects.public().exists()


def test_editor_cannot_add_a_permission_through_the_inline(client):
    article = complete_draft(status=Status.REVIEW)
    client = client_for(client, "editor")
    data = form_data(
        article,
        **{
            "permissions-TOTAL_FORMS": 1,
            "permissions-0-rights_holder": "Me",
            "permissions-0-granted_to": "the archive",
            "permissions-0-granted_on": "2017-01-01",
            "permissions-0-scope": "full_text",
            "permissions-0-evidence_kind": "statement",
            "permissions-0-evidence": "I say so.",
            "permissions-0-attribution": "Republished.",
        },
    )

    client.post(change_url(article), data)

    assert not RepublicationPermission.objects.exists()


def test_editor_cannot_add_change_or_revoke_permissions_directly(client):
    article = complete_draft()
    permission = make_permission(article=article)
    client = client_for(client, "editor")

    added = client.post(
        reverse("admin:articles_republicationpermission_add"),
        {
            "article": article.pk,
            "rights_holder": "Me",
            "granted_to": "the archive",
            "granted_on": "2017-01-01",
            "scope": "full_text",
            "evidence_kind": "statement",
            "evidence": "I say so.",
            "attribution": "Republished.",
        },
    )
    changed = client.post(change_url(permission), {"rights_holder": "Someone else"})
    revoked = client.post(
        changelist_url(RepublicationPermission),
        {"action": "revoke", "_selected_action": [permission.pk], "post": "yes", "reason": "No."},
    )

    assert added.status_code == 403
    assert changed.status_code == 403
    assert revoked.status_code == 200  # no action is offered to editors here
    permission.refresh_from_db()
    assert permission.rights_holder == "The author"
    assert permission.revoked_at is None
    assert RepublicationPermission.objects.count() == 1


# --------------------------------------------------------------------------
# Publishers' workflow
# --------------------------------------------------------------------------


def test_publisher_publishes_through_the_action_and_history_names_them(client):
    article = complete_draft(status=Status.REVIEW)
    make_permission(article=article)
    publisher = make_user("publisher")
    client.force_login(publisher)

    response = client.post(changelist_url(Article), {"action": "publish", "_selected_action": [article.pk]})

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert article.history.first().history_user == publisher
    history_page = client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert publisher.username in history_page.content.decode()


def test_publish_without_permission_shows_what_is_missing(client):
    article = make_article(status=Status.REVIEW)
    client = client_for(client, "publisher")

    response = client.post(
        changelist_url(Article), {"action": "publish", "_selected_action": [article.pk]}, follow=True
    )

    text = " ".join(str(message) for message in response.context["messages"])
    assert "cannot be published" in text
    assert "republication permission" in text
    assert "byline" in text
    assert Article.objects.get().status == Status.REVIEW


def test_withdraw_action_asks_for_a_reason_then_withdraws(client):
    article = make_article(permitted=True)
    publisher = make_user("publisher")
    client.force_login(publisher)
    url = changelist_url(Article)

    asked = client.post(url, {"action": "withdraw", "_selected_action": [article.pk]})
    refused = client.post(url, {"action": "withdraw", "_selected_action": [article.pk], "post": "yes", "reason": ""})
    done = client.post(
        url, {"action": "withdraw", "_selected_action": [article.pk], "post": "yes", "reason": "Rights holder asked."}
    )

    assert asked.status_code == 200
    assert b'name="reason"' in asked.content
    assert refused.status_code == 200
    assert done.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.WITHDRAWN
    assert article.withdrawal_reason == "Rights holder asked."
    assert article.provenance.order_by("-position").first().activity == ProvenanceActivity.WITHDRAWN
    assert article.history.first().history_user == publisher


def test_publisher_revokes_a_permission_through_the_action(client):
    article = make_article(permitted=True)
    permission = article.permissions.get()
    publisher = make_user("publisher")
    client.force_login(publisher)

    client.post(
        changelist_url(RepublicationPermission),
        {"action": "revoke", "_selected_action": [permission.pk], "post": "yes", "reason": "Asked by e-mail."},
    )

    permission.refresh_from_db()
    assert permission.revoked_at is not None
    assert permission.history.first().history_user == publisher
    assert not Article.objects.public().exists()


def test_editor_submits_for_review_from_the_change_form(client):
    article = complete_draft()
    editor = make_user("editor")
    client.force_login(editor)

    response = client.post(change_url(article), form_data(article, _submit_for_review="Submit"))

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.REVIEW
    assert article.history.first().history_user == editor


# --------------------------------------------------------------------------
# History and conflicts
# --------------------------------------------------------------------------


def test_an_edit_leaves_a_history_record_with_the_editor(client):
    article = complete_draft()
    editor = make_user("editor")
    client.force_login(editor)

    client.post(change_url(article), form_data(article, title="A better title"))

    record = article.history.first()
    assert record.title == "A better title"
    assert record.history_user == editor
    page = client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert editor.username in page.content.decode()


def test_added_annotation_rows_leave_history_with_the_editor(client):
    article = complete_draft()
    actor = make_actor(name="Khalifa Haftar")
    editor = make_user("editor")
    client.force_login(editor)

    client.post(
        change_url(article),
        form_data(article, **{"actor_links-TOTAL_FORMS": 1, "actor_links-0-actor": actor.pk}),
    )

    link = ArticleActor.objects.get()
    assert link.history.get().history_user == editor


def test_second_editor_saving_a_stale_form_is_warned_not_overwritten(client):
    article = complete_draft()
    first, second = make_user("editor", username="amal"), make_user("editor", username="badr")
    opened_at = article.version
    client.force_login(first)
    client.post(change_url(article), form_data(article, title="First editor's title"))

    client.force_login(second)
    article.title = "Second editor's title"
    response = client.post(change_url(article), form_data(article, expected_version=opened_at))

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "amal changed this article" in errors
    assert Article.objects.get().title == "First editor's title"


def test_saving_again_after_the_warning_replaces_the_other_version(client):
    article = complete_draft()
    opened_at = article.version
    article.title = "Changed elsewhere"
    article.save()
    client = client_for(client, "editor")
    article.title = "Mine"

    warned = client.post(change_url(article), form_data(article, expected_version=opened_at))
    version_in_page = warned.context["adminform"].form.data["expected_version"]
    saved = client.post(change_url(article), form_data(article, expected_version=version_in_page))

    assert saved.status_code == 302
    assert Article.objects.get().title == "Mine"


# --------------------------------------------------------------------------
# Form errors, not server errors
# --------------------------------------------------------------------------


def event_data(**overrides):
    data = {
        "title": "Clashes in Ganfuda",
        "slug": "",
        "event_type": "battles",
        "sub_event_type": "armed_clash",
        "start_date": "2017-07-10",
        "end_date": "",
        "date_precision": "day",
        "fatalities_low": "",
        "fatalities_high": "",
        "verification": "single_source",
        "description": "",
        "notes": "",
    }
    for prefix in ("participants", "article_links", "tag_links"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"end_date": "2017-07-01"}, "end_date", "before the start date"),
        ({"fatalities_low": "12", "fatalities_high": "3"}, "fatalities_high", "below the lowest"),
        ({"event_type": "protests"}, "sub_event_type", "does not belong"),
    ],
)
def test_event_constraint_violations_are_form_errors(client, overrides, field, message):
    client = client_for(client, "editor")

    response = client.post(reverse("admin:register_event_add"), event_data(**overrides))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert not Event.objects.exists()


def test_named_constraints_stop_a_plain_model_form_too():
    form_class = modelform_factory(Event, exclude=("actors",))

    form = form_class(data=event_data(end_date="2017-07-01"))

    assert not form.is_valid()
    assert "event_end_not_before_start" in str(form.non_field_errors())


def test_duplicate_participants_and_bad_affiliations_are_form_errors(client):
    actor = make_actor(name="Libyan National Army")
    client = client_for(client, "editor")

    event = client.post(
        reverse("admin:register_event_add"),
        event_data(
            **{
                "participants-TOTAL_FORMS": 2,
                "participants-0-actor": actor.pk,
                "participants-0-side": "actor_1",
                "participants-0-role": "initiator",
                "participants-1-actor": actor.pk,
                "participants-1-side": "actor_2",
                "participants-1-role": "target",
            }
        ),
    )
    affiliation = client.post(
        change_url(actor),
        {
            "name": actor.name,
            "slug": actor.slug,
            "kind": actor.kind,
            "description": "",
            "naming_note": "",
            "external_ids": "{}",
            "aliases-TOTAL_FORMS": 0,
            "aliases-INITIAL_FORMS": 0,
            "affiliations-TOTAL_FORMS": 1,
            "affiliations-INITIAL_FORMS": 0,
            "affiliations-0-organisation": actor.pk,
            "affiliations-0-start_date": "2017-01-01",
            "affiliations-0-end_date": "2016-01-01",
            "affiliations-0-date_precision": "year",
            "members-TOTAL_FORMS": 0,
            "members-INITIAL_FORMS": 0,
        },
    )

    assert event.status_code == 200
    assert not EventParticipant.objects.exists()
    assert affiliation.status_code == 200
    assert not Affiliation.objects.exists()


def test_event_link_excerpt_must_be_in_the_article(client):
    article = complete_draft(body="Clashes continued in Ganfuda on Monday.")
    event = make_event()
    client = client_for(client, "editor")

    response = client.post(
        change_url(article),
        form_data(
            article,
            **{
                "event_links-TOTAL_FORMS": 1,
                "event_links-0-event": event.pk,
                "event_links-0-excerpt": "Something the article does not say.",
            },
        ),
    )

    assert response.status_code == 200
    assert not ArticleEvent.objects.exists()


# --------------------------------------------------------------------------
# Merging duplicates
# --------------------------------------------------------------------------


def test_merging_actors_moves_every_link_and_keeps_the_name_as_alias(client):
    kept = make_actor(name="Fayez al-Sarraj", aliases=["Sarraj"])
    duplicate = make_actor(name="Fayez al-Serraj", aliases=["Sarraj", "al-Serraj"])
    gna = make_actor(name="Government of National Accord")
    shared, only_duplicate = complete_draft(), complete_draft()
    link_actor(shared, kept)
    link_actor(shared, duplicate)
    link_actor(only_duplicate, duplicate)
    event = make_event(participants=[(duplicate, "actor_1", "host"), (kept, "actor_1", "host")])
    other_event = make_event(participants=[(duplicate, "actor_2", "mediator")])
    Affiliation.objects.create(actor=duplicate, organisation=gna, role="prime minister")
    Affiliation.objects.create(actor=duplicate, organisation=kept)
    editor = make_user("editor")
    client.force_login(editor)
    url = changelist_url(Actor)

    asked = client.post(url, {"action": "merge", "_selected_action": [kept.pk, duplicate.pk]})
    merged = client.post(
        url, {"action": "merge", "_selected_action": [kept.pk, duplicate.pk], "post": "yes", "into": kept.pk}
    )

    assert asked.status_code == 200
    assert merged.status_code == 302
    assert not Actor.objects.filter(pk=duplicate.pk).exists()
    links = set(ArticleActor.objects.values_list("article", "actor"))
    assert links == {(shared.pk, kept.pk), (only_duplicate.pk, kept.pk)}
    assert list(event.participants.values_list("actor", flat=True)) == [kept.pk]
    assert other_event.participants.get().actor == kept
    assert list(kept.affiliations.values_list("organisation", "role")) == [(gna.pk, "prime minister")]
    assert set(kept.aliases.values_list("name", flat=True)) == {"al-Serraj", "Fayez al-Serraj", "Sarraj"}
    assert list(Actor.objects.matching("Fayez al-Serraj")) == [kept]
    assert kept.history.first().history_user == editor
    assert ArticleActor.history.filter(history_user=editor).exists()


def test_merging_places_moves_mentions_events_children_and_keeps_the_name(client):
    kept = make_place(name="Khribish")
    duplicate = make_place(name="Akhribish")
    PlaceAlias.objects.create(place=duplicate, name="Kheribish")
    child = make_place(name="Khribish port", parent=duplicate)
    article = complete_draft()
    link_place(article, kept)
    link_place(article, duplicate)
    event = make_event(place=duplicate)
    client = client_for(client, "publisher")

    client.post(
        changelist_url(Place),
        {"action": "merge", "_selected_action": [kept.pk, duplicate.pk], "post": "yes", "into": kept.pk},
    )

    assert not Place.objects.filter(pk=duplicate.pk).exists()
    assert list(article.place_links.values_list("place", flat=True)) == [kept.pk]
    event.refresh_from_db()
    child.refresh_from_db()
    assert event.place == kept
    assert child.parent == kept
    assert sorted(kept.aliases.values_list("name", flat=True)) == ["Akhribish", "Kheribish"]


def test_merging_tags_moves_article_links_once_and_keeps_the_name(client):
    first, second = complete_draft(tags=["ISIS"]), complete_draft(tags=["ISIS", "Islamic State"])
    kept = Tag.objects.get(name="Islamic State")
    duplicate = Tag.objects.get(name="ISIS")
    client = client_for(client, "editor")

    client.post(
        changelist_url(Tag),
        {"action": "merge", "_selected_action": [kept.pk, duplicate.pk], "post": "yes", "into": kept.pk},
    )

    assert list(Tag.objects.all()) == [kept]
    assert set(TaggedArticle.objects.values_list("content_object", flat=True)) == {first.pk, second.pk}
    assert TaggedArticle.objects.count() == 2
    assert list(TagAlias.objects.values_list("name", flat=True)) == ["ISIS"]


def test_merge_needs_two_records(client):
    only = make_actor()
    client = client_for(client, "editor")

    response = client.post(changelist_url(Actor), {"action": "merge", "_selected_action": [only.pk]}, follow=True)

    assert "at least two" in " ".join(str(m) for m in response.context["messages"])
    assert Actor.objects.count() == 1


def test_actor_search_ignores_spelling_of_the_article_and_diacritics(client):
    sarraj = make_actor(name="Fayez al-Sarraj")
    ActorAlias.objects.create(actor=sarraj, name="Fāyez as-Serrāj")
    make_actor(name="Khalifa Haftar")
    client = client_for(client, "editor")

    for term in ("Sarraj", "al sarraj", "Serraj", "fayez serraj"):
        response = client.get(changelist_url(Actor), {"q": term})
        assert [actor.name for actor in response.context["cl"].result_list] == ["Fayez al-Sarraj"], term


def test_tag_merge_and_edits_leave_history_with_the_user(client):
    complete_draft(tags=["ISIS", "Islamic State"])
    kept, duplicate = Tag.objects.get(name="Islamic State"), Tag.objects.get(name="ISIS")
    editor = make_user("editor")
    client.force_login(editor)

    client.post(
        changelist_url(Tag),
        {"action": "merge", "_selected_action": [kept.pk, duplicate.pk], "post": "yes", "into": kept.pk},
    )

    deleted = Tag.history.get(id=duplicate.pk, history_type="-")
    assert deleted.history_user == editor
    assert TagAlias.history.get().history_user == editor


def test_editor_cannot_annotate_a_published_article_from_the_mentions_list(client):
    published = make_article(permitted=True)
    actor = make_actor()
    client = client_for(client, "editor")

    response = client.post(reverse("admin:articles_articleactor_add"), {"article": published.pk, "actor": actor.pk})

    assert response.status_code == 200
    assert "its article is published or withdrawn" in response.content.decode()
    assert not ArticleActor.objects.exists()


def test_past_versions_of_an_article_cannot_be_restored_over_the_workflow(client):
    article = make_article(permitted=True, title="Original")
    article.title = "Corrected"
    article.save()
    first_version = article.history.earliest()
    url = reverse("admin:articles_article_simple_history", args=[article.pk, first_version.history_id])

    for role in ("editor", "publisher"):
        client.force_login(make_user(role))
        assert client.get(url).status_code == 200
        assert client.post(url, form_data(article, title="Original")).status_code == 403

    assert Article.objects.get().title == "Corrected"


def test_restoring_a_permission_needs_the_right_to_change_it(client):
    permission = make_permission(article=complete_draft(), rights_holder="First holder")
    permission.rights_holder = "Second holder"
    permission.save()
    url = reverse(
        "admin:articles_republicationpermission_simple_history",
        args=[permission.pk, permission.history.earliest().history_id],
    )
    client = client_for(client, "editor")

    response = client.post(url, {})

    assert response.status_code == 403
    assert RepublicationPermission.objects.get().rights_holder == "Second holder"


def test_publisher_withdraws_from_the_change_page_and_editor_cannot(client):
    article = make_article(permitted=True)
    url = reverse("admin:articles_article_withdraw", args=[article.pk])

    client.force_login(make_user("editor"))
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Mistake."}).status_code == 403

    client.force_login(make_user("publisher"))
    page = client.get(change_url(article)).content.decode()
    assert url in page
    response = client.post(url, {"reason": "The author asked us to."})

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.WITHDRAWN
    assert article.withdrawal_reason == "The author asked us to."


def test_an_editor_cannot_link_a_published_article_to_an_event_from_the_event_page(client):
    article = make_article(permitted=True, body="Clashes continued in Ganfuda on Monday.")
    event = make_event()
    editor = client_for(client, "editor")

    response = editor.post(
        reverse("admin:register_event_change", args=[event.pk]),
        event_data(
            title=event.title,
            **{
                "article_links-TOTAL_FORMS": 1,
                "article_links-0-article": article.pk,
                "article_links-0-excerpt": "Clashes continued in Ganfuda",
            },
        ),
    )

    assert response.status_code == 200
    assert "its article is published or withdrawn" in response.content.decode()
    assert not ArticleEvent.objects.exists()


def test_a_publisher_links_a_published_article_to_an_event_from_the_event_page(client):
    article = make_article(permitted=True, body="Clashes continued in Ganfuda on Monday.")
    event = make_event()
    publisher = client_for(client, "publisher")

    response = publisher.post(
        reverse("admin:register_event_change", args=[event.pk]),
        event_data(
            title=event.title,
            **{
                "article_links-TOTAL_FORMS": 1,
                "article_links-0-article": article.pk,
                "article_links-0-excerpt": "Clashes continued in Ganfuda",
            },
        ),
    )

    assert response.status_code == 302
    assert ArticleEvent.objects.get().article == article
