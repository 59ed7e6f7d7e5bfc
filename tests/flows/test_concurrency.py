"""Two runs on one output folder: the second waits for the lock or exits with a clear message."""
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from policyflow.flows import store
from policyflow.schemas.errors import LockedError

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
DOC = str(ROOT / "raw" / "001_84c7786f5ce18276.txt")


def test_concurrency_lock_is_exclusive(tmp_path):
    with store.output_lock(tmp_path):
        with pytest.raises(LockedError, match="Another policyflow run"):
            with store.output_lock(tmp_path, wait=0.3):
                pass
    with store.output_lock(tmp_path):  # released on exit
        pass


def test_concurrency_second_cli_run_exits_with_message(tmp_path):
    with store.output_lock(tmp_path / "out"):
        run = subprocess.run([str(BIN / "policyflow"), "extract", DOC, "--out", str(tmp_path / "out")],
                             capture_output=True, text=True, timeout=300)
    assert run.returncode == 3
    assert "Another policyflow run is writing to" in run.stderr and "--wait" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert not (tmp_path / "out" / "revisions").exists()


def test_concurrency_second_run_waits_for_the_first(tmp_path):
    held = threading.Event()

    def hold():
        with store.output_lock(tmp_path / "out"):
            held.set()
            time.sleep(3)

    t = threading.Thread(target=hold)
    t.start()
    held.wait()
    run = subprocess.run([str(BIN / "policyflow"), "extract", DOC, "--out", str(tmp_path / "out"), "--wait", "120"],
                         capture_output=True, text=True, timeout=300)
    t.join()
    assert run.returncode == 0, run.stderr
    assert len(list((tmp_path / "out" / "revisions").glob("*/*.json"))) == 1
