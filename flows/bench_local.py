"""What a small local `policyflow extract` costs, command to exit, and where the time goes.

Runs the real command (`python -m policyflow extract`) on a folder of four documents with a
private PREFECT_HOME: Prefect's temporary server per command, then the reusable local server
(`flows/local_server.py`) cold (it starts) and warm (it is up: measured `SETTLE` seconds after the
cold run, as a server in use is not one that just started). Beside the wall times it measures
the parts of a warm run that no server choice removes: the interpreter with `import prefect`, and
the watchdog child's loading of the extractors (which overlaps with it).
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTLE = 10.0  # seconds between the run that starts the server and the warm runs: a server in use is not starting


def _timed(cmd: list[str], env: dict) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + sys of the command and its children) and exit code."""
    before = os.times()
    t = time.perf_counter()
    rc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system), rc


def run(src: Path | None = None, *, repeat: int = 3) -> dict:
    src = Path(src or ROOT / "raw")
    docs = sorted(p for p in src.iterdir() if p.is_file() and not p.name.startswith("."))
    tmp = Path(tempfile.mkdtemp(prefix="policyflow-bench-local-"))
    home = tmp / "prefect"
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "POLICYFLOW_LOCAL_API")}
    env.update(PREFECT_HOME=str(home), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    cli = [sys.executable, "-m", "policyflow"]

    def extract(mode: str, name: str) -> tuple[float, float, int]:
        out = tmp / name
        shutil.rmtree(out, ignore_errors=True)
        return _timed([*cli, "extract", str(src), "--out", str(out)], dict(env, POLICYFLOW_PREFECT_SERVER=mode))

    try:
        temporary = [extract("temporary", f"t{i}") for i in range(max(1, repeat - 1))]
        cold = extract("reuse", "cold")
        time.sleep(SETTLE)
        warm = [extract("reuse", f"w{i}") for i in range(repeat)]
        rerun = _timed([*cli, "extract", str(src), "--out", str(tmp / f"w{repeat - 1}")],
                       dict(env, POLICYFLOW_PREFECT_SERVER="reuse"))
        interp = [_timed([sys.executable, "-c", "pass"], env) for _ in range(repeat)]
        prefect = [_timed([sys.executable, "-c", "import prefect"], env) for _ in range(repeat)]
        child = [_timed([sys.executable, "-c", "from policyflow.flows import documents\n"
                         "from policyflow.extractors.nlp import pipeline\npipeline()"], env) for _ in range(repeat)]
        subprocess.run([*cli, "server", "stop"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def med(runs, i=0):
        return round(statistics.median(r[i] for r in runs), 2)

    return {
        "documents": len(docs),
        "temporary_server_s": med(temporary), "reuse_cold_s": round(cold[0], 2),
        "reuse_warm_s": med(warm), "reuse_warm_runs_s": [round(w[0], 2) for w in warm],
        "reuse_warm_cpu_s": med(warm, 1), "rerun_unchanged_s": round(rerun[0], 2),
        "exit_codes": sorted({r[2] for r in [*temporary, cold, *warm, rerun]}),
        "floor": {"python_s": med(interp), "import_prefect_s": med(prefect),
                  "watchdog_child_load_s": med(child)},
        "cores": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    import json

    print(json.dumps(run(), ensure_ascii=False))


if __name__ == "__main__":
    main()
