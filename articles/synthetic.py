"""
A synthetic archive of any size, for benchmarks and for tests that need volume.

The same number of articles and the same seed always give the same rows: every
random choice comes from a random.Random seeded with the seed and the part being
built, so the articles can be made one fixed-size chunk at a time, in bounded
memory, without the chunks drawing from one shared stream.

Rows are bulk-inserted with explicit ids and no history: simple_history records
what people change, and nobody changed these. Everything synthetic points at
SYNTHETIC_HOST or carries SYNTHETIC_MARK, which is how clear_archive() knows it
deletes only what this module made.
"""

import bisect
import datetime
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection, models, transaction

from register.models import (
    SUB_TYPES_BY_TYPE,
    Actor,
    ActorAlias,
    ActorKind,
    Affiliation,
    DatePrecision,
    Event,
    EventParticipant,
    EventSubType,
    GeoPrecision,
    ParticipantRole,
    ParticipantSide,
    Place,
    PlaceAlias,
    PlaceKind,
    Tag,
    TagAlias,
    TaggedEvent,
    Verification,
)
from register.text import make_slug, normalize_name

from . import chain, tag_dates
from .models import (
    Article,
    ArticleActor,
    ArticleEvent,
    ArticlePlace,
    OriginalFile,
    PermissionScope,
    ProvenanceActivity,
    ProvenanceHead,
    ProvenanceRecord,
    Publication,
    RepublicationPermission,
    Status,
    TaggedArticle,
    text_sha256,
)

# .invalid never resolves (RFC 2606): no reader follows a synthetic link anywhere real.
SYNTHETIC_HOST = "https://synthetic.invalid"
SYNTHETIC_MARK = "Synthetic"
AGENT = "generate_archive"
# Fixed, not a parameter: the chunk is the unit of seeding, so changing it would change the data.
CHUNK_SIZE = 1000
INSERT_BATCH = 2000
TAGS_PER_ARTICLE = (7, 13)
TOP_TAG_SHARE = 0.5

FIRST_DAY = datetime.date(2016, 1, 1)
DAYS = 731
UTC = datetime.UTC

ProgressCallback = Callable[[int, int], None]

# Content tables in an order that deletes children before their parents.
ARCHIVE_MODELS: tuple[type[models.Model], ...] = (
    ArticleEvent,
    ArticleActor,
    ArticlePlace,
    TaggedArticle,
    ProvenanceRecord,
    ProvenanceHead,
    OriginalFile,
    RepublicationPermission,
    Article,
    TaggedEvent,
    EventParticipant,
    Event,
    Affiliation,
    ActorAlias,
    Actor,
    PlaceAlias,
    Place,
    TagAlias,
    Tag,
    Publication,
)

PUBLICATIONS = (
    "Libya Weekly Monitor",
    "Cyrenaica Observer",
    "Tripoli Security Review",
    "Fezzan Dispatch",
    "Sahel Security Brief",
    "Mediterranean Desk",
    "Sirte Basin Report",
    "North Africa Risk Letter",
    "Green Mountain Herald",
    "Desert Frontier News",
    "Coastal Road Bulletin",
    "Oasis Chronicle",
)
# Per publication: a standing permission in force, one revoked, one expired, or none at all
# (the articles of the last three rely on permissions of their own).
STANDING = ("valid",) * 7 + ("revoked", "expired", None, None, None)

GIVEN = (
    ("Khalifa", "خليفة"),
    ("Fayez", "فايز"),
    ("Omar", "عمر"),
    ("Abdelhakim", "عبد الحكيم"),
    ("Mahmoud", "محمود"),
    ("Salem", "سالم"),
    ("Mustafa", "مصطفى"),
    ("Ahmed", "أحمد"),
    ("Ibrahim", "إبراهيم"),
    ("Wanis", "ونيس"),
    ("Ali", "علي"),
    ("Abdullah", "عبد الله"),
    ("Faraj", "فرج"),
    ("Nouri", "نوري"),
    ("Aguila", "عقيلة"),
    ("Hashem", "هاشم"),
    ("Jamal", "جمال"),
    ("Saleh", "صالح"),
    ("Youssef", "يوسف"),
    ("Mohammed", "محمد"),
    ("Hassan", "حسن"),
    ("Tarek", "طارق"),
    ("Osama", "أسامة"),
    ("Emad", "عماد"),
)
FAMILY = (
    ("Mabrouk", "المبروك"),
    ("Werfalli", "الورفلي"),
    ("Bukhamada", "بوخمادة"),
    ("Hassi", "الحاسي"),
    ("Obeidi", "العبيدي"),
    ("Mangoush", "المنقوش"),
    ("Barghathi", "البرغثي"),
    ("Zawi", "الزوي"),
    ("Tarhouni", "الترهوني"),
    ("Ghweil", "الغويل"),
    ("Mismari", "المسماري"),
    ("Shaybani", "الشيباني"),
    ("Kikli", "الككلي"),
    ("Jadhran", "الجضران"),
    ("Ferjani", "الفرجاني"),
    ("Dabbashi", "الدباشي"),
    ("Sweihli", "السويحلي"),
    ("Naimi", "النعيمي"),
    ("Qadi", "القاضي"),
    ("Sharif", "الشريف"),
)
UNITS = ("Infantry Brigade", "Special Forces Battalion", "Border Guard", "Shield Force", "Security Directorate")
GROUP_KINDS = ("Revolutionaries Council", "Shura Council", "Protection Force", "Military Council", "Brigade")
STATE_FORCES = (
    "Libyan National Army",
    "Presidential Guard",
    "Libyan Air Force",
    "Petroleum Facilities Guard",
    "Libyan Coast Guard",
    "Central Security Force",
)
POLITICAL = ("Presidential Council", "House of Representatives", "High Council of State", "Municipal Council")
OTHERS = (
    ("United Nations Support Mission", ActorKind.INTERNATIONAL_ORG),
    ("African Union", ActorKind.INTERNATIONAL_ORG),
    ("Government of Egypt", ActorKind.FOREIGN_STATE),
    ("Government of Italy", ActorKind.FOREIGN_STATE),
    ("Government of the UAE", ActorKind.FOREIGN_STATE),
    ("Libya Channel", ActorKind.MEDIA),
    ("Civilians", ActorKind.OTHER),
)

REGIONS = {
    "Cyrenaica": ("Benghazi", "Derna", "Al Jabal al Akhdar", "Al Marj", "Tobruk", "Al Wahat", "Kufra"),
    "Tripolitania": ("Tripoli", "Misrata", "Sirte", "Zawiya", "Jafara", "Murqub", "Nalut", "Jabal al Gharbi"),
    "Fezzan": ("Sabha", "Wadi al Shatii", "Wadi al Hayaa", "Ghat", "Murzuq", "Jufra"),
}
TOWN_PREFIXES = ("", "", "", "Bir ", "Qasr ", "Wadi ", "Ain ", "Sidi ", "Ras ")
# fmt: off
SYLLABLES = (
    "gan", "fou", "da", "kri", "bish", "sab", "ri", "zel", "ma", "ta", "hun", "wa", "dan", "jal", "lo", "uje", "la",
    "nu", "fi", "lia", "qas", "ser", "kas", "bra", "ghe", "mar", "zin",
)
NEIGHBOURHOOD_WORDS = ("Sabri", "Souq", "Hawari", "Laithi", "Bouatni", "Hay", "Gwarsha", "Qawarsha", "Sidi Hussein")

TAG_TOPICS = (
    "Benghazi", "Tripoli", "Misrata", "Sirte", "Derna", "ISIS", "LNA", "GNA", "oil", "ceasefire", "migration",
    "airstrikes", "kidnapping", "elections", "UN mediation", "militias", "Haftar", "Sabha", "Zawiya", "Ajdabiya",
    "oil crescent", "Presidential Council", "House of Representatives", "State Council", "Tebu", "Tuareg", "Zintan",
    "Warshefana", "Ras Lanuf", "Sidra", "Brega", "Kufra", "Ubari", "Ghat", "smuggling", "human rights", "detention",
    "IDPs", "humanitarian aid", "central bank", "electricity", "water", "health", "Egypt", "Tunisia", "Algeria",
    "Italy", "France", "UAE", "Qatar", "Turkey", "Russia", "United States", "arms embargo", "coast guard", "prisons",
    "assassinations", "protests", "economy", "liquidity", "fuel", "ليبيا", "بنغازي", "طرابلس", "مصراتة",
)
TAG_FACETS = (
    "security", "politics", "clashes", "negotiations", "casualties", "displacement", "reconstruction", "checkpoint",
    "arrests", "statement", "visit", "meeting", "agreement", "blockade", "exports", "curfew", "funding", "court case",
    "sanctions", "training", "recruitment", "alliances", "frontline", "shelling", "evacuation", "hostages",
    "detainees", "media", "tribes", "municipality", "budget", "salaries", "mediation", "border", "airport", "port",
    "roads", "schools", "hospitals", "markets",
)
# fmt: on

BYLINES = ("Libya-Analysis staff", "Security desk", "Our correspondent in Benghazi", "Our correspondent in Tripoli")
VERBS = ("advance on", "withdraw from", "secure", "shell", "negotiate over", "clash near", "reinforce", "besiege")
TOPIC_NOUNS = ("oil terminals", "the coastal road", "the airport", "checkpoints", "the port", "water supplies")

# Sentences for the body; {a} an actor, {b} another, {p} a place. Most name "forces":
# the common search term the benchmark uses, as it is in real security briefs.
SENTENCES = (
    "Forces loyal to {a} were reported moving towards {p}.",
    "Security forces in {p} set up new checkpoints on the main road.",
    "{a} said its forces had repelled an attack near {p}.",
    "Residents of {p} described heavy gunfire through the night.",
    "{a} and {b} traded accusations over the fighting in {p}.",
    "Local sources said that forces of {b} were reinforcing their positions around {p}.",
    "The situation in {p} remained tense but calm by the end of the week.",
    "A spokesman for {a} denied that its forces had entered {p}.",
    "Talks between {a} and {b} were expected to resume after the holiday.",
    "Electricity cuts of up to twelve hours a day were reported in {p}.",
    "Aid agencies warned that families displaced from {p} lacked shelter and medicine.",
    "{a} announced the arrest of several suspects in {p}.",
    "The municipal council of {p} called on all forces to leave the town centre.",
    "Fuel queues grew longer in {p} as supplies from the west failed to arrive.",
    "Observers noted that forces aligned with {b} had not joined the offensive.",
)
EVENT_SENTENCES = {
    "battles": "{a} and {b} clashed in {p}",
    "explosions": "{a} was blamed for an incident of {label} that hit {p}",
    "violence_against_civilians": "{a} was named in a report of {label} in {p}",
    "protests": "residents of {p} took part in a {label} against {a}",
    "riots": "{label} broke out in {p} after a dispute involving {a}",
    "strategic_developments": "{a} and {b} were named in a report of {label} in {p}",
}
EVENT_TYPE_WEIGHTS = {
    "battles": 40,
    "explosions": 25,
    "violence_against_civilians": 12,
    "protests": 6,
    "riots": 3,
    "strategic_developments": 14,
}
STATUS_WEIGHTS = ((Status.PUBLISHED, 90), (Status.DRAFT, 4), (Status.REVIEW, 3), (Status.WITHDRAWN, 3))
# An article's own permission, for articles no standing permission in force covers.
OWN_PERMISSION_WEIGHTS = (("valid", 85), ("revoked", 6), ("expired", 5), (None, 4))


@dataclass(frozen=True)
class Sizes:
    articles: int
    actors: int
    places: int
    events: int
    tags: int

    @classmethod
    def for_articles(cls, articles: int) -> "Sizes":
        # The register grows slower than the articles, as a real one does: new articles
        # mostly name actors, places and tags the archive knows already.
        return cls(
            articles=articles,
            actors=max(40, articles // 100),
            places=max(40, articles // 250),
            events=max(30, articles // 10),
            tags=max(60, round(8 * math.sqrt(articles))),
        )


@dataclass
class Register:
    """What the articles are generated from: ids, names and how popular each one is."""

    publications: list[tuple[int, str, str]] = field(default_factory=list)  # id, name, slug
    publication_cum: list[float] = field(default_factory=list)
    standing_valid: set[int] = field(default_factory=set)
    actors: list[tuple[int, str]] = field(default_factory=list)
    actor_cum: list[float] = field(default_factory=list)
    places: list[tuple[int, str]] = field(default_factory=list)  # towns and neighbourhoods articles name
    place_cum: list[float] = field(default_factory=list)
    events: list[tuple[int, datetime.date, str]] = field(default_factory=list)  # id, start, sentence; by date
    event_days: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    tag_cum: list[float] = field(default_factory=list)


class IdSequence:
    """Explicit ids, so links can be made before their rows are written."""

    def __init__(self, model: type[models.Model]):
        self.next = (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1

    def take(self) -> int:
        value, self.next = self.next, self.next + 1
        return value


def cumulative_zipf(n: int, exponent: float) -> list[float]:
    total, cum = 0.0, []
    for rank in range(1, n + 1):
        total += rank**-exponent
        cum.append(total)
    return cum


def zipf_exponent(n: int, top_share: float, draws: int) -> float:
    """
    The exponent s for which the most common of n items, drawn `draws` times with
    weights rank**-s, turns up in about `top_share` of the samples.
    """
    if n <= 1:
        return 1.0
    top_weight = 1 - (1 - top_share) ** (1 / draws)
    low, high = 0.0, 4.0
    for _ in range(60):
        mid = (low + high) / 2
        if 1 / sum(r**-mid for r in range(1, n + 1)) < top_weight:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def seeded(seed: int, part: str) -> random.Random:
    # Reproducible data, not secrets: the point is that the same seed gives the same archive.
    return random.Random(f"{seed}/{part}")  # noqa: S311


def pick(rng: random.Random, items: list, cum: list[float]):
    return items[bisect.bisect_left(cum, rng.random() * cum[-1])]


def pick_distinct(rng: random.Random, items: list, cum: list[float], count: int) -> list:
    chosen: dict = {}
    # Bounded: the most popular items come up again and again.
    for _ in range(count * 20):
        if len(chosen) >= count:
            break
        chosen.setdefault(pick(rng, items, cum), None)
    return list(chosen)


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def day(number: int) -> datetime.date:
    return FIRST_DAY + datetime.timedelta(days=number)


def at_noon(date: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(date, datetime.time(12), tzinfo=UTC)


def tag_names(count: int) -> Iterator[str]:
    """Single topics first (the popular tags), then topic and facet pairs, numbered once they run out."""
    seen: set[str] = set()
    produced, index = 0, 0
    pairs = len(TAG_TOPICS) * len(TAG_FACETS)
    while produced < count:
        if index < len(TAG_TOPICS):
            name = TAG_TOPICS[index]
        else:
            j = index - len(TAG_TOPICS)
            name = f"{TAG_TOPICS[j % len(TAG_TOPICS)]} {TAG_FACETS[(j // len(TAG_TOPICS)) % len(TAG_FACETS)]}"
            if j >= pairs:
                name = f"{name} {j // pairs + 1}"
        index += 1
        keys = (name.lower(), make_slug(name))
        if seen.isdisjoint(keys):
            seen.update(keys)
            produced += 1
            yield name


def town_name(rng: random.Random, used: set[str]) -> str:
    while True:
        root = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        name = f"{rng.choice(TOWN_PREFIXES)}{root}"
        if name not in used:
            used.add(name)
            return name


def bulk(model: type[models.Model], rows: list, counts: dict[str, int]) -> None:
    if rows:
        model.objects.bulk_create(rows, batch_size=INSERT_BATCH)
        counts[model._meta.label] = counts.get(model._meta.label, 0) + len(rows)
        rows.clear()


# --------------------------------------------------------------------------
# The register: publications, actors, places, events, tags
# --------------------------------------------------------------------------


def build_publications(seed: int, counts: dict[str, int], register: Register) -> None:
    ids, permission_ids = IdSequence(Publication), IdSequence(RepublicationPermission)
    publications, permissions = [], []
    for index, name in enumerate(PUBLICATIONS):
        pk, slug = ids.take(), make_slug(name)
        publications.append(
            Publication(
                pk=pk,
                name=name,
                slug=slug,
                url=f"{SYNTHETIC_HOST}/{slug}/",
                description=f"{SYNTHETIC_MARK} outlet (seed {seed}).",
            )
        )
        register.publications.append((pk, name, slug))
        state = STANDING[index % len(STANDING)]
        if state is not None:
            permissions.append(
                permission(pk=permission_ids.take(), state=state, publication_id=pk, holder=name, granted=day(index))
            )
            if state == "valid":
                register.standing_valid.add(pk)
    register.publication_cum = cumulative_zipf(len(publications), 0.8)
    bulk(Publication, publications, counts)
    bulk(RepublicationPermission, permissions, counts)


def permission(*, pk: int, state: str, holder: str, granted: datetime.date, **target) -> RepublicationPermission:
    # Fixed dates in the past, so that whether a permission is in force does not depend on the day the tests run.
    return RepublicationPermission(
        pk=pk,
        rights_holder=holder,
        granted_on=granted,
        scope=PermissionScope.FULL_TEXT,
        evidence="Republished with explicit permission from the author.",
        attribution="Republished with explicit permission from the author.",
        expires_on=datetime.date(2018, 6, 30) if state == "expired" else None,
        revoked_at=at_noon(datetime.date(2019, 3, 1)) if state == "revoked" else None,
        revocation_reason="The rights holder withdrew the permission." if state == "revoked" else "",
        **target,
    )


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def actor_name(index: int, rng: random.Random) -> tuple[str, str, list[tuple[str, str]]]:
    """Name, kind and aliases (name, language) of the actor at `index`."""
    if index < len(STATE_FORCES):
        name = STATE_FORCES[index]
        return name, ActorKind.STATE_FORCE, [("".join(w[0] for w in name.split()), "en")]
    index -= len(STATE_FORCES)
    if index < len(POLITICAL):
        return POLITICAL[index], ActorKind.POLITICAL_BODY, []
    index -= len(POLITICAL)
    if index < len(OTHERS):
        name, kind = OTHERS[index]
        return name, kind, []
    index -= len(OTHERS)
    if index % 3 == 2:
        number = index // 3 + 101
        unit = UNITS[number % len(UNITS)]
        if number % 2:
            return f"{ordinal(number)} {unit}", ActorKind.ARMED_GROUP, [(f"Brigade {number}", "en")]
        town = REGION_TOWNS[number % len(REGION_TOWNS)]
        return f"{town} {GROUP_KINDS[number % len(GROUP_KINDS)]}", ActorKind.ARMED_GROUP, []
    person = index - index // 3
    # Every given name with every family name before any name repeats.
    given, given_ar = GIVEN[person % len(GIVEN)]
    family, family_ar = FAMILY[(person % len(GIVEN) + person // len(GIVEN)) % len(FAMILY)]
    generation = person // (len(GIVEN) * len(FAMILY))
    middle = f" {GIVEN[(generation * 7) % len(GIVEN)][0]}" if generation else ""
    suffix = f" {generation + 1}" if generation >= len(GIVEN) else ""
    name = f"{given}{middle} al-{family}{suffix}"
    aliases = [(f"{given}{middle} el-{family}{suffix}", "ar-Latn"), (f"{given_ar} {family_ar}{suffix}", "ar")]
    if rng.random() < 0.5:
        aliases.append((f"{family}{suffix}" if not middle else f"{given}{middle} {family}{suffix}", "ar-Latn"))
    return name, ActorKind.PERSON, aliases


REGION_TOWNS = tuple(town for towns in REGIONS.values() for town in towns)


def build_actors(seed: int, sizes: Sizes, counts: dict[str, int], register: Register) -> None:
    rng = seeded(seed, "actors")
    ids, alias_ids, affiliation_ids = IdSequence(Actor), IdSequence(ActorAlias), IdSequence(Affiliation)
    actors, aliases, affiliations = [], [], []
    groups: list[int] = []
    for index in range(sizes.actors):
        pk = ids.take()
        name, kind, names = actor_name(index, rng)
        actors.append(
            Actor(
                pk=pk,
                name=name,
                slug=f"{make_slug(name, 80)}-{pk}",
                name_key=normalize_name(name),
                kind=kind,
                description=f"{SYNTHETIC_MARK} actor (seed {seed}).",
            )
        )
        register.actors.append((pk, name))
        seen = {name}
        for alias, language in names:
            if alias not in seen:
                seen.add(alias)
                aliases.append(
                    ActorAlias(
                        pk=alias_ids.take(), actor_id=pk, name=alias, name_key=normalize_name(alias), language=language
                    )
                )
        if kind in (ActorKind.ARMED_GROUP, ActorKind.STATE_FORCE):
            groups.append(pk)
        elif kind == ActorKind.PERSON and groups and rng.random() < 0.4:
            start = day(rng.randrange(DAYS))
            affiliations.append(
                Affiliation(
                    pk=affiliation_ids.take(),
                    actor_id=pk,
                    organisation_id=rng.choice(groups),
                    role=rng.choice(("commander", "spokesperson", "member")),
                    start_date=start,
                    end_date=start + datetime.timedelta(days=rng.randrange(30, 400)) if rng.random() < 0.3 else None,
                )
            )
    # Actors are shuffled before ranking, so the popular ones are a mix of kinds.
    ranked = register.actors[:]
    rng.shuffle(ranked)
    register.actors = ranked
    register.actor_cum = cumulative_zipf(len(ranked), 1.0)
    bulk(Actor, actors, counts)
    bulk(ActorAlias, aliases, counts)
    bulk(Affiliation, affiliations, counts)


def build_places(seed: int, sizes: Sizes, counts: dict[str, int], register: Register) -> None:
    rng = seeded(seed, "places")
    ids, alias_ids = IdSequence(Place), IdSequence(PlaceAlias)
    places, aliases = [], []
    used: set[str] = set()

    def add(name: str, kind: str, parent: int | None, lat: float, lon: float) -> int:
        pk = ids.take()
        places.append(
            Place(
                pk=pk,
                name=name,
                slug=f"{make_slug(name, 80)}-{pk}",
                name_key=normalize_name(name),
                kind=kind,
                parent_id=parent,
                latitude=round(lat, 5),
                longitude=round(lon, 5),
                geo_precision=GeoPrecision.EXACT if kind != PlaceKind.REGION else GeoPrecision.REGION,
                description=f"{SYNTHETIC_MARK} place (seed {seed}).",
            )
        )
        return pk

    country = add("Libya", PlaceKind.COUNTRY, None, 26.3, 17.2)
    aliases.append(PlaceAlias(pk=alias_ids.take(), place_id=country, name="ليبيا", name_key="ليبيا", language="ar"))
    districts: list[tuple[int, float, float]] = []
    for region, district_names in REGIONS.items():
        region_pk = add(region, PlaceKind.REGION, country, 26 + rng.uniform(-3, 5), 17 + rng.uniform(-6, 6))
        for name in district_names:
            used.add(name)
            lat, lon = 30 + rng.uniform(-6, 3), 17 + rng.uniform(-7, 7)
            districts.append((add(name, PlaceKind.DISTRICT, region_pk, lat, lon), lat, lon))
    # Towns in districts, neighbourhoods in towns: Benghazi > Sabri > Khribish, at scale.
    named: list[tuple[int, str]] = []
    towns: list[tuple[int, float, float]] = []
    while len(places) < sizes.places:
        if not towns or rng.random() < 0.6:
            parent, lat, lon = rng.choice(districts)
            name, kind = town_name(rng, used), PlaceKind.CITY
        else:
            parent, lat, lon = rng.choice(towns)
            name, kind = f"{rng.choice(NEIGHBOURHOOD_WORDS)} {town_name(rng, used)}", PlaceKind.NEIGHBOURHOOD
        lat, lon = lat + rng.uniform(-0.5, 0.5), lon + rng.uniform(-0.5, 0.5)
        pk = add(name, kind, parent, lat, lon)
        named.append((pk, name))
        if kind == PlaceKind.CITY:
            towns.append((pk, lat, lon))
            if rng.random() < 0.3:
                alias = name.replace("Q", "G", 1) if "Q" in name else f"{name}a"
                aliases.append(
                    PlaceAlias(
                        pk=alias_ids.take(), place_id=pk, name=alias, name_key=normalize_name(alias), language="en"
                    )
                )
    register.places = named or [(country, "Libya")]
    register.place_cum = cumulative_zipf(len(register.places), 1.0)
    bulk(Place, places, counts)
    bulk(PlaceAlias, aliases, counts)


def build_tags(seed: int, sizes: Sizes, counts: dict[str, int], register: Register) -> None:
    ids = IdSequence(Tag)
    tags = []
    for name in tag_names(sizes.tags):
        pk = ids.take()
        tags.append(Tag(pk=pk, name=name, slug=make_slug(name)))
        register.tags.append(pk)
    draws = sum(TAGS_PER_ARTICLE) // 2
    register.tag_cum = cumulative_zipf(len(tags), zipf_exponent(len(tags), TOP_TAG_SHARE, draws))
    bulk(Tag, tags, counts)


def build_events(seed: int, sizes: Sizes, counts: dict[str, int], register: Register) -> None:
    rng = seeded(seed, "events")
    ids, participant_ids, tag_ids = IdSequence(Event), IdSequence(EventParticipant), IdSequence(TaggedEvent)
    labels = dict(EventSubType.choices)
    types = list(EVENT_TYPE_WEIGHTS.items())
    planned = []
    for _ in range(sizes.events):
        planned.append((rng.randrange(DAYS), weighted(rng, types)))
    planned.sort(key=lambda item: item[0])
    campaigns: list[int] = []
    campaign_count = max(2, sizes.events // 200)
    events, participants, tag_links = [], [], []
    for index, (number, event_type) in enumerate(planned):
        pk, start = ids.take(), day(number)
        place_pk, place_name = pick(rng, register.places, register.place_cum)
        sub_type = rng.choice(SUB_TYPES_BY_TYPE[event_type])
        label = labels[sub_type]
        is_campaign = index % max(1, sizes.events // campaign_count) == 0 and event_type == "battles"
        title = f"{'Campaign for' if is_campaign else label + ' in'} {place_name}"
        pair = pick_distinct(rng, register.actors, register.actor_cum, 2)
        a, b = pair[0], pair[-1]
        killed = rng.choice((None, 0, 1, 2, 3, 5, 8, 12)) if event_type in ("battles", "explosions") else None
        events.append(
            Event(
                pk=pk,
                title=title,
                slug=f"{make_slug(title, 70)}-{start:%Y-%m-%d}-{pk}",
                event_type=event_type,
                sub_event_type=sub_type,
                start_date=start,
                end_date=start + datetime.timedelta(days=rng.randrange(30, 200)) if is_campaign else None,
                date_precision=DatePrecision.MONTH if is_campaign else DatePrecision.DAY,
                place_id=place_pk,
                fatalities_low=killed,
                fatalities_high=None if killed is None else killed + rng.choice((0, 0, 1, 3)),
                verification=rng.choice(Verification.values),
                parent_id=rng.choice(campaigns) if campaigns and not is_campaign and rng.random() < 0.1 else None,
                description=f"{title}, as reported by the archive's sources.",
                notes=f"{SYNTHETIC_MARK} event (seed {seed}).",
            )
        )
        if is_campaign:
            campaigns.append(pk)
        participants.append(
            EventParticipant(
                pk=participant_ids.take(),
                event_id=pk,
                actor_id=a[0],
                side=ParticipantSide.ACTOR_1,
                role=ParticipantRole.INITIATOR,
            )
        )
        if b[0] != a[0]:
            participants.append(
                EventParticipant(
                    pk=participant_ids.take(),
                    event_id=pk,
                    actor_id=b[0],
                    side=ParticipantSide.ACTOR_2,
                    role=ParticipantRole.TARGET,
                )
            )
        for tag in pick_distinct(rng, register.tags, register.tag_cum, rng.randint(1, 3)):
            tag_links.append(TaggedEvent(pk=tag_ids.take(), tag_id=tag, content_object_id=pk))
        fatalities = f"; {killed} people were reported killed" if killed else ""
        sentence = EVENT_SENTENCES[event_type].format(a=a[1], b=b[1], p=place_name, label=label.lower())
        register.events.append((pk, start, f"{sentence}{fatalities}"))
        register.event_days.append(number)
        if len(events) >= INSERT_BATCH:
            bulk(Event, events, counts)
    bulk(Event, events, counts)
    bulk(EventParticipant, participants, counts)
    bulk(TaggedEvent, tag_links, counts)


# --------------------------------------------------------------------------
# Articles, chunk by chunk
# --------------------------------------------------------------------------


@dataclass
class ArticleIds:
    article: IdSequence
    permission: IdSequence
    provenance: IdSequence
    tag: IdSequence
    actor: IdSequence
    place: IdSequence
    event: IdSequence


def build_chunk(seed: int, chunk: int, size: int, register: Register, ids: ArticleIds, counts: dict[str, int]) -> None:
    rng = seeded(seed, f"articles/{chunk}")
    articles, permissions, provenance = [], [], []
    tag_links, actor_links, place_links, event_links = [], [], [], []
    for _ in range(size):
        pk = ids.article.take()
        number = rng.randrange(DAYS)
        dated = day(number)
        pub_pk, pub_name, pub_slug = pick(rng, register.publications, register.publication_cum)
        actors = pick_distinct(rng, register.actors, register.actor_cum, rng.randint(1, 5))
        places = pick_distinct(rng, register.places, register.place_cum, rng.choice((0, 1, 1, 1, 2)))
        place_names = [name for _, name in places] or [rng.choice(REGION_TOWNS)]
        weekly = rng.random() < 0.3
        if weekly:
            period_end = dated - datetime.timedelta(days=1)
            period_start = period_end - datetime.timedelta(days=6)
            title = f"Weekly security brief: {period_start:%-d %B} – {period_end:%-d %B %Y}"
        else:
            period_start = period_end = None
            title = f"{actors[0][1]} forces {rng.choice(VERBS)} {rng.choice(place_names + list(TOPIC_NOUNS))}"
        # Events the article reports: among those that happened in the weeks before it.
        reported = []
        if register.events and rng.random() < 0.85:
            end = bisect.bisect_right(register.event_days, number)
            window = register.events[max(0, end - 40) : end] or register.events[:40]
            reported = rng.sample(window, min(len(window), rng.choice((1, 1, 1, 2))))
        paragraphs, excerpts = [], []
        for index in range(rng.randint(4, 7)):
            if index == 1 and reported:
                for event_pk, start, sentence in reported:
                    excerpt = f"On {start:%-d %B %Y}, {sentence}."
                    paragraphs.append(f"{excerpt} {sentence_for(rng, actors, place_names)}")
                    excerpts.append((event_pk, excerpt, len(paragraphs)))
            paragraphs.append(" ".join(sentence_for(rng, actors, place_names) for _ in range(rng.randint(2, 4))))
        body = "\n\n".join(paragraphs)
        slug = f"{make_slug(title, 100)}-{pk}"
        status = weighted(rng, STATUS_WEIGHTS)
        public_date = dated + datetime.timedelta(days=rng.randint(1, 60))
        articles.append(
            Article(
                pk=pk,
                title=title,
                slug=slug,
                standfirst=sentence_for(rng, actors, place_names),
                body=body,
                byline=rng.choice(BYLINES),
                publication_id=pub_pk,
                original_url=f"{SYNTHETIC_HOST}/{pub_slug}/{slug}",
                original_date=dated,
                original_date_precision=DatePrecision.DAY,
                period_start=period_start,
                period_end=period_end,
                dated=dated,
                status=status,
                published_at=at_noon(public_date) if status in (Status.PUBLISHED, Status.WITHDRAWN) else None,
                withdrawn_at=at_noon(public_date + datetime.timedelta(days=200))
                if status == Status.WITHDRAWN
                else None,
                withdrawal_reason="The rights holder asked for it to be taken down."
                if status == Status.WITHDRAWN
                else "",
            )
        )
        own = None if pub_pk in register.standing_valid else weighted(rng, OWN_PERMISSION_WEIGHTS)
        if own is not None:
            permissions.append(
                permission(pk=ids.permission.take(), state=own, article_id=pk, holder=pub_name, granted=dated)
            )
        recorded = at_noon(public_date)
        # Each chain sealed as append() would seal it: verify_fixity checks these too.
        provenance += ProvenanceRecord.chained(
            [
                ProvenanceRecord(
                    pk=ids.provenance.take(),
                    article_id=pk,
                    activity=ProvenanceActivity.FIRST_PUBLISHED,
                    agent=pub_name,
                    publication_id=pub_pk,
                    url=f"{SYNTHETIC_HOST}/{pub_slug}/{slug}",
                    date=dated,
                    recorded_at=recorded,
                ),
                ProvenanceRecord(
                    pk=ids.provenance.take(),
                    article_id=pk,
                    activity=ProvenanceActivity.IMPORTED,
                    agent=AGENT,
                    file_name=f"synthetic/{slug}.txt",
                    date=public_date,
                    sha256=text_sha256(body),
                    recorded_at=recorded,
                ),
            ]
        )
        for tag in pick_distinct(rng, register.tags, register.tag_cum, rng.randint(*TAGS_PER_ARTICLE)):
            tag_links.append(TaggedArticle(pk=ids.tag.take(), tag_id=tag, content_object_id=pk, dated=dated))
        for actor_pk, _ in actors:
            actor_links.append(ArticleActor(pk=ids.actor.take(), article_id=pk, actor_id=actor_pk, created_at=recorded))
        for place_pk, _ in places:
            place_links.append(ArticlePlace(pk=ids.place.take(), article_id=pk, place_id=place_pk, created_at=recorded))
        for event_pk, excerpt, paragraph in excerpts:
            event_links.append(
                ArticleEvent(
                    pk=ids.event.take(),
                    article_id=pk,
                    event_id=event_pk,
                    excerpt=excerpt,
                    paragraph=paragraph,
                    created_at=recorded,
                )
            )
    for model, rows in (
        (Article, articles),
        (RepublicationPermission, permissions),
        (ProvenanceRecord, provenance),
        (TaggedArticle, tag_links),
        (ArticleActor, actor_links),
        (ArticlePlace, place_links),
        (ArticleEvent, event_links),
    ):
        bulk(model, rows, counts)


def sentence_for(rng: random.Random, actors: list[tuple[int, str]], places: list[str]) -> str:
    first = rng.randrange(len(actors))
    a = actors[first][1]
    b = actors[(first + rng.randrange(1, len(actors))) % len(actors)][1] if len(actors) > 1 else "rival forces"
    return rng.choice(SENTENCES).format(a=a, b=b, p=rng.choice(places))


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def archive_row_count() -> int:
    return sum(model.objects.count() for model in (Article, Publication, Actor, Place, Event, Tag))


def foreign_rows() -> dict[str, int]:
    """Rows that generate_archive did not make, by model: what clear_archive() refuses to delete."""
    checks = {
        Article: ~models.Q(original_url__startswith=SYNTHETIC_HOST),
        Publication: ~models.Q(url__startswith=SYNTHETIC_HOST),
        Actor: ~models.Q(description__startswith=SYNTHETIC_MARK),
        Place: ~models.Q(description__startswith=SYNTHETIC_MARK),
        Event: ~models.Q(notes__startswith=SYNTHETIC_MARK),
    }
    found = {model._meta.verbose_name_plural: model.objects.filter(q).count() for model, q in checks.items()}
    return {name: count for name, count in found.items() if count}


def clear_archive() -> None:
    """
    Delete every row of the archive's content tables in a few statements, inside the
    caller's transaction. The ORM's delete() would load each row to send signals. Only
    a database holding nothing but a generated archive is cleared: then the guard over
    the record (articles.chain) is lifted as for erasing the whole database.
    """
    foreign = foreign_rows()
    if foreign:
        raise ValueError(f"the database holds rows generate_archive did not make: {foreign}")
    with chain.lifted(connection), connection.cursor() as cursor:
        for model in ARCHIVE_MODELS:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


def reset_sequences() -> None:
    """After explicit ids, PostgreSQL's sequences must move past them or the next insert collides."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(ARCHIVE_MODELS))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def generate_archive(
    *, articles: int, seed: int, clear: bool = False, progress: ProgressCallback | None = None
) -> dict[str, int]:
    """
    Build a synthetic archive of `articles` articles in one transaction and return the
    number of rows written per model. With `clear`, a previous archive is deleted in
    the same transaction, so a failure leaves the old one in place.
    """
    if articles < 1:
        raise ValueError("the archive needs at least one article")
    sizes = Sizes.for_articles(articles)
    counts: dict[str, int] = {}
    register = Register()
    with transaction.atomic():
        if clear:
            clear_archive()
        build_publications(seed, counts, register)
        build_actors(seed, sizes, counts, register)
        build_places(seed, sizes, counts, register)
        build_tags(seed, sizes, counts, register)
        build_events(seed, sizes, counts, register)
        ids = ArticleIds(
            article=IdSequence(Article),
            permission=IdSequence(RepublicationPermission),
            provenance=IdSequence(ProvenanceRecord),
            tag=IdSequence(TaggedArticle),
            actor=IdSequence(ArticleActor),
            place=IdSequence(ArticlePlace),
            event=IdSequence(ArticleEvent),
        )
        done = 0
        # Every tag link is written with its article's date: the triggers that copy it would only repeat it.
        with tag_dates.suspended(connection):
            for chunk in range(math.ceil(articles / CHUNK_SIZE)):
                size = min(CHUNK_SIZE, articles - done)
                build_chunk(seed, chunk, size, register, ids, counts)
                done += size
                if progress:
                    progress(done, articles)
        reset_sequences()
    if connection.vendor == "postgresql":
        # Until autovacuum gets round to it, the planner would take the new tables for empty.
        with connection.cursor() as cursor:
            for model in ARCHIVE_MODELS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts
