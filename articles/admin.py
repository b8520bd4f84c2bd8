"""
The editorial admin for articles, their provenance, permissions and annotations.

Status changes go only through articles.workflow (actions and buttons here),
never through a form field, so the permission checks and the provenance trail
cannot be skipped.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from register.models import Actor, Place

from . import suggestions, workflow
from .models import (
    Article,
    ArticleActor,
    ArticleEvent,
    ArticlePlace,
    ProvenanceRecord,
    Publication,
    RepublicationPermission,
    Status,
    TaggedArticle,
)

LOCKED_STATES = (Status.PUBLISHED, Status.WITHDRAWN)


def may_edit(user, article) -> bool:
    """Editors edit drafts and articles in review; what readers may see is the publishers' to change."""
    return article is None or article.status not in LOCKED_STATES or user.has_perm(workflow.PUBLISH)


def count_of(model, field: str = "article"):
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def permission_state():
    """valid / lapsed (revoked, expired or not yet in force) / none, as the list shows and filters it."""

    def covering(permissions):
        return Exists(permissions.filter(article=OuterRef("pk"))) | Exists(
            permissions.filter(publication=OuterRef("publication"))
        )

    return Case(
        When(covering(RepublicationPermission.objects.valid()), then=Value("valid")),
        When(covering(RepublicationPermission.objects.all()), then=Value("lapsed")),
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


class HistoryAdmin(SimpleHistoryAdmin):
    """
    History pages for every record. Restoring a past version is a change: it
    needs the change permission now, which the history view does not ask for.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if self.revert_disabled(request, obj) or not self.has_change_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


# --------------------------------------------------------------------------
# Inlines
# --------------------------------------------------------------------------


class JoinedInline:
    """Rows shown with their related records in one query: each row prints them."""

    joined = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.joined)


class ArticleInline(JoinedInline):
    """Annotation rows follow the article: read-only where the article is."""

    def has_add_permission(self, request, obj=None):
        return may_edit(request.user, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return may_edit(request.user, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return may_edit(request.user, obj) and super().has_delete_permission(request, obj)


class ProvenanceForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A new step goes at the end of the chain unless the editor places it.
        self.fields["position"].required = False


class ProvenanceInline(ArticleInline, admin.TabularInline):
    model = ProvenanceRecord
    joined = ("publication",)
    form = ProvenanceForm
    extra = 0
    fields = ("position", "activity", "agent", "publication", "url", "date", "date_precision", "note", "sha256")
    autocomplete_fields = ("publication",)
    classes = ("collapse",)
    verbose_name_plural = "provenance chain"


class PermissionInline(admin.StackedInline):
    model = RepublicationPermission
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
        if self.value() in ("valid", "lapsed", "none"):
            return queryset.filter(permission_state=self.value())
        return queryset


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        from register.models import Tag

        # Per tag, is there one article link: an index probe each, not a DISTINCT over every link.
        linked = TaggedArticle.objects.filter(tag=OuterRef("pk"))
        return Tag.objects.filter(Exists(linked)).order_by("name").values_list("slug", "name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tag_links__tag__slug=self.value())
        return queryset


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
    highest id (SQLite) instead of reading every article; a filtered one counts exactly.
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
        ("actors", LinkedOnlyFilter),
    )
    # No exact COUNT of the whole archive per page view (issue 6).
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_select_related = ("publication",)
    search_fields = ("title", "slug", "standfirst", "byline", "original_title", "publication__name")
    date_hierarchy = "dated"
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

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("tags")
            .annotate(
                permission_state=permission_state(),
                actor_count=count_of(ArticleActor),
                place_count=count_of(ArticlePlace),
                event_count=count_of(ArticleEvent),
            )
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.has_change_permission(request, obj):
            # Nothing to compare against: a new article, or a page that cannot be saved.
            fieldsets = [
                (name, {**options, "fields": tuple(f for f in options["fields"] if f != "expected_version")})
                for name, options in fieldsets
            ]
        return fieldsets

    def has_change_permission(self, request, obj=None):
        return may_edit(request.user, obj) and super().has_change_permission(request, obj)

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

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, ProvenanceRecord):
                if instance.recorded_by_id is None:
                    instance.recorded_by = request.user
                if instance.position is None:
                    last = max(form.instance.provenance.values_list("position", flat=True), default=0)
                    instance.position = last + 1
            elif isinstance(instance, RepublicationPermission) and instance.created_by_id is None:
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
        return ", ".join(tag.name for tag in obj.tags.all())

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
            extra_context["may_link"] = self.has_change_permission(request, article)
            extra_context["may_add_actor"] = request.user.has_perm("register.add_actor")
            extra_context["link_url"] = reverse("admin:articles_article_link_suggestion", args=[article.pk])
            extra_context["may_submit"] = article.status == Status.DRAFT and self.has_submit_permission(request)
            extra_context["may_publish"] = article.status != Status.PUBLISHED and self.has_publish_permission(request)
            if article.status == Status.PUBLISHED and self.has_publish_permission(request):
                extra_context["withdraw_url"] = reverse("admin:articles_article_withdraw", args=[article.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def withdraw_view(self, request, object_id):
        article = get_object_or_404(Article, pk=unquote(object_id))
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
    article = get_object_or_404(Article, pk=unquote(object_id))
    if not modeladmin.has_change_permission(request, article):
        raise PermissionDenied
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    actor_id, place_id = request.POST.get("actor", ""), request.POST.get("place", "")
    new_name = " ".join(request.POST.get("new_actor", "").split())
    if actor_id.isdigit():
        target = get_object_or_404(Actor, pk=actor_id)
        _link, created = ArticleActor.objects.get_or_create(article=article, actor=target)
    elif place_id.isdigit():
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
class ProvenanceRecordAdmin(HistoryAdmin):
    list_display = ("article", "position", "activity", "agent", "date", "recorded_at", "recorded_by")
    list_filter = ("activity",)
    list_select_related = ("article", "recorded_by")
    search_fields = ("article__title", "agent", "url", "file_name", "sha256", "note")
    autocomplete_fields = ("article", "publication")
    readonly_fields = ("recorded_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


class AnnotationAdmin(HistoryAdmin):
    """The link rows on their own, for finding and correcting them across articles."""

    list_select_related = True

    def save_model(self, request, obj, form, change):
        # Which article a new row belongs to is known only now.
        if not may_edit(request.user, obj.article):
            raise PermissionDenied("Only publishers change the annotations of a published or withdrawn article.")
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        return may_edit(request.user, obj.article if obj else None) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return may_edit(request.user, obj.article if obj else None) and super().has_delete_permission(request, obj)


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

    def has_change_permission(self, request, obj=None):
        article = obj.content_object if obj else None
        return may_edit(request.user, article) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        article = obj.content_object if obj else None
        return may_edit(request.user, article) and super().has_delete_permission(request, obj)
