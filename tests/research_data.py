"""
A small archive for the tests of what researchers reuse: the API, the exports,
the feeds, the sitemap and the structured data.

Two public articles report a battle in Khribish and a meeting in Tripoli; a
third article is public until a test withdraws it or revokes its permission,
and it alone names an event, an actor, a place and a tag, so that each of them
must disappear with it.
"""

import datetime

from articles import workflow
from articles.models import RepublicationPermission
from register.models import PlaceAlias
from tests.accounts import make_user
from tests.conftest import (
    link_actor,
    link_event,
    link_place,
    make_actor,
    make_article,
    make_event,
    make_place,
    make_publication,
)

DOOMED = "Doomed"


def build_research_archive() -> dict:
    libya = make_place(name="Libya", kind="country", latitude=27, longitude=17, geo_precision="region")
    cyrenaica = make_place(name="Cyrenaica", kind="region", parent=libya)
    benghazi = make_place(name="Benghazi", kind="city", parent=cyrenaica, latitude="32.11667", longitude="20.06667")
    khribish = make_place(name="Khribish", kind="neighbourhood", parent=benghazi)
    PlaceAlias.objects.create(place=khribish, name="Akhribish")
    tripoli = make_place(name="Tripoli", kind="city", parent=libya, latitude="32.88722", longitude="13.19133")
    haftar = make_actor(name="Khalifa Haftar", kind="person", aliases=["Haftar", "General Haftar"])
    lna = make_actor(name="Libyan National Army", kind="state_force", aliases=["LNA"])
    isis = make_actor(name="Islamic State", kind="armed_group", aliases=["ISIS", "Daesh"])
    serraj = make_actor(name="Fayez al-Serraj", kind="person", aliases=["al-Sarraj", "فايز السراج"])
    outlet = make_publication(name="Libya-Analysis", url="https://www.libya-analysis.com/")
    clashes = make_event(
        title="Clashes in Khribish",
        place=khribish,
        start_date=datetime.date(2017, 7, 10),
        end_date=datetime.date(2017, 7, 16),
        date_precision="week",
        fatalities_low=10,
        fatalities_high=12,
        verification="multiple_sources",
        notes='=HYPERLINK("http://evil.example") figures from two briefs',
        participants=[
            (lna, "actor_1", "initiator"),
            (haftar, "associated_1", "initiator"),
            (isis, "actor_2", "target"),
        ],
    )
    clashes.tags.add("Benghazi")
    meeting = make_event(
        title="Serraj meets Mogherini",
        event_type="strategic_developments",
        sub_event_type="other",
        place=tripoli,
        start_date=datetime.date(2017, 6, 20),
        participants=[(serraj, "actor_1", "host")],
    )
    brief = make_article(
        permitted=True,
        title="Battles continue in Khribish",
        publication=outlet,
        byline="Jason Pack",
        original_url="https://www.libya-analysis.com/weekly-brief-khribish/",
        original_date=datetime.date(2017, 7, 20),
        body="Battles continue in the final area (Khribish) of Benghazi.\n\n"
        "Federica Mogherini meets Fayez al-Sarraj in Tripoli.",
        tags=["Benghazi", "ISIS"],
    )
    link_event(brief, clashes, excerpt="Battles continue in the final area (Khribish)")
    link_event(brief, meeting, excerpt="Federica Mogherini meets Fayez al-Sarraj")
    for actor in (haftar, lna, serraj):
        link_actor(brief, actor)
    link_place(brief, khribish)
    report = make_article(
        permitted=True,
        title="Army gains in Benghazi",
        original_date=datetime.date(2017, 11, 29),
        body="The army has seized new territory in Benghazi.\n\nThe head of the GNA, Serraj, held a meeting.",
        tags=["Benghazi"],
    )
    link_event(report, clashes, excerpt="The army has seized new territory in Benghazi.")
    link_actor(report, lna)
    link_place(report, benghazi)

    # Everything below is named by the doomed article alone.
    doomed_place = make_place(name=f"{DOOMED} oasis", kind="site", parent=libya)
    doomed_actor = make_actor(name=f"{DOOMED} brigade", kind="armed_group", aliases=[f"{DOOMED} militia"])
    doomed_event = make_event(
        title=f"{DOOMED} ambush",
        event_type="violence_against_civilians",
        sub_event_type="abduction",
        place=doomed_place,
        start_date=datetime.date(2017, 8, 1),
        participants=[(doomed_actor, "actor_1", "initiator")],
    )
    doomed_event.tags.add(f"{DOOMED} tag")
    doomed = make_article(
        permitted=True,
        title=f"{DOOMED} report",
        publication=outlet,
        original_url="https://www.libya-analysis.com/doomed/",
        original_date=datetime.date(2017, 8, 2),
        body=f"The {DOOMED} brigade ambushed a convoy.\n\nNobody was hurt.",
        tags=[f"{DOOMED} tag"],
    )
    link_event(doomed, doomed_event)
    link_actor(doomed, doomed_actor)
    link_place(doomed, doomed_place)
    return {
        "libya": libya,
        "benghazi": benghazi,
        "khribish": khribish,
        "tripoli": tripoli,
        "haftar": haftar,
        "lna": lna,
        "isis": isis,
        "serraj": serraj,
        "outlet": outlet,
        "clashes": clashes,
        "meeting": meeting,
        "brief": brief,
        "report": report,
        "doomed": doomed,
        "doomed_event": doomed_event,
        "doomed_actor": doomed_actor,
        "doomed_place": doomed_place,
    }


def withdraw(article) -> None:
    workflow.withdraw(article=article, user=make_user("publisher"), reason="The rights holder asked us to.")


def revoke(article) -> None:
    permission = RepublicationPermission.objects.get(article=article)
    workflow.revoke_permission(permission=permission, user=make_user("publisher"), reason="Permission withdrawn.")


# How a test makes the doomed article stop being public: both ways must hide it everywhere.
HIDE = {"withdrawn": withdraw, "revoked": revoke}


def populate(n: int, prefix: str = "Bulk") -> dict:
    """n public articles, each tagged, mentioning an actor and a place and reporting its own event."""
    outlet = make_publication(name=f"{prefix} outlet")
    country = make_place(name=f"{prefix} country", kind="country")
    city = make_place(name=f"{prefix} city", kind="city", parent=country, latitude=30, longitude=15)
    actor = make_actor(name=f"{prefix} actor", aliases=[f"{prefix} alias"])
    parent = make_event(title=f"{prefix} campaign", place=city)
    articles, events = [], []
    for i in range(n):
        article = make_article(
            permitted=True, publication=outlet, title=f"{prefix} article {i}", tags=[prefix, f"{prefix}-{i}"]
        )
        event = make_event(
            title=f"{prefix} event {i}",
            place=make_place(name=f"{prefix} site {i}", kind="site", parent=city),
            parent=parent,
            start_date=datetime.date(2016, 1, 1) + datetime.timedelta(days=7 * i),
            participants=[
                (actor, "actor_1", "initiator"),
                (make_actor(name=f"{prefix} other {i}"), "actor_2", "target"),
            ],
        )
        event.tags.add(prefix)
        link_event(article, event)
        link_event(article, parent)
        link_actor(article, actor)
        link_place(article, city)
        articles.append(article)
        events.append(event)
    return {"outlet": outlet, "actor": actor, "city": city, "parent": parent, "articles": articles, "events": events}
