"""Deployments on a real Prefect server and runs on a real Dask cluster (both on loopback; slow)."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import digest_tree

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
pytestmark = pytest.mark.slow


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def _stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def _wait(check, timeout: float, what: str, logs: list[Path]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} not ready in {timeout}s:\n" + "\n".join(l.read_text(errors="replace")[-3000:]
                                                                        for l in logs if l.exists()))


def test_deploy_served_flow_runs_on_real_server(tmp_path):
    port = _port()
    api = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_API_URL=api, DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_UI_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING")
    logs = [tmp_path / "server.log", tmp_path / "serve.log"]
    server = _start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, logs[0])
    serve = None
    try:
        _wait(lambda: urllib.request.urlopen(f"{api}/health", timeout=2).status == 200, 90, "prefect server", logs)
        out = tmp_path / "out"
        serve = _start([str(BIN / "policyflow"), "serve", "--raw", str(ROOT / "raw"), "--out", str(out),
                        "--cron", "0 0 1 1 *", "--name", "ci-serve"], env, logs[1])
        broken = tmp_path / "broken"
        broken.mkdir()
        (broken / "ok.txt").write_text("关于支持创新的若干措施\n一、对新认定的企业给予50万元奖励。\n", encoding="utf-8")
        (broken / "empty.txt").write_bytes(b"")
        script = (
            "import json, sys\n"
            "from prefect.deployments import run_deployment\n"
            "name = 'policyflow-extract/ci-serve'\n"
            "for params in json.loads(sys.argv[1]):\n"
            "    r = run_deployment(name, parameters=params, timeout=240)\n"
            "    print(json.dumps([r.state.type.value, r.state.message or '']))\n")
        runs = [{}, {"paths": [str(broken)], "out": str(tmp_path / "out-broken")},
                {"paths": [str(broken)], "out": str(tmp_path / "out-allowed"), "allow_errors": True},
                {"paths": [str(tmp_path / "nowhere")], "out": str(tmp_path / "out-missing")}]
        _wait(lambda: subprocess.run([str(BIN / "prefect"), "deployment", "inspect", "policyflow-extract/ci-serve"],
                                     env=env, capture_output=True).returncode == 0, 90, "deployment", logs)
        ran = subprocess.run([str(BIN / "python"), "-c", script, json.dumps(runs)], env=env, capture_output=True,
                             text=True, timeout=900)
        states = [json.loads(line) for line in ran.stdout.splitlines() if line.startswith("[")]
        assert [s for s, _ in states] == ["COMPLETED", "FAILED", "COMPLETED", "FAILED"], \
            ran.stdout + ran.stderr + logs[1].read_text(errors="replace")
        assert "E022" in states[1][1] and "1 of 2" in states[1][1]
        assert "E023" in states[3][1] and "nowhere" in states[3][1]
        assert len(list((out / "revisions").glob("*/*.json"))) == 4
        assert (out / "catalog.duckdb").exists()
        for failed_but_stored in ("out-broken", "out-allowed"):  # the good document is stored either way
            assert len(list((tmp_path / failed_but_stored / "revisions").glob("*/*.json"))) == 1
            assert list((tmp_path / failed_but_stored / "errors").glob("*.json"))
    finally:
        _stop(*[p for p in (serve, server) if p])


def test_deploy_dask_cluster_matches_single_process(tmp_path):
    port = _port()
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"), DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")
    env.pop("PREFECT_API_URL", None)
    logs = [tmp_path / "scheduler.log", tmp_path / "w1.log", tmp_path / "w2.log"]
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                        "--no-dashboard"], env, logs[0])
    workers = []
    try:
        _wait(lambda: socket.create_connection(("127.0.0.1", port), timeout=1), 60, "dask scheduler", logs)
        workers = [_start([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                           "--host", "127.0.0.1"], env, log) for log in logs[1:]]
        check = ("from distributed import Client\n"
                 f"c = Client('{address}', timeout=10)\nprint(len(c.scheduler_info()['workers']))\n")
        _wait(lambda: subprocess.run([str(BIN / "python"), "-c", check], env=env, capture_output=True,
                                     text=True).stdout.strip() == "2", 60, "two dask workers", logs)
        sources = [str(ROOT / "raw"), str(ROOT / "tests" / "data" / "corpus" / "sources")]
        single, dasked = tmp_path / "single", tmp_path / "dask"
        subprocess.run([str(BIN / "policyflow"), "extract", *sources, "--out", str(single), "--batch-size", "3"],
                       env=env, check=True, capture_output=True)
        ran = subprocess.run([str(BIN / "policyflow"), "extract", *sources, "--out", str(dasked), "--batch-size", "3",
                              "--dask-address", address], env=env, capture_output=True, text=True)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        a, b = (digest_tree(d, lambda rel: rel.startswith("diffs") or rel.endswith(".duckdb")) for d in (single, dasked))
        for name in ("registry.json", "tables/revisions.parquet", ".catalog.sha256",
                     "tables/.revision-set.sha256"):  # first-seen stamps differ
            a.pop(name)
            b.pop(name)
        assert a == b and len(a) > 30
        import pyarrow.parquet as pq

        cols = ["policy_id", "revision_id", "filename", "status", "position"]
        assert (pq.read_table(single / "tables" / "revisions.parquet", columns=cols).to_pylist()
                == pq.read_table(dasked / "tables" / "revisions.parquet", columns=cols).to_pylist())
    finally:
        _stop(*workers, scheduler)


def test_deploy_workers_2_output_equals_single_process_with_cross_batch_duplicates(tmp_path):
    """Copies of one revision land in different batches (and Dask workers); the stored copy, the registry
    and every table must not depend on which worker finished first, nor on the order of the arguments."""
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"), DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")
    env.pop("PREFECT_API_URL", None)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for i, seed in enumerate(sorted((ROOT / "raw").glob("*.txt"))):
        text = seed.read_text(encoding="utf-8")
        (a / f"{i}.txt").write_text(text, encoding="utf-8")
        (b / f"{i}_gb.txt").write_bytes(text.replace("\n", "\r\n").encode("gb18030"))  # the same revisions
        (b / f"{i}_cr.txt").write_bytes(text.replace("\n", "\r").encode("utf-8"))
    single, dasked = tmp_path / "single", tmp_path / "dask"
    subprocess.run([str(BIN / "policyflow"), "extract", str(a), str(b), "--out", str(single), "--batch-size", "2"],
                   env=env, check=True, capture_output=True)
    ran = subprocess.run([str(BIN / "policyflow"), "extract", str(b), str(a), "--out", str(dasked), "--batch-size", "2",
                          "--workers", "2"], env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    stamped = {"registry.json", "tables/revisions.parquet", ".catalog.sha256", "catalog.duckdb",
               "tables/.revision-set.sha256"}
    skip = lambda rel: rel in stamped or rel == ".lock" or rel.endswith(".stamp")  # noqa: E731
    x, y = digest_tree(single, skip), digest_tree(dasked, skip)
    print(f"files {len(x)}, differing {sum(x.get(k) != y.get(k) for k in x.keys() | y.keys())}")
    assert x == y and len(list((single / "revisions").glob("*/*.json"))) == 4
