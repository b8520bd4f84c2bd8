"""bench/compare.py: the table of how each page's speed moves from one archive size to the next."""

import json

from tests.bench_modules import bench_module


def compare_module():
    return bench_module("compare")


def result(tmp_path, name: str, articles: int, pages: dict[str, float]) -> str:
    healthz = pages["healthz"]
    data = {
        "meta": {"articles": articles, "database": "PostgreSQL 15", "date": "2026-11-26 12:00 UTC"},
        "pages": [{"name": page, "label": page, "rps": rps, "ratio": rps / healthz} for page, rps in pages.items()],
    }
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_a_page_losing_more_than_a_fifth_fails_the_comparison(tmp_path, capsys):
    compare = compare_module()
    before = result(tmp_path, "m", 100_000, {"healthz": 1000.0, "list": 100.0, "search": 50.0})
    steady = result(tmp_path, "l1", 1_000_000, {"healthz": 1000.0, "list": 85.0, "search": 49.0})
    slower = result(tmp_path, "l2", 1_000_000, {"healthz": 1000.0, "list": 79.0, "search": 49.0})
    assert compare.main(before, steady) == 0
    assert compare.main(before, slower) == 1
    table = capsys.readouterr().out
    assert "| list | 100.0 | 79.0 | -21% | 10% | 8% | **no** |" in table
    assert "Lost more than 20%: list." in table
