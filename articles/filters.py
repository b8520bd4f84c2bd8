"""
The filters of the public lists, with the names PRODUCT.md fixes for HTML and
the API alike: tag (repeatable, all must match), actor, event, place,
publication, type, after, before (YYYY-MM-DD) and q.

A value names its item by slug or, for people and places, by any spelling of
their name, so ?actor=sarraj works as well as ?actor=fayez-al-serraj. A value
that names nothing public is a validation error: with strict=True the view
then shows the message and no results.
"""

import copy

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Exists, Model, OuterRef, Q
from django.db.models.functions import Lower

from register.models import ActorAlias, Event, EventParticipant, EventType, PlaceAlias, Tag, TaggedEvent

from . import cache, public, search
from .models import Article, ArticleActor, ArticleEvent, TaggedArticle

MAX_TAGS = 10
MAX_VALUE_LENGTH = 200
_no_null = ProhibitNullCharactersValidator()


def _checked(value: str) -> str:
    value = value.strip()
    _no_null(value)
    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationError("This value is too long.", code="max_length")
    return value


class RegisterChoiceField(forms.Field):
    """One item of the register, found by slug, else by name or alias when the model has them."""

    widget = forms.TextInput

    def __init__(self, *, queryset, alias_model=None, noun="item", **kwargs):
        self.queryset, self.alias_model, self.noun = queryset, alias_model, noun
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = _checked(str(value))
        if not value:
            return None
        # Resolving a name asks whether anything public refers to it: once per editorial version.
        return cache.resolved_once(("register", self.noun, value), lambda: self.find(value))

    def find(self, value):
        queryset = self.queryset() if callable(self.queryset) else self.queryset
        found = queryset.filter(slug=value).first()
        if found is None and self.alias_model is not None:
            matches = list(search.named(queryset, self.alias_model, value)[:2])
            if len(matches) == 1:
                found = matches[0]
            elif matches:
                raise ValidationError(f"“{value}” names more than one {self.noun}; choose one by its link.")
        if found is None:
            raise ValidationError(f"There is no {self.noun} “{value}” in the archive.", code="invalid_choice")
        return found


class TagsField(forms.Field):
    """Several tags, each by slug or by name in any case; all of them must be known."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        values = [_checked(str(v)) for v in (value or []) if str(v).strip()]
        values = list(dict.fromkeys(values))
        if not values:
            return []
        if len(values) > MAX_TAGS:
            raise ValidationError(f"Choose at most {MAX_TAGS} tags.", code="max_tags")
        tags = cache.resolved_once(("tags", *values), lambda: find_public_tags(values))
        chosen, unknown = [], []
        for value in values:
            tag = next((t for t in tags if t.slug == value), None) or next(
                (t for t in tags if t.name.lower() == value.lower()), None
            )
            if tag is None:
                unknown.append(value)
            elif tag not in chosen:
                chosen.append(tag)
        if unknown:
            names = ", ".join(f"“{v}”" for v in unknown)
            raise ValidationError(f"There is no tag {names} in the archive.", code="invalid_choice")
        return chosen


def find_public_tags(values: list[str]) -> list:
    """
    The tags named by slug or by name in any case, in one query that asks of each
    only whether one public article or event carries it, never how many do.
    """
    lowered = [v.lower() for v in values]
    public_article = Article.objects.public().filter(pk=OuterRef("content_object_id"))
    public_event = Event.objects.public().filter(pk=OuterRef("content_object_id"))
    on_article = TaggedArticle.objects.filter(tag=OuterRef("pk")).filter(Exists(public_article))
    on_event = TaggedEvent.objects.filter(tag=OuterRef("pk")).filter(Exists(public_event))
    return list(
        Tag.objects.annotate(lower_name=Lower("name"))
        .filter(Q(slug__in=values) | Q(lower_name__in=lowered))
        .filter(Exists(on_article) | Exists(on_event))
        # How common each tag is decides the shape of the filtering query (public.articles_tagged).
        .annotate(link_count=public.count_of(TaggedArticle.objects.all(), "tag"))
        .only("name", "slug")
    )


class SharedFilter:
    """
    A filter set deep-copies its filters for each request, their choices, widgets and
    field arguments included, so that each copy can point at its own filter set
    (parent) and model. These filters change nothing else once declared: the copy
    shares the rest and gets its own method binding. The deep copy was a tenth of a
    filtered list page.
    """

    def __deepcopy__(self, memo):
        clone = copy.copy(self)
        memo[id(self)] = clone
        if self.method is not None:
            clone.method = self.method  # a FilterMethod bound to the copy, not to the declared filter
        return clone


class TagsFilter(SharedFilter, django_filters.Filter):
    field_class = TagsField


class RegisterFilter(SharedFilter, django_filters.Filter):
    field_class = RegisterChoiceField


class ChoiceFilter(SharedFilter, django_filters.ChoiceFilter):
    pass


class CharFilter(SharedFilter, django_filters.CharFilter):
    pass


class IsoDateFilter(SharedFilter, django_filters.DateFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        kwargs.setdefault("error_messages", {"invalid": "Enter a date as YYYY-MM-DD."})
        super().__init__(*args, **kwargs)


class SharedFields(dict):
    """
    A filter form class's fields, which every form made from it shares: a form
    deep-copies its class's fields, widgets and choices so that it may change its
    own, and these forms change none. The copies were 3–4% of a filtered list page.
    """

    def __deepcopy__(self, memo):
        return dict(self)


class ArchiveFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("after"), cleaned.get("before")
        if after and before and after > before:
            raise ValidationError("The “after” date is later than the “before” date.")
        return cleaned


class ArchiveFilterSet(django_filters.FilterSet):
    """The filters both lists share; each subclass says what they mean for its rows."""

    tag = TagsFilter(label="Tags", method="filter_tag")
    actor = RegisterFilter(
        label="Actor", method="filter_actor", queryset=public.public_actors, alias_model=ActorAlias, noun="actor"
    )
    place = RegisterFilter(
        label="Place", method="filter_place", queryset=lambda: _places(), alias_model=PlaceAlias, noun="place"
    )
    event = RegisterFilter(label="Event", method="filter_event", queryset=public.public_events, noun="event")
    publication = RegisterFilter(
        label="Publication", method="filter_publication", queryset=public.public_publications, noun="publication"
    )
    type = ChoiceFilter(label="Event type", choices=EventType.choices, method="filter_type")
    after = IsoDateFilter(label="On or after", method="filter_after")
    before = IsoDateFilter(label="On or before", method="filter_before")
    q = CharFilter(label="Words", max_length=search.MAX_QUERY_LENGTH, method="filter_q")

    class Meta:
        form = ArchiveFilterForm
        fields = ()

    # The name of the queryset the filter set is given when it is one built once per editorial
    # version (ArticleManager.public_listing): the filtered queryset is then built once per
    # version and set of filter values too (cache.filtered_once).
    base_name: str | None = None

    def filter_queryset(self, queryset):
        if self.base_name is None:
            return super().filter_queryset(queryset)
        values = tuple((name, _key_of(value)) for name, value in self.form.cleaned_data.items())
        parts = (type(self).__name__, self.base_name, queryset.db, values)
        return cache.filtered_once(parts, lambda: super(ArchiveFilterSet, self).filter_queryset(queryset))

    def get_form_class(self):
        """
        The form class, made once per filter set class: its filters and their fields
        are the same for every request (a form copies its fields when it is made), and
        making the class each time was a tenth of a filtered list page.
        """
        made = type(self).__dict__.get("_form_class")
        if made is None:
            made = super().get_form_class()
            made.base_fields = SharedFields(made.base_fields)
            type(self)._form_class = made
        return made

    def place_ids(self, place):
        # The place and everything inside it: Benghazi holds Sabri, which holds Khribish.
        return public.descendant_ids(place.pk)


def _key_of(value):
    """A cleaned filter value as a key: items by model and id, lists as tuples."""
    if isinstance(value, Model):
        return (value._meta.label, value.pk)
    if isinstance(value, list | tuple):
        return tuple(_key_of(item) for item in value)
    return value


def _places():
    from register.models import Place

    return Place.objects.filter(pk__in=public.shown_place_ids())


class ArticleFilter(ArchiveFilterSet):
    def filter_tag(self, queryset, name, tags):
        return public.articles_tagged(queryset, [(tag.pk, tag.link_count) for tag in tags])

    def filter_actor(self, queryset, name, actor):
        return queryset.filter(Exists(ArticleActor.objects.filter(article=OuterRef("pk"), actor=actor)))

    def filter_place(self, queryset, name, place):
        return queryset.filter(public.articles_in_places(self.place_ids(place)))

    def filter_event(self, queryset, name, event):
        return queryset.filter(Exists(ArticleEvent.objects.filter(article=OuterRef("pk"), event=event)))

    def filter_publication(self, queryset, name, publication):
        return queryset.filter(publication=publication)

    def filter_type(self, queryset, name, event_type):
        return queryset.filter(
            Exists(ArticleEvent.objects.filter(article=OuterRef("pk"), event__event_type=event_type))
        )

    def filter_after(self, queryset, name, date):
        return queryset.filter(dated__gte=date)

    def filter_before(self, queryset, name, date):
        return queryset.filter(dated__lte=date)

    def filter_q(self, queryset, name, query):
        return search.search_articles(queryset, query)


class EventFilter(ArchiveFilterSet):
    event = RegisterFilter(label="Part of", method="filter_event", queryset=public.public_events, noun="event")

    def filter_tag(self, queryset, name, tags):
        for tag in tags:
            queryset = queryset.filter(Exists(TaggedEvent.objects.filter(content_object=OuterRef("pk"), tag_id=tag.pk)))
        return queryset

    def filter_actor(self, queryset, name, actor):
        return queryset.filter(Exists(EventParticipant.objects.filter(event=OuterRef("pk"), actor=actor)))

    def filter_place(self, queryset, name, place):
        return queryset.filter(place__in=self.place_ids(place))

    def filter_event(self, queryset, name, event):
        return queryset.filter(parent=event)

    def filter_publication(self, queryset, name, publication):
        reporting = ArticleEvent.objects.filter(
            event=OuterRef("pk"), article__publication=publication, article__in=public.public_article_ids()
        )
        return queryset.filter(Exists(reporting))

    def filter_type(self, queryset, name, event_type):
        return queryset.filter(event_type=event_type)

    def filter_after(self, queryset, name, date):
        return queryset.in_period(start=date)

    def filter_before(self, queryset, name, date):
        return queryset.in_period(end=date)

    def filter_q(self, queryset, name, query):
        return search.search_events(queryset, query)
