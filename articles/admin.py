"""
The editorial admin for articles, their provenance, permissions and annotations.

Status changes go only through articles.workflow (actions and buttons here),
never through a form field, so the permission checks and the provenance trail
cannot be skipped.
"""

import datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, quote, unquote
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, models, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin

from archive.admin_input import CheckedAutocompleteMixin, NulSafeAdminMixin, NulSafeChangeList
from register import guard
from register.models import Actor, ActorAlias, Place, Tag, TagAlias
from register.text import normalize_name

from . import locking, suggestions, workflow
from .models import (
    Article,
    ArticleActor,
    ArticleEvent,
    ArticlePlace,
    OriginalFile,
    ProvenanceRecord,
    Publication,
    RepublicationPermission,
    Status,
    TaggedArticle,
    never_deleted_message,
    normalize_text,
)


def locked_for(request, obj) -> bool:
    """
    Whether the user may change nothing readers see of `obj` (articles.locking),
    asked once per record and request: the admin asks for each permission and inline.
    """
    if obj is None or obj.pk is None:
        return False
    known = request.__dict__.setdefault("_archive_locks", {})
    key = (obj._meta.label, obj.pk)
    if key not in known:
        known[key] = locking.locked_for(request.user, obj)
    return known[key]


def count_of(model, field: str = "article"):
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def covered(permissions, *, per_row: bool = False):
    """
    Whether one of `permissions` covers the article. `per_row` asks PostgreSQL to probe
    both indexes for each row it reads, as a page of rows wants: two EXISTS joined by
    OR it answers by hashing every permission first, as a count over many rows wants.
    """
    if per_row and connection.vendor == "postgresql":
        return Exists(permissions.filter(Q(article=OuterRef("pk")) | Q(publication=OuterRef("publication"))))
    return Exists(permissions.filter(article=OuterRef("pk"))) | Exists(
        permissions.filter(publication=OuterRef("publication"))
    )


def permission_state():
    """valid / lapsed (revoked, expired or not yet in force) / none, as the list shows it."""
    return Case(
        When(covered(RepublicationPermission.objects.valid(), per_row=True), then=Value("valid")),
        When(covered(RepublicationPermission.objects.all(), per_row=True), then=Value("lapsed")),
        default=Value("none"),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


def action_form_response(modeladmin, request, queryset, *, action, form, title, intro, submit_label):
    """The intermediate page an action shows to ask for a reason or a choice before it acts."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "objects": list(queryset),
        "form": form,
        "action": action,
        "submit_label": submit_label,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/archive_action_form.html", context)


class NormalizedTextField(forms.CharField):
    """
    A text area's value as the archive keeps it (models.normalize_text): browsers post
    line ends as CRLF, so a text saved unchanged would otherwise differ from the one stored.
    """

    def __init__(self, *args, **kwargs):
        kwargs["strip"] = False
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_text(value) if value else value


NORMALIZED_TEXT = {models.TextField: {"form_class": NormalizedTextField}}


class HistoryAdmin(NulSafeAdminMixin, SimpleHistoryAdmin):
    """
    History pages for every record, and the permission matrix (articles.locking):
    a record readers see through a published article is shown read-only to an
    editor, with a message saying who can change it, and a post that would change
    or delete it is answered with that message, not a 403 page. Restoring a past
    version is a change: it needs the change permission now, which the history
    view does not ask for. A form saved without a change writes nothing: no row, no
    history, no log entry.
    """

    formfield_overrides = NORMALIZED_TEXT

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        super().save_model(request, obj, form, change)

    def log_change(self, request, obj, message):
        if message:
            return super().log_change(request, obj, message)
        return None

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_malformed_ids(object_id)
        return super().history_view(request, object_id, extra_context)

    # Fields only editors read: where a model has some, a locked record stays editable in them alone.
    editor_fields = ()

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (bool(self.editor_fields) or not locked_for(request, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not locked_for(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if not self.editor_fields or not locked_for(request, obj):
            return fields
        shown = flatten_fieldsets(self.fieldsets) if self.fieldsets else list(self.fields or ())
        return fields + tuple(f for f in shown if f not in self.editor_fields and f not in fields)

    def refused(self, request, object_id):
        """The record at `object_id` when the matrix keeps this user from changing it, else None."""
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        return obj if locked_for(request, obj) else None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.refused(request, object_id)
        if obj is not None:
            if request.method == "POST" and not self.editor_fields and super().has_change_permission(request, obj):
                self.message_user(request, f"{locking.message(obj)} Nothing was saved.", messages.ERROR)
                return HttpResponseRedirect(request.path)
            if request.method == "GET" and self.has_view_permission(request, obj):
                self.message_user(request, self.locked_notice(obj), messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def locked_notice(self, obj) -> str:
        return locking.message(obj)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.refused(request, object_id)
        if obj is not None and super().has_delete_permission(request, obj):
            self.message_user(request, f"{locking.message(obj)} Nothing was deleted.", messages.ERROR)
            change = f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change"
            return HttpResponseRedirect(reverse(change, args=[quote(obj.pk)], current_app=self.admin_site.name))
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        refused = [obj for obj in objs if locked_for(request, obj)]
        if refused:
            # Shown as protected: Django's page then explains and deletes nothing.
            protected = [*protected, *(locking.message(obj) for obj in refused)]
            if super().has_delete_permission(request):
                perms_needed = {name for name in perms_needed if name != self.model._meta.verbose_name}
        return deleted, counts, perms_needed, protected

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._refuse_malformed_ids(object_id, version_id)
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if self.revert_disabled(request, obj) or not self.has_change_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _refuse_malformed_ids(self, object_id, version_id=None):
        """simple-history looks ids up as typed: one that is no id at all would be a database error."""
        try:
            self.model._meta.pk.to_python(unquote(object_id))
            if version_id is not None:
                self.model.history.model._meta.pk.to_python(version_id)
        except (ValidationError, ValueError):
            raise Http404(f"No {self.model._meta.verbose_name} with that id.") from None


class GuardedInlineFormSet(BaseInlineFormSet):
    """Rows marked for deletion are put to the matrix too, as a form error rather than a refusal on save."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form) and form.instance.pk is not None:
                refused = guard.refusal(form.instance, deleting=True)
                if refused:
                    raise ValidationError(refused)


class LockedInline:
    """Rows shown on a record's page: read-only where the record is (articles.locking)."""

    formset = GuardedInlineFormSet

    def has_add_permission(self, request, obj=None):
        return not locked_for(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not locked_for(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not locked_for(request, obj) and super().has_delete_permission(request, obj)


# --------------------------------------------------------------------------
# Inlines
# --------------------------------------------------------------------------


class JoinedInline(CheckedAutocompleteMixin):
    """Rows shown with their related records in one query: each row prints them."""

    joined = ()
    formfield_overrides = NORMALIZED_TEXT

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.joined)


class ArticleInline(LockedInline, JoinedInline):
    """Annotation rows follow the article: read-only where the article is."""


class ReadOnlyRecord:
    """The provenance record is append-only (articles.chain): nobody adds, changes or deletes it here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProvenanceInline(ReadOnlyRecord, JoinedInline, admin.TabularInline):
    model = ProvenanceRecord
    joined = ("publication", "original")
    extra = 0
    fields = ("position", "activity", "agent", "publication", "url", "date", "note", "sha256", "original", "digest")
    readonly_fields = fields
    classes = ("collapse",)
    verbose_name_plural = "provenance chain (appended by the archive; read-only)"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("original__content")


class PermissionInline(LockedInline, admin.StackedInline):
    model = RepublicationPermission
    formfield_overrides = NORMALIZED_TEXT
    fk_name = "article"
    extra = 0
    fields = (
        ("rights_holder", "granted_to"),
        ("granted_on", "expires_on", "scope"),
        ("evidence_kind", "evidence_url"),
        "evidence",
        "attribution",
        ("revoked_at", "revocation_reason"),
        "state",
    )
    readonly_fields = ("state",)
    verbose_name_plural = "republication permissions for this article"

    def _may_manage(self, request):
        return request.user.has_perm(workflow.MANAGE_PERMISSIONS)

    def has_add_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_delete_permission(request, obj)

    @admin.display(description="state")
    def state(self, obj):
        return obj.state if obj.pk else "–"


class ActorMentionInline(ArticleInline, admin.TabularInline):
    model = ArticleActor
    joined = ("article", "actor")
    extra = 0
    autocomplete_fields = ("actor",)
    verbose_name_plural = "actors mentioned"


class PlaceMentionInline(ArticleInline, admin.TabularInline):
    model = ArticlePlace
    joined = ("article", "place")
    extra = 0
    autocomplete_fields = ("place",)
    verbose_name_plural = "places mentioned"


class EventReportInline(ArticleInline, admin.StackedInline):
    model = ArticleEvent
    joined = ("article", "event")
    fk_name = "article"
    extra = 0
    fields = (("event", "paragraph"), "excerpt")
    autocomplete_fields = ("event",)
    verbose_name_plural = "events reported, with the passage that reports each"


class ArticleTagInline(ArticleInline, admin.TabularInline):
    model = TaggedArticle
    joined = ("content_object", "tag")
    fk_name = "content_object"
    extra = 0
    autocomplete_fields = ("tag",)
    verbose_name = "tag"
    verbose_name_plural = "tags"


# --------------------------------------------------------------------------
# Articles
# --------------------------------------------------------------------------


class ArticleAdminForm(forms.ModelForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        current = Article.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
        expected = cleaned.get("expected_version")
        if expected != current:
            last = self.instance.history.select_related("history_user").first()
            who = (last.history_user.get_username() if last and last.history_user else None) or "someone else"
            when = f" at {last.history_date:%Y-%m-%d %H:%M} UTC" if last else ""
            # The next save is then a deliberate overwrite: the editor has been told.
            self.data = self.data.copy()
            self.data["expected_version"] = current
            raise ValidationError(
                "%(who)s changed this article%(when)s after you opened it. Your changes are not saved: "
                "reload the page to see theirs, or save again to replace them with yours.",
                code="conflict",
                params={"who": who, "when": when},
            )
        return cleaned


class PermissionStateFilter(admin.SimpleListFilter):
    title = "permission"
    parameter_name = "permission"

    def lookups(self, request, model_admin):
        return (("valid", "valid"), ("lapsed", "revoked or expired"), ("none", "none"))

    def queryset(self, request, queryset):
        if self.value() not in ("valid", "lapsed", "none"):
            return queryset
        valid, any_ = covered(RepublicationPermission.objects.valid()), covered(RepublicationPermission.objects.all())
        if self.value() == "valid":
            return queryset.filter(valid)
        if self.value() == "lapsed":
            return queryset.filter(~valid & any_)
        return queryset.filter(~any_)


MAX_TYPED_VALUE = 200


def is_number(value: str) -> bool:
    """Digits that fit a database integer: anything else would be a database error, not an empty list."""
    return value.isascii() and value.isdigit() and len(value) < 19


class TypedValueFilter(admin.SimpleListFilter):
    """
    A box to type a name in, for registers too long to list as links (thousands of
    tags and actors). The other parameters of the list ride along as hidden inputs.
    """

    template = "admin/archive_typed_filter.html"
    noun = ""
    hint = ""

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return True

    def typed(self):
        return (self.value() or "").strip()

    def shown(self):
        return self.typed()

    def find(self, value):
        raise NotImplementedError

    @cached_property
    def found(self):
        value = self.typed()
        # PostgreSQL refuses a NUL in a string; no name holds one.
        if not value or len(value) > MAX_TYPED_VALUE or "\x00" in value:
            return []
        return self.find(value)

    def queryset(self, request, queryset):
        if not self.typed():
            return queryset
        if not self.found:
            return queryset.none()
        return self.filter_by(queryset, self.found)

    def note(self):
        value = self.typed()
        if not value:
            return ""
        if not self.found:
            return f"There is no {self.noun} “{value}” in the register."
        names = ", ".join(f"“{item}”" for item in self.found)
        if len(self.found) > 1:
            return f"“{value}” names {len(self.found)} {self.noun}s: {names}. The list shows articles of any of them."
        return f"Showing {names}."

    def choices(self, changelist):
        own = set(self.expected_parameters())
        yield {
            "parameter_name": self.parameter_name,
            "value": self.shown(),
            "hint": self.hint,
            "note": self.note(),
            "failed": bool(self.typed()) and not self.found,
            "hidden": [
                (name, value)
                for name, values in sorted(changelist.filter_params.items())
                if name not in own
                for value in values
            ],
            "clear_url": changelist.get_query_string(remove=list(own)),
        }


class TagFilter(TypedValueFilter):
    title = "tag"
    parameter_name = "tag"
    noun = "tag"
    hint = "slug or name"

    def find(self, value):
        spelled = Exists(TagAlias.objects.filter(tag=OuterRef("pk"), name_key=normalize_name(value)))
        tags = list(
            Tag.objects.annotate(lower_name=Lower("name"))
            .filter(Q(slug=value) | Q(lower_name=Lower(Value(value))) | spelled)
            .order_by("name")
        )
        # A slug or a name is unique; a spelling kept from a merge comes last.
        by_slug = [tag for tag in tags if tag.slug == value]
        by_name = [tag for tag in tags if tag.name.lower() == value.lower()]
        return by_slug or by_name or tags

    def filter_by(self, queryset, tags):
        return queryset.filter(Exists(TaggedArticle.objects.filter(content_object=OuterRef("pk"), tag__in=tags)))


class ActorFilter(TypedValueFilter):
    """By any spelling of an actor's name, or its slug; the id parameter of the former list of links still works."""

    title = "actor"
    parameter_name = "actor"
    id_parameter = "actors__id__exact"
    noun = "actor"
    hint = "name in any spelling, or slug"

    def __init__(self, request, params, model, model_admin):
        self.actor_id = params.pop(self.id_parameter)[-1].strip() if self.id_parameter in params else None
        super().__init__(request, params, model, model_admin)
        if self.actor_id is not None:
            self.used_parameters[self.id_parameter] = self.actor_id

    def expected_parameters(self):
        return [self.parameter_name, self.id_parameter]

    def by_id(self):
        return self.actor_id is not None and not super().typed()

    def typed(self):
        return self.actor_id if self.by_id() else super().typed()

    def shown(self):
        return self.found[0].name if self.by_id() and self.found else super().shown()

    def find(self, value):
        if self.by_id():
            return list(Actor.objects.filter(pk=value)) if is_number(value) else []
        key = normalize_name(value)
        spelled = Exists(ActorAlias.objects.filter(actor=OuterRef("pk"), name_key=key))
        actors = list(Actor.objects.filter(Q(slug=value) | Q(name_key=key) | spelled).order_by("name"))
        return [actor for actor in actors if actor.slug == value] or actors

    def filter_by(self, queryset, actors):
        return queryset.filter(Exists(ArticleActor.objects.filter(article=OuterRef("pk"), actor__in=actors)))


class DatedFilter(admin.ListFilter):
    """
    Year, then month, of the date the list sorts by. The years run from the first
    date to the last, two index probes: date_hierarchy reads every article's
    date to learn which years hold one.
    """

    title = "date"
    year_parameter = "dated__year"
    month_parameter = "dated__month"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.expected_parameters():
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]
        self.year = self._number(self.year_parameter, 1, 9998)
        self.month = self._number(self.month_parameter, 1, 12) if self.year else None
        dates = model.objects.order_by("dated").values_list("dated", flat=True)
        self.first, self.last = dates.first(), dates.last()

    def _number(self, name, low, high):
        value = self.used_parameters.get(name)
        if value is None:
            return None
        if not is_number(value) or not low <= int(value) <= high:
            raise IncorrectLookupParameters(f"{name}: not a number from {low} to {high}")
        return int(value)

    def expected_parameters(self):
        return [self.year_parameter, self.month_parameter]

    def has_output(self):
        return self.first is not None

    def queryset(self, request, queryset):
        if self.year is None:
            return queryset
        start = datetime.date(self.year, self.month or 1, 1)
        if self.month is None:
            end = start.replace(year=self.year + 1)
        else:
            end = (start + datetime.timedelta(days=31)).replace(day=1)
        return queryset.filter(dated__gte=start, dated__lt=end)

    def choices(self, changelist):
        remove = self.expected_parameters()
        yield {
            "selected": self.year is None,
            "query_string": changelist.get_query_string(remove=remove),
            "display": "Any date",
        }
        if self.year is None:
            for year in range(self.last.year, self.first.year - 1, -1):
                yield {
                    "selected": False,
                    "query_string": changelist.get_query_string({self.year_parameter: year}, remove),
                    "display": str(year),
                }
            return
        yield {
            "selected": self.month is None,
            "query_string": changelist.get_query_string({self.year_parameter: self.year}, remove),
            "display": f"{self.year}, every month",
        }
        months = range(1, 13)
        if self.first.year == self.year:
            months = [m for m in months if m >= self.first.month]
        if self.last.year == self.year:
            months = [m for m in months if m <= self.last.month]
        for month in months:
            yield {
                "selected": self.month == month,
                "query_string": changelist.get_query_string(
                    {self.year_parameter: self.year, self.month_parameter: month}, remove
                ),
                "display": formats.date_format(datetime.date(self.year, month, 1), "YEAR_MONTH_FORMAT"),
            }


class LinkedOnlyFilter(admin.RelatedFieldListFilter):
    """RelatedOnlyFieldListFilter's choices, found by asking each choice for one article (EXISTS)."""

    def field_choices(self, field, request, model_admin):
        model = field.remote_field.model
        if field.many_to_many:
            through = field.remote_field.through
            owner = next(f.name for f in through._meta.fields if f.related_model is model)
            linked = through.objects.filter(**{owner: OuterRef("pk")})
        else:
            linked = Article.objects.filter(**{field.name: OuterRef("pk")})
        ordering = self.field_admin_ordering(field, request, model_admin) or model._meta.ordering or ("pk",)
        return [(obj.pk, str(obj)) for obj in model.objects.filter(Exists(linked)).order_by(*ordering)]


class EstimatedCountPaginator(Paginator):
    """
    The unfiltered changelist counts from the table's statistics (PostgreSQL) or its
    highest id (SQLite), so the page never reads every article; a filtered one counts exactly.
    """

    exact_below = 10_000

    @cached_property
    def count(self):
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.where:
            return super().count
        table = queryset.model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
            else:
                cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            row = cursor.fetchone()
        estimate = row[0] if row and row[0] is not None else -1
        # Statistics not gathered yet, or a small table: count it.
        return estimate if estimate > self.exact_below else super().count


class ArticleChangeList(NulSafeChangeList):
    """The page's rows without their long texts, and their tags' names in one query of plain values."""

    def get_results(self, request):
        self.queryset = self.queryset.defer("body", "standfirst", "editor_notes", "withdrawal_reason")
        super().get_results(request)
        rows = list(self.result_list)
        names = {row.pk: [] for row in rows}
        links = TaggedArticle.objects.filter(content_object__in=names).order_by()
        for article_id, name in links.values_list("content_object_id", "tag__name"):
            names[article_id].append(name)
        for row in rows:
            row.tag_names = sorted(names[row.pk], key=str.casefold)

    @cached_property
    def change_url(self):
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
        return reverse(name, args=["__pk__"], current_app=self.model_admin.admin_site.name)

    def url_for_result(self, result):
        # reverse() once per page, not once per row: it is among the costliest steps of a row.
        return self.change_url.replace("__pk__", quote(str(result.pk)))


@admin.register(Article)
class ArticleAdmin(HistoryAdmin):
    form = ArticleAdminForm
    list_display = (
        "title",
        "status",
        "publication",
        "permission_column",
        "actor_count",
        "place_count",
        "event_count",
        "tag_list",
        "dated",
    )
    list_filter = (
        "status",
        PermissionStateFilter,
        ("publication", LinkedOnlyFilter),
        TagFilter,
        ActorFilter,
        DatedFilter,
    )
    # No exact COUNT of the whole archive per page view (issue 6), nor one per filter choice.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    # Rendering each row's cells is much of the page's time: editors page through 50 at a time.
    list_per_page = 50
    list_select_related = ("publication",)
    search_fields = ("title", "slug", "standfirst", "byline", "original_title", "publication__name")
    autocomplete_fields = ("publication",)
    readonly_fields = (
        "status",
        "permission_summary",
        "missing_summary",
        "published_at",
        "withdrawn_at",
        "withdrawal_reason",
        "created_at",
        "created_by",
        "updated_at",
        "version",
    )
    fieldsets = (
        (
            "Content",
            {
                "fields": (
                    "title",
                    "slug",
                    "standfirst",
                    "body",
                    ("body_format", "language"),
                    "byline",
                    "expected_version",
                )
            },
        ),
        (
            "Provenance",
            {
                "fields": (
                    "publication",
                    ("original_title", "original_url"),
                    ("original_date", "original_date_precision"),
                    ("period_start", "period_end"),
                )
            },
        ),
        (
            "Permission and status",
            {
                "fields": (
                    "status",
                    "permission_summary",
                    "missing_summary",
                    ("published_at", "withdrawn_at"),
                    "withdrawal_reason",
                )
            },
        ),
        ("Annotations", {"fields": ("editor_notes",)}),
        ("Record", {"classes": ("collapse",), "fields": (("created_at", "created_by"), ("updated_at", "version"))}),
    )
    inlines = (
        ProvenanceInline,
        PermissionInline,
        ActorMentionInline,
        PlaceMentionInline,
        EventReportInline,
        ArticleTagInline,
    )
    actions = ("submit_for_review", "publish", "withdraw")
    editor_fields = ("editor_notes", "expected_version")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                permission_state=permission_state(),
                actor_count=count_of(ArticleActor),
                place_count=count_of(ArticlePlace),
                event_count=count_of(ArticleEvent),
            )
        )

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.has_change_permission(request, obj):
            # Nothing to compare against: a new article, or a page that cannot be saved.
            fieldsets = [
                (name, {**options, "fields": tuple(f for f in options["fields"] if f != "expected_version")})
                for name, options in fieldsets
            ]
        return fieldsets

    def locked_notice(self, obj) -> str:
        return f"{locking.message(obj)} Editor notes stay editable."

    def revert_disabled(self, request, obj=None):
        # An old version may carry another status; status moves only through the workflow.
        return True

    def has_submit_permission(self, request):
        return request.user.has_perm(workflow.SUBMIT)

    def has_publish_permission(self, request):
        return request.user.has_perm(workflow.PUBLISH)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # A never-public draft, by a publisher; whatever was ever public stays (Article.delete).
        if obj is not None and obj.was_public:
            return False
        return self.has_publish_permission(request) and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            actions["delete_selected"] = (
                ArticleAdmin.delete_drafts,
                "delete_selected",
                "Delete the selected drafts (never-public ones only)",
            )
        return actions

    def delete_drafts(self, request, queryset):
        public = list(queryset.ever_public().values_list("title", flat=True)[:5])
        if public:
            self.message_user(request, never_deleted_message(public), messages.ERROR)
            return None
        return delete_selected(self, request, queryset)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, RepublicationPermission) and instance.created_by_id is None:
                instance.created_by = request.user
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()

    # Columns ------------------------------------------------------------

    @admin.display(description="permission", ordering="permission_state")
    def permission_column(self, obj):
        return obj.permission_state

    @admin.display(description="actors", ordering="actor_count")
    def actor_count(self, obj):
        return obj.actor_count

    @admin.display(description="places", ordering="place_count")
    def place_count(self, obj):
        return obj.place_count

    @admin.display(description="events", ordering="event_count")
    def event_count(self, obj):
        return obj.event_count

    @admin.display(description="tags")
    def tag_list(self, obj):
        return ", ".join(obj.tag_names)

    def action_checkbox(self, obj):
        # Django's own checkbox, written out: its widget renders a template for every row.
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )

    @admin.display(description="permission in force")
    def permission_summary(self, obj):
        permission = obj.current_permission() if obj and obj.pk else None
        if permission is None:
            return "None: the article cannot be shown to readers."
        return format_html(
            '<a href="{}">{}</a> — readers see: “{}”',
            reverse("admin:articles_republicationpermission_change", args=[permission.pk]),
            permission,
            permission.attribution,
        )

    @admin.display(description="still missing before publication")
    def missing_summary(self, obj):
        missing = obj.missing_fields() if obj else []
        return ", ".join(missing) if missing else "nothing"

    # Workflow -----------------------------------------------------------

    def _apply(self, request, queryset, step, done: str, **kwargs):
        succeeded = 0
        for article in queryset:
            try:
                step(article=article, user=request.user, **kwargs)
            except (ValidationError, PermissionDenied) as error:
                text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, text or f"“{article}”: not allowed.", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, f"{succeeded} article{'s' if succeeded != 1 else ''} {done}.", messages.SUCCESS)

    @admin.action(description="Submit the selected articles for review", permissions=["submit"])
    def submit_for_review(self, request, queryset):
        self._apply(request, queryset, workflow.submit_for_review, "submitted for review")

    @admin.action(description="Publish the selected articles", permissions=["publish"])
    def publish(self, request, queryset):
        self._apply(request, queryset, workflow.publish, "published")

    @admin.action(description="Withdraw the selected articles…", permissions=["publish"])
    def withdraw(self, request, queryset):
        form = ReasonForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._apply(request, queryset, workflow.withdraw, "withdrawn", reason=form.cleaned_data["reason"])
            return None
        return action_form_response(
            self,
            request,
            queryset,
            action="withdraw",
            form=form,
            title="Withdraw articles",
            intro="Readers will find a tombstone with the title, provenance and date of withdrawal instead of "
            "the text. Give the reason the archive records:",
            submit_label="Withdraw",
        )

    def response_change(self, request, obj):
        for button, step, done in (
            ("_submit_for_review", workflow.submit_for_review, "submitted for review"),
            ("_publish", workflow.publish, "published"),
        ):
            if button in request.POST:
                self._apply(request, Article.objects.filter(pk=obj.pk), step, done)
                return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    # Annotation help -----------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/suggestions/link/",
                self.admin_site.admin_view(self.link_suggestion_view),
                name="articles_article_link_suggestion",
            ),
            path(
                "<path:object_id>/withdraw/",
                self.admin_site.admin_view(self.withdraw_view),
                name="articles_article_withdraw",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        article = self.get_object(request, unquote(object_id))
        if article is not None and self.has_view_or_change_permission(request, article):
            extra_context["suggestions"] = suggestions.suggest(article)
            extra_context["may_link"] = not locked_for(request, article) and self.has_change_permission(
                request, article
            )
            extra_context["may_add_actor"] = request.user.has_perm("register.add_actor")
            extra_context["link_url"] = reverse("admin:articles_article_link_suggestion", args=[article.pk])
            extra_context["may_submit"] = article.status == Status.DRAFT and self.has_submit_permission(request)
            extra_context["may_publish"] = article.status != Status.PUBLISHED and self.has_publish_permission(request)
            if article.status == Status.PUBLISHED and self.has_publish_permission(request):
                extra_context["withdraw_url"] = reverse("admin:articles_article_withdraw", args=[article.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def withdraw_view(self, request, object_id):
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No article with that id.")
        if not self.has_publish_permission(request):
            raise PermissionDenied
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            selected = Article.objects.filter(pk=article.pk)
            self._apply(request, selected, workflow.withdraw, "withdrawn", reason=form.cleaned_data["reason"])
            return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))
        return action_form_response(
            self,
            request,
            [article],
            action="withdraw",
            form=form,
            title="Withdraw article",
            intro="Readers will find a tombstone with the title, provenance and date of withdrawal instead of "
            "the text. Give the reason the archive records:",
            submit_label="Withdraw",
        )

    @transaction.atomic
    def link_suggestion_view(self, request, object_id):
        return _link_suggestion(self, request, object_id)


def _link_suggestion(modeladmin, request, object_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    article = modeladmin.get_object(request, unquote(object_id))
    if article is None:
        raise Http404("No article with that id.")
    if not modeladmin.has_change_permission(request, article):
        raise PermissionDenied
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    if locked_for(request, article):
        modeladmin.message_user(request, f"{locking.message(article)} Nothing was linked.", messages.ERROR)
        return HttpResponseRedirect(change_url)
    actor_id, place_id = request.POST.get("actor", ""), request.POST.get("place", "")
    new_name = " ".join(request.POST.get("new_actor", "").split())
    if is_number(actor_id):
        target = get_object_or_404(Actor, pk=actor_id)
        _link, created = ArticleActor.objects.get_or_create(article=article, actor=target)
    elif is_number(place_id):
        target = get_object_or_404(Place, pk=place_id)
        _link, created = ArticlePlace.objects.get_or_create(article=article, place=target)
    elif new_name:
        if not request.user.has_perm("register.add_actor"):
            raise PermissionDenied
        target = Actor.objects.matching(new_name).first()
        if target is None:
            target = Actor(name=new_name)
            target._history_user = request.user
            target.save()
        _link, created = ArticleActor.objects.get_or_create(article=article, actor=target)
    else:
        modeladmin.message_user(request, "Nothing to link: the suggestion was not understood.", messages.ERROR)
        return HttpResponseRedirect(change_url)
    if created:
        modeladmin.message_user(request, f"Linked {target} to this article.", messages.SUCCESS)
    else:
        modeladmin.message_user(request, f"{target} was already linked.", messages.INFO)
    return HttpResponseRedirect(change_url + "#suggestions")


# --------------------------------------------------------------------------
# Publications, permissions, provenance and annotation rows
# --------------------------------------------------------------------------


@admin.register(Publication)
class PublicationAdmin(HistoryAdmin):
    list_display = ("name", "url", "language", "article_count")
    search_fields = ("name", "slug", "url")
    fields = ("name", "slug", "url", "language", "description")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=count_of(Article, "publication"))

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj):
        return obj.article_count


@admin.register(RepublicationPermission)
class RepublicationPermissionAdmin(HistoryAdmin):
    list_display = ("__str__", "rights_holder", "article", "publication", "scope", "granted_on", "expires_on", "state")
    list_filter = ("scope", "evidence_kind", ("publication", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("article", "publication")
    search_fields = ("rights_holder", "granted_to", "attribution", "evidence", "article__title", "publication__name")
    autocomplete_fields = ("article", "publication")
    readonly_fields = ("created_at", "created_by")
    date_hierarchy = "granted_on"
    fieldsets = (
        ("Covers", {"fields": ("article", "publication")}),
        ("Grant", {"fields": ("rights_holder", "granted_to", "granted_on", "expires_on", "scope", "attribution")}),
        ("Evidence", {"fields": ("evidence_kind", "evidence", "evidence_url")}),
        ("Revocation", {"classes": ("collapse",), "fields": ("revoked_at", "revocation_reason")}),
        ("Record", {"classes": ("collapse",), "fields": ("created_at", "created_by")}),
    )
    actions = ("revoke",)

    def _may_manage(self, request):
        return request.user.has_perm(workflow.MANAGE_PERMISSIONS)

    def has_add_permission(self, request):
        return self._may_manage(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_delete_permission(request, obj)

    def has_revoke_permission(self, request):
        return self._may_manage(request)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="state")
    def state(self, obj):
        return obj.state

    @admin.action(description="Revoke the selected permissions…", permissions=["revoke"])
    def revoke(self, request, queryset):
        form = ReasonForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            revoked = 0
            for permission in queryset:
                try:
                    reason = form.cleaned_data["reason"]
                    workflow.revoke_permission(permission=permission, user=request.user, reason=reason)
                except (ValidationError, PermissionDenied) as error:
                    text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                    self.message_user(request, text, messages.ERROR)
                else:
                    revoked += 1
            if revoked:
                self.message_user(request, f"{revoked} permission{'s' if revoked != 1 else ''} revoked.")
            return None
        return action_form_response(
            self,
            request,
            queryset,
            action="revoke",
            form=form,
            title="Revoke permissions",
            intro="Articles covered only by these permissions disappear from the public site at once. "
            "Give the reason the archive records:",
            submit_label="Revoke",
        )


@admin.register(ProvenanceRecord)
class ProvenanceRecordAdmin(ReadOnlyRecord, HistoryAdmin):
    list_display = ("article", "position", "activity", "agent", "date", "recorded_at", "recorded_by")
    list_filter = ("activity",)
    list_select_related = ("article", "recorded_by")
    search_fields = ("article__title", "agent", "url", "file_name", "sha256", "note")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("original__content")


@admin.register(OriginalFile)
class OriginalFileAdmin(NulSafeAdminMixin, ReadOnlyRecord, admin.ModelAdmin):
    list_display = ("file_name", "article", "size", "sha256", "received_at")
    list_select_related = ("article",)
    search_fields = ("file_name", "sha256", "article__title")
    fields = ("article", "file_name", "size", "sha256", "received_at")

    # Whoever may read the provenance may read the files it names.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("articles.view_provenancerecord")

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")


class AnnotationAdmin(HistoryAdmin):
    """The link rows on their own, for finding and correcting them across articles."""

    list_select_related = True


@admin.register(ArticleActor)
class ArticleActorAdmin(AnnotationAdmin):
    list_display = ("article", "actor", "created_at")
    search_fields = ("article__title", "actor__name")
    autocomplete_fields = ("article", "actor")


@admin.register(ArticlePlace)
class ArticlePlaceAdmin(AnnotationAdmin):
    list_display = ("article", "place", "created_at")
    search_fields = ("article__title", "place__name")
    autocomplete_fields = ("article", "place")


@admin.register(ArticleEvent)
class ArticleEventAdmin(AnnotationAdmin):
    list_display = ("article", "event", "paragraph", "created_at")
    search_fields = ("article__title", "event__title", "excerpt")
    autocomplete_fields = ("article", "event")


@admin.register(TaggedArticle)
class TaggedArticleAdmin(HistoryAdmin):
    list_display = ("content_object", "tag")
    list_select_related = True
    search_fields = ("content_object__title", "tag__name")
    autocomplete_fields = ("content_object", "tag")


# The admins of Django's accounts and of django-axes (sign-in attempts and logs), with the same care.
# django-axes' "clean up expired attempts" reads a sign-in's own request attributes, which an admin
# request lacks (a 500); expired locks lift by themselves, and a publisher lifts one by deleting it.
_OWN_ATTRIBUTES = {AccessAttempt: {"actions": []}}
for _model in (User, Group, AccessAttempt, AccessLog, AccessFailureLog):
    _their_admin = type(admin.site._registry[_model])
    admin.site.unregister(_model)
    _attributes = _OWN_ATTRIBUTES.get(_model, {})
    admin.site.register(_model, type(_their_admin.__name__, (NulSafeAdminMixin, _their_admin), _attributes))
