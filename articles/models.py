"""
Articles, where they came from, and the permission to show them.

The one rule readers depend on lives in ArticleQuerySet.public(): an article
is shown only while it is published and a valid republication permission
covers it. Every public path starts from that method.
"""

import hashlib
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from register.guard import GuardedModel, GuardedQuerySet
from register.models import Actor, DatePrecision, Event, Place, Tag, TaggitManager, slug_url
from register.text import unique_slug


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def acting_user():
    """
    The user of the admin request being served, if any. Commands and scripts
    run without one; they answer for themselves.
    """
    request = getattr(HistoricalRecords.context, "request", None)
    return getattr(request, "user", None)


class Publication(GuardedModel):
    """The outlet where an article first appeared."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, allow_unicode=True, blank=True, db_index=False)
    url = models.URLField(blank=True)
    description = models.TextField(blank=True)
    language = models.CharField(max_length=12, blank=True, default="en")

    history = HistoricalRecords()
    objects = GuardedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="publication_name_unique"),
            models.UniqueConstraint(fields=["slug"], name="publication_slug_unique"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Publication, self.name, instance_pk=self.pk)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:list") + f"?publication={self.slug}"


class PermissionScope(models.TextChoices):
    FULL_TEXT = "full_text", "full text"
    EXCERPT = "excerpt", "excerpt only"


class EvidenceKind(models.TextChoices):
    STATEMENT = "statement", "statement in the published text"
    MESSAGE = "message", "message or e-mail"
    FILE = "file", "signed agreement or other file"
    OTHER = "other", "other"


class PermissionQuerySet(GuardedQuerySet):
    def valid(self, at=None):
        """Permissions in force at `at` (now by default): granted, not expired, not revoked."""
        at = at or timezone.now()
        today = timezone.localdate(at)
        return self.filter(
            Q(granted_on__lte=today),
            Q(expires_on__isnull=True) | Q(expires_on__gte=today),
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=at),
        )

    def covering(self, article):
        """Permissions for this article itself or standing ones for its publication."""
        condition = Q(article=article)
        if article.publication_id:
            condition |= Q(publication_id=article.publication_id)
        return self.filter(condition)


class RepublicationPermission(GuardedModel):
    """
    A rights holder's permission to republish one article, or (a standing
    agreement) every article of one publication.
    """

    article = models.ForeignKey("Article", on_delete=models.CASCADE, null=True, blank=True, related_name="permissions")
    publication = models.ForeignKey(
        Publication,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="standing_permissions",
        help_text="Set instead of an article for a standing agreement covering the whole publication.",
    )
    rights_holder = models.CharField(max_length=200, help_text="Who granted the permission.")
    granted_to = models.CharField(max_length=200, default="the archive")
    granted_on = models.DateField()
    scope = models.CharField(max_length=10, choices=PermissionScope.choices, default=PermissionScope.FULL_TEXT)
    evidence_kind = models.CharField(max_length=10, choices=EvidenceKind.choices, default=EvidenceKind.STATEMENT)
    evidence = models.TextField(help_text="The statement, message or a description of the file.")
    evidence_url = models.URLField(blank=True, max_length=500)
    attribution = models.CharField(
        max_length=300,
        help_text="Shown to readers with the article, e.g. “Republished with explicit permission from the author.”",
    )
    expires_on = models.DateField(null=True, blank=True, help_text="The last day the permission covers.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()
    objects = PermissionQuerySet.as_manager()

    class Meta:
        verbose_name = "republication permission"
        ordering = ["-granted_on", "-id"]
        permissions = [("revoke_republicationpermission", "Can record and revoke republication permissions")]
        constraints = [
            models.CheckConstraint(
                condition=Q(article__isnull=False, publication__isnull=True)
                | Q(article__isnull=True, publication__isnull=False),
                name="permission_covers_article_or_publication",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("granted_on")),
                name="permission_expires_after_granted",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revocation_reason=""),
                name="permission_revocation_has_reason",
            ),
            models.CheckConstraint(condition=~Q(attribution=""), name="permission_attribution_not_empty"),
            models.CheckConstraint(condition=~Q(evidence=""), name="permission_evidence_not_empty"),
        ]
        indexes = [
            models.Index(fields=["article", "granted_on"], name="permission_article"),
            models.Index(fields=["publication", "granted_on"], name="permission_publication"),
        ]

    def __str__(self):
        target = self.article or self.publication
        return f"{self.get_scope_display()} permission from {self.rights_holder} for {target}"

    def is_valid(self, at=None) -> bool:
        at = at or timezone.now()
        today = timezone.localdate(at)
        return (
            self.granted_on <= today
            and (self.expires_on is None or self.expires_on >= today)
            and (self.revoked_at is None or self.revoked_at > at)
        )

    @property
    def state(self) -> str:
        if self.revoked_at is not None and self.revoked_at <= timezone.now():
            return "revoked"
        if self.expires_on is not None and self.expires_on < timezone.localdate():
            return "expired"
        if self.granted_on > timezone.localdate():
            return "not yet in force"
        return "valid"


class Status(models.TextChoices):
    DRAFT = "draft", "draft"
    REVIEW = "review", "in review"
    PUBLISHED = "published", "published"
    WITHDRAWN = "withdrawn", "withdrawn"


class BodyFormat(models.TextChoices):
    PLAIN = "plain", "plain text paragraphs"
    MARKDOWN = "markdown", "Markdown"


class ArticleQuerySet(GuardedQuerySet):
    def public(self, at=None):
        """
        What readers may see: published, and covered by a permission in force,
        for the article itself or standing for its publication.
        """
        valid = RepublicationPermission.objects.valid(at=at)
        published = self.filter(status=Status.PUBLISHED)
        if connections[self.db].vendor == "postgresql":
            # One EXISTS over both targets: PostgreSQL probes it row by row through both indexes
            # (a BitmapOr), so a page of 20 reads 20 articles' permissions. Two EXISTS joined by OR
            # it answers by hashing every valid permission first, whatever the LIMIT.
            covering = Q(publication=OuterRef("publication")) | Q(article=OuterRef("pk"))
            return published.filter(Exists(valid.filter(covering)))
        # SQLite probes each EXISTS through its own index, and an OR inside one would scan both.
        # Standing permissions first: few, found through their index, and they cover most articles.
        # The IS NOT NULL conditions restate the one-target constraint so each EXISTS reads only its own kind.
        standing = valid.filter(publication__isnull=False, publication=OuterRef("publication"))
        own = valid.filter(article__isnull=False, article=OuterRef("pk"))
        return published.filter(Exists(standing) | Exists(own))

    def public_in_bulk(self, at=None):
        """
        The same articles as public(), asked for in a form fit for conditions over the
        whole archive (counting every tag's or actor's public links): the permissions in
        force are read once, as the publications with a standing one and the articles
        with their own, where public() probes them article by article, which suits a page
        of 20. Counting every tag's public links at 1,000,000 articles took 16 s with
        public() on PostgreSQL, 7.5 s of it in those probes, and 11 s this way.
        """
        valid = RepublicationPermission.objects.valid(at=at)
        standing = valid.filter(publication__isnull=False).values("publication")
        own = valid.filter(article__isnull=False).values("article")
        return self.filter(Q(status=Status.PUBLISHED), Q(publication__in=standing) | Q(pk__in=own))

    def withdrawn(self):
        return self.filter(status=Status.WITHDRAWN)

    def for_listing(self):
        """
        The columns a list of articles shows, and each article's tag ids: one query.
        Each article's publication comes from every publication kept in process memory
        (listed_publications), not from a join: on PostgreSQL the join cost a list of
        two tags 0.5 ms of planning, about a tenth of the page.
        """
        return self.only(
            "title",
            "slug",
            "standfirst",
            "byline",
            "dated",
            "original_date",
            "original_date_precision",
            "language",
            "publication",
        )._with_listed_tags()

    def _with_listed_tags(self):
        clone = self.annotate(**{LISTED_TAG_IDS: _tag_ids(connections[self.db].vendor)})
        clone._iterable_class = ListedTagsIterable
        return clone


# The annotation holding an article's tag ids in a listing (ArticleQuerySet.for_listing).
LISTED_TAG_IDS = "listed_tag_ids"


def _tag_ids(vendor: str) -> models.Expression:
    """
    An article's tag ids, read beside its row from the (article, tag) index: an array
    on PostgreSQL, "3,17,42" on SQLite. The databases compute it for the rows a page
    returns, after the LIMIT, so a page costs one round trip instead of two.
    """
    links = TaggedArticle.objects.filter(content_object=OuterRef("pk")).order_by()
    if vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        return ArraySubquery(links.values("tag_id"))
    joined = models.Func("tag_id", function="GROUP_CONCAT", output_field=models.TextField())
    return models.Subquery(links.annotate(ids=joined).values("ids"), output_field=models.TextField())


def _parse_tag_ids(value) -> list[int]:
    if isinstance(value, str):
        return [int(tag_id) for tag_id in value.split(",")]
    return value or []


class ListedTag(NamedTuple):
    """A tag as a list of articles shows it: its link and name, nothing to build per tag."""

    pk: int
    name: str
    slug: str


class ListedTagsIterable(models.query.ModelIterable):
    """
    Articles, each with its tags as a plain list (article.listed_tags): their ids
    come with the article's row (LISTED_TAG_IDS), their names from listed_tags().
    Neither a queryset per article (the tag manager) nor a model instance per tag
    (a prefetch), for a list page shows about two hundred tags. Each article's
    publication is set from listed_publications().
    """

    def __iter__(self):
        articles = list(super().__iter__())
        db = self.queryset.db
        ids = {article.pk: _parse_tag_ids(getattr(article, LISTED_TAG_IDS)) for article in articles}
        named = listed_tags(db, {tag_id for tag_ids in ids.values() for tag_id in tag_ids})
        outlets = listed_publications(db, {article.publication_id for article in articles} - {None})
        publication = Article._meta.get_field("publication")
        for article in articles:
            article.listed_tags = [named[tag_id] for tag_id in ids[article.pk]]
            publication.set_cached_value(article, outlets.get(article.publication_id))
            yield article


def listed_tags(db: str, wanted: set[int]) -> dict[int, ListedTag]:
    """
    Every tag by id as lists show it, read once per editorial version and process
    (a rename is an editorial change): a list's links are then read from their own
    index alone, where joining the tags made PostgreSQL hash the whole tag table for
    each page once it held thousands (1 ms of a 5 ms page at 1,000,000 articles).
    A tag newer than what is kept is read on its own.
    """
    from . import cache

    def every_tag():
        return {row[0]: ListedTag(*row) for row in Tag.objects.using(db).values_list("pk", "name", "slug")}

    named = cache.in_process("listed-tags", db, every_tag)
    missing = wanted - named.keys()
    if missing:
        found = Tag.objects.using(db).filter(pk__in=missing).values_list("pk", "name", "slug")
        named = {**named, **{row[0]: ListedTag(*row) for row in found}}
    return named


def listed_publications(db: str, wanted: set[int]) -> dict[int, Publication]:
    """
    Every publication by id, read once per editorial version and process (an edit
    is an editorial change), as listed_tags() reads the tags; one newer than what is
    kept is read on its own. What this returns is shared: read it, never change it.
    """
    from . import cache

    kept = cache.in_process("listed-publications", db, lambda: {p.pk: p for p in Publication.objects.using(db)})
    missing = wanted - kept.keys()
    if missing:
        kept = {**kept, **{p.pk: p for p in Publication.objects.using(db).filter(pk__in=missing)}}
    return kept


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    def public(self, at=None):
        """Article.objects.public(): the same conditions, built once per editorial version (cache.built_once)."""
        # A related manager (publication.articles) is a subclass whose queryset is narrowed: built each time.
        if at is not None or type(self) is not ArticleManager:
            return super().public(at)
        from . import cache

        vendor = connections[self.db].vendor
        return cache.built_once("public-articles", vendor, lambda: super(ArticleManager, self).public())

    def public_listing(self):
        """public().for_listing(), built once per editorial version as public() is: every list starts here."""
        from . import cache

        vendor = connections[self.db].vendor
        return cache.built_once("public-listing", vendor, lambda: self.public().for_listing())


class TaggedArticle(GuardedModel, TaggedItemBase):
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="article_links")
    content_object = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="tag_links")
    # The article's date, copied by the database itself (articles.tag_dates): with the index
    # below, a tag's newest articles are the first entries of its index, however many it has.
    dated = models.DateField(null=True, blank=True, editable=False)

    # The date is the article's, whose own history keeps it.
    history = HistoricalRecords(excluded_fields=["dated"])
    objects = TaggitManager()

    class Meta:
        verbose_name = "article tag"
        constraints = [
            models.UniqueConstraint(fields=["tag", "content_object"], name="tagged_article_unique"),
        ]
        indexes = [
            models.Index(fields=["content_object", "tag"], name="tagged_article_obj_tag"),
            models.Index(fields=["tag", "-dated", "-content_object"], name="tagged_article_tag_dated"),
        ]


class Article(GuardedModel):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, allow_unicode=True, blank=True, db_index=False)
    standfirst = models.TextField(blank=True, help_text="One or two sentences that introduce the article.")
    body = models.TextField(help_text="Plain text paragraphs separated by blank lines, or Markdown.")
    body_format = models.CharField(max_length=10, choices=BodyFormat.choices, default=BodyFormat.PLAIN)
    language = models.CharField(max_length=12, default="en")
    byline = models.CharField(max_length=300, blank=True)
    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, null=True, blank=True, related_name="articles"
    )
    original_title = models.CharField(max_length=300, blank=True)
    original_url = models.URLField(max_length=500, blank=True)
    original_date = models.DateField(null=True, blank=True, help_text="When the article first appeared.")
    original_date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    period_start = models.DateField(null=True, blank=True, help_text="First day of the period reported on.")
    period_end = models.DateField(null=True, blank=True, help_text="Last day of the period reported on.")
    dated = models.DateField(
        editable=False, help_text="The date lists sort by: the original date, else the reporting period's end."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawal_reason = models.TextField(blank=True)
    editor_notes = models.TextField(blank=True, help_text="For editors only; never shown to readers.")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    actors = models.ManyToManyField(Actor, through="ArticleActor", related_name="articles", blank=True)
    places = models.ManyToManyField(Place, through="ArticlePlace", related_name="articles", blank=True)
    events = models.ManyToManyField(Event, through="ArticleEvent", related_name="articles", blank=True)
    tags = TaggableManager(through=TaggedArticle, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "version"])
    objects = ArticleManager()

    class Meta:
        ordering = ["-dated", "-id"]
        permissions = [
            ("publish_article", "Can publish and withdraw articles"),
            ("submit_article", "Can submit articles for review"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="article_slug_unique"),
            models.CheckConstraint(condition=~Q(title=""), name="article_title_not_empty"),
            models.CheckConstraint(condition=~Q(slug=""), name="article_slug_not_empty"),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=F("period_start")),
                name="article_period_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
                name="article_published_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.WITHDRAWN) | (Q(withdrawn_at__isnull=False) & ~Q(withdrawal_reason="")),
                name="article_withdrawn_has_date_and_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["dated", "id"], name="article_dated"),
            models.Index(fields=["status", "dated", "id"], name="article_status_dated"),
            models.Index(fields=["publication", "dated"], name="article_publication_dated"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Article, self.title, instance_pk=self.pk, max_length=120)
        self.dated = self.original_date or self.period_end or self.dated or timezone.localdate()
        self._guard_status_change()
        if not self._state.adding:
            # The editing form compares this with the version it was opened at.
            self.version = (self.version or 0) + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_url("articles:detail", self.slug)

    @property
    def body_sha256(self) -> str:
        return text_sha256(self.body)

    def paragraphs(self) -> list[str]:
        """The body's paragraphs: blocks of text between blank lines."""
        blocks = [
            " ".join(line.strip() for line in block.splitlines()).strip()
            for block in self.body.replace("\r\n", "\n").split("\n\n")
        ]
        return [block for block in blocks if block]

    def missing_fields(self) -> list[str]:
        """What an editor still has to fill in before the article can be published."""
        missing = []
        checks = [
            ("publication", self.publication_id),
            ("byline", self.byline),
            ("original URL", self.original_url),
            ("original date", self.original_date),
            ("standfirst", self.standfirst),
        ]
        for label, value in checks:
            if not value:
                missing.append(label)
        if self.pk is None or not RepublicationPermission.objects.covering(self).valid().exists():
            missing.append("republication permission")
        return missing

    def _guard_status_change(self):
        """
        Publishing and withdrawing are the publishers' decisions, and nothing is
        published without a permission in force: checked here as well as in
        articles.workflow so that no form, inline, list edit or crafted request
        gets around it.
        """
        stored = None
        if not self._state.adding:
            stored = Article.objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if stored == self.status:
            return
        public_states = {Status.PUBLISHED, Status.WITHDRAWN}
        if self.status not in public_states and stored not in public_states:
            return
        user = acting_user()
        if user is not None and not user.has_perm("articles.publish_article"):
            raise PermissionDenied("Only publishers can publish or withdraw an article.")
        # A new row cannot have its own permission yet: importers check theirs.
        if self.status == Status.PUBLISHED and stored is not None and self.current_permission() is None:
            raise ValidationError(
                "“%(title)s” cannot be published: no valid republication permission covers it.",
                code="no_permission",
                params={"title": self.title},
            )

    def current_permission(self, at=None):
        """The permission readers are shown: the article's own before a standing one, full text first."""
        if self.pk is None:
            return None
        permissions = RepublicationPermission.objects.covering(self).valid(at=at)
        return permissions.order_by(F("article").asc(nulls_last=True), "-scope", "-granted_on").first()


class ProvenanceActivity(models.TextChoices):
    FIRST_PUBLISHED = "first_published", "first published"
    REPUBLISHED = "republished", "republished"
    RECEIVED = "received", "received from the rights holder"
    IMPORTED = "imported", "imported"
    CORRECTED = "corrected", "corrected"
    TRANSLATED = "translated", "translated"
    WITHDRAWN = "withdrawn", "withdrawn"
    OTHER = "other", "other"


class ProvenanceRecord(models.Model):
    """One step in an article's history, from first publication to the archive."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="provenance")
    position = models.PositiveSmallIntegerField()
    activity = models.CharField(max_length=20, choices=ProvenanceActivity.choices)
    agent = models.CharField(max_length=200, blank=True, help_text="Who acted: an outlet, a person, an editor.")
    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    url = models.URLField(max_length=500, blank=True)
    date = models.DateField(null=True, blank=True)
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(
        "SHA-256", max_length=64, blank=True, help_text="SHA-256 of the article text as it stood after this step."
    )
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "provenance record"
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="provenance_position_unique"),
            models.CheckConstraint(
                condition=Q(sha256="") | Q(Exact(Length("sha256"), 64)), name="provenance_sha256_is_digest"
            ),
        ]
        indexes = [models.Index(fields=["sha256"], name="provenance_sha256")]

    def __str__(self):
        return f"{self.get_activity_display()} ({self.date or self.recorded_at:%Y-%m-%d})"


class ArticleAnnotation(GuardedModel):
    """
    A link from an article to the register. Readers see it as soon as the
    article is public, so once an article is published or withdrawn only
    publishers add, change or remove its links (articles.locking).
    """

    objects = GuardedQuerySet.as_manager()

    class Meta:
        abstract = True


class ArticleActor(ArticleAnnotation):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="actor_links")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="article_links")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "actor mention"
        constraints = [models.UniqueConstraint(fields=["article", "actor"], name="article_actor_unique")]
        indexes = [models.Index(fields=["actor", "article"], name="article_actor_by_actor")]

    def __str__(self):
        return f"{self.article} mentions {self.actor}"


class ArticlePlace(ArticleAnnotation):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="place_links")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="article_links")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "place mention"
        constraints = [models.UniqueConstraint(fields=["article", "place"], name="article_place_unique")]
        indexes = [models.Index(fields=["place", "article"], name="article_place_by_place")]

    def __str__(self):
        return f"{self.article} mentions {self.place}"


class ArticleEvent(ArticleAnnotation):
    """An article reports an event; the excerpt is the passage that says so."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="event_links")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="article_links")
    excerpt = models.TextField(help_text="The passage of the article that reports the event, word for word.")
    paragraph = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The number of the paragraph the excerpt is in, from 1."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "event report"
        ordering = ["article", "paragraph", "id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "event"], name="article_event_unique"),
            models.CheckConstraint(condition=~Q(excerpt=""), name="article_event_excerpt_not_empty"),
        ]
        indexes = [models.Index(fields=["event", "article"], name="article_event_by_event")]

    def __str__(self):
        return f"{self.article} reports {self.event}"

    def clean(self):
        super().clean()
        if self.article_id and self.excerpt:
            normalized_body = " ".join(self.article.body.split())
            if " ".join(self.excerpt.split()) not in normalized_body:
                raise ValidationError({"excerpt": "The excerpt must be a passage of the article, word for word."})
