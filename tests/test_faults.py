"""An import killed half-way leaves the database as it was, and running it again completes it."""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = 120


def test_an_import_killed_half_way_changes_nothing_and_a_rerun_completes_it(tmp_path):
    database = tmp_path / "faults.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SQLITE_PATH"] = str(database)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    for n in range(FILES):
        (incoming / f"{n:04}.txt").write_text(f"Report number {n}\n\nFighting was reported in district {n}.\n")

    importer = subprocess.Popen(
        [*manage, "import_articles", str(incoming), "-v2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in importer.stderr:
            if line.startswith(f"[{FILES // 2}/{FILES}]"):
                importer.send_signal(signal.SIGKILL)
                break
    finally:
        importer.wait(timeout=60)
    assert importer.returncode == -signal.SIGKILL

    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM articles_article").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM articles_provenancerecord").fetchone() == (0,)

    rerun = subprocess.run(
        [*manage, "import_articles", str(incoming)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{FILES} article(s) imported" in rerun.stdout
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM articles_article").fetchone() == (FILES,)
