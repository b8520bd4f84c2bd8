"""
The register in the admin: actors, places, events and tags, with their
aliases, affiliations and participants, and a merge action for duplicates.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Exists, OuterRef, Q
from django.utils.text import smart_split, unescape_string_literal
from taggit.models import Tag as GenericTag

from articles import locking
from articles.admin import HistoryAdmin, JoinedInline, LockedInline, action_form_response, count_of, locked_for
from articles.models import ArticleActor, ArticleEvent, TaggedArticle

from . import merging
from .models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EventParticipant,
    Place,
    PlaceAlias,
    Tag,
    TagAlias,
    TaggedEvent,
)
from .text import normalize_name

# The archive tags with its own Tag model; taggit's generic one holds nothing.
if admin.site.is_registered(GenericTag):
    admin.site.unregister(GenericTag)


def on_changelist(model_admin, request) -> bool:
    """
    Whether the request is for the model's list, the one page that shows and sorts
    by the link counts. An autocomplete or a change form asks for none: counting every
    link of each matching record there grows with the archive.
    """
    match = getattr(request, "resolver_match", None)
    opts = model_admin.model._meta
    return match is not None and match.url_name == f"{opts.app_label}_{opts.model_name}_changelist"


class LookaheadPaginator(Paginator):
    """
    Whether another page follows, from one row more than the page, with no COUNT of
    every match: an autocomplete shows only its page and "more".

    With `parts`, querysets that together hold the matches, the matches are the first
    part's rows, then the second's: a page is read from the part it starts in, and from
    the next when that part runs out within it. A page that starts past a part's end
    counts that part's rows, to know where the next part takes up.
    """

    def __init__(self, *args, parts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = parts

    def page(self, number):
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        bottom = (number - 1) * self.per_page
        wanted, skip, rows = self.per_page + 1, bottom, []
        parts = self.parts or (self.object_list,)
        for index, part in enumerate(parts):
            found = list(part[skip : skip + wanted - len(rows)])
            rows += found
            if len(rows) == wanted or index == len(parts) - 1:
                break
            skip = 0 if found or not skip else max(0, skip - part.count())
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        self.__dict__["count"] = bottom + len(rows)  # enough for has_next(); the real total is never read
        return self._get_page(rows[: self.per_page], number, self)


def on_autocomplete(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "autocomplete"


class AutocompleteMixin:
    """Autocompletes page without counting their matches (LookaheadPaginator)."""

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if on_autocomplete(request):
            parts = getattr(request, "autocomplete_parts", None)
            return LookaheadPaginator(queryset, per_page, orphans, allow_empty_first_page, parts=parts)
        return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)


class NameKeySearchMixin(AutocompleteMixin):
    """
    Search by name or alias, each word of the term in either as Django's admin does,
    and by the normalised name of the whole term, so "Serraj" finds al-Sarraj, in
    lists and autocompletes alike.

    The matching ids are read from the names and from the aliases apart, each with
    its own trigram indexes on PostgreSQL (migration 0005), rather than by joining
    the aliases, which repeats a record per alias and needs a DISTINCT over every
    match before the page is cut. The first word and the normalised name are asked
    in one pass over each table: a term of one word, what an autocomplete mostly
    gets, is then one set of ids, which the database joins to the records it sorts,
    rather than four sets each tested against every record.

    A word of one or two letters, what an editor's first keystrokes send, has no
    trigram for an index to find, so each table would be read whole; and it matches
    much of the register. Such a term is asked of each record in name order,
    through the (name, id) index (migration 0007), until the page is full, against
    the set of matching aliases, so that a page costs less than gathering every match.

    An autocomplete shows the records whose name begins with the term first, then
    the other matches, each in name order: "ahme" offers Ahmed Maiteeq before
    Abdelhakim Ahmed al-Mismari, as a reader of the first letters expects. The first
    are read on their own, in name order (PostgreSQL walks the (name, id) index until
    the page is full), and the rest gathered only when the first do not fill the page:
    the matches of a common term grow with the register, and its leading names
    fill an autocomplete's page at any size. The list in the admin keeps plain name
    order.
    """

    def get_search_results(self, request, queryset, search_term):
        if "\x00" in search_term:
            # No name holds a NUL, and PostgreSQL refuses one in a query.
            return queryset.none(), False
        words = []
        for word in smart_split(search_term):
            if word.startswith(('"', "'")) and word[0] == word[-1]:
                word = unescape_string_literal(word)
            if word:
                words.append(word)
        if not words:
            return queryset, False
        # A record matches when its name or an alias holds the normalised term, or each word holds in one of them.
        key = normalize_name(search_term)
        by_key = Q(name_key__contains=key) if key else None
        first, *others = words
        first_or_key = Q(name__icontains=first) | by_key if by_key else Q(name__icontains=first)
        holds = self.held_by_record if min(len(word) for word in words) < 3 else self.held_by_ids
        found = queryset.filter(holds(first_or_key))
        if others:
            every_word = Q()
            for word in others:
                every_word &= holds(Q(name__icontains=word))
            found = found.filter(holds(by_key) | every_word if by_key else every_word)
        if key and on_autocomplete(request):
            # The names that begin with the term first, each part in name order (LookaheadPaginator).
            leading = Q(name_key__startswith=key)
            request.autocomplete_parts = (queryset.filter(leading), found.exclude(leading))
        return found, False

    def held_by_ids(self, condition: Q) -> Q:
        """`condition` on the record's name or on one of its aliases, as the ids that meet it."""
        return Q(pk__in=self.matching_ids(condition))

    def matching_ids(self, condition: Q):
        """The ids of the records whose name or one of whose aliases meets `condition`."""
        aliases = self.model._meta.get_field("aliases")
        named = self.model.objects.filter(condition).order_by().values("pk")
        aliased = aliases.related_model.objects.filter(condition).order_by().values(aliases.field.name)
        return named.union(aliased, all=True)

    def held_by_record(self, condition: Q) -> Q:
        """`condition` on the record's name or on one of its aliases, asked of each record."""
        aliases = self.model._meta.get_field("aliases")
        own = aliases.related_model.objects.filter(condition, **{aliases.field.name: OuterRef("pk")})
        return condition | Q(Exists(own))

    def get_ordering(self, request):
        # By name, and by id among equal names, so that each page of an autocomplete follows the last.
        return ("name", "pk") if on_autocomplete(request) else super().get_ordering(request)


class MergeForm(forms.Form):
    into = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Keep")

    def __init__(self, *args, objects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = [(obj.pk, str(obj)) for obj in objects]


class MergeMixin:
    """A merge action: the chosen record is kept; the others' links and names move to it."""

    merge_function = None

    @admin.action(description="Merge the selected duplicates…", permissions=["change", "delete"])
    def merge(self, request, queryset):
        objects = list(queryset)
        form = MergeForm(request.POST if "post" in request.POST else None, objects=objects)
        if len(objects) < 2:
            self.message_user(request, "Select at least two records to merge.", messages.WARNING)
            return None
        refused = [obj for obj in objects if locked_for(request, obj)]
        if refused:
            for obj in refused:
                self.message_user(request, f"{locking.message(obj)} Only publishers merge it.", messages.ERROR)
            return None
        if form.is_bound and form.is_valid():
            into = next(obj for obj in objects if obj.pk == form.cleaned_data["into"])
            duplicates = [obj for obj in objects if obj.pk != into.pk]
            names = ", ".join(str(obj) for obj in duplicates)
            try:
                type(self).merge_function(into=into, duplicates=duplicates, user=request.user)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            except PermissionDenied as denied:
                self.message_user(request, f"{denied} Nothing was merged.", messages.ERROR)
            else:
                self.message_user(request, f"Merged {names} into {into}; their names are kept as aliases.")
            return None
        return action_form_response(
            self,
            request,
            queryset,
            action="merge",
            form=form,
            title=f"Merge {self.model._meta.verbose_name_plural}",
            intro="Every link of the others moves to the one you keep, and their names become its aliases. "
            "The others are then deleted.",
            submit_label="Merge",
        )


# --------------------------------------------------------------------------
# Actors
# --------------------------------------------------------------------------


class ActorAliasInline(LockedInline, admin.TabularInline):
    model = ActorAlias
    extra = 1
    fields = ("name", "language", "note")


class AffiliationInline(LockedInline, JoinedInline, admin.TabularInline):
    model = Affiliation
    joined = ("actor", "organisation")
    fk_name = "actor"
    extra = 0
    autocomplete_fields = ("organisation",)
    fields = ("organisation", "role", "start_date", "end_date", "date_precision", "note")
    verbose_name_plural = "affiliations (this actor belongs to)"


class MemberInline(LockedInline, JoinedInline, admin.TabularInline):
    model = Affiliation
    joined = ("actor", "organisation")
    fk_name = "organisation"
    extra = 0
    autocomplete_fields = ("actor",)
    fields = ("actor", "role", "start_date", "end_date", "date_precision", "note")
    verbose_name = "member"
    verbose_name_plural = "members (belong to this actor)"


class RegisterCountsMixin:
    """The alias list and the article and event counts the actor and tag lists show."""

    article_links = event_links = None  # the link models counted, both pointing at `link_field`
    link_field = ""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not on_changelist(self, request):
            return queryset
        return queryset.prefetch_related("aliases").annotate(
            article_count=count_of(self.article_links, self.link_field),
            event_count=count_of(self.event_links, self.link_field),
        )

    @admin.display(description="aliases")
    def alias_list(self, obj):
        return ", ".join(alias.name for alias in obj.aliases.all())

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj):
        return obj.article_count

    @admin.display(description="events", ordering="event_count")
    def event_count(self, obj):
        return obj.event_count


@admin.register(Actor)
class ActorAdmin(RegisterCountsMixin, NameKeySearchMixin, MergeMixin, HistoryAdmin):
    list_display = ("name", "kind", "alias_list", "article_count", "event_count")
    list_filter = ("kind",)
    search_fields = ("name", "aliases__name")  # what NameKeySearchMixin searches
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "description")}),
        ("Naming", {"fields": ("naming_note",)}),
        ("External identifiers", {"classes": ("collapse",), "fields": ("external_ids",)}),
    )
    inlines = (ActorAliasInline, AffiliationInline, MemberInline)
    actions = ("merge",)
    merge_function = merging.merge_actors
    article_links = ArticleActor
    event_links = EventParticipant
    link_field = "actor"


@admin.register(ActorAlias)
class ActorAliasAdmin(HistoryAdmin):
    list_display = ("name", "actor", "language", "note")
    list_select_related = ("actor",)
    search_fields = ("name", "actor__name")
    autocomplete_fields = ("actor",)


@admin.register(Affiliation)
class AffiliationAdmin(HistoryAdmin):
    list_display = ("actor", "organisation", "role", "start_date", "end_date")
    list_select_related = ("actor", "organisation")
    search_fields = ("actor__name", "organisation__name", "role")
    autocomplete_fields = ("actor", "organisation")


# --------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------


class PlaceAliasInline(LockedInline, admin.TabularInline):
    model = PlaceAlias
    extra = 1
    fields = ("name", "language")


@admin.register(Place)
class PlaceAdmin(NameKeySearchMixin, MergeMixin, HistoryAdmin):
    list_display = ("name", "kind", "parent", "alias_list", "latitude", "longitude", "article_count")
    list_filter = ("kind", "geo_precision")
    list_select_related = ("parent",)
    search_fields = ("name", "aliases__name")  # what NameKeySearchMixin searches
    autocomplete_fields = ("parent",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "parent", "description")}),
        ("Coordinates", {"fields": (("latitude", "longitude"), "geo_precision")}),
    )
    inlines = (PlaceAliasInline,)
    actions = ("merge",)
    merge_function = merging.merge_places

    def get_queryset(self, request):
        from articles.models import ArticlePlace

        queryset = super().get_queryset(request)
        if not on_changelist(self, request):
            return queryset
        return queryset.prefetch_related("aliases").annotate(article_count=count_of(ArticlePlace, "place"))

    @admin.display(description="aliases")
    def alias_list(self, obj):
        return ", ".join(alias.name for alias in obj.aliases.all())

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj):
        return obj.article_count


@admin.register(PlaceAlias)
class PlaceAliasAdmin(HistoryAdmin):
    list_display = ("name", "place", "language")
    list_select_related = ("place",)
    search_fields = ("name", "place__name")
    autocomplete_fields = ("place",)


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


class EventAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        # The database constraints say the same; here the editor is told which field to fix.
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date is before the start date.")
        low, high = cleaned.get("fatalities_low"), cleaned.get("fatalities_high")
        if low is not None and high is not None and low > high:
            self.add_error("fatalities_high", "The highest figure is below the lowest one.")
        event_type, sub_type = cleaned.get("event_type"), cleaned.get("sub_event_type")
        if event_type and sub_type:
            from .models import SUB_TYPES_BY_TYPE

            if sub_type not in SUB_TYPES_BY_TYPE.get(event_type, ()):
                self.add_error("sub_event_type", "This sub-type does not belong to the type chosen.")
        parent = cleaned.get("parent")
        if parent is not None and self.instance.pk and parent.pk == self.instance.pk:
            self.add_error("parent", "An event cannot be part of itself.")
        return cleaned


class ParticipantInline(LockedInline, JoinedInline, admin.TabularInline):
    model = EventParticipant
    joined = ("event", "actor")
    extra = 1
    autocomplete_fields = ("actor",)
    fields = ("actor", "side", "role")


class SourceArticleInline(LockedInline, JoinedInline, admin.StackedInline):
    model = ArticleEvent
    joined = ("article", "event")
    fk_name = "event"
    extra = 0
    autocomplete_fields = ("article",)
    fields = (("article", "paragraph"), "excerpt")
    verbose_name = "source article"
    verbose_name_plural = "source articles, with the passage that reports the event"


class EventTagInline(LockedInline, JoinedInline, admin.TabularInline):
    model = TaggedEvent
    joined = ("content_object", "tag")
    fk_name = "content_object"
    extra = 0
    autocomplete_fields = ("tag",)
    verbose_name = "tag"
    verbose_name_plural = "tags"


@admin.register(Event)
class EventAdmin(HistoryAdmin):
    form = EventAdminForm
    list_display = (
        "title",
        "event_type",
        "sub_event_type",
        "start_date",
        "end_date",
        "date_precision",
        "place",
        "fatalities",
        "verification",
        "article_count",
    )
    list_filter = ("event_type", "verification", "date_precision", ("place", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("place",)
    search_fields = ("title", "slug", "description", "place__name", "participants__actor__name")
    date_hierarchy = "start_date"
    autocomplete_fields = ("place", "parent")
    fieldsets = (
        (None, {"fields": ("title", "slug", ("event_type", "sub_event_type"), "place", "parent")}),
        ("When", {"fields": (("start_date", "end_date"), "date_precision")}),
        ("Figures and grading", {"fields": (("fatalities_low", "fatalities_high"), "verification")}),
        ("Description", {"fields": ("description", "notes")}),
    )
    inlines = (ParticipantInline, SourceArticleInline, EventTagInline)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not on_changelist(self, request):
            return queryset
        return queryset.annotate(article_count=count_of(ArticleEvent, "event"))

    @admin.display(description="fatalities", ordering="fatalities_high")
    def fatalities(self, obj):
        return obj.fatalities_display

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, obj):
        return obj.article_count


@admin.register(EventParticipant)
class EventParticipantAdmin(HistoryAdmin):
    list_display = ("event", "actor", "side", "role")
    list_filter = ("side", "role")
    list_select_related = ("event", "actor")
    search_fields = ("event__title", "actor__name")
    autocomplete_fields = ("event", "actor")


# --------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------


class TagAliasInline(LockedInline, admin.TabularInline):
    model = TagAlias
    extra = 0
    fields = ("name",)


class TagAdminForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ("name", "slug")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Tag.save() makes the slug from the name, Arabic letters included; a read-only page has no field.
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Made from the name when left empty."


@admin.register(Tag)
class TagAdmin(RegisterCountsMixin, MergeMixin, HistoryAdmin):
    form = TagAdminForm
    list_display = ("name", "slug", "alias_list", "article_count", "event_count")
    search_fields = ("name", "slug", "aliases__name")
    inlines = (TagAliasInline,)
    actions = ("merge",)
    merge_function = merging.merge_tags
    article_links = TaggedArticle
    event_links = TaggedEvent
    link_field = "tag"


@admin.register(TagAlias)
class TagAliasAdmin(HistoryAdmin):
    list_display = ("name", "tag")
    list_select_related = ("tag",)
    search_fields = ("name", "tag__name")
    autocomplete_fields = ("tag",)


@admin.register(TaggedEvent)
class TaggedEventAdmin(HistoryAdmin):
    list_display = ("content_object", "tag")
    list_select_related = True
    search_fields = ("content_object__title", "tag__name")
    autocomplete_fields = ("content_object", "tag")
