"""The reusable local Prefect server (flows/local_server.py): local runs share one, it stops when idle."""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from policyflow.flows import local_server
from policyflow.schemas.errors import ConfigError

TEXT = "关于支持创新的若干措施\n一、对新认定的企业给予50万元奖励。\n"


def _env(home, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", local_server.LOCAL_API)}
    env.update({"PREFECT_HOME": str(home), "POLICYFLOW_PREFECT_SERVER": "reuse", **extra})
    return env


def _cli(env, *args):
    return subprocess.run([sys.executable, "-m", "policyflow", *args], env=env, capture_output=True, text=True,
                          timeout=600)


def _flow_runs(url: str) -> list[dict]:
    req = urllib.request.Request(f"{url}/flow_runs/filter", data=b"{}", method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not local_server._alive(pid):
            return True
        time.sleep(0.2)
    return False


def test_local_server_reused_by_consecutive_runs_and_stopped_on_request(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(TEXT, encoding="utf-8")
    env = _env(tmp_path / "prefect", POLICYFLOW_SERVER_IDLE="300")
    try:
        first = _cli(env, "extract", str(src), "--out", str(tmp_path / "o1"))
        assert first.returncode == 0, first.stderr
        info = local_server.status(tmp_path / "prefect")
        assert info and info["url"].startswith("http://127.0.0.1:")
        second = _cli(env, "extract", str(src), "--out", str(tmp_path / "o2"))
        assert second.returncode == 0, second.stderr
        assert local_server.status(tmp_path / "prefect")["pid"] == info["pid"]  # the next run's claim spared it
        runs = _flow_runs(info["url"])
        assert sorted(r["state_type"] for r in runs) == ["COMPLETED", "COMPLETED"]
        assert list((tmp_path / "o2" / "revisions").rglob("*.json"))
        status = _cli(env, "server", "status")
        assert status.returncode == 0 and info["url"] in status.stdout
    finally:
        stop = _cli(env, "server", "stop")
    assert stop.returncode == 0 and "stopped" in stop.stdout
    assert _gone(info["pid"], 15)
    assert _cli(env, "server", "status").returncode == 1


def test_local_server_one_per_home_and_stops_itself_when_idle(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    home = tmp_path / "prefect"
    urls = []
    threads = [threading.Thread(target=lambda: urls.append(local_server.ensure(home, idle=2.0))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(urls) == 2 and urls[0] == urls[1]
    pid = local_server.status(home)["pid"]
    assert _gone(pid, 30), "the server did not stop after being idle"
    assert local_server.status(home) is None


def test_local_server_unknown_mode_is_a_usage_error(tmp_path):
    env = _env(tmp_path / "prefect", POLICYFLOW_PREFECT_SERVER="forever")
    src = tmp_path / "a.txt"
    src.write_text(TEXT, encoding="utf-8")
    res = _cli(env, "extract", str(src), "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert "[E026]" in res.stderr and "Traceback" not in res.stderr


def test_local_server_mode_reads_the_environment(monkeypatch):
    monkeypatch.setenv("POLICYFLOW_PREFECT_SERVER", " Temporary ")
    assert local_server.mode() == "temporary"
    monkeypatch.delenv("POLICYFLOW_PREFECT_SERVER")
    assert local_server.mode() == "reuse"
    monkeypatch.setenv("POLICYFLOW_PREFECT_SERVER", "x")
    with pytest.raises(ConfigError, match="E026"):
        local_server.mode()
