"""
The register: the controlled vocabularies articles are annotated with.

Actors, places and events are shared by every article that mentions them, so
they live apart from the articles themselves; keyword tags are here too, as
the one tag vocabulary for articles and events.
"""

import functools

from django.conf import settings
from django.db import connections, models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import get_script_prefix, get_urlconf, reverse
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager
from taggit.models import NaturalKeyManager, TagBase, TaggedItemBase

from .guard import GuardedModel, GuardedQuerySet
from .text import make_slug, normalize_name, unique_slug


class DatePrecision(models.TextChoices):
    DAY = "day", "day"
    WEEK = "week", "week"
    MONTH = "month", "month"
    YEAR = "year", "year"


# --------------------------------------------------------------------------
# Addresses of the reader site's pages
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=50000)
def _slug_url(viewname: str, slug: str, script_prefix: str, urlconf: str | None) -> str:
    return reverse(viewname, kwargs={"slug": slug}, urlconf=urlconf)


def slug_url(viewname: str, slug: str) -> str:
    """
    reverse(viewname, kwargs={"slug": slug}), remembered per script prefix and URLconf.
    A list page links every item and tag on it: reverse() is among its costliest steps.
    """
    return _slug_url(viewname, slug, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def tag_url(script_prefix: str, slug: str) -> str:
    """A tag's page, under the script prefix it is asked for (get_script_prefix())."""
    return _slug_url("articles:tag", slug, script_prefix, get_urlconf() or settings.ROOT_URLCONF)


# --------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------


class TaggitManager(NaturalKeyManager.from_queryset(GuardedQuerySet)):
    """taggit's manager (loading by natural key) over querysets whose writes obey the matrix."""


class Tag(GuardedModel, TagBase):
    """A keyword. Names are unique whatever their case; slugs keep Arabic letters."""

    history = HistoricalRecords()
    objects = TaggitManager()

    class Meta:
        verbose_name = "tag"
        verbose_name_plural = "tags"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci"),
        ]

    def slugify(self, tag, i=None):
        slug = make_slug(tag)
        if i is not None:
            slug = f"{slug}-{i}"
        return slug

    def get_absolute_url(self):
        return tag_url(get_script_prefix(), self.slug)


class TagAlias(GuardedModel):
    """Another spelling of a tag, kept when duplicates are merged."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=100)
    name_key = models.CharField(max_length=100, editable=False, db_index=True)

    history = HistoricalRecords()
    objects = GuardedQuerySet.as_manager()

    class Meta:
        verbose_name = "tag alias"
        verbose_name_plural = "tag aliases"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tag", "name"], name="tag_alias_unique")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = normalize_name(self.name)
        super().save(*args, **kwargs)


class TaggedEvent(GuardedModel, TaggedItemBase):
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="event_links")
    content_object = models.ForeignKey("Event", on_delete=models.CASCADE, related_name="tag_links")

    history = HistoricalRecords()
    objects = TaggitManager()

    class Meta:
        verbose_name = "event tag"
        constraints = [
            models.UniqueConstraint(fields=["tag", "content_object"], name="tagged_event_unique"),
        ]
        indexes = [models.Index(fields=["content_object", "tag"], name="tagged_event_obj_tag")]


# --------------------------------------------------------------------------
# Actors
# --------------------------------------------------------------------------


class ActorKind(models.TextChoices):
    PERSON = "person", "person"
    STATE_FORCE = "state_force", "state force"
    ARMED_GROUP = "armed_group", "armed group"
    POLITICAL_BODY = "political_body", "government or political body"
    INTERNATIONAL_ORG = "international_org", "international organisation"
    FOREIGN_STATE = "foreign_state", "foreign state"
    MEDIA = "media", "media"
    OTHER = "other", "other"


class ActorQuerySet(GuardedQuerySet):
    def matching(self, name: str):
        """Actors whose name or any alias is spelled like `name`."""
        key = normalize_name(name)
        return self.filter(Q(name_key=key) | Q(aliases__name_key=key)).distinct()


class Actor(GuardedModel):
    name = models.CharField(max_length=200, help_text="The canonical name readers see.")
    slug = models.SlugField(max_length=100, allow_unicode=True, blank=True, db_index=False)
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    kind = models.CharField(max_length=20, choices=ActorKind.choices, default=ActorKind.OTHER)
    description = models.TextField(blank=True)
    naming_note = models.TextField(
        blank=True, help_text="Where the name is disputed or the actor is known differently by each side."
    )
    external_ids = models.JSONField(
        default=dict, blank=True, help_text='Identifiers elsewhere, e.g. {"wikidata": "Q312150"}.'
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = ActorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="actor_slug_unique")]
        indexes = [
            models.Index(fields=["kind", "name"], name="actor_kind_name"),
            # The autocomplete's first matches in name order (admin.NameKeySearchMixin).
            models.Index(fields=["name", "id"], name="actor_name"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = normalize_name(self.name)
        if not self.slug:
            self.slug = unique_slug(Actor, self.name, instance_pk=self.pk)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_url("articles:actor-detail", self.slug)

    def all_names(self) -> list[str]:
        return [self.name, *(alias.name for alias in self.aliases.all())]


class ActorAlias(GuardedModel):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    language = models.CharField(max_length=12, blank=True, help_text="BCP 47 code, e.g. ar, ar-Latn.")
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()
    objects = GuardedQuerySet.as_manager()

    class Meta:
        verbose_name = "actor alias"
        verbose_name_plural = "actor aliases"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["actor", "name"], name="actor_alias_unique"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = normalize_name(self.name)
        super().save(*args, **kwargs)


class Affiliation(GuardedModel):
    """One actor's tie to another over a period: Haftar commands the LNA from 2014."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="affiliations")
    organisation = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=120, blank=True, help_text="commander, spokesperson, member...")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.YEAR)
    note = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()
    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["actor", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="affiliation_end_after_start",
            ),
            models.CheckConstraint(condition=~Q(actor=F("organisation")), name="affiliation_not_self"),
        ]

    def __str__(self):
        role = f" ({self.role})" if self.role else ""
        return f"{self.actor} → {self.organisation}{role}"


# --------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------


class PlaceKind(models.TextChoices):
    COUNTRY = "country", "country"
    REGION = "region", "region"
    DISTRICT = "district", "district"
    CITY = "city", "city or town"
    NEIGHBOURHOOD = "neighbourhood", "neighbourhood"
    SITE = "site", "site"
    OTHER = "other", "other"


class GeoPrecision(models.TextChoices):
    # ACLED's geo-precision codes 1, 2 and 3.
    EXACT = "exact", "exact location"
    NEAR = "near", "near the location or part of it"
    REGION = "region", "only the wider region"


class PlaceQuerySet(GuardedQuerySet):
    def matching(self, name: str):
        key = normalize_name(name)
        return self.filter(Q(name_key=key) | Q(aliases__name_key=key)).distinct()


class Place(GuardedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, allow_unicode=True, blank=True, db_index=False)
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    kind = models.CharField(max_length=20, choices=PlaceKind.choices, default=PlaceKind.OTHER)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    geo_precision = models.CharField(max_length=6, choices=GeoPrecision.choices, default=GeoPrecision.EXACT)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="place_slug_unique"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="place_coordinates_both_or_neither",
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="place_not_own_parent"),
        ]
        # The autocomplete's first matches in name order (admin.NameKeySearchMixin).
        indexes = [models.Index(fields=["name", "id"], name="place_name")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = normalize_name(self.name)
        if not self.slug:
            self.slug = unique_slug(Place, self.name, instance_pk=self.pk)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_url("articles:place-detail", self.slug)

    def ancestors(self) -> list["Place"]:
        """Parents from the nearest up, guarded against a cycle made by hand."""
        chain, seen, node = [], {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain

    def hierarchy(self) -> str:
        return " > ".join(p.name for p in [*reversed(self.ancestors()), self])


class PlaceAlias(GuardedModel):
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    language = models.CharField(max_length=12, blank=True)

    history = HistoricalRecords()
    objects = GuardedQuerySet.as_manager()

    class Meta:
        verbose_name = "place alias"
        verbose_name_plural = "place aliases"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["place", "name"], name="place_alias_unique"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = normalize_name(self.name)
        super().save(*args, **kwargs)


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


class EventType(models.TextChoices):
    BATTLES = "battles", "Battles"
    EXPLOSIONS = "explosions", "Explosions/Remote violence"
    VIOLENCE_AGAINST_CIVILIANS = "violence_against_civilians", "Violence against civilians"
    PROTESTS = "protests", "Protests"
    RIOTS = "riots", "Riots"
    STRATEGIC = "strategic_developments", "Strategic developments"


class EventSubType(models.TextChoices):
    ARMED_CLASH = "armed_clash", "Armed clash"
    GOVERNMENT_REGAINS_TERRITORY = "government_regains_territory", "Government regains territory"
    NON_STATE_OVERTAKES_TERRITORY = "non_state_overtakes_territory", "Non-state actor overtakes territory"
    CHEMICAL_WEAPON = "chemical_weapon", "Chemical weapon"
    AIR_DRONE_STRIKE = "air_drone_strike", "Air/drone strike"
    SUICIDE_BOMB = "suicide_bomb", "Suicide bomb"
    SHELLING = "shelling", "Shelling/artillery/missile attack"
    REMOTE_EXPLOSIVE = "remote_explosive", "Remote explosive/landmine/IED"
    GRENADE = "grenade", "Grenade"
    SEXUAL_VIOLENCE = "sexual_violence", "Sexual violence"
    ATTACK = "attack", "Attack"
    ABDUCTION = "abduction", "Abduction/forced disappearance"
    PEACEFUL_PROTEST = "peaceful_protest", "Peaceful protest"
    PROTEST_WITH_INTERVENTION = "protest_with_intervention", "Protest with intervention"
    EXCESSIVE_FORCE = "excessive_force", "Excessive force against protesters"
    VIOLENT_DEMONSTRATION = "violent_demonstration", "Violent demonstration"
    MOB_VIOLENCE = "mob_violence", "Mob violence"
    AGREEMENT = "agreement", "Agreement"
    ARRESTS = "arrests", "Arrests"
    CHANGE_TO_GROUP = "change_to_group", "Change to group/activity"
    DISRUPTED_WEAPONS_USE = "disrupted_weapons_use", "Disrupted weapons use"
    HEADQUARTERS_ESTABLISHED = "headquarters_established", "Headquarters or base established"
    LOOTING = "looting", "Looting/property destruction"
    NON_VIOLENT_TRANSFER = "non_violent_transfer", "Non-violent transfer of territory"
    OTHER = "other", "Other"


# ACLED's taxonomy: which sub-types belong to which type.
SUB_TYPES_BY_TYPE: dict[str, tuple[str, ...]] = {
    EventType.BATTLES: ("armed_clash", "government_regains_territory", "non_state_overtakes_territory"),
    EventType.EXPLOSIONS: (
        "chemical_weapon",
        "air_drone_strike",
        "suicide_bomb",
        "shelling",
        "remote_explosive",
        "grenade",
    ),
    EventType.VIOLENCE_AGAINST_CIVILIANS: ("sexual_violence", "attack", "abduction"),
    EventType.PROTESTS: ("peaceful_protest", "protest_with_intervention", "excessive_force"),
    EventType.RIOTS: ("violent_demonstration", "mob_violence"),
    EventType.STRATEGIC: (
        "agreement",
        "arrests",
        "change_to_group",
        "disrupted_weapons_use",
        "headquarters_established",
        "looting",
        "non_violent_transfer",
        "other",
    ),
}


def _sub_type_matches_type() -> Q:
    condition = Q()
    for event_type, sub_types in SUB_TYPES_BY_TYPE.items():
        condition |= Q(event_type=event_type, sub_event_type__in=sub_types)
    return condition


class Verification(models.TextChoices):
    CONFIRMED = "confirmed", "confirmed"
    MULTIPLE_SOURCES = "multiple_sources", "multiple sources"
    SINGLE_SOURCE = "single_source", "single source"
    CONTESTED = "contested", "contested"


class EventQuerySet(GuardedQuerySet):
    def in_period(self, start=None, end=None):
        """Events that overlap the period from `start` to `end` (either may be open)."""
        qs = self
        if start is not None:
            qs = qs.filter(Q(end_date__gte=start) | Q(end_date__isnull=True, start_date__gte=start))
        if end is not None:
            qs = qs.filter(start_date__lte=end)
        return qs

    def public(self):
        """Events that at least one article readers may see reports."""
        from articles.models import Article, ArticleEvent

        # Nested EXISTS rather than article IN (public articles): SQLite re-ran that IN list per event.
        reported = ArticleEvent.objects.filter(event=models.OuterRef("pk")).filter(
            models.Exists(Article.objects.public().filter(pk=models.OuterRef("article_id")))
        )
        return self.filter(models.Exists(reported))


class EventManager(models.Manager.from_queryset(EventQuerySet)):
    def public(self):
        """Event.objects.public(): the same conditions, built once per editorial version."""
        if type(self) is not EventManager:  # a related manager: its queryset is narrowed
            return super().public()
        from articles import cache

        vendor = connections[self.db].vendor
        return cache.built_once("public-events", vendor, lambda: super(EventManager, self).public())


class Event(GuardedModel):
    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=100, allow_unicode=True, blank=True, db_index=False)
    event_type = models.CharField("type", max_length=30, choices=EventType.choices)
    sub_event_type = models.CharField("sub-type", max_length=40, choices=EventSubType.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Leave empty for a one-day event.")
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    place = models.ForeignKey(Place, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    actors = models.ManyToManyField(Actor, through="EventParticipant", related_name="events", blank=True)
    fatalities_low = models.PositiveIntegerField(null=True, blank=True, help_text="The lowest figure reported.")
    fatalities_high = models.PositiveIntegerField(null=True, blank=True, help_text="The highest figure reported.")
    verification = models.CharField(max_length=20, choices=Verification.choices, default=Verification.SINGLE_SOURCE)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_events",
        help_text="The wider event this one is part of, e.g. a campaign.",
    )
    description = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="How the figures and dates were read from the sources.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tags = TaggableManager(through=TaggedEvent, blank=True)
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])
    objects = EventManager()

    class Meta:
        ordering = ["-start_date", "title"]
        indexes = [
            models.Index(fields=["start_date", "id"], name="event_start"),
            models.Index(fields=["event_type", "start_date"], name="event_type_start"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="event_slug_unique"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="event_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(fatalities_low__isnull=True)
                | Q(fatalities_high__isnull=True)
                | Q(fatalities_low__lte=F("fatalities_high")),
                name="event_fatalities_low_not_above_high",
            ),
            models.CheckConstraint(condition=_sub_type_matches_type(), name="event_sub_type_matches_type"),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="event_not_own_parent"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Event, f"{self.title} {self.start_date or ''}", instance_pk=self.pk)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_url("articles:event-detail", self.slug)

    @property
    def fatalities_display(self) -> str:
        low, high = self.fatalities_low, self.fatalities_high
        if low is None and high is None:
            return "not reported"
        if low is None or high is None or low == high:
            return str(low if low is not None else high)
        return f"{low}–{high}"


class ParticipantSide(models.TextChoices):
    ACTOR_1 = "actor_1", "actor 1"
    ACTOR_2 = "actor_2", "actor 2"
    ASSOCIATED_1 = "associated_1", "associated with actor 1"
    ASSOCIATED_2 = "associated_2", "associated with actor 2"


class ParticipantRole(models.TextChoices):
    INITIATOR = "initiator", "initiator"
    TARGET = "target", "target"
    HOST = "host", "host"
    MEDIATOR = "mediator", "mediator"
    PARTICIPANT = "participant", "participant"


class EventParticipant(GuardedModel):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="participations")
    side = models.CharField(max_length=15, choices=ParticipantSide.choices, default=ParticipantSide.ACTOR_1)
    role = models.CharField(max_length=15, choices=ParticipantRole.choices, default=ParticipantRole.PARTICIPANT)
    # The event's start date, copied by the database itself (register.participant_dates): with
    # the index below, an actor's participations in display order are the first entries of its index.
    event_start = models.DateField(null=True, blank=True, editable=False)

    # The date is the event's, whose own history keeps it.
    history = HistoricalRecords(excluded_fields=["event_start"])
    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["event", "side", "actor__name"]
        constraints = [
            models.UniqueConstraint(fields=["event", "actor"], name="event_participant_unique"),
        ]
        indexes = [
            models.Index(fields=["actor", "event"], name="participant_actor_event"),
            models.Index(fields=["actor", "side", "role", "-event_start", "-event"], name="participant_actor_order"),
        ]

    def __str__(self):
        return f"{self.actor} ({self.get_side_display()}, {self.get_role_display()}) in {self.event}"
