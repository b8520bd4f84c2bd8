"""
The permission matrix, URL by URL: every admin URL of every registered model (its
ModelAdmin's get_urls(), custom views included) and every action it offers, as each
role, for the records a draft, a published, a withdrawn and a revoked article refer
to. The expected answers are the table MATRIX; docs/permissions.md states the rules.
"""

import datetime
import types

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from articles.models import OriginalFile, Status, TaggedArticle
from register.models import ActorAlias, Affiliation, PlaceAlias, Tag, TagAlias, TaggedEvent

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

ROLES = ("anonymous", "editor", "publisher", "superuser")
STATES = ("draft", "published", "withdrawn", "revoked")

# A cell is one answer for every state, or one per state in STATES order.
# GET rows hold status codes; the other rows what the database holds after the post.
OPEN = (302, 200, 200, 200)  # staff with the model's permission
NONE_BUT_SUPERUSER = (302, 403, 403, 200)
LOCKED = (200, 302, 302, 302)  # an editor's delete of a locked record: a message and the record's page
KEPT_WHEN_LOCKED = ("done", "kept", "kept", "kept")
REDIRECT = (302, 302, 302, 302)


def register_rows(deletable=True):
    """A model editors may change: its records are read-only to them while a public article refers to them."""
    return {
        "changelist": OPEN,
        "add": OPEN,
        "change": OPEN,
        "delete": (302, LOCKED, 200, 200) if deletable else (302, 403, 200, 200),
        "history": OPEN,
        "simple_history": OPEN,
        "redirect": REDIRECT,
        "POST delete": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
    }


PROTECTED = ("kept", "kept", "kept", "kept")  # for every role: others point at it with on_delete=PROTECT, or no one may

MATRIX = {
    # The site's own pages; every autocomplete of every ModelAdmin's autocomplete_fields.
    "admin site": {"index": OPEN, "autocomplete": OPEN},
    "auth.group": {
        "changelist": NONE_BUT_SUPERUSER,
        "add": NONE_BUT_SUPERUSER,
        "change": NONE_BUT_SUPERUSER,
        "delete": NONE_BUT_SUPERUSER,
        "history": NONE_BUT_SUPERUSER,
        "redirect": REDIRECT,
    },
    # Sign-in locks and their logs (django-axes): publishers read them and lift a lock by deleting it.
    "axes.accessattempt": {
        "changelist": (302, 403, 200, 200),
        "add": (302, 403, 403, 403),
        "change": (302, 403, 200, 200),
        "delete": (302, 403, 200, 200),
        "history": (302, 403, 200, 200),
        "redirect": REDIRECT,
        "POST delete": ("kept", "kept", "done", "done"),
        "action delete_selected": ("kept", "kept", "done", "done"),
    },
    "axes.accessfailurelog": {
        "changelist": (302, 403, 200, 200),
        "add": (302, 403, 403, 403),
        "change": (302, 403, 200, 200),
        "delete": (302, 403, 403, 200),
        "history": (302, 403, 200, 200),
        "redirect": REDIRECT,
        "POST delete": ("kept", "kept", "kept", "done"),
        "action delete_selected": ("kept", "kept", "kept", "done"),
    },
    "axes.accesslog": {
        "changelist": (302, 403, 200, 200),
        "add": (302, 403, 403, 403),
        "change": (302, 403, 200, 200),
        "delete": (302, 403, 403, 200),
        "history": (302, 403, 200, 200),
        "redirect": REDIRECT,
        "POST delete": ("kept", "kept", "kept", "done"),
        "action delete_selected": ("kept", "kept", "kept", "done"),
    },
    "auth.user": {
        "changelist": NONE_BUT_SUPERUSER,
        "add": NONE_BUT_SUPERUSER,
        "change": NONE_BUT_SUPERUSER,
        "delete": NONE_BUT_SUPERUSER,
        "history": NONE_BUT_SUPERUSER,
        "password_change": NONE_BUT_SUPERUSER,
        "redirect": REDIRECT,
    },
    "articles.article": {
        **register_rows(deletable=False),
        # An article readers ever saw is never deleted, by anyone: its delete page is refused outright.
        "delete": (302, 403, (200, 403, 403, 403), (200, 403, 403, 403)),
        "link_suggestion": (302, 405, 405, 405),
        "withdraw": (302, 403, 200, 200),
        "POST delete": ("kept", "kept", KEPT_WHEN_LOCKED, KEPT_WHEN_LOCKED),
        "POST change the title": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "POST change the editor notes": ("kept", "done", "done", "done"),
        "POST link a suggested actor": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action submit_for_review": ("kept", KEPT_WHEN_LOCKED, KEPT_WHEN_LOCKED, KEPT_WHEN_LOCKED),
        "action publish": ("kept", "kept", ("done", "kept", "done", "kept"), ("done", "kept", "done", "kept")),
        "action withdraw": ("kept", "kept", ("kept", "done", "kept", "done"), ("kept", "done", "kept", "done")),
        "action delete_selected": ("kept", "kept", KEPT_WHEN_LOCKED, KEPT_WHEN_LOCKED),
    },
    "articles.publication": {
        **register_rows(deletable=False),
        "POST delete": PROTECTED,
        "POST rename": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action delete_selected": PROTECTED,
    },
    "articles.republicationpermission": {
        **register_rows(deletable=False),
        "add": (302, 403, 200, 200),
        "POST delete": ("kept", "kept", "done", "done"),
        "action revoke": ("kept", "kept", ("done", "done", "done", "kept"), ("done", "done", "done", "kept")),
        "action delete_selected": ("kept", "kept", "done", "done"),
    },
    "articles.provenancerecord": {
        **register_rows(deletable=False),
        "add": (302, 403, 403, 403),
        "delete": (302, 403, 403, 403),
        "POST delete": PROTECTED,
        "action delete_selected": PROTECTED,
    },
    # The bytes of an imported file: shown to whoever may read the provenance, changed by no one.
    "articles.originalfile": {
        "changelist": OPEN,
        "add": (302, 403, 403, 403),
        "change": OPEN,
        "delete": (302, 403, 403, 403),
        "history": OPEN,
        "redirect": REDIRECT,
        "POST delete": PROTECTED,
    },
    "articles.articleactor": {
        **register_rows(),
        "POST point at another actor": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "POST add to the article": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
    },
    "articles.articleplace": {
        **register_rows(),
        "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
    },
    "articles.articleevent": {
        **register_rows(),
        "POST change the excerpt": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
    },
    "articles.taggedarticle": {
        **register_rows(),
        "POST add to the article": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
    },
    "register.actor": {
        **register_rows(),
        "POST delete": PROTECTED,
        "POST rename": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action merge": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action delete_selected": PROTECTED,
    },
    "register.actoralias": {**register_rows(), "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done")},
    "register.affiliation": {**register_rows(), "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done")},
    "register.place": {
        **register_rows(),
        "POST delete": PROTECTED,
        "POST rename": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action merge": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action delete_selected": PROTECTED,
    },
    "register.placealias": {**register_rows(), "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done")},
    "register.event": {
        **register_rows(),
        "POST delete": PROTECTED,
        "POST rename": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action delete_selected": PROTECTED,
    },
    "register.eventparticipant": {
        **register_rows(),
        "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
    },
    "register.tag": {
        **register_rows(),
        "POST rename": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action merge": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
        "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done"),
    },
    "register.tagalias": {**register_rows(), "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done")},
    "register.taggedevent": {**register_rows(), "action delete_selected": ("kept", KEPT_WHEN_LOCKED, "done", "done")},
}


def expected(label, row, role, state):
    # A signed-in reader without staff status is sent to the login page, as anonymous is.
    cell = MATRIX[label][row][ROLES.index("anonymous" if role == "reader" else role)]
    return cell[STATES.index(state)] if isinstance(cell, tuple) else cell


def assert_as_the_matrix_says(label, role, got: dict) -> None:
    """`got` maps (row, state) to the answer."""
    wrong = {key: (answer, expected(label, key[0], role, key[1])) for key, answer in got.items()}
    wrong = {key: pair for key, pair in wrong.items() if pair[0] != pair[1]}
    assert wrong == {}, "(row, state): (answered, expected)"


# --------------------------------------------------------------------------
# The archive the walk runs over
# --------------------------------------------------------------------------


def build_state(state: str):
    """An article in `state` and every record it refers to, each linked only from it."""
    publication = make_publication(name=f"{state} outlet")
    status = {"draft": Status.DRAFT, "withdrawn": Status.WITHDRAWN}.get(state, Status.PUBLISHED)
    article = make_article(
        status=status,
        publication=publication,
        title=f"{state} article",
        byline="Staff",
        standfirst="What happened.",
        original_url="https://example.org/a",
    )
    permission = make_permission(article=article, rights_holder=f"{state} holder")
    if state == "revoked":
        permission.revoked_at = timezone.now() - datetime.timedelta(days=1)
        permission.revocation_reason = "The rights holder asked."
        permission.save()
    actor, organisation = make_actor(name=f"{state} actor"), make_actor(name=f"{state} organisation")
    place = make_place(name=f"{state} place")
    event = make_event(title=f"{state} event", place=place, participants=[(actor, "actor_1", "initiator")])
    tag = Tag.objects.create(name=f"{state} tag")
    article.tags.add(tag)
    event.tags.add(tag)
    return {
        "articles.article": article,
        "articles.publication": publication,
        "articles.republicationpermission": permission,
        "articles.provenancerecord": article.provenance.get(),
        "articles.articleactor": link_actor(article, actor),
        "articles.articleplace": link_place(article, place),
        "articles.articleevent": link_event(article, event),
        "articles.taggedarticle": TaggedArticle.objects.get(content_object=article),
        "register.actor": actor,
        "register.actoralias": ActorAlias.objects.create(actor=actor, name=f"{state} alias"),
        "register.affiliation": Affiliation.objects.create(actor=actor, organisation=organisation),
        "register.place": place,
        "register.placealias": PlaceAlias.objects.create(place=place, name=f"{state} spelling"),
        "register.event": event,
        "register.eventparticipant": event.participants.get(),
        "register.tag": tag,
        "register.tagalias": TagAlias.objects.create(tag=tag, name=f"{state} keyword"),
        "register.taggedevent": TaggedEvent.objects.get(content_object=event),
        "articles.originalfile": OriginalFile.objects.keep(
            article=article, file_name=f"{state}.txt", content=article.body.encode()
        ),
        "axes.accessattempt": AccessAttempt.objects.create(
            username=f"{state} user", ip_address="192.0.2.1", user_agent="test", failures_since_start=5
        ),
        "axes.accessfailurelog": AccessFailureLog.objects.create(
            username=f"{state} user", ip_address="192.0.2.1", user_agent="test"
        ),
        "axes.accesslog": AccessLog.objects.create(username=f"{state} user", ip_address="192.0.2.1", user_agent="t"),
    }


@pytest.fixture
def archive():
    states = {state: build_state(state) for state in STATES}
    someone = make_user("editor", username="someone")
    for records in states.values():
        records["auth.user"], records["auth.group"] = someone, Group.objects.get(name="Editors")
    return states


def sign_in(client, role):
    if role != "anonymous":
        client.force_login(make_user(None if role == "reader" else role))
    return client


def registered():
    return sorted((model._meta.label_lower, model_admin) for model, model_admin in admin.site._registry.items())


def admin_urls(model_admin, obj):
    """Every URL of the ModelAdmin, by the row of MATRIX it answers to."""
    opts = model_admin.model._meta
    prefix = f"{opts.app_label}_{opts.model_name}_"
    for pattern in model_admin.get_urls():
        regex = pattern.pattern.regex
        names = set(regex.groupindex)
        kwargs = dict.fromkeys(names & {"object_id", "id"}, obj.pk)
        version = obj.history.earliest().history_id if hasattr(obj, "history") else None
        if "version_id" in names:
            kwargs["version_id"] = version
        # simple_history's version page names neither group: the object, then the version.
        args = [obj.pk, version][: regex.groups] if not names else []
        if pattern.name is None:  # the catch-all that sends an object's old address to its change page
            yield "redirect", reverse(f"admin:{prefix}changelist") + f"{obj.pk}/"
        else:
            yield pattern.name.removeprefix(prefix), reverse(f"admin:{pattern.name}", args=args, kwargs=kwargs)


def test_the_table_covers_every_registered_model_url_and_action(rf, archive):
    request = rf.get("/admin/")
    request.user = User(is_superuser=True, is_staff=True)
    for label, model_admin in registered():
        assert label in MATRIX, f"{label} is registered in the admin: add its rows to MATRIX"
        for row, _url in admin_urls(model_admin, archive["draft"][label]):
            assert row in MATRIX[label], f"{label}: the URL {row} has no row in MATRIX"
        for action in model_admin.get_actions(request):
            assert f"action {action}" in MATRIX[label] or label.startswith("auth."), f"{label}: action {action}"


def autocompletes():
    """Every autocomplete the admin offers: (app_label, model_name, field_name) of each autocomplete field."""
    for _label, model_admin in registered():
        opts = model_admin.model._meta
        for name in model_admin.autocomplete_fields:
            yield opts.app_label, opts.model_name, name
        for inline in model_admin.inlines:
            for name in inline.autocomplete_fields:
                yield inline.model._meta.app_label, inline.model._meta.model_name, name


@pytest.mark.parametrize("role", (*ROLES, "reader"))
def test_the_admin_site_pages_and_every_autocomplete_answer_each_role_as_the_matrix_says(client, role):
    client = sign_in(client, role)
    got = {("index", None): client.get(reverse("admin:index")).status_code}
    for app_label, model_name, field_name in set(autocompletes()):
        params = {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": "a"}
        got["autocomplete", f"{app_label}.{model_name}.{field_name}"] = client.get(
            reverse("admin:autocomplete"), params
        ).status_code
    want = {(row, key): expected("admin site", row, role, None) for row, key in got}
    assert len(got) > 10 and got == want


@pytest.mark.parametrize("role", (*ROLES, "reader"))
@pytest.mark.parametrize(("label", "model_admin"), registered(), ids=[label for label, _ in registered()])
def test_every_admin_url_answers_each_role_as_the_matrix_says(client, archive, label, model_admin, role):
    client = sign_in(client, role)
    got = {}
    for state in STATES:
        for row, url in admin_urls(model_admin, archive[state][label]):
            got[row, state] = client.get(url).status_code
    assert_as_the_matrix_says(label, role, got)


# --------------------------------------------------------------------------
# Posts that change what readers see: what the database holds afterwards
# --------------------------------------------------------------------------


def snapshot(queryset) -> dict:
    return {obj.pk: model_to_dict(obj) for obj in queryset.model._base_manager.filter(pk__in=queryset.values("pk"))}


def posted(client, url, data, watched) -> str:
    """Posts, tells whether the rows `watched` changed, and rolls the change back for the next post."""
    with transaction.atomic():
        before = snapshot(watched)
        pks = set(before)
        response = client.post(url, data)
        assert response.status_code < 500, url
        after = snapshot(watched.model._base_manager.filter(pk__in=pks) | watched.all())
        transaction.set_rollback(True)
    return "kept" if after == before else "done"


def change_form(client, obj):
    """The object's change form as a browser posts it unchanged: every field as shown, inlines as they stand."""
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    response = client.get(url)
    if response.status_code != 200 or response.context is None or "adminform" not in response.context:
        return url, {}
    forms = [response.context["adminform"].form]
    data = {}
    for formset in response.context["inline_admin_formsets"]:
        forms += list(formset.formset.forms)
        management = formset.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return url, data


def posts(records, extra):
    """Each POST row of MATRIX: the url, the data a browser posts, and the rows it may write."""
    article = records["articles.article"]

    def change(label, **changes):
        obj = records[label]
        return lambda client: (*_changed(client, obj, changes), type(obj).objects.filter(pk=obj.pk))

    def _changed(client, obj, changes):
        url, data = change_form(client, obj)
        return url, {**data, **changes}

    links = {
        "articles.articleactor": article.actor_links.all(),
        "articles.taggedarticle": article.tag_links.all(),
    }
    return {
        ("articles.article", "POST change the title"): change("articles.article", title="Retitled"),
        ("articles.article", "POST change the editor notes"): change("articles.article", editor_notes="Seen."),
        ("articles.article", "POST link a suggested actor"): lambda client: (
            reverse("admin:articles_article_link_suggestion", args=[article.pk]),
            {"actor": extra.actor.pk},
            links["articles.articleactor"],
        ),
        ("articles.publication", "POST rename"): change("articles.publication", name="Renamed outlet"),
        ("articles.articleactor", "POST point at another actor"): change("articles.articleactor", actor=extra.actor.pk),
        ("articles.articleactor", "POST add to the article"): lambda client: (
            reverse("admin:articles_articleactor_add"),
            {"article": article.pk, "actor": extra.actor.pk},
            links["articles.articleactor"],
        ),
        ("articles.articleevent", "POST change the excerpt"): change(
            "articles.articleevent", excerpt=article.paragraphs()[1]
        ),
        ("articles.taggedarticle", "POST add to the article"): lambda client: (
            reverse("admin:articles_taggedarticle_add"),
            {"content_object": article.pk, "tag": extra.tag.pk},
            links["articles.taggedarticle"],
        ),
        ("register.actor", "POST rename"): change("register.actor", name="Renamed actor"),
        ("register.place", "POST rename"): change("register.place", name="Renamed place"),
        ("register.event", "POST rename"): change("register.event", title="Renamed event"),
        ("register.tag", "POST rename"): change("register.tag", name="Renamed tag"),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_posts_that_change_what_readers_see_leave_the_database_as_the_matrix_says(client, archive, role, state):
    records = archive[state]
    extra = types.SimpleNamespace(actor=make_actor(name="Unlinked actor"), tag=Tag.objects.create(name="unlinked"))
    client = sign_in(client, role)
    got = {}
    for (label, row), post in posts(records, extra).items():
        url, data, watched = post(client)
        got[label, row] = posted(client, url, data, watched)
    want = {key: expected(*key, role, state) for key in got}
    assert got == want


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("label", "model_admin"), registered(), ids=[label for label, _ in registered()])
def test_deletes_and_actions_leave_the_database_as_the_matrix_says(client, archive, rf, label, model_admin, role):
    if label.startswith("auth."):
        pytest.skip("the accounts are Django's own")
    client = sign_in(client, role)
    model = model_admin.model
    request = rf.get("/admin/")
    request.user = User(is_superuser=True, is_staff=True)
    opts = model._meta
    got = {}
    for row in ["POST delete", *(f"action {name}" for name in model_admin.get_actions(request))]:
        for state in STATES:
            obj = archive[state][label]
            with transaction.atomic():
                selected = [obj.pk]
                if row == "action merge":
                    selected.append(model.objects.create(name=f"{obj.name} duplicate").pk)
                if row == "POST delete":
                    url, data = (
                        reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk]),
                        {"post": "yes"},
                    )
                else:
                    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
                    data = {
                        "action": row.removeprefix("action "),
                        "_selected_action": selected,
                        "post": "yes",
                        "reason": "The rights holder asked.",
                        "into": obj.pk,
                    }
                got[row, state] = posted(client, url, data, model._base_manager.filter(pk__in=selected))
                transaction.set_rollback(True)
    assert_as_the_matrix_says(label, role, got)


# --------------------------------------------------------------------------
# Actors, places and events alike
# --------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["register.actor", "register.place", "register.event", "register.tag"])
def test_a_publisher_saves_a_register_entry_a_published_article_refers_to_unchanged(client, archive, label):
    obj = archive["published"][label]
    client = sign_in(client, "publisher")
    url, data = change_form(client, obj)
    before = snapshot(type(obj).objects.filter(pk=obj.pk))

    response = client.post(url, data)

    assert response.status_code == 302
    assert snapshot(type(obj).objects.filter(pk=obj.pk)) == before


@pytest.mark.parametrize("label", ["register.actor", "register.place", "register.event", "register.tag"])
def test_an_editor_sees_why_a_register_entry_is_read_only_and_a_post_is_answered_with_it(client, archive, label):
    obj = archive["published"][label]
    client = sign_in(client, "editor")
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"name": "Renamed", "title": "Renamed"}, follow=True)

    assert "Only publishers change" in page and 'name="_save"' not in page
    assert response.redirect_chain == [(url, 302)]
    assert "Nothing was saved" in response.content.decode()
    assert str(type(obj).objects.get(pk=obj.pk)) == str(obj)


def test_an_editor_saves_an_event_only_drafts_report_unchanged_with_its_source_rows(client, archive):
    event = archive["draft"]["register.event"]
    client = sign_in(client, "editor")
    url, data = change_form(client, event)

    response = client.post(url, data)

    assert response.status_code == 302
    assert event.article_links.get().excerpt == archive["draft"]["articles.article"].paragraphs()[0]
