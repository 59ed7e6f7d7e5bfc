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

from policyflow.flows.bench import build_corpus
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
        os.kill(proc.pid, signal.SIGKILL)  # the run alone, as a crash would: its children are left to the next run
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
    return digest_tree(out, BOOKKEEPING)


@pytest.mark.slow
def test_kill_random_moments_leave_no_partial_files(tmp_path):
    src = tmp_path / "src"
    build_corpus(src, 400)
    env = dict(_env_without_owner(), PREFECT_HOME=str(tmp_path / "prefect"), DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="ERROR")
    env.pop("PREFECT_API_URL", None)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    assert _extract(src, clean, env)
    t = time.monotonic()
    assert _extract(src, killed, env, force=True)  # how long a whole run takes once Prefect's database exists
    full = time.monotonic() - t
    rng, corrupt, kills, runs = random.Random(20), [], 0, 0
    while kills < 20 and runs < 40:  # a run faster than the measured one ends before its kill: it kills nothing, so run again
        runs += 1
        if not _extract(src, killed, env, kill_after=rng.uniform(1.0, 0.8 * full), force=True):
            kills += 1
        corrupt += _corrupt(killed)
    assert _extract(src, killed, env)
    a, b = _digest(clean), _digest(killed)
    identical = a == b
    differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    time.sleep(1.0)
    survivors = _owned_processes(env["PREFECT_HOME"])
    print(f"runs {runs}, killed {kills}, corrupt files {len(corrupt)}, re-run identical {'yes' if identical else 'no'}, "
          f"surviving processes {len(survivors)}")
    assert kills == 20
    assert corrupt == []
    assert identical, differing[:20]
    assert survivors == []


PHASES = ("documents", "registry", "tables", "catalog", "diffs")
BOOKKEEPING = lambda rel: rel in STAMPED or rel == ".lock" or rel == "tables/.revision-set.sha256" \
    or rel.endswith(".stamp")  # noqa: E731 - stamps name file times, which differ from run to run


def _owned_processes(home: str) -> list[str]:
    """Processes started by runs that used this PREFECT_HOME (Prefect's server, the watchdog's child),
    each described by pid, owner (and whether it lives), status and command line."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "environ", "cmdline", "status"]):
        env = proc.info.get("environ") or {}
        if env.get("PREFECT_HOME") == home and "POLICYFLOW_OWNER" in env:
            owner = int(env["POLICYFLOW_OWNER"])
            found.append(f"{proc.pid} owner {owner} ({'alive' if psutil.pid_exists(owner) else 'dead'}) "
                         f"{proc.info.get('status')} {' '.join(proc.info.get('cmdline') or [])[:160]}")
    return found


def _env_without_owner() -> dict:
    """The test process's environment minus an owner mark an in-process run may have left in it: what the
    test itself starts (its Prefect server) is not a run's process."""
    return {k: v for k, v in os.environ.items() if k != "POLICYFLOW_OWNER"}


def _revision_pairs(src: Path, n: int) -> None:
    for i in range(n):
        base = (f"关于支持第{i}类企业创新发展的若干措施\n示府〔2025〕{i}号\n一、加大研发投入\n"
                f"1.对研发投入超过500万元的企业，给予{i + 10}万元补助。\n"
                "2.支持企业建设研发机构，最高给予200万元奖励。\n")
        (src / f"pair{i}_a.txt").write_text(base.replace("若干措施", "若干措施（征求意见稿）"), encoding="utf-8")
        (src / f"pair{i}_b.txt").write_text(base.replace("200万元", "300万元"), encoding="utf-8")


@pytest.mark.slow
def test_kill_in_every_phase_heals_to_a_clean_run(tmp_path):
    """SIGKILL the run (the process alone, as a crash would: its children stay) at the N-th point of each
    phase; a plain re-run must give what an uninterrupted run gives, and no process may survive."""
    from test_deploy import _port, _start, _stop, _wait
    import urllib.request

    src = tmp_path / "src"
    build_corpus(src, 40)
    _revision_pairs(src, 6)
    home = str(tmp_path / "prefect")
    port = _port()
    env = dict(_env_without_owner(), PREFECT_HOME=home, DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="ERROR", PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
               PREFECT_SERVER_UI_ENABLED="false")
    server = _start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                    {k: v for k, v in env.items() if k != "PREFECT_API_URL"}, tmp_path / "server.log")
    try:
        _wait(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2).status == 200, 120,
              "prefect server", [tmp_path / "server.log"])
        clean = tmp_path / "clean"
        assert _extract(src, clean, env)
        want = digest_tree(clean, BOOKKEEPING)
        figures = {}
        for phase in PHASES:
            kills = corrupt = healed = 0
            for n in range(1, 6):
                out = tmp_path / f"{phase}{n}"
                cmd = [str(BIN / "policyflow"), "extract", str(src), "--out", str(out), "--batch-size", "8"]
                crash_env = dict(env, POLICYFLOW_CRASH_AT=f"{phase}:{1 + (n - 1) % _points(phase)}")
                rc = subprocess.run(cmd, env=crash_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
                kills += rc == -signal.SIGKILL
                corrupt += len(_corrupt(out))
                assert _extract(src, out, env)
                healed += digest_tree(out, BOOKKEEPING) == want
            figures[phase] = (kills, corrupt, healed)
        time.sleep(1.0)
        survivors = _owned_processes(home)
        for phase, (kills, corrupt, healed) in figures.items():
            print(f"{phase}: kills {kills}, corrupt files {corrupt}, re-run equal to a clean run {healed}/5")
        print(f"surviving processes {len(survivors)}")
        assert all(k == 5 and c == 0 and h == 5 for k, c, h in figures.values()), figures
        assert survivors == []
    finally:
        _stop(server)


def _points(phase: str) -> int:
    """How many crash points a phase has in this test's run (documents: 10 batches, tables: 10 tables...)."""
    return {"documents": 5, "registry": 2, "tables": 5, "catalog": 2, "diffs": 5}[phase]
