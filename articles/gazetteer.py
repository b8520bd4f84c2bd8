"""
Place hierarchies for the data exports and the API, without a query per row.

The register of places stays small next to the articles and events that point
at it, so a list of events loads it once and walks parents in memory: a page of
a hundred events costs one query for every place name above them, not one per
level per event.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import router

from register.models import GeoPrecision, Place, PlaceKind

from . import cache, public


@dataclass(frozen=True)
class Located:
    """Coordinates for a place, borrowed from the nearest parent that has them when it has none."""

    latitude: Decimal | None
    longitude: Decimal | None
    precision: str


PLACE_FIELDS = ("id", "name", "slug", "kind", "parent_id", "latitude", "longitude", "geo_precision")


class PlaceIndex:
    """Every place of the register by primary key, loaded on first use."""

    def __init__(self):
        self._places: dict[int, Place] | None = None

    @property
    def places(self) -> dict[int, Place]:
        if self._places is None:
            # Cached as plain rows under the editorial version: read once per change, not per request.
            rows = cache.cached("place-index", (), lambda: list(Place.objects.order_by().values_list(*PLACE_FIELDS)))
            db = router.db_for_read(Place)
            self._places = {row[0]: Place.from_db(db, PLACE_FIELDS, row) for row in rows}
        return self._places

    def chain(self, place_id: int | None) -> list[Place]:
        """The place and its parents, the widest first: Libya, Benghazi, Sabri, Khribish."""
        chain, seen = [], set()
        node = self.places.get(place_id) if place_id is not None else None
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = self.places.get(node.parent_id) if node.parent_id else None
        return chain[::-1]

    def levels(self, place_id: int | None) -> dict[str, str]:
        """ACLED's administrative columns: country, admin1 (region), city, and the location itself."""
        chain = self.chain(place_id)
        found = {"country": "", "admin1": "", "city": "", "location": chain[-1].name if chain else ""}
        for place in chain:
            if place.kind == PlaceKind.COUNTRY and not found["country"]:
                found["country"] = place.name
            elif place.kind == PlaceKind.REGION and not found["admin1"]:
                found["admin1"] = place.name
            elif place.kind == PlaceKind.CITY:
                found["city"] = place.name
        return found

    def located(self, place_id: int | None) -> Located:
        chain = self.chain(place_id)
        for depth, place in enumerate(reversed(chain)):
            if place.latitude is not None and place.longitude is not None:
                # A parent's coordinates only place the event within the parent.
                precision = place.geo_precision if depth == 0 else GeoPrecision.REGION
                return Located(place.latitude, place.longitude, precision)
        return Located(None, None, "")


def public_place_ids(index: PlaceIndex | None = None) -> set[int]:
    """Places with something public in them or below them: what the place pages answer 200 for."""
    index = index or PlaceIndex()
    found: set[int] = set()
    for place_id in public.public_places().values_list("pk", flat=True):
        found.update(place.pk for place in index.chain(place_id))
    return found
