"""
schema.org JSON-LD for the detail pages: {% structured_data object %}.

A republished article is a NewsArticle based on the original, whose rights
holder and attribution come from the permission readers are shown; an event is
an Event at a Place; an actor a Person or an Organization. The pages' views
prefetch everything read here, so the tag adds no query to a page that shows
the same relations.
"""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from articles import public, relations
from articles.models import Article, ArticleEvent, PermissionScope, Status
from register.models import Actor, ActorKind, DatePrecision, Event, Place

register = template.Library()

SITE_NAME = "Libya reporting archive"
SCHEMA = "https://schema.org"
# As django.utils.html.json_script: no "</script>", "<!--" or "&" can end or change the element early.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

ORGANISATION_TYPES = {
    ActorKind.PERSON: "Person",
    ActorKind.STATE_FORCE: "GovernmentOrganization",
    ActorKind.POLITICAL_BODY: "GovernmentOrganization",
}


def json_ld(data: dict) -> str:
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def _date(value, precision: str = DatePrecision.DAY) -> str | None:
    """An ISO 8601 date no more precise than its source: 2017-07-20, 2017-07 or 2017."""
    if value is None:
        return None
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def _compact(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def actor_ref(actor: Actor, request) -> dict:
    return {
        "@type": ORGANISATION_TYPES.get(actor.kind, "Organization"),
        "name": actor.name,
        "url": _absolute(request, actor.get_absolute_url()),
    }


def place_ref(place: Place, request, *, geo: bool = False) -> dict:
    data = {"@type": "Place", "name": place.name, "url": _absolute(request, place.get_absolute_url())}
    if geo and place.latitude is not None and place.longitude is not None:
        data["geo"] = {"@type": "GeoCoordinates", "latitude": place.latitude, "longitude": place.longitude}
    return data


def place_with_parents(place: Place, request) -> dict:
    data = place_ref(place, request, geo=True)
    inner = data
    for parent in place.ancestors():
        inner["containedInPlace"] = place_ref(parent, request)
        inner = inner["containedInPlace"]
    return data


def news_article(article: Article, request, permission) -> dict:
    # The article page has loaded them already (articles.relations); elsewhere this costs one query.
    links = article.links if hasattr(article, "links") else relations.load([article])[0].links
    url = _absolute(request, article.get_absolute_url())
    publication = article.publication if article.publication_id else None
    outlet = (
        _compact({"@type": "Organization", "name": publication.name, "url": publication.url}) if publication else None
    )
    published = _date(article.original_date, article.original_date_precision)
    home = _absolute(request, reverse("articles:home"))
    holder_type = "Person" if permission.rights_holder == article.byline else "Organization"
    return _compact(
        {
            "@context": SCHEMA,
            "@type": "NewsArticle",
            "@id": url,
            "url": url,
            "headline": article.title,
            "description": article.standfirst,
            "inLanguage": article.language,
            "author": {"@type": "Person", "name": article.byline} if article.byline else outlet,
            "datePublished": published,
            "dateModified": article.updated_at,
            "isBasedOn": _compact(
                {
                    "@type": "NewsArticle",
                    "url": article.original_url,
                    "headline": article.original_title or article.title,
                    "datePublished": published,
                    "publisher": outlet,
                }
            ),
            "sourceOrganization": outlet,
            "publisher": {"@type": "Organization", "name": SITE_NAME, "url": home},
            "copyrightHolder": {"@type": holder_type, "name": permission.rights_holder},
            "copyrightNotice": permission.attribution,
            "creditText": permission.attribution,
            "conditionsOfAccess": (
                "An excerpt is republished with the rights holder's permission."
                if permission.scope == PermissionScope.EXCERPT
                else "Republished in full with the rights holder's permission."
            ),
            "isAccessibleForFree": True,
            "keywords": [tag.name for tag in links.tags],
            "about": [
                {
                    "@type": "Event",
                    "name": link.event.title,
                    "url": _absolute(request, link.event.get_absolute_url()),
                    "startDate": _date(link.event.start_date, link.event.date_precision),
                }
                for link in links.events
            ],
            "mentions": [
                *(actor_ref(actor, request) for actor in links.actors),
                *(place_ref(place, request) for place in links.places),
            ],
        }
    )


def event(event: Event, request) -> dict:
    sources = getattr(event, "sources", None)
    if sources is None:
        sources = ArticleEvent.objects.filter(event=event, article__in=public.public_article_ids()).select_related(
            "article"
        )
    return _compact(
        {
            "@context": SCHEMA,
            "@type": "Event",
            "@id": _absolute(request, event.get_absolute_url()),
            "url": _absolute(request, event.get_absolute_url()),
            "name": event.title,
            "description": event.description,
            "startDate": _date(event.start_date, event.date_precision),
            "endDate": _date(event.end_date or event.start_date, event.date_precision),
            "eventStatus": f"{SCHEMA}/EventScheduled",
            "location": place_with_parents(event.place, request) if event.place_id else None,
            "keywords": [event.get_event_type_display(), event.get_sub_event_type_display()],
            "attendee": [actor_ref(participant.actor, request) for participant in event.participants.all()],
            "subjectOf": [
                {
                    "@type": "NewsArticle",
                    "headline": link.article.title,
                    "url": _absolute(request, link.article.get_absolute_url()),
                }
                for link in sources
            ],
        }
    )


def actor(actor: Actor, request) -> dict:
    wikidata = (actor.external_ids or {}).get("wikidata") if isinstance(actor.external_ids, dict) else None
    return _compact(
        {
            "@context": SCHEMA,
            **actor_ref(actor, request),
            "@id": _absolute(request, actor.get_absolute_url()),
            "alternateName": [alias.name for alias in actor.aliases.all()],
            "description": actor.description,
            "sameAs": f"https://www.wikidata.org/wiki/{wikidata}" if wikidata else None,
        }
    )


def place(place: Place, request) -> dict:
    return _compact(
        {
            "@context": SCHEMA,
            **place_with_parents(place, request),
            "@id": _absolute(request, place.get_absolute_url()),
            "alternateName": [alias.name for alias in place.aliases.all()],
            "description": place.description,
        }
    )


@register.simple_tag(takes_context=True)
def structured_data(context, obj) -> str:
    request = context.get("request")
    if isinstance(obj, Article):
        permission = context.get("permission") or obj.current_permission()
        # Only what readers may see is described: a page that is not public says nothing.
        if obj.status != Status.PUBLISHED or permission is None:
            return ""
        return json_ld(news_article(obj, request, permission))
    if isinstance(obj, Event):
        return json_ld(event(obj, request))
    if isinstance(obj, Actor):
        return json_ld(actor(obj, request))
    if isinstance(obj, Place):
        return json_ld(place(obj, request))
    return ""
