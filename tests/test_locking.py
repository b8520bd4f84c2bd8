"""
The permission matrix in the model layer: every ORM path an editor's request can take
(a row's save and delete, querysets' update, delete and bulk writes, taggit's and
Django's many-to-many managers, merges) keeps what readers see of a public article
the publishers' to change. Scripts without a user answer for themselves.
"""

import contextlib
import types

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction
from simple_history.models import HistoricalRecords

from articles.models import Article, ArticleActor, ArticleEvent, RepublicationPermission, Status, TaggedArticle
from register import merging
from register.models import Actor, ActorAlias, Affiliation, Event, EventParticipant, Place, Tag, TaggedEvent

from .accounts import make_user
from .conftest import link_actor, link_event, link_place, make_actor, make_article, make_event, make_place

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def acting_as(user):
    """The user of the request being served, as the history middleware records it."""
    HistoricalRecords.context.request = types.SimpleNamespace(user=user)
    try:
        yield user
    finally:
        del HistoricalRecords.context.request


@pytest.fixture
def public():
    """A published article with its links, the register entries it refers to, and an event's rows."""
    article = make_article(permitted=True, tags=["Benghazi clashes"])
    actor, organisation = make_actor(name="Khalifa Haftar"), make_actor(name="LNA")
    event = make_event(place=make_place(name="Benghazi"), participants=[(actor, "actor_1", "initiator")])
    event.tags.add("airstrike")
    link_actor(article, actor)
    link_place(article, event.place)
    link_event(article, event)
    Affiliation.objects.create(actor=actor, organisation=organisation, role="commander")
    ActorAlias.objects.create(actor=actor, name="Hafter")
    return types.SimpleNamespace(article=article, actor=actor, organisation=organisation, event=event)


def refused(write) -> str:
    # A savepoint, as a request's transaction would be: Django's many-to-many writes join the caller's.
    with pytest.raises(PermissionDenied) as denied, transaction.atomic():
        write()
    return str(denied.value)


def test_an_editor_cannot_tag_or_untag_a_published_article_through_taggit(public):
    with acting_as(make_user("editor")):
        assert "Only publishers" in refused(lambda: public.article.tags.add("new tag"))
        refused(lambda: public.article.tags.remove("Benghazi clashes"))
        refused(lambda: public.article.tags.clear())
        refused(lambda: public.article.tags.set(["other"]))
        refused(lambda: public.event.tags.add("new tag"))
    assert list(public.article.tags.names()) == ["Benghazi clashes"]
    assert list(public.event.tags.names()) == ["airstrike"]


def test_an_editor_cannot_write_a_published_articles_links_in_bulk(public):
    other = make_actor()
    with acting_as(make_user("editor")):
        refused(lambda: public.article.actors.add(other))
        refused(lambda: ArticleActor.objects.bulk_create([ArticleActor(article=public.article, actor=other)]))
        refused(lambda: ArticleEvent.objects.filter(article=public.article).update(excerpt="Something else"))
        refused(lambda: ArticleEvent.objects.filter(article=public.article).delete())
        refused(lambda: TaggedArticle.objects.filter(content_object=public.article).delete())
        refused(lambda: public.article.events.clear())
    assert public.article.actor_links.count() == 1
    assert public.article.event_links.get().excerpt == public.article.paragraphs()[0]


def test_an_editor_cannot_point_a_draft_link_at_a_published_article(public):
    draft_link = link_actor(make_article(status=Status.DRAFT), make_actor())
    with acting_as(make_user("editor")):
        refused(lambda: ArticleActor.objects.filter(pk=draft_link.pk).update(article=public.article))
        draft_link.article = public.article
        refused(draft_link.save)


@pytest.mark.parametrize(
    "write",
    [
        lambda p: Actor.objects.filter(pk=p.actor.pk).update(name="Renamed"),
        lambda p: Place.objects.filter(pk=p.event.place_id).update(name="Renamed"),
        lambda p: Event.objects.filter(pk=p.event.pk).update(title="Renamed"),
        lambda p: Tag.objects.filter(name="Benghazi clashes").update(name="Renamed"),
        lambda p: Tag.objects.filter(name="airstrike").update(name="Renamed"),
        lambda p: ActorAlias.objects.filter(actor=p.actor).update(name="Renamed"),
        lambda p: Affiliation.objects.filter(organisation=p.organisation).update(role="member"),
        lambda p: EventParticipant.objects.filter(event=p.event).update(role="target"),
        lambda p: TaggedEvent.objects.filter(content_object=p.event).delete(),
        lambda p: Actor.objects.filter(pk=p.actor.pk).delete(),
        lambda p: ActorAlias.objects.create(actor=p.actor, name="Haftar al-Libi"),
        lambda p: EventParticipant.objects.create(event=p.event, actor=p.organisation),
        lambda p: RepublicationPermission.objects.update(attribution="Changed"),
    ],
    ids=lambda _: "",
)
def test_an_editor_cannot_change_a_register_entry_a_published_article_refers_to(public, write):
    with acting_as(make_user("editor")):
        assert "Only publishers" in refused(lambda: write(public))


def test_a_renamed_public_actor_is_refused_on_save_and_the_row_keeps_its_name(public):
    with acting_as(make_user("editor")):
        public.actor.name = "Renamed"
        message = refused(public.actor.save)
    assert message == "Only publishers change “Khalifa Haftar”: a published or withdrawn article refers to it."
    assert Actor.objects.get(pk=public.actor.pk).name == "Khalifa Haftar"


def test_saving_unchanged_or_only_editor_notes_is_never_refused(public):
    with acting_as(make_user("editor")):
        for obj in (public.actor, public.event, public.event.place, public.article.event_links.get()):
            obj.save()
        public.article.editor_notes = "Check the casualty figures."
        public.article.save()
        Article.objects.filter(pk=public.article.pk).update(editor_notes="Checked.")
    assert Article.objects.get(pk=public.article.pk).editor_notes == "Checked."


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.WITHDRAWN])
def test_an_editor_cannot_change_the_text_of_a_published_or_withdrawn_article(status):
    article = make_article(permitted=True, status=status)
    with acting_as(make_user("editor")):
        article.title = "Changed"
        assert status.label in refused(article.save)
        refused(lambda: Article.objects.filter(pk=article.pk).update(body="Changed"))


def test_an_editor_edits_drafts_and_the_register_entries_only_drafts_refer_to():
    draft = make_article(status=Status.DRAFT, tags=["draft tag"])
    actor = make_actor(name="Brigade 21")
    link_actor(draft, actor)
    with acting_as(make_user("editor")):
        draft.tags.add("second")
        draft.tags.remove("draft tag")
        actor.name = "Brigade 22"
        actor.save()
        ArticleActor.objects.filter(article=draft).delete()
        Actor.objects.filter(pk=actor.pk).delete()
    assert list(draft.tags.names()) == ["second"]
    assert not Actor.objects.filter(name__startswith="Brigade").exists()


def test_a_publisher_changes_what_readers_see(public):
    with acting_as(make_user("publisher")):
        public.article.tags.add("new tag")
        Actor.objects.filter(pk=public.actor.pk).update(name="Renamed")
        ArticleEvent.objects.filter(article=public.article).update(excerpt=public.article.paragraphs()[1])
    assert set(public.article.tags.names()) == {"Benghazi clashes", "new tag"}
    assert Actor.objects.get(pk=public.actor.pk).name == "Renamed"


def test_an_editor_cannot_merge_a_public_actor_or_merge_a_duplicate_into_it(public):
    duplicate = make_actor(name="Khalifa Hafter")
    link_actor(make_article(status=Status.DRAFT), duplicate)
    with acting_as(make_user("editor")) as editor:
        refused(lambda: merging.merge_actors(into=public.actor, duplicates=[duplicate], user=editor))
        refused(lambda: merging.merge_actors(into=duplicate, duplicates=[public.actor], user=editor))
    assert Actor.objects.filter(pk__in=[public.actor.pk, duplicate.pk]).count() == 2
    assert not ActorAlias.objects.filter(name="Khalifa Hafter").exists()


def test_an_editor_merges_duplicates_only_drafts_refer_to():
    keep, duplicate = make_actor(name="Brigade 21"), make_actor(name="21st Brigade")
    link_actor(make_article(status=Status.DRAFT), duplicate)
    with acting_as(make_user("editor")) as editor:
        merging.merge_actors(into=keep, duplicates=[duplicate], user=editor)
    assert keep.article_links.count() == 1 and not Actor.objects.filter(pk=duplicate.pk).exists()


def test_commands_run_without_a_user_and_answer_for_themselves(public):
    call_command("load_sample", verbosity=0)
    public.article.tags.add("added by a script")
    Actor.objects.filter(pk=public.actor.pk).update(name="Renamed by a script")
    assert "added by a script" in public.article.tags.names()
