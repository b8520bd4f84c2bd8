"""
A timeline picture of events per month, drawn as server-side SVG.

The view counts events per month in one query; this module only lays the bars
out, so the picture costs nothing in JavaScript and reads without it.
"""

import calendar
import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth

MAX_MONTHS = 240
WIDTH, HEIGHT, AXIS = 720, 120, 22


@dataclass
class Bar:
    month: datetime.date
    count: int
    x: float
    y: float
    width: float
    height: float
    url: str

    @property
    def label(self) -> str:
        noun = "event" if self.count == 1 else "events"
        return f"{self.month:%B %Y}: {self.count} {noun}"


@dataclass
class Timeline:
    bars: list[Bar]
    years: list[tuple[float, int]]
    total: int
    peak: int
    width: int = WIDTH
    height: int = HEIGHT + AXIS
    chart_height: int = HEIGHT

    @property
    def first(self) -> datetime.date:
        return self.bars[0].month

    @property
    def last(self) -> datetime.date:
        return self.bars[-1].month


def month_counts(events: QuerySet, date_field: str = "start_date") -> dict[datetime.date, int]:
    """Rows per month of `date_field` (an event's start, or a participation's event's)."""
    rows = (
        events.order_by()
        .annotate(month=TruncMonth(date_field))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    counts: dict[datetime.date, int] = {}
    for month, n in rows:
        if isinstance(month, datetime.datetime):
            month = month.date()
        counts[month] = counts.get(month, 0) + n
    return counts


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def build(counts: dict[datetime.date, int], *, base_url: str, params: dict | None = None) -> Timeline | None:
    """Bars for every month from the first to the last with events, each linking to its month."""
    if not counts:
        return None
    first, last = min(counts), max(counts)
    months = [first]
    while months[-1] < last and len(months) < MAX_MONTHS:
        months.append(_next_month(months[-1]))
    peak = max(counts.values())
    slot = WIDTH / len(months)
    bars, years = [], []
    for index, month in enumerate(months):
        count = counts.get(month, 0)
        height = (HEIGHT - 4) * count / peak if count else 0
        last_day = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        query = {**(params or {}), "after": month.isoformat(), "before": last_day.isoformat()}
        bars.append(
            Bar(
                month=month,
                count=count,
                x=round(index * slot + slot * 0.1, 2),
                y=round(HEIGHT - height, 2),
                width=round(max(slot * 0.8, 1), 2),
                height=round(height, 2),
                url=f"{base_url}?{urlencode(query, doseq=True)}",
            )
        )
        if index == 0 or month.month == 1:
            years.append((round(index * slot, 2), month.year))
    return Timeline(bars=bars, years=years, total=sum(counts.values()), peak=peak)
