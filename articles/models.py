"""
Articles, where they came from, and the permission to show them.

The one rule readers depend on lives in ArticleQuerySet.public(): an article
is shown only while it is published and a valid republication permission
covers it. Every public path starts from that method.
"""

import datetime
import hashlib
import re
import unicodedata
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Left, Length, Replace, StrIndex, TruncDate
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from register.guard import GuardedModel, GuardedQuerySet
from register.models import Actor, DatePrecision, Event, Place, Tag, TaggitManager, slug_url
from register.text import unique_slug

from . import chain


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize_text(text: str) -> str:
    """
    A text as the archive keeps it: Unicode NFC, line ends \\n, no spaces at line ends,
    no blank lines at either end. The admin's text fields and the importer both apply
    it, so a text posted back unchanged is the text stored, byte for byte.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


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


class Lapse(NamedTuple):
    """Why a published article stopped being shown ("expired", "revoked") and on which day."""

    reason: str
    since: datetime.date


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

    def with_excerpt_only(self, at=None):
        """Each article with `excerpt_only`: whether readers may see its excerpt (Article.excerpt) only."""
        return self.annotate(excerpt_only=models.ExpressionWrapper(~full_text_permitted(at), models.BooleanField()))

    def lapsed(self, at=None):
        """
        Published articles that were public and are no longer: a permission covered
        them at some moment since they were published, and none does now.
        """
        at = at or timezone.now()
        since_published = RepublicationPermission.objects.filter(
            Q(granted_on__lte=timezone.localdate(at)),
            Q(expires_on__isnull=True) | Q(expires_on__gte=OuterRef("published_on")),
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=OuterRef("published_at")),
        )
        own = since_published.filter(article__isnull=False, article=OuterRef("pk"))
        standing = since_published.filter(publication__isnull=False, publication=OuterRef("publication"))
        published = self.filter(status=Status.PUBLISHED, published_at__isnull=False)
        published = published.alias(published_on=TruncDate("published_at"))
        return published.filter(Exists(own) | Exists(standing)).exclude(
            pk__in=self.model.objects.public(at).values("pk")
        )

    def once_public(self, at=None):
        """Articles readers saw and no longer may: withdrawn or lapsed. Their pages answer 410 Gone."""
        return self.filter(Q(status=Status.WITHDRAWN) | Q(pk__in=self.model.objects.lapsed(at).values("pk")))

    def ever_public(self):
        """Articles readers could once see: never deleted (a database trigger holds the same rule)."""
        return self.filter(Q(published_at__isnull=False) | Q(status__in=[Status.PUBLISHED, Status.WITHDRAWN]))

    def delete(self):
        public = list(self.ever_public().values_list("title", flat=True)[:3])
        if public:
            raise PermissionDenied(never_deleted_message(public))
        check_may_delete_drafts()
        return super().delete()

    delete.queryset_only = True

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


def full_text_permitted(at=None, *, article: str = "pk", publication: str = "publication") -> Q:
    """
    Whether the permission readers are shown covers the full text: the article's own
    permissions decide when it has one in force, else the standing ones for its
    publication (the order of Article.current_permission). `article` and
    `publication` name the article's id and publication in the outer query.
    """
    valid = RepublicationPermission.objects.valid(at=at)
    own = valid.filter(article__isnull=False, article=OuterRef(article))
    standing = valid.filter(publication__isnull=False, publication=OuterRef(publication))
    full = PermissionScope.FULL_TEXT
    return Q(Exists(own.filter(scope=full))) | (~Q(Exists(own)) & Q(Exists(standing.filter(scope=full))))


def _within(passage: str, text: str) -> bool:
    """Whether the passage is part of the text, word for word, whitespace aside."""
    words = " ".join(passage.split())
    return bool(words) and words in " ".join(text.split())


def excerpt_expression(body: str = "body") -> models.Expression:
    """
    Article.excerpt() computed by the database, for matching words against it: the
    text before the first blank line. Its whitespace is not collapsed, which no
    single word spans.
    """
    text = Replace(F(body), models.Value("\r\n"), models.Value("\n"))
    end = StrIndex(text, models.Value("\n\n"))
    return models.Case(
        models.When(Q(models.lookups.GreaterThan(end, 0)), then=Left(text, end - 1)),
        default=text,
        output_field=models.TextField(),
    )


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


def never_deleted_message(titles) -> str:
    named = ", ".join(f"“{title}”" for title in titles)
    return (
        f"{named}: an article that was ever public is never deleted. Withdraw it instead; "
        "readers then find its tombstone."
    )


def check_may_delete_drafts() -> None:
    user = acting_user()
    if user is not None and not user.has_perm("articles.delete_article"):
        raise PermissionDenied("Only publishers delete drafts.")


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

    def delete(self, *args, **kwargs):
        if self.pk is not None and Article.objects.filter(pk=self.pk).ever_public().exists():
            raise PermissionDenied(never_deleted_message([self.title]))
        check_may_delete_drafts()
        return super().delete(*args, **kwargs)

    @property
    def was_public(self) -> bool:
        return self.published_at is not None or self.status in (Status.PUBLISHED, Status.WITHDRAWN)

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

    def excerpt(self) -> str:
        """What an excerpt-only permission lets readers see of the body: its first paragraph."""
        return (self.paragraphs() or [""])[0]

    def is_excerpt_only(self) -> bool:
        """
        Whether readers see the excerpt only: from ArticleQuerySet.with_excerpt_only()
        when the article was read with it, else from the permission readers are shown.
        """
        if "excerpt_only" in self.__dict__:
            return bool(self.__dict__["excerpt_only"])
        links = self.__dict__.get("links")
        permission = links.permission if links is not None else self.current_permission()
        return permission is not None and permission.scope == PermissionScope.EXCERPT

    def readable_paragraphs(self) -> list[str]:
        """The paragraphs readers may see."""
        paragraphs = self.paragraphs()
        return paragraphs[:1] if self.is_excerpt_only() else paragraphs

    def readable_body(self) -> str:
        """The text readers may see: the whole body, or the excerpt only."""
        return self.excerpt() if self.is_excerpt_only() else self.body

    def shows_passage(self, passage: str) -> bool:
        """Whether a passage of the body (an event's excerpt) lies within what readers may see."""
        return not self.is_excerpt_only() or _within(passage, self.excerpt())

    def lapse(self, at=None) -> "Lapse | None":
        """
        Why and since when a published article is no longer shown, when a permission
        covered it once since it was published (ArticleQuerySet.lapsed): the latest end
        of those permissions.
        """
        at = at or timezone.now()
        if self.pk is None or not Article.objects.lapsed(at).filter(pk=self.pk).exists():
            return None
        ended = []
        for permission in RepublicationPermission.objects.covering(self).filter(granted_on__lte=timezone.localdate(at)):
            if permission.revoked_at is not None and permission.revoked_at <= at:
                ended.append(Lapse("revoked", timezone.localdate(permission.revoked_at)))
            elif permission.expires_on is not None and permission.expires_on < timezone.localdate(at):
                ended.append(Lapse("expired", permission.expires_on + datetime.timedelta(days=1)))
        return max(ended, key=lambda lapse: lapse.since, default=Lapse("expired", timezone.localdate(at)))

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


class AppendOnly(PermissionDenied):
    """Raised by every ORM path that would change or delete the record."""


# The steps whose SHA-256 is of the article's text as the archive stores it, computed at the time.
TEXT_ACTIVITIES = (ProvenanceActivity.IMPORTED, ProvenanceActivity.CORRECTED, ProvenanceActivity.WITHDRAWN)
SHA256 = re.compile(r"[0-9a-f]{64}")


class AppendOnlyQuerySet(models.QuerySet):
    refusal = chain.REFUSED_CHANGE

    def update(self, **kwargs):
        raise AppendOnly(f"{self.refusal[0].upper()}{self.refusal[1:]}.")

    update.queryset_only = True

    def delete(self):
        raise AppendOnly(f"{self.refusal[0].upper()}{self.refusal[1:]}.")

    delete.queryset_only = True


class AppendOnlyModel(models.Model):
    """Rows written once and then only read: save() of a stored row and delete() refuse."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly(f"{self._meta.verbose_name.capitalize()} {self.pk} is append-only: it cannot be changed.")
        if not getattr(self, "_appending", False):
            raise AppendOnly(
                f"A {self._meta.verbose_name} is written only by the archive: "
                f"use {type(self).__name__}.objects.{self.writer}()."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(f"{self._meta.verbose_name.capitalize()} {self.pk} is append-only: it cannot be deleted.")


class OriginalFileQuerySet(AppendOnlyQuerySet):
    refusal = chain.REFUSED_FILE

    def keep(self, *, article: Article, file_name: str, content: bytes, received_at=None) -> "OriginalFile":
        """Keep a file's bytes exactly as received, with their SHA-256."""
        original = OriginalFile(
            article=article,
            file_name=file_name[:255],
            content=bytes(content),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            received_at=received_at or timezone.now(),
        )
        original._appending = True
        original.save(using=self.db)
        return original


class OriginalFile(AppendOnlyModel):
    """The bytes of an imported file as they came in, so fixity can be checked against the original."""

    # Removed by the database only with a never-public draft (articles.chain).
    article = models.ForeignKey(Article, on_delete=models.DO_NOTHING, related_name="original_files")
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    received_at = models.DateTimeField()

    objects = OriginalFileQuerySet.as_manager()
    writer = "keep"

    class Meta:
        verbose_name = "original file"
        ordering = ["article", "received_at"]
        constraints = [
            models.CheckConstraint(condition=Q(Exact(Length("sha256"), 64)), name="original_sha256_is_digest"),
        ]
        indexes = [models.Index(fields=["sha256"], name="original_sha256")]

    def __str__(self):
        return f"{self.file_name} ({self.size} bytes, SHA-256 {self.sha256[:12]}…)"


class ProvenanceQuerySet(AppendOnlyQuerySet):
    def append(
        self,
        *,
        article: Article,
        activity: str,
        agent: str = "",
        publication: Publication | None = None,
        url: str = "",
        date=None,
        date_precision: str = DatePrecision.DAY,
        file_name: str = "",
        sha256: str = "",
        note: str = "",
        recorded_at=None,
        recorded_by=None,
        original: OriginalFile | None = None,
    ) -> "ProvenanceRecord":
        """
        Add a step at the end of the article's chain: the archive sets its position, the
        SHA-256 of the text as stored now (for an import, a correction or a withdrawal),
        the previous record's digest and its own. `sha256` is only for a step that names
        a file the archive never received, as the file's sender stated it.
        """
        if activity in TEXT_ACTIVITIES and sha256:
            raise ValueError(f"the SHA-256 of a {activity} step is computed by the archive, not given")
        if sha256 and not SHA256.fullmatch(sha256):
            raise ValueError("a SHA-256 is 64 lowercase hexadecimal digits")
        with transaction.atomic(using=self.db):
            # The article's row is locked so two appends never take one position.
            body = Article.objects.using(self.db).select_for_update().values_list("body", flat=True).get(pk=article.pk)
            last = self.filter(article=article).order_by("-position").values("position", "digest").first()
            record = ProvenanceRecord(
                article=article,
                position=(last["position"] if last else 0) + 1,
                previous_digest=last["digest"] if last else "",
                activity=activity,
                agent=agent[:200],
                publication=publication,
                url=url,
                date=date,
                date_precision=date_precision,
                file_name=file_name[:255],
                sha256=text_sha256(body) if activity in TEXT_ACTIVITIES else sha256,
                note=note,
                recorded_at=recorded_at or timezone.now(),
                recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
                original=original,
            )
            record.seal()
            record._appending = True
            if record.recorded_by is not None:
                record._history_user = record.recorded_by
            record.save(using=self.db)
        return record


class ProvenanceRecord(AppendOnlyModel):
    """
    One step in an article's history, from first publication to the archive: appended
    by ProvenanceRecord.objects.append(), never changed or deleted (articles.chain).
    """

    # Removed by the database only with a never-public draft (articles.chain).
    article = models.ForeignKey(Article, on_delete=models.DO_NOTHING, related_name="provenance")
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
    # The record names who recorded it for good: such an account is deactivated, not deleted.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    original = models.ForeignKey(
        OriginalFile, on_delete=models.PROTECT, null=True, blank=True, related_name="records", editable=False
    )
    previous_digest = models.CharField(max_length=64, blank=True, editable=False)
    digest = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of this record's fields and the previous record's digest."
    )

    history = HistoricalRecords()
    objects = ProvenanceQuerySet.as_manager()
    writer = "append"

    class Meta:
        verbose_name = "provenance record"
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="provenance_position_unique"),
            models.CheckConstraint(
                condition=Q(sha256="") | Q(Exact(Length("sha256"), 64)), name="provenance_sha256_is_digest"
            ),
            models.CheckConstraint(condition=Q(Exact(Length("digest"), 64)), name="provenance_digest_is_digest"),
            models.CheckConstraint(
                condition=Q(position=1, previous_digest="")
                | (Q(position__gt=1) & Q(Exact(Length("previous_digest"), 64))),
                name="provenance_links_previous",
            ),
        ]
        indexes = [models.Index(fields=["sha256"], name="provenance_sha256")]

    def __str__(self):
        return f"{self.get_activity_display()} ({self.date or self.recorded_at:%Y-%m-%d})"

    def digest_values(self, original_sha256: str | None = None) -> dict:
        """The fields chain.record_digest covers, read from this record."""
        if original_sha256 is None:
            original_sha256 = self.original.sha256 if self.original_id else ""
        return {
            **{name: getattr(self, name) for name in DIGEST_ATTRIBUTES},
            "article": self.article_id,
            "publication": self.publication_id,
            "recorded_by": self.recorded_by_id,
            "original_sha256": original_sha256,
        }

    def seal(self, original_sha256: str | None = None) -> None:
        """Set the digest over the record as it stands, its previous_digest included."""
        self.digest = chain.record_digest(self.digest_values(original_sha256))

    @classmethod
    def chained(cls, records: list["ProvenanceRecord"]) -> list["ProvenanceRecord"]:
        """
        A new article's whole chain, for a bulk insert (the synthetic archive): positions
        from 1, each record sealed after the one before. Records with an original file
        are written through append() instead.
        """
        previous = ""
        for position, record in enumerate(records, start=1):
            record.position, record.previous_digest = position, previous
            record.seal(original_sha256="")
            previous = record.digest
        return records


# The record's own attributes among chain.DIGEST_FIELDS; the other four are its references.
DIGEST_ATTRIBUTES = tuple(
    name for name in chain.DIGEST_FIELDS if name not in ("article", "publication", "recorded_by", "original_sha256")
)


class ProvenanceHead(models.Model):
    """
    The length and last digest of each article's chain, kept by a trigger on every
    insert, so a record removed from the end of a chain is found missing.
    """

    article = models.OneToOneField(
        Article, on_delete=models.DO_NOTHING, primary_key=True, related_name="provenance_head"
    )
    length = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = "provenance chain head"

    def __str__(self):
        return f"{self.article_id}: {self.length} record(s), last {self.digest[:12]}…"


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


class ArticleEventQuerySet(GuardedQuerySet):
    def with_readable_excerpts(self):
        """
        Each link with what readable_excerpt() needs: whether its article is shown as an
        excerpt only and, for those alone, the article's body.
        """
        excerpt_only = ~full_text_permitted(article="article_id", publication="article__publication")
        return self.annotate(
            article_excerpt_only=models.ExpressionWrapper(excerpt_only, models.BooleanField())
        ).annotate(
            article_text=models.Case(
                models.When(article_excerpt_only=True, then=F("article__body")),
                default=models.Value(""),
                output_field=models.TextField(),
            )
        )


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
    objects = ArticleEventQuerySet.as_manager()

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

    def readable_excerpt(self) -> str:
        """
        The passage as readers may see it: empty where it lies past the excerpt of an
        article shown as an excerpt only (Article.shows_passage).
        """
        if "article_excerpt_only" not in self.__dict__:
            return self.excerpt if self.article.shows_passage(self.excerpt) else ""
        if not self.article_excerpt_only or _within(self.excerpt, Article(body=self.article_text).excerpt()):
            return self.excerpt
        return ""

    def clean(self):
        super().clean()
        if self.article_id and self.excerpt:
            normalized_body = " ".join(self.article.body.split())
            if " ".join(self.excerpt.split()) not in normalized_body:
                raise ValidationError({"excerpt": "The excerpt must be a passage of the article, word for word."})
