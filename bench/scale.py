"""
How each page's speed holds from one archive size to the next, the two measured side by side.

    make bench-scale      # PostgreSQL: bench_m (100,000 articles) against bench_l (1,000,000)

Two benchmark runs made apart compare the machine at two moments as much as the two archives, as
its speed drifts over minutes. Here both archives are
served at once, each by its own gunicorn, and each page is loaded on the one and then on the other,
seconds apart, in ROUNDS rounds (the first archive first in odd rounds, second in even ones); each
side of a page is reported by its median round, and its change by the median of its changes in each
round. The pages are picked from each archive by
bench/run.py (`run.py --choose`), which builds an archive that is missing or of another size.

Settings (environment): BENCH_BEFORE_URL and BENCH_AFTER_URL (the two PostgreSQL databases),
BENCH_BEFORE_ARTICLES (100000) and BENCH_AFTER_ARTICLES (1000000), and bench/run.py's BENCH_ROUNDS,
BENCH_DURATION, BENCH_CONNECTIONS, BENCH_WORKERS and BENCH_PAGES. Writes
bench/results/scale.json and scale.md; the exit status is 1 when a page loses more than 20%.
"""

import datetime
import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py, beside this file

LIMIT = 0.20
BEFORE_URL = os.environ.get("BENCH_BEFORE_URL", "postgres://postgres@127.0.0.1:5432/bench_m")
AFTER_URL = os.environ.get("BENCH_AFTER_URL", "postgres://postgres@127.0.0.1:5432/bench_l")
BEFORE_ARTICLES = os.environ.get("BENCH_BEFORE_ARTICLES", "100000")
AFTER_ARTICLES = os.environ.get("BENCH_AFTER_ARTICLES", "1000000")


def choose(database_url: str, articles: str, secret: str) -> dict:
    """bench/run.py --choose on one archive: its size, an admin session and its pages."""
    env = {**os.environ, "BENCH_DATABASE_URL": database_url, "BENCH_ARTICLES": articles, "BENCH_SECRET_KEY": secret}
    output = subprocess.run(  # noqa: S603 (our own command line)
        [run.PYTHON, str(run.BENCH / "run.py"), "--choose"], cwd=run.ROOT, env=env, capture_output=True, text=True
    )
    if output.returncode != 0:
        raise SystemExit(f"bench/run.py --choose failed on {database_url}:\n{output.stderr[-3000:]}")
    return json.loads(next(line for line in reversed(output.stdout.splitlines()) if line.startswith("{")))


def side_by_side(before: list[dict], after: list[dict]) -> list[dict]:
    """The pages both archives have, in the first one's order: name, labels, and each side's median round."""
    others = {page["name"]: page for page in after}
    rows = []
    for page in before:
        other = others.get(page["name"])
        if other is None:
            continue
        rows.append({"name": page["name"], "label": page["label"], "after_label": other["label"]})
    return rows


def order(number: int) -> tuple[str, str]:
    """The sides in the order round `number` loads them: the first archive first in odd rounds."""
    return ("before", "after") if number % 2 else ("after", "before")


def summarise(rows: list[dict], rounds: dict[str, dict[str, list[dict]]]) -> list[dict]:
    """
    Each page's median round on each side; its share of that side's /healthz and its change from
    one side to the other, each the median of the rounds' own.
    """
    for row in rows:
        for side in ("before", "after"):
            page = run.Page(row["name"], row["label"], "")
            run.report_median_round(page, rounds[row["name"]][side])
            row[side] = {"rps": page.rps, "p50": page.p50_ms, "p95": page.p95_ms, "rounds": page.rounds}
            row[side]["errors"] = page.errors
    healthz = {
        side: next((r[side] for r in rows if r["name"] == "healthz" and r[side]["rps"]), None)
        for side in ("before", "after")
    }
    for row in rows:
        for side in ("before", "after"):
            base = healthz[side]
            row[side]["ratio"] = run.paired_share(row[side]["rounds"], base["rounds"]) if base else None
        # Paired round by round, the two sides loaded seconds apart: the machine's drift over the run cancels.
        paired = run.paired_share(row["after"]["rounds"], row["before"]["rounds"])
        if paired is None and row["before"]["rps"]:
            paired = row["after"]["rps"] / row["before"]["rps"]
        row["change"] = paired - 1 if paired is not None else None
        row["within"] = row["change"] is not None and row["change"] >= -LIMIT
    return rows


def markdown(meta: dict, rows: list[dict]) -> str:
    lines = [
        f"From {meta['before']['articles']:,} to {meta['after']['articles']:,} articles on "
        f"{meta['before']['database']}, {meta['date']}: both archives served at once, each by gunicorn with "
        f"{meta['workers']} sync workers; each page loaded on the one and then the other with {meta['client']} "
        f"and {meta['connections']} connections, {meta['rounds']} rounds of {meta['duration']} s per page and "
        "archive (each side's median round; the change is the median of each round's).",
        "",
        "| page | req/s before | req/s after | change | × /healthz before | × /healthz after | p95 ms before "
        "| p95 ms after | within 20% |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        before, after = row["before"], row["after"]
        label = row["label"] if row["label"] == row["after_label"] else f"{row['label']}; after: {row['after_label']}"
        ratios = [f"{side['ratio']:.0%}" if side["ratio"] is not None else "–" for side in (before, after)]
        change = f"{row['change']:+.0%}" if row["change"] is not None else "–"
        lines.append(
            f"| {label} | {before['rps']:.1f} | {after['rps']:.1f} | {change} | {ratios[0]} | {ratios[1]} "
            f"| {before['p95']:.1f} | {after['p95']:.1f} | {'yes' if row['within'] else '**no**'} |"
        )
    lost = [row["label"] for row in rows if not row["within"]]
    lines += ["", f"Lost more than {LIMIT:.0%}: {', '.join(lost)}." if lost else f"No page lost more than {LIMIT:.0%}."]
    return "\n".join(lines) + "\n"


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(1))
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(64)
    os.environ["BENCH_SECRET_KEY"] = secret
    sides = {"before": (BEFORE_URL, BEFORE_ARTICLES), "after": (AFTER_URL, AFTER_ARTICLES)}
    chosen = {}
    for side, (url, articles) in sides.items():
        run.log(f"Picking the pages of the {side} archive ({int(articles):,} articles).")
        chosen[side] = choose(url, articles, secret)
    rows = side_by_side(chosen["before"]["pages"], chosen["after"]["pages"])
    pages = {side: {page["name"]: run.Page(**page) for page in chosen[side]["pages"]} for side in sides}
    ports = {side: run.free_port() for side in sides}
    wrk = run.find_wrk()
    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "before": {k: chosen["before"][k] for k in ("articles", "database")},
        "after": {k: chosen["after"][k] for k in ("articles", "database")},
        "client": "wrk" if wrk else "a Python client",
        "connections": run.CONNECTIONS,
        "workers": run.WORKERS,
        "duration": run.DURATION,
        "rounds": run.ROUNDS,
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0],
    }
    servers = {}
    try:
        for side, (url, _) in sides.items():
            servers[side] = run.start_server(run.server_environment(url), ports[side], f"gunicorn-{side}.log")
        rounds: dict[str, dict[str, list[dict]]] = {row["name"]: {"before": [], "after": []} for row in rows}
        for number in range(1, run.ROUNDS + 1):
            run.log(f"Round {number} of {run.ROUNDS}.")
            for row in rows:
                for side in order(number):
                    page = pages[side][row["name"]]
                    headers = {"Cookie": f"sessionid={chosen[side]['session']}"} if page.admin else {}
                    if number == 1:
                        run.warm_up(page, headers, ports[side])
                    result = run.load(page, headers, wrk, ports[side])
                    rounds[row["name"]][side].append(result)
                    run.log(f"  {row['name']:<20} {side:<6} {result['rps']:8.1f} req/s  p95 {result['p95']:8.1f} ms")
    finally:
        run.stop_servers(list(servers.values()))
        meta["load_after"] = os.getloadavg()[0]
    rows = summarise(rows, rounds)
    report = markdown(meta, rows)
    (run.RESULTS / "scale.json").write_text(json.dumps({"meta": meta, "pages": rows}, indent=2, ensure_ascii=False))
    (run.RESULTS / "scale.md").write_text(report)
    print(report)
    return 0 if all(row["within"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
