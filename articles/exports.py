"""
Event data for download: /export/events.csv and /export/events.json.

One row per public event, in columns modelled on ACLED's so that the data
joins other conflict-event datasets; /export/ is the codebook that explains
each column. The filters are those of /events/, and a download is streamed in
chunks of events, each chunk a fixed number of queries, so its size is bounded
by nothing but the archive.
"""

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Prefetch
from django.http import JsonResponse, StreamingHttpResponse
from django.urls import path, reverse
from django.views.generic import TemplateView

from register.models import Event, EventParticipant, ParticipantSide

from . import cache, public, visibility
from .api.backends import parameter_errors
from .filters import EventFilter
from .gazetteer import PlaceIndex
from .models import ArticleEvent

app_name = "exports"

CHUNK_SIZE = 500
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    acled: str = ""
    many: bool = False


COLUMNS = [
    Column(
        "event_id",
        "The event's identifier here: the last part of its page's address. It does not change.",
        "event_id_cnty",
    ),
    Column("event_url", "The address of the event's page, with its sources and the passages that report it."),
    Column("title", "A short title given by the archive's editors."),
    Column(
        "event_date",
        "The first day of the event (YYYY-MM-DD), or the first day of the week, month or year when "
        "the sources give no more; see date_precision.",
        "event_date",
    ),
    Column(
        "end_date",
        "The last day of an event that lasted more than one day, or of the period within which it "
        "happened; empty for a one-day event.",
    ),
    Column(
        "date_precision",
        "How exactly the sources date the event: day, week, month or year. ACLED's "
        "time_precision 1, 2 and 3 are day, week and month.",
        "time_precision",
    ),
    Column(
        "event_type",
        "ACLED's event type: Battles, Explosions/Remote violence, Violence against civilians, "
        "Protests, Riots, Strategic developments.",
        "event_type",
    ),
    Column(
        "sub_event_type",
        "ACLED's sub-event type within the event type, e.g. Armed clash, Air/drone strike.",
        "sub_event_type",
    ),
    Column(
        "actor1",
        "The actor or actors on the first side: in a battle or an attack, the side that initiated it.",
        "actor1",
        many=True,
    ),
    Column("assoc_actor_1", "Actors acting with or for the first side.", "assoc_actor_1", many=True),
    Column(
        "actor2",
        "The actor or actors on the other side: the target, or the counterpart in a meeting.",
        "actor2",
        many=True,
    ),
    Column("assoc_actor_2", "Actors acting with or for the second side.", "assoc_actor_2", many=True),
    Column("country", "The country the place lies in.", "country"),
    Column("admin1", "The region the place lies in, where the register records one.", "admin1"),
    Column("city", "The city or town the place lies in, or the place itself when it is a city."),
    Column(
        "location",
        "The most precise place the sources name: a city, a district, a neighbourhood or a site.",
        "location",
    ),
    Column(
        "latitude",
        "Latitude in decimal degrees (WGS 84) of the location or, failing that, of the nearest wider "
        "place with coordinates; empty when none is known.",
        "latitude",
    ),
    Column("longitude", "Longitude in decimal degrees (WGS 84), as for latitude.", "longitude"),
    Column(
        "geo_precision",
        "How exactly the coordinates place the event: exact, near (near the location or part of "
        "it) or region (only the wider region). ACLED's geo_precision 1, 2 and 3. Coordinates borrowed from a "
        "wider place are region.",
        "geo_precision",
    ),
    Column(
        "fatalities_low", "The lowest number of deaths the sources report; empty when none is reported.", "fatalities"
    ),
    Column(
        "fatalities_high",
        "The highest number of deaths the sources report; equal to fatalities_low when the sources agree.",
        "fatalities",
    ),
    Column(
        "verification",
        "How well the sources establish the event: confirmed, multiple_sources, single_source or contested.",
    ),
    Column(
        "sources", "The titles of the republished articles that report the event, oldest first.", "source", many=True
    ),
    Column(
        "source_urls",
        "The addresses of those articles on this site, in the same order; each page names the "
        "original publication and the permission to republish it.",
        many=True,
    ),
    Column("notes", "How the editors read the dates, places and figures from the sources.", "notes"),
    Column("tags", "Keywords the editors gave the event.", many=True),
]
COLUMN_NAMES = [column.name for column in COLUMNS]


def safe_cell(value):
    """A value as a spreadsheet may open it: text that would run as a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _public_sources():
    return (
        ArticleEvent.objects.filter(article__in=public.public_article_ids())
        .select_related("article")
        .only("event_id", "article__title", "article__slug")
        .order_by("article__dated", "article__id")
    )


def _events_by_pk(pks: list[int], sources) -> dict[int, Event]:
    events = (
        Event.objects.filter(pk__in=pks)
        .annotate(readable_notes=visibility.readable_notes())
        .prefetch_related(
            "tags",
            Prefetch("participants", EventParticipant.objects.select_related("actor").order_by("side", "id")),
            Prefetch("article_links", sources, to_attr="public_sources"),
        )
        .order_by()
    )
    return {event.pk: event for event in events}


def event_rows(events, *, build_url, places: PlaceIndex | None = None) -> Iterator[dict]:
    """One dict per event in the order of `events`, fetched CHUNK_SIZE events at a time."""
    places = places or PlaceIndex()
    pks = list(events.values_list("pk", flat=True))
    sources = _public_sources()
    for start in range(0, len(pks), CHUNK_SIZE):
        chunk = pks[start : start + CHUNK_SIZE]
        found = _events_by_pk(chunk, sources)
        for pk in chunk:
            yield event_row(found[pk], build_url=build_url, places=places)


def event_row(event: Event, *, build_url, places: PlaceIndex) -> dict:
    sides: dict[str, list[str]] = {side: [] for side in ParticipantSide.values}
    for participant in event.participants.all():
        sides[participant.side].append(participant.actor.name)
    located = places.located(event.place_id)
    return {
        "event_id": event.slug,
        "event_url": build_url(event.get_absolute_url()),
        "title": event.title,
        "event_date": event.start_date.isoformat(),
        "end_date": event.end_date.isoformat() if event.end_date else "",
        "date_precision": event.date_precision,
        "event_type": event.get_event_type_display(),
        "sub_event_type": event.get_sub_event_type_display(),
        "actor1": sides[ParticipantSide.ACTOR_1],
        "assoc_actor_1": sides[ParticipantSide.ASSOCIATED_1],
        "actor2": sides[ParticipantSide.ACTOR_2],
        "assoc_actor_2": sides[ParticipantSide.ASSOCIATED_2],
        **places.levels(event.place_id),
        "latitude": float(located.latitude) if located.latitude is not None else None,
        "longitude": float(located.longitude) if located.longitude is not None else None,
        "geo_precision": located.precision,
        "fatalities_low": event.fatalities_low,
        "fatalities_high": event.fatalities_high,
        "verification": event.verification,
        "sources": [link.article.title for link in event.public_sources],
        "source_urls": [build_url(link.article.get_absolute_url()) for link in event.public_sources],
        "notes": event.readable_notes,
        "tags": sorted(tag.name for tag in event.tags.all()),
    }


def csv_cells(row: dict) -> list:
    cells = []
    for column in COLUMNS:
        value = row[column.name]
        if column.many:
            value = LIST_SEPARATOR.join(value)
        cells.append(safe_cell("" if value is None else value))
    return cells


class _Echo:
    """A file-like object whose write() hands back what it is given, for a streaming csv.writer."""

    def write(self, value):
        return value


def _csv_lines(rows: Iterable[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMN_NAMES)
    for row in rows:
        yield writer.writerow(csv_cells(row))


def _json_chunks(rows: Iterable[dict]) -> Iterator[str]:
    yield "["
    for n, row in enumerate(rows):
        yield ("," if n else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"


def _filtered_events(request):
    """The public events the query asks for, or the 400 that names the parameters at fault."""
    events = public.public_events().order_by("-start_date", "-id")
    filterset = EventFilter(request.GET or None, queryset=events, request=request)
    if filterset.is_bound and not filterset.is_valid():
        return None, JsonResponse(parameter_errors(filterset.form), status=400)
    return filterset.qs, None


def events_csv(request):
    events, error = _filtered_events(request)
    if error:
        return error
    rows = event_rows(events, build_url=request.build_absolute_uri)
    response = StreamingHttpResponse(cache.streamed(_csv_lines(rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="archive-events.csv"'
    return response


def events_json(request):
    events, error = _filtered_events(request)
    if error:
        return error
    rows = event_rows(events, build_url=request.build_absolute_uri)
    return StreamingHttpResponse(cache.streamed(_json_chunks(rows)), content_type="application/json")


class CodebookView(TemplateView):
    template_name = "articles/codebook.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            columns=COLUMNS,
            list_separator=LIST_SEPARATOR,
            csv_url=reverse("exports:events-csv"),
            json_url=reverse("exports:events-json"),
        )
        return context


urlpatterns = [
    path("", CodebookView.as_view(), name="codebook"),
    path("events.csv", events_csv, name="events-csv"),
    path("events.json", events_json, name="events-json"),
]
