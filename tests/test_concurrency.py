"""Eight processes writing and reading one SQLite file at once: nobody gets "database is locked"."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_eight_concurrent_writers_and_readers_on_sqlite_never_see_a_locked_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SQLITE_PATH"] = str(tmp_path / "concurrency.sqlite3")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    result = subprocess.run(
        [sys.executable, "tests/sqlite_writers.py", "8", "15"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "locked" not in result.stderr
    assert result.stdout.splitlines() == [f"worker {n} errors 0" for n in range(8)]
