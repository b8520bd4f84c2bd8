"""
Two benchmark results side by side: how each page's speed changes from one archive size to the next.

    python bench/compare.py bench/results/postgresql-m.json bench/results/postgresql-l.json

Prints a Markdown table of each page's req/s in both runs, its change, and its share of /healthz in
each (measured in the same run: when /healthz itself moved, the machine's load did too). A page that
loses more than LIMIT (20%) of its req/s is marked; the exit status is 1 when one does.
"""

import json
import sys
from pathlib import Path

LIMIT = 0.20


def load(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def main(before_path: str, after_path: str) -> int:
    before, after = load(before_path), load(after_path)
    pages_after = {page["name"]: page for page in after["pages"]}
    print(
        f"From {before['meta']['articles']:,} to {after['meta']['articles']:,} articles "
        f"({before['meta']['database']}; {before['meta']['date']} and {after['meta']['date']}).\n"
    )
    print("| page | req/s before | req/s after | change | × /healthz before | × /healthz after | within 20% |")
    print("|---|---:|---:|---:|---:|---:|---|")
    failed = []
    for page in before["pages"]:
        other = pages_after.get(page["name"])
        if other is None or not page.get("ratio") or not other.get("ratio"):
            rates = [f"{p['rps']:.1f}" if p and p.get("rps") else (p or {}).get("state", "–") for p in (page, other)]
            print(f"| {page['label']} | {rates[0]} | {rates[1]} | – | – | – | not load-tested |")
            continue
        change = other["rps"] / page["rps"] - 1
        within = change >= -LIMIT
        if not within:
            failed.append(page["label"])
        print(
            f"| {page['label']} | {page['rps']:.1f} | {other['rps']:.1f} | {change:+.0%} | {page['ratio']:.0%} "
            f"| {other['ratio']:.0%} | {'yes' if within else '**no**'} |"
        )
    if failed:
        print(f"\nLost more than {LIMIT:.0%}: {', '.join(failed)}.")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
