"""Crash safety: SIGKILL the extract process at random moments; no output file is ever partial, and
a re-run gives what an uninterrupted run gives."""
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from flows.bench import build_corpus
from helpers import digest_tree

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
STAMPED = {"registry.json", "tables/revisions.parquet", ".catalog.sha256", "catalog.duckdb"}  # first-seen times


def _extract(src: Path, out: Path, env: dict, kill_after: float | None = None, force: bool = False) -> bool:
    proc = subprocess.Popen([str(BIN / "policyflow"), "extract", str(src), "--out", str(out), "--wait", "60",
                             *(["--force"] if force else [])],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return proc.wait(timeout=kill_after) == 0
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the run and Prefect's server child, as a crash would
        proc.wait()
        return False


def _corrupt(out: Path) -> list[str]:
    bad = []
    for p in out.rglob("*"):
        if not p.is_file() or p.name == ".lock":
            continue
        try:
            if p.suffix == ".json":
                json.loads(p.read_text(encoding="utf-8"))
            elif p.suffix == ".parquet":
                pq.read_table(p)
            elif p.suffix == ".duckdb" and not p.name.startswith("."):
                duckdb.connect(str(p), read_only=True).close()
            elif p.name.endswith(".tmp"):
                continue  # a temporary name never replaced a real file; the next run removes it
        except Exception as exc:  # noqa: BLE001
            bad.append(f"{p.relative_to(out)}: {exc}")
    return bad


def _digest(out: Path) -> dict[str, str]:
    return digest_tree(out, lambda rel: rel in STAMPED or rel == ".lock")


@pytest.mark.slow
def test_kill_random_moments_leave_no_partial_files(tmp_path):
    src = tmp_path / "src"
    build_corpus(src, 400)
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"), DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="ERROR")
    env.pop("PREFECT_API_URL", None)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    assert _extract(src, clean, env)
    t = time.monotonic()
    assert _extract(src, killed, env, force=True)  # how long a whole run takes once Prefect's database exists
    full = time.monotonic() - t
    rng, corrupt, kills = random.Random(20), [], 0
    for _ in range(20):  # --force: every run does the whole work, so every kill lands mid-run
        if not _extract(src, killed, env, kill_after=rng.uniform(1.0, 0.8 * full), force=True):
            kills += 1
        corrupt += _corrupt(killed)
    assert _extract(src, killed, env)
    a, b = _digest(clean), _digest(killed)
    identical = a == b
    differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    print(f"runs 20, killed {kills}, corrupt files {len(corrupt)}, re-run identical {'yes' if identical else 'no'}")
    assert kills == 20
    assert corrupt == []
    assert identical, differing[:20]
