"""bench/scale.py: two archives' pages loaded in turn, each side reported by its median round."""

from tests.bench_modules import bench_module


def scale_module():
    return bench_module("scale")


def load(rps: float, p95: float = 10.0) -> dict:
    return {"requests": int(rps * 5), "seconds": 5.0, "rps": rps, "p50": p95 / 2, "p95": p95, "p99": p95, "errors": 0}


def test_each_round_alternates_which_archive_is_loaded_first():
    scale = scale_module()
    assert [scale.order(n) for n in (1, 2, 3)] == [("before", "after"), ("after", "before"), ("before", "after")]


def test_pages_are_compared_round_by_round_and_shown_by_their_median_rounds():
    scale = scale_module()
    before = [
        {"name": "healthz", "label": "/healthz", "url": "/healthz", "admin": False},
        {"name": "list", "label": "article list", "url": "/articles/", "admin": False},
        {"name": "event", "label": "event (21 reports)", "url": "/events/a/", "admin": False},
        {"name": "only-before", "label": "gone", "url": "/x/", "admin": False},
    ]
    after = [{**page, "label": "event (23 reports)"} if page["name"] == "event" else page for page in before[:3]]
    rows = scale.side_by_side(before, after)
    assert [row["name"] for row in rows] == ["healthz", "list", "event"]
    rounds = {
        "healthz": {"before": [load(3000), load(3200), load(2800)], "after": [load(2900), load(3100), load(3000)]},
        "list": {"before": [load(500), load(400), load(450)], "after": [load(420), load(380, 30.0), load(300)]},
        "event": {"before": [load(150), load(140), load(160)], "after": [load(100), load(110), load(105)]},
    }
    rows = {row["name"]: row for row in scale.summarise(rows, rounds)}
    assert rows["list"]["before"]["rps"] == 450 and rows["list"]["after"]["rps"] == 380
    assert rows["list"]["after"]["p95"] == 30.0  # the median round's own latencies
    # Shares and changes are the median of each round's: 450/2800 of 500/3000, 400/3200 and 450/2800.
    assert rows["list"]["before"]["ratio"] == 450 / 2800 and rows["list"]["after"]["ratio"] == 380 / 3100
    # 420/500, 380/400 and 300/450: a median of 0.84.
    assert round(rows["list"]["change"], 3) == round(420 / 500 - 1, 3) and rows["list"]["within"]
    # 100/150, 110/140 and 105/160: -33%, where the median rounds' 105/150 would say -30%.
    assert round(rows["event"]["change"], 3) == round(100 / 150 - 1, 3) and not rows["event"]["within"]
    report = scale.markdown(
        {
            "date": "2026-11-27 13:00 UTC",
            "before": {"articles": 100_000, "database": "PostgreSQL 15.20"},
            "after": {"articles": 1_000_000, "database": "PostgreSQL 15.20"},
            "workers": 2,
            "client": "wrk",
            "connections": 4,
            "rounds": 3,
            "duration": 5,
        },
        list(rows.values()),
    )
    assert "| article list | 450.0 | 380.0 | -16% | 16% | 12% | 10.0 | 30.0 | yes |" in report
    assert "| event (21 reports); after: event (23 reports) | 150.0 | 105.0 | -33% |" in report
    assert "Lost more than 20%: event (21 reports)." in report
