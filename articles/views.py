"""
The reader site.

Every article a page shows comes from Article.objects.public(), and every
actor, place, tag and event from the helpers in articles.public that are built
on it. An actor, place, tag or event with nothing public answers 404, as an
unpublished article does, and is never linked to, so what only a draft
annotates stays out of the reader site.
"""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.db import connections, router
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from register.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EventParticipant,
    EventType,
    Place,
    Tag,
    TaggedEvent,
)

from . import cache, public, relations, search, timeline, visibility
from .filters import ArticleFilter, EventFilter
from .models import Article, ArticleActor, ArticleEvent, ProvenanceRecord, Status
from .paging import CachedPaginationMixin, list_key
from .rendering import render_body


def page_size(kind: str = "articles") -> int:
    """Items per page, read per request so a deployment (or a test) can change it."""
    articles = settings.ARCHIVE_PAGE_SIZE
    return {"articles": articles, "events": max(articles, 50), "register": max(articles, 100)}[kind]


FILTER_LABELS = {
    "tag": "Tag",
    "actor": "Actor",
    "place": "Place",
    "event": "Event",
    "publication": "Publication",
    "type": "Event type",
    "after": "On or after",
    "before": "On or before",
    "q": "Words",
}


def listing(articles):
    return articles.for_listing()


def event_listing(events, *extra):
    return events.select_related("place").only(
        *extra,
        "title",
        "slug",
        "event_type",
        "sub_event_type",
        "start_date",
        "end_date",
        "date_precision",
        "fatalities_low",
        "fatalities_high",
        "verification",
        "place__name",
        "place__slug",
    )


def public_articles():
    return Article.objects.public()


def public_events():
    return Event.objects.public()


# --------------------------------------------------------------------------
# Filtered lists
# --------------------------------------------------------------------------


def _chip_value(name, raw, filterset):
    """How a chip names the value: the item's own name when the value resolved to one."""
    cleaned = getattr(filterset.form, "cleaned_data", {}).get(name)
    if name == "tag" and cleaned:
        for tag in cleaned:
            if raw in (tag.slug, tag.name) or raw.lower() == tag.name.lower():
                return tag.name, True
        return raw, False
    if name == "type":
        return dict(EventType.choices).get(raw, raw), raw in EventType.values
    if name in ("after", "before", "q"):
        return raw, name not in filterset.form.errors
    return (str(cleaned), True) if cleaned else (raw, False)


def active_filters(request, filterset) -> list[dict]:
    """One chip per filter value, each with the address of this list without it."""
    chips = []
    for name in filterset.filters:
        values = [value for value in request.GET.getlist(name) if value.strip()]
        for value in values:
            remaining = request.GET.copy()
            remaining.setlist(name, [v for v in values if v != value])
            remaining.pop("page", None)
            for key in list(remaining):
                if not any(v.strip() for v in remaining.getlist(key)):
                    del remaining[key]
            label, valid = _chip_value(name, value, filterset)
            chips.append(
                {
                    "name": FILTER_LABELS.get(name, name),
                    "value": label,
                    "valid": valid,
                    "url": f"{request.path}?{remaining.urlencode()}" if remaining else request.path,
                }
            )
    return chips


def filter_errors(filterset) -> list[str]:
    if not filterset.is_bound or filterset.is_valid():
        return []
    messages = []
    for name, errors in filterset.form.errors.items():
        label = FILTER_LABELS.get(name)
        messages.extend(f"{label}: {error}" if label else str(error) for error in errors)
    return messages


class PublicFilterView(FilterView):
    """A FilterView that explains rejected filters and shows their chips."""

    strict = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["chips"] = active_filters(self.request, self.filterset)
        context["filter_errors"] = filter_errors(self.filterset)
        context["query"] = self.filterset.form.cleaned_data.get("q", "") if self.filterset.is_valid() else ""
        context["values"] = {name: self.request.GET.get(name, "") for name in self.filterset.filters}
        context["tag_values"] = [v for v in self.request.GET.getlist("tag") if v.strip()]
        return context


class ArticleListView(CachedPaginationMixin, PublicFilterView):
    filterset_class = ArticleFilter
    template_name = "articles/article_list.html"

    def get_paginate_by(self, queryset):
        return page_size()

    def get_queryset(self):
        return Article.objects.public_listing()

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        filterset.base_name = "public-listing"
        return filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["query"]:
            # The body stays out of the listing query; fetch what readers may read of it for this page only.
            page = list(context["object_list"])
            texts = {
                shown.pk: shown.readable_body()
                for shown in Article.objects.filter(pk__in=[a.pk for a in page])
                .with_excerpt_only()
                .only("body", "body_format", "publication")
            }
            for article in page:
                article.snippet = search.snippet(texts.get(article.pk, ""), context["query"])
            context["object_list"] = page
        context["event_types"] = EventType.choices
        context["publications"] = cache.cached("publications", (), public_publications)
        return context


def public_publications() -> list[tuple[str, str]]:
    return list(public.public_publications().order_by("name").values_list("slug", "name"))


class EventListView(CachedPaginationMixin, PublicFilterView):
    filterset_class = EventFilter
    template_name = "articles/event_list.html"

    def get_paginate_by(self, queryset):
        return page_size("events")

    def get_queryset(self):
        return event_listing(public_events()).order_by("-start_date", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not self.filterset.is_bound or self.filterset.is_valid():
            params = {
                key: [v for v in self.request.GET.getlist(key) if v.strip()]
                for key in self.request.GET
                if key not in ("after", "before", "page")
            }
            counts = cache.cached(
                "months", list_key(self.request, self), lambda: timeline.month_counts(self.object_list)
            )
            context["timeline"] = timeline.build(counts, base_url=self.request.path, params=params)
        context["event_types"] = EventType.choices
        return context


# --------------------------------------------------------------------------
# Home
# --------------------------------------------------------------------------


class HomeView(TemplateView):
    template_name = "articles/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["latest"] = Article.objects.public_listing()[:8]
        context["events"] = event_listing(public_events()).order_by("-start_date", "-id")[:8]
        context["tags"] = public.most_used_tags(24)
        context["actors"] = public.most_reported_actors(12)
        return context


# --------------------------------------------------------------------------
# Articles
# --------------------------------------------------------------------------


class ArticleDetailView(DetailView):
    template_name = "articles/article_detail.html"
    context_object_name = "article"
    related_candidates = 200

    def get_queryset(self):
        return public_articles().select_related("publication")

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            # Withdrawn or lapsed, a page readers saw keeps a tombstone; one they never saw stays unknown.
            gone = (
                Article.objects.once_public()
                .filter(slug=kwargs["slug"])
                .select_related("publication")
                .prefetch_related(
                    Prefetch("provenance", ProvenanceRecord.objects.select_related("publication").order_by("position"))
                )
                .first()
            )
            if gone is None:
                raise
            lapse = None if gone.status == Status.WITHDRAWN else gone.lapse()
            return render(request, "410.html", {"article": gone, "lapse": lapse}, status=410)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article = self.object
        # Tags, actors, places, reported events, provenance and permissions: one query (articles.relations).
        relations.load([article])
        links = article.links.events
        permission = article.links.permission
        context.update(
            permission=permission,
            excerpt_only=article.is_excerpt_only(),
            body=render_body(article, links, paragraphs=article.readable_paragraphs()),
            event_links=links,
            related=self.related(article, links),
            sha256=article.body_sha256,
        )
        return context

    def related(self, article, links):
        """
        Other public articles sharing actors or events, those sharing most first, then the newest.

        Two steps. The candidates, with how much each shares, come from the links alone
        (a popular actor has thousands); only those are then read, checked for being public
        and ranked by the counts found, which are kept rather than counted again for each
        candidate in the query that reads them.
        """
        actor_ids = [actor.pk for actor in article.links.actors]
        event_ids = [link.event_id for link in links]
        if not actor_ids and not event_ids:
            return []
        parts = [
            model.objects.filter(**{f"{name}__in": ids}).order_by().values("article").query.sql_with_params()
            for model, name, ids in ((ArticleActor, "actor", actor_ids), (ArticleEvent, "event", event_ids))
            if ids
        ]
        sql = (
            f"SELECT article, COUNT(*) FROM ({' UNION ALL '.join(part for part, _ in parts)}) AS links"  # noqa: S608
            " WHERE article <> %s GROUP BY article ORDER BY COUNT(*) DESC, article DESC LIMIT %s"
        )
        params = [*(param for _, values in parts for param in values), article.pk, self.related_candidates]
        sharing: dict[int, list[int]] = {}  # how many actors and events shared: the articles sharing that many
        with connections[router.db_for_read(ArticleActor)].cursor() as cursor:
            cursor.execute(sql, params)
            for pk, count in cursor.fetchall():
                sharing.setdefault(count, []).append(pk)
        if not sharing:
            return []
        least = min(sharing)
        rank = Case(
            *(When(pk__in=pks, then=Value(count)) for count, pks in sharing.items() if count != least),
            default=Value(least),
            output_field=IntegerField(),
        )
        # From the ids, each asked whether it is public: SQLite, without statistics, would otherwise
        # walk the status index of every public article and test each against the ids.
        return (
            Article.objects.filter(pk__in=[pk for pks in sharing.values() for pk in pks])
            .filter(Exists(public_articles().filter(pk=OuterRef("pk"))))
            .select_related("publication")
            .only("title", "slug", "dated", "original_date", "original_date_precision", "publication__name")
            .annotate(shared=rank)
            .order_by("-shared", "-dated", "-id")[:6]
        )


# --------------------------------------------------------------------------
# Register pages that lost their last public source
# --------------------------------------------------------------------------


class GoneMixin:
    """
    A register page with nothing public behind it answers 410 Gone when readers saw
    it once (an article they saw referred to it), else 404 as for a name never public.
    """

    gone_sentence = ""

    def was_public(self, item) -> bool:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            item = self.model.objects.filter(slug=kwargs["slug"]).first()
            if item is None or not self.was_public(item):
                raise
            context = {"item": item, "noun": self.model._meta.verbose_name, "sentence": self.gone_sentence}
            return render(request, "articles/gone.html", context, status=410)


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


class EventDetailView(GoneMixin, DetailView):
    model = Event
    template_name = "articles/event_detail.html"
    context_object_name = "event"
    gone_sentence = "The articles that reported this event are no longer shown in the archive."

    def was_public(self, event):
        return public.event_was_public(event.pk)

    def get_queryset(self):
        return (
            visibility.reported_events()
            .annotate(readable_notes=visibility.readable_notes())
            .select_related("parent")
            .prefetch_related(
                "tags",
                Prefetch(
                    "participants",
                    EventParticipant.objects.select_related("actor").order_by("side", "role", "actor__name", "id"),
                ),
                Prefetch(
                    "sub_events",
                    event_listing(visibility.reported_events(), "parent").order_by("start_date", "id"),
                    to_attr="children",
                ),
            )
        )

    def sources(self, event) -> list[ArticleEvent]:
        """
        The event's public reports, oldest first: a page's worth, and one more to know
        whether to link to them all. Asked of this one event directly: a sliced prefetch
        numbers every report with a window function, whose SQL costs more to build than
        the query costs to run.
        """
        return list(
            ArticleEvent.objects.filter(visibility.public_article("article_id"), event=event)
            .with_readable_excerpts()
            .select_related("article__publication")
            .only(
                "excerpt",
                "paragraph",
                "event_id",
                "article__title",
                "article__slug",
                "article__dated",
                "article__original_date",
                "article__original_date_precision",
                "article__publication__name",
            )
            .order_by("article__dated", "article__id")[: page_size() + 1]
        )

    def get_object(self, queryset=None):
        event = super().get_object(queryset)
        # The place and its ancestors, linked, from the places kept for this version. A place made
        # since this request read the version is not among them: it is then read from the database.
        place = public.places_by_id().get(event.place_id) if event.place_id else None
        if place is not None:
            event.place = place
        return event

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.object
        # A much-reported event lists its first page of reports and links to the list of them all.
        sources = self.sources(event)
        context["more_sources"] = len(sources) > page_size()
        event.sources = sources[: page_size()]
        sides: dict[str, list] = {}
        for participant in event.participants.all():
            sides.setdefault(participant.get_side_display(), []).append(participant)
        context["sides"] = sides
        context["parent"] = (
            event.parent
            if event.parent_id and visibility.reported_events().filter(pk=event.parent_id).exists()
            else None
        )
        context["places"] = [*reversed(event.place.ancestors()), event.place] if event.place else []
        return context


# --------------------------------------------------------------------------
# Actors and places
# --------------------------------------------------------------------------


class ActorListView(CachedPaginationMixin, ListView):
    template_name = "articles/actor_list.html"

    def get_paginate_by(self, queryset):
        return page_size("register")

    def get_queryset(self):
        return (
            public.public_actors()
            .only("name", "slug", "kind")
            .prefetch_related(Prefetch("aliases", ActorAlias.objects.only("name", "actor_id")))
            .order_by("name", "id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The counts of every actor come from one cached GROUP BY, not two subqueries per row.
        context["object_list"] = public.with_cached_counts(context["object_list"])
        return context


# An actor page's participations are picked from this many pages' worth of the first in display order.
PARTICIPATION_CANDIDATES = 4


class ActorDetailView(GoneMixin, DetailView):
    model = Actor
    template_name = "articles/actor_detail.html"
    context_object_name = "actor"
    gone_sentence = "The articles and events that named this actor are no longer shown in the archive."

    def was_public(self, actor):
        return public.actor_was_public(actor.pk)

    def get_queryset(self):
        return Actor.objects.prefetch_related("aliases")

    def get_object(self, queryset=None):
        # An actor is shown while something public refers to it: the per-version counts of
        # every actor say so (public.actor_counts), with no condition to build per request.
        actor = super().get_object(queryset)
        # Read once per request: every actor's counts, unpickled from the cache each time they are asked for.
        self.counts = public.actor_counts()
        if actor.pk not in self.counts:
            raise Http404("No such actor in the public archive.")
        return actor

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actor = self.object
        ties = Affiliation.objects.filter(Q(actor=actor) | Q(organisation=actor))
        # A tie is shown only to an actor something public refers to: the other end may be known from a draft alone.
        ties = [
            tie
            for tie in ties.select_related("actor", "organisation").order_by("start_date", "id")
            if (tie.organisation_id if tie.actor_id == actor.pk else tie.actor_id) in self.counts
        ]
        context["affiliations"] = [tie for tie in ties if tie.actor_id == actor.pk]
        context["members"] = [tie for tie in ties if tie.organisation_id == actor.pk]
        context["participations"] = self.participations(self.counts[actor.pk][1])
        articles = public_articles().filter(Exists(ArticleActor.objects.filter(article=OuterRef("pk"), actor=actor)))
        context["articles"] = listing(articles)[: page_size()]
        # From the counts of every actor, one GROUP BY per editorial version: counting a busy
        # actor's public articles and events here would check each of its thousands of links.
        context["article_count"], context["event_count"] = self.counts[actor.pk]
        context["timeline"] = timeline.build(
            public.actor_event_months(actor.pk), base_url=reverse("articles:event-list"), params={"actor": actor.slug}
        )
        return context

    def participations(self, public_count: int) -> list[EventParticipant]:
        """
        The first page of the actor's public participations, by side, role and newest
        event. Asked of the first few pages' worth in that order (PARTICIPATION_CANDIDATES
        pages) rather than of every one, for each is checked for a public report: a busy
        actor takes part in thousands of events. When those hold fewer public ones than
        the page and the count say there are, the whole list is asked.
        """
        size = page_size("events")
        # The event's date as each participant carries it (register.participant_dates): the order of their index.
        order = ("side", "role", "-event_start", "-event_id")
        mine = EventParticipant.objects.filter(actor=self.object)

        def shown(participations):
            public = participations.filter(visibility.public_event("event_id")).select_related("event__place")
            return list(public.order_by(*order)[:size])

        # By event: one participation per actor and event, and the event is in the index, the id is not.
        candidates = mine.order_by(*order).values("event_id")[: size * PARTICIPATION_CANDIDATES]
        first = shown(mine.filter(event_id__in=candidates))
        return first if len(first) >= min(size, public_count) else shown(mine)


class PlaceDetailView(GoneMixin, DetailView):
    model = Place
    template_name = "articles/place_detail.html"
    context_object_name = "place"
    gone_sentence = (
        "The articles and events that named this place, or places within it, are no longer shown in the archive."
    )

    def was_public(self, place):
        return public.places_were_public(public.descendant_ids(place.pk))

    def get_queryset(self):
        return Place.objects.select_related("parent__parent__parent__parent").prefetch_related("aliases")

    def get_object(self, queryset=None):
        place = super().get_object(queryset)
        tree = public.place_tree()
        self.subtree = public.descendant_ids(place.pk, tree)
        found = set(public.public_places().filter(pk__in=self.subtree).values_list("pk", flat=True))
        if not found:
            raise Http404("Nothing public is recorded at this place.")
        # Children are listed when something public is in them or below them.
        self.child_ids = [
            pk for pk, parent in tree.items() if parent == place.pk and found & set(public.descendant_ids(pk, tree))
        ]
        return place

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        place = self.object
        events = public_events().filter(place__in=self.subtree)
        articles = public_articles().filter(public.articles_in_places(self.subtree))
        context.update(
            hierarchy=[*reversed(place.ancestors()), place],
            children=Place.objects.filter(pk__in=self.child_ids).only("name", "slug", "kind"),
            events=event_listing(events).order_by("-start_date", "-id")[: page_size("events")],
            event_count=events.count(),
            articles=listing(articles)[: page_size()],
            article_count=articles.count(),
            timeline=timeline.build(
                timeline.month_counts(events), base_url=reverse("articles:event-list"), params={"place": place.slug}
            ),
        )
        return context


# --------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------


class TagListView(ListView):
    """Every public tag by name, in pages: an archive that grows for years gathers tens of thousands."""

    template_name = "articles/tag_list.html"
    context_object_name = "tags"
    paginate_by = 500

    def get_queryset(self):
        return public.TagCloud()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Sized against the most used tag of all, so that a tag looks the same on every page.
        context["peak"] = self.object_list.peak
        context["tags"] = [public.CloudTag(*row) for row in context["tags"]]
        return context


class TagDetailView(DetailView):
    template_name = "articles/tag_detail.html"
    context_object_name = "tag"

    def get_queryset(self):
        return Tag.objects.only("name", "slug")

    def get_object(self, queryset=None):
        tag = public.with_tag_counts(super().get_object(queryset))
        if not tag.item_count:
            raise Http404("No public article or event carries this tag.")
        return tag

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tag = self.object
        articles = public.articles_tagged(public_articles(), [(tag.pk, tag.article_count)])
        tagged = TaggedEvent.objects.filter(content_object=OuterRef("pk"), tag_id=tag.pk)
        events = public_events().filter(Exists(tagged))
        context.update(
            articles=listing(articles)[: page_size()],
            events=event_listing(events).order_by("-start_date", "-id")[: page_size("events")],
        )
        return context


# --------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(label="Search the archive", max_length=search.MAX_QUERY_LENGTH, required=False)


@dataclass(frozen=True)
class Named:
    """An actor, place or tag a search names, as the search page shows it: plain values, quick to read back."""

    name: str
    url: str
    detail: str = ""  # an actor's kind, the place a place lies in
    aliases: tuple[str, ...] = ()  # an actor's other names


def named_items(hits: search.Hits, size: int) -> tuple[list[Named], list[Named], list[Named]]:
    """
    The public actors (with their other names), places and tags a search names, as the
    page shows them. Kept with the hits for the editorial version (search_view): every
    change to the register replaces it, and these rows cost two queries to read. Kept as
    plain values, which unpickle far faster than model instances with their aliases.
    """
    actors = places = tags = []
    if hits.actors:
        found = Actor.objects.filter(pk__in=hits.actors).prefetch_related("aliases").order_by("name", "id")[:size]
        actors = [
            Named(
                actor.name,
                actor.get_absolute_url(),
                actor.get_kind_display(),
                tuple(alias.name for alias in actor.aliases.all()),
            )
            for actor in found
        ]
    if hits.places:
        found = Place.objects.filter(pk__in=hits.places).select_related("parent").order_by("name", "id")[:size]
        places = [
            Named(place.name, place.get_absolute_url(), place.parent.name if place.parent else "") for place in found
        ]
    if hits.tags:
        tags = [
            Named(tag.name, tag.get_absolute_url())
            for tag in Tag.objects.filter(pk__in=hits.tags).order_by("name")[:size]
        ]
    return actors, places, tags


def search_view(request):
    form = SearchForm(request.GET or None)
    context = {"form": form, "query": ""}
    if form.is_bound and form.is_valid() and search.terms(form.cleaned_data["q"]):
        query = form.cleaned_data["q"].strip()
        size = page_size()
        hits = search.hits(query, size)
        # The rows shown, by id: the ids were public in this editorial version (search.Hits).
        rank = {pk: position for position, pk in enumerate(hits.articles)}
        shown = listing(Article.objects.filter(pk__in=hits.articles)).annotate(body_text=F("body"))
        found_articles = sorted(shown.with_excerpt_only(), key=lambda article: rank[article.pk])
        for article in found_articles:
            article.body = article.body_text  # read with the row, not as a deferred field
            article.snippet = search.snippet(article.readable_body(), query)
        events = event_listing(Event.objects.filter(pk__in=hits.events)).order_by("-start_date", "-id")
        actors, places, tags = cache.cached(
            "search-named", (hits.actors, hits.places, hits.tags, size), lambda: named_items(hits, size)
        )
        context.update(
            query=query,
            actors=actors,
            places=places,
            events=list(events) if hits.events else [],
            event_count=hits.event_count,
            event_count_shown=search.shown_count(hits.event_count),
            articles=found_articles,
            article_count=hits.article_count,
            article_count_shown=search.shown_count(hits.article_count),
            tags=tags,
        )
    return render(request, "articles/search.html", context)
